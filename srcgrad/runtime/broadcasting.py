"""Adjoints summed back to their operands' shapes, spread over reduced axes, and the
adjoints of products whose operands may be vectors or stacks of matrices.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import operator

import numpy as np

from .arrays import either_other, zeros_for
from .checks import refusal


def unbroadcast(g, like):
    """Sum `g` over the axes along which `like` was broadcast, so that it has `like`'s shape.
    (A list or tuple of arrays as `like`, or as `g`, is lists or tuples joined with +, which no
    rule of + describes, or NumPy's broadcasting of a list of arrays: refused, at the user's
    line, never summed as an array. A list of numbers is NumPy's operand.)"""
    if isinstance(g, (list, tuple)) or (
        type(like) in (list, tuple) and any(np.ndim(v) > 0 for v in like)
    ):
        raise refusal(
            "joining lists or tuples with + where they carry a derivative is not supported",
            "index the parts and combine them one by one, or build one list with append",
        )
    shape = np.shape(like)
    g_shape = np.shape(g)
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    if lead < 0:  # (the number 0.0 that stands for a lost loop adjoint: shaped_like)
        return np.zeros_like(like, dtype=gradient_dtype(like, g)) + g
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    summed = np.sum(g, axis=axes, keepdims=True) if axes else g
    if lead:
        summed = np.reshape(summed, g_shape[lead:] if not axes else summed.shape[lead:])
    return summed


def gradient_dtype(like, g):
    if isinstance(like, (list, tuple)):  # (np.result_type reads a list as a dtype's fields)
        like = np.asarray(like)
    return np.result_type(like, g, 1.0)


def expand_to(g, like, axis=None, keepdims=False):
    """A new array shaped like `like`, holding `g` repeated along the reduced `axis`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    if either_other(g, like):  # (a NumPy array would compute a dask `g` to hold it)
        return zeros_for(g, like, gradient_dtype(like, g)) + g
    out = np.empty_like(like, dtype=gradient_dtype(like, g))
    out[...] = g
    return out


def shaped_like(g, like):
    """The adjoint `g` of the value `like`, as an array of its shape where `g` is still the
    number a loop's reverse sweep started it from (a name rebound in a loop to values of
    other shapes: its adjoint's zeros cannot be made before the value is known)."""
    if np.ndim(g) == 0 and np.ndim(like) > 0:
        return expand_to(g, like)
    return g


def mean_count(like, axis=None):
    """How many elements a mean over `axis` averages."""
    shape = np.shape(like)
    if axis is None:
        return max(int(np.prod(shape)), 1) if shape else 1
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (operator.index(axis),)
    count = 1
    for a in axes:
        count *= shape[a]
    return count


def reduced_axes_last(a, axis=None):
    """`a` with the axes a reduction over `axis` reduces moved to the end and flattened into
    one: `(flat, moved, axes, ends)`; `np.moveaxis(np.reshape(r, np.shape(moved)), ends, axes)`
    puts a result of `flat`'s shape back."""
    ndim = np.ndim(a)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(ax % ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    ends = tuple(range(ndim - len(axes), ndim))
    moved = np.moveaxis(a, axes, ends)
    flat = np.reshape(moved, np.shape(moved)[: ndim - len(axes)] + (-1,))
    return flat, moved, axes, ends


def product_of_others(a, axis=None):
    """For each element, the product of the other elements along `axis` (zeros allowed)."""
    flat, moved, axes, ends = reduced_axes_last(a, axis)
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    others = np.reshape(left * right, np.shape(moved))
    return np.moveaxis(others, ends, axes)


def choose_adjoint(g, ans, x, axis=None, keepdims=False):
    """Adjoint of max/min: `g` shared equally among the elements equal to the extreme value.

    With ties, each of the k tied elements gets g / k (JAX's convention), so the adjoint sums
    to `g` and is symmetric in the tied elements.
    """
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    hits = x == ans
    count = np.sum(hits, axis=axis, keepdims=True)
    return np.where(hits, g / count, 0.0).astype(gradient_dtype(x, g), copy=False)


def matmul_adjoint_left(g, x, y):
    """d(x @ y)/dx applied to g, for any ranks NumPy's matmul accepts."""
    if np.ndim(y) == 1:
        if np.ndim(x) == 1:
            return g * y
        return unbroadcast(np.expand_dims(g, -1) * y, x)
    if np.ndim(x) == 1:
        return unbroadcast(np.matmul(np.expand_dims(g, -2), np.swapaxes(y, -1, -2))[..., 0, :], x)
    return unbroadcast(np.matmul(g, np.swapaxes(y, -1, -2)), x)


def matmul_adjoint_right(g, x, y):
    """d(x @ y)/dy applied to g, for any ranks NumPy's matmul accepts."""
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return g * x
        gx = np.expand_dims(g, -2) * np.expand_dims(x, -1)
        return unbroadcast(gx, y)
    if np.ndim(y) == 1:
        return unbroadcast(
            np.sum(np.expand_dims(g, -1) * x, axis=tuple(range(np.ndim(x) - 2)) + (-2,)), y
        )
    return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), g), y)


def dot_adjoint_left(g, a, b):
    """d(np.dot(a, b))/da applied to g."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return matmul_adjoint_left(g, a, b)
    if np.ndim(b) == 1:
        return np.expand_dims(g, -1) * b
    b_axes = [i for i in range(np.ndim(b)) if i != np.ndim(b) - 2]
    return np.tensordot(g, b, axes=(list(range(np.ndim(a) - 1, np.ndim(g))), b_axes))


def dot_adjoint_right(g, a, b):
    """d(np.dot(a, b))/db applied to g."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return matmul_adjoint_right(g, a, b)
    lead = list(range(np.ndim(a) - 1))
    if np.ndim(b) == 1:
        return np.tensordot(a, g, axes=(lead, lead))
    return np.moveaxis(np.tensordot(a, g, axes=(lead, lead)), 0, -2)
