"""Rules for NumPy's functions that join, cut, move, repeat, select and sort elements (and
Python's `sorted`).

Every function here copies elements of its inputs around (`np.trace` also adds some up), so
every adjoint sends `g` back to where each element came from: by the inverse move (`np.flip`, `np.moveaxis`), by cutting `g`
into pieces (`np.concatenate`), by summing the copies (`np.tile`), or, for the irregular ones
(`np.take`, `np.delete`, `np.insert`), by running the same function on element numbers
(`labels_like`) and adding each element of `g` back to the element its label names.

A joining function called on a list display (`np.concatenate([a, b])`) gets one adjoint per
element of the list (a list, or an array whose rows are the adjoints); called on one array
(whose rows it joins), it gets an array shaped like that array.
"""

import builtins
from itertools import accumulate

import numpy as np

from ..runtime import (
    dict_items,
    dict_keys,
    dict_values,
    items_adjoint,
    iterated,
    iterated_adjoint,
    scatter_add,
    sorted_order,
    unbroadcast,
    values_adjoint,
)
from .registry import STANDIN, adjoint, linear, nondifferentiable, tangent, variant

# ---- helpers the generated code calls --------------------------------------------------------


def labels_like(x):
    """The element numbers 0, 1, 2, ... of `x` in C order, shaped like `x` (integers made with
    `ones_like`, so that they are the same kind of array as `x`)."""
    return np.reshape(np.cumsum(np.ones_like(x, dtype=np.intp)) - 1, np.shape(x))


def gather_adjoint(g, x, sources):
    """Adjoint of a function that copies elements of `x` around: `sources` is that function
    applied to `labels_like(x)`, naming for each element of the result the element of `x` it
    is a copy of (a negative number: of none). Each element of `g` is added to its source."""
    out = np.zeros_like(x, dtype=np.result_type(x, g, 1.0), shape=np.size(x))
    sources = np.ravel(sources)
    g = np.ravel(g)
    copied = sources >= 0
    scatter_add(out, sources[copied], g[copied])
    return np.reshape(out, np.shape(x))


def _cut(g, sizes, axis):
    """`g` cut along `axis` into consecutive pieces of the given sizes."""
    return np.split(g, list(accumulate(sizes))[:-1], axis)


def _as_operand(pieces, operand):
    """`pieces` for a list or tuple of operands, stacked into one array for an array operand
    (whose rows were the operands)."""
    return pieces if isinstance(operand, (list, tuple)) else np.stack(pieces)


def _pieces(g, arrays, sizes, axis):
    """`g` cut along `axis` into one piece per element of `arrays`, each shaped like its array:
    a list for a list of arrays, an array for one array (whose rows were joined)."""
    pieces = [np.reshape(p, np.shape(a)) for p, a in zip(_cut(g, sizes, axis), arrays)]
    return _as_operand(pieces, arrays)


def concatenate_adjoint(g, arrays, axis=0):
    """Adjoint of `np.concatenate(arrays, axis)`: `g` cut back into one piece per array."""
    if axis is None:
        return _pieces(np.ravel(g), arrays, [np.size(a) for a in arrays], 0)
    return _pieces(g, arrays, [np.shape(a)[axis] for a in arrays], axis)


def hstack_adjoint(g, tup):
    """Adjoint of `np.hstack(tup)`: 1-d arrays (and scalars) are joined along axis 0, others
    along axis 1."""
    if np.ndim(tup[0]) <= 1:
        return _pieces(g, tup, [np.size(a) for a in tup], 0)
    return _pieces(g, tup, [np.shape(a)[1] for a in tup], 1)


def vstack_adjoint(g, tup):
    """Adjoint of `np.vstack(tup)`: scalars and 1-d arrays are rows of their own."""
    return _pieces(g, tup, [np.shape(a)[0] if np.ndim(a) > 1 else 1 for a in tup], 0)


def dstack_adjoint(g, tup):
    """Adjoint of `np.dstack(tup)`: arrays of fewer than 3 dimensions are one layer each."""
    return _pieces(g, tup, [np.shape(a)[2] if np.ndim(a) > 2 else 1 for a in tup], 2)


def column_stack_adjoint(g, tup):
    """Adjoint of `np.column_stack(tup)`: scalars and 1-d arrays are columns of their own."""
    return _pieces(g, tup, [np.shape(a)[1] if np.ndim(a) > 1 else 1 for a in tup], 1)


def split_adjoint(g, ary, axis=0):
    """Adjoint of the pieces of `np.split(ary, ..., axis)` and friends: their adjoints, joined
    again and shaped like `ary`."""
    return np.reshape(np.concatenate(g, axis), np.shape(ary))


def tile_adjoint(g, A, reps):
    """Adjoint of `np.tile(A, reps)`: `g` summed over the copies."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(A)
    n = max(len(shape), len(reps))
    shape_n = (1,) * (n - len(shape)) + shape
    reps_n = (1,) * (n - len(reps)) + reps
    split = [size for pair in zip(reps_n, shape_n) for size in pair]
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * n, 2)))
    return np.reshape(summed, shape)


def repeat_adjoint(g, a, repeats, axis=None):
    """Adjoint of `np.repeat(a, repeats, axis)`: `g` summed over the copies of each element."""
    if np.size(repeats) != 1:
        return gather_adjoint(g, a, np.repeat(labels_like(a), repeats, axis))
    shape = np.shape(a) if axis is not None else (np.size(a),)
    axis = 0 if axis is None else axis % len(shape)
    copies = np.shape(g)[axis] // shape[axis] if shape[axis] else 0
    split = (*shape[:axis], shape[axis], copies, *shape[axis + 1 :])
    return np.reshape(np.sum(np.reshape(g, split), axis=axis + 1), np.shape(a))


def linspace_adjoints(g, start, stop, num=50, endpoint=True, retstep=False, axis=0):
    """Adjoints of `np.linspace(start, stop, num, endpoint, retstep, axis=axis)` for `start` and
    `stop`: sample k is start + t[k] (stop - start), with t[k] = k / (num - 1) (k / num without
    the endpoint), so `stop` gathers g t and `start` g (1 - t) over the samples. With `retstep`,
    `g` is the pair of adjoints of the samples and of the step (stop - start) / (num - 1 or num).
    """
    g_step = None
    if retstep:
        g, g_step = g[0], g[1]
    zero = np.zeros_like(g, shape=())  # a float 0.0 would promote float32 to float64
    t = np.linspace(zero, zero + 1.0, num, endpoint=endpoint)
    samples = np.moveaxis(g, axis, -1)
    d_stop = samples @ t
    d_start = np.sum(samples, axis=-1) - d_stop
    count = num - 1 if endpoint else num
    if g_step is not None and count > 0:
        d_start = d_start - g_step / count
        d_stop = d_stop + g_step / count
    return unbroadcast(d_start, start), unbroadcast(d_stop, stop)


def pad_adjoint(g, array, pad_width, mode="constant"):
    """Adjoint of `np.pad(array, pad_width, mode)` with respect to `array`."""
    if mode in ("constant", "empty"):
        return g[_core(array, pad_width)]
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        return gather_adjoint(g, array, np.pad(labels_like(array), pad_width, mode))
    raise NotImplementedError(f"srcgrad has no derivative of np.pad with mode={mode!r}")


def pad_value_adjoint(g, array, pad_width, constant_values=0):
    """Adjoint of `np.pad(array, pad_width, constant_values=c)` with respect to a scalar `c`."""
    if np.ndim(constant_values) != 0:
        raise NotImplementedError("srcgrad differentiates np.pad's constant_values as one number")
    return np.sum(g) - np.sum(g[_core(array, pad_width)])


def _core(array, pad_width):
    """The index of the unpadded part of the result of padding `array` by `pad_width`."""
    widths = _widths(pad_width, np.ndim(array))
    return tuple(slice(b, b + n) for (b, _), n in zip(widths, np.shape(array)))


def _widths(pad_width, ndim):
    """`np.pad`'s `pad_width` as one (before, after) pair per axis."""
    if isinstance(pad_width, dict):  # {axis: width or (before, after)}, other axes unpadded
        widths = [(0, 0)] * ndim
        for axis, width in pad_width.items():
            widths[axis % ndim] = np.broadcast_to(width, 2).tolist()
        return widths
    return np.broadcast_to(pad_width, (ndim, 2)).tolist()


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of `np.diagonal(a, offset, axis1, axis2)`: zeros shaped like `a` with `g` on that
    diagonal (`g` broadcasts along it: the trace's adjoint is this with `g[..., None]`)."""
    out = np.zeros_like(a, dtype=np.result_type(a, g, 1.0))
    planes = np.moveaxis(out, (axis1, axis2), (-2, -1))  # a view: writing it fills `out`
    planes = planes[..., max(-offset, 0) :, max(offset, 0) :]
    length = min(np.shape(planes)[-2:])
    np.einsum("...ii->...i", planes[..., :length, :length])[...] = g
    return out


def diag_adjoint(g, v, k=0):
    """Adjoint of `np.diag(v, k)`: the k-th diagonal of `g` for a vector `v`, a matrix with `g`
    on its k-th diagonal for a matrix `v`."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k)
    return diagonal_adjoint(g, v, k)


def rollaxis_adjoint(g, a, axis, start=0):
    """Adjoint of `np.rollaxis(a, axis, start)`: the axis moved back."""
    n = np.ndim(a)
    axis %= n
    start = start + n if start < 0 else start
    return np.moveaxis(g, start - 1 if axis < start else start, axis)


def insert_adjoint(g, arr, obj, values, axis=None):
    """Adjoints of `np.insert(arr, obj, values, axis)` with respect to `arr` and `values`: the
    elements of both are numbered one after the other, and `g` goes back by number."""
    size = np.size(arr)
    sources = np.insert(labels_like(arr), obj, labels_like(values) + size, axis)
    both = np.zeros_like(g, dtype=np.result_type(g, 1.0), shape=size + np.size(values))
    scatter_add(both, np.ravel(sources), np.ravel(g))
    return np.reshape(both[:size], np.shape(arr)), np.reshape(both[size:], np.shape(values))


def select_adjoint(g, condlist, choicelist, default=0):
    """Adjoints of `np.select(condlist, choicelist, default)`, as (choices, default): each
    choice gets `g` where its condition is the first that holds, the default where none does."""
    taken = np.zeros_like(g, dtype=bool)
    pieces = []
    for condition, choice in zip(condlist, choicelist):
        chosen = np.logical_and(condition, np.logical_not(taken))
        pieces.append(unbroadcast(np.where(chosen, g, 0.0), choice))
        taken = np.logical_or(taken, condition)
    return _as_operand(pieces, choicelist), unbroadcast(np.where(taken, 0.0, g), default)


def choices_adjoint(g, a, choices, mode="raise"):
    """Adjoint of `np.choose(a, choices, mode=mode)` with respect to `choices`: choice k gets
    `g` where the (wrapped or clipped) index is k."""
    n = len(choices)
    if mode == "wrap":
        a = np.mod(a, n)
    elif mode == "clip":
        a = np.clip(a, 0, n - 1)
    pieces = [unbroadcast(np.where(a == k, g, 0.0), c) for k, c in enumerate(choices)]
    return _as_operand(pieces, choices)


# ---- shapes of results that can be much bigger than their inputs (computing them on
# stand-ins would allocate the result)


def tile_shape(A, reps):
    """The shape of `np.tile(a, reps)` for `a` shaped `A`."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    n = max(len(A), len(reps))
    A = (1,) * (n - len(A)) + tuple(A)
    reps = (1,) * (n - len(reps)) + reps
    return tuple(size * copies for size, copies in zip(A, reps))


def repeat_shape(a, repeats, axis=None):
    """The shape of `np.repeat(x, repeats, axis)` for `x` shaped `a`."""
    if axis is None:
        a, axis = (int(np.prod(a)),), 0
    axis %= len(a)
    each = np.size(repeats) == 1  # one count for every element
    length = a[axis] * int(np.ravel(repeats)[0]) if each else int(np.sum(repeats))
    return (*a[:axis], length, *a[axis + 1 :])


def pad_shape(array, constant_values=(), pad_width=0, mode="constant"):
    """The shape of `np.pad(x, pad_width, ...)` for `x` shaped `array`."""
    widths = _widths(pad_width, len(array))
    return tuple(b + n + a for (b, a), n in zip(widths, array))


def diag_shape(v, k=0):
    """The shape of `np.diag(x, k)` for `x` shaped `v`."""
    if len(v) == 1:
        return (v[0] + abs(k),) * 2
    rows, cols = v
    return (max(0, min(rows + min(k, 0), cols - max(k, 0))),)


def diagflat_shape(v, k=0):
    """The shape of `np.diagflat(x, k)` for `x` shaped `v`."""
    return (int(np.prod(v)) + abs(k),) * 2


def triangle_shape(m, k=0):
    """The shape of `np.tril(x, k)` or `np.triu(x, k)`: a vector becomes a square matrix."""
    return (m[0], m[0]) if len(m) == 1 else tuple(m)


def resize_shape(a, new_shape):
    """The shape of `np.resize(x, new_shape)`."""
    return (new_shape,) if np.ndim(new_shape) == 0 else tuple(new_shape)


# ---- joining ---------------------------------------------------------------------------------


@adjoint(np.concatenate, differentiable=["arrays"], shape=STANDIN)
def concatenate(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return concatenate_adjoint(g, arrays, axis)


@adjoint(np.stack, differentiable=["arrays"], shape=STANDIN)
def stack(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return np.moveaxis(g, axis, 0)


@adjoint(np.hstack, differentiable=["tup"], shape=STANDIN)
def hstack(g, ans, tup, dtype=None, casting="same_kind"):
    return hstack_adjoint(g, tup)


# row_stack: vstack's old name, gone from NumPy 2.5
@adjoint(np.vstack, getattr(np, "row_stack", np.vstack), differentiable=["tup"], shape=STANDIN)
def vstack(g, ans, tup, dtype=None, casting="same_kind"):
    return vstack_adjoint(g, tup)


@adjoint(np.dstack, shape=STANDIN)
def dstack(g, ans, tup):
    return dstack_adjoint(g, tup)


@adjoint(np.column_stack, shape=STANDIN)
def column_stack(g, ans, tup):
    return column_stack_adjoint(g, tup)


@adjoint(np.append, differentiable=["arr", "values"], shape=STANDIN)
def append(g, ans, arr, values, axis=None):
    pieces = concatenate_adjoint(g, [arr, values], axis)
    return pieces[0], pieces[1]


@adjoint(np.array, differentiable=["object"], shape=STANDIN)
def array(g, ans, object, dtype=None, copy=True, order="K", subok=False):
    return g


@adjoint(np.asarray, differentiable=["a"], shape=STANDIN)
def asarray(g, ans, a, dtype=None, order=None):
    return g


# ---- cutting: results are lists of pieces; `a, b = np.split(x, 2)` gives the tuple of their
# adjoints, and an unused piece's adjoint is zeros


@adjoint(np.split, np.array_split, differentiable=["ary"])
def split(g, ans, ary, indices_or_sections, axis=0):
    return split_adjoint(g, ary, axis)


@adjoint(np.hsplit, differentiable=["ary"])
def hsplit(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ary, 1 if np.ndim(ary) > 1 else 0)


@adjoint(np.vsplit, differentiable=["ary"])
def vsplit(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ary, 0)


@adjoint(np.dsplit, differentiable=["ary"])
def dsplit(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ary, 2)


@adjoint(np.unstack, differentiable=["x"])
def unstack(g, ans, x, axis=0):
    return np.stack(g, axis)


# ---- repeating -------------------------------------------------------------------------------


@adjoint(np.tile, differentiable=["A"], shape=tile_shape)
def tile(g, ans, A, reps):
    return tile_adjoint(g, A, reps)


@adjoint(np.repeat, differentiable=["a"], shape=repeat_shape)
def repeat(g, ans, a, repeats, axis=None):
    return repeat_adjoint(g, a, repeats, axis)


@adjoint(np.broadcast_to, differentiable=["array"], broadcasting=True, shape=STANDIN)
def broadcast_to(g, ans, array, shape, subok=False):
    return g


# np.full(shape, v) is v broadcast to `shape`: the adjoint of v is g summed back to v's shape.
@adjoint(np.full, differentiable=["fill_value"], broadcasting=True, shape=STANDIN)
def full(g, ans, shape, fill_value, dtype=None, order="C"):
    return g


@adjoint(np.linspace, differentiable=["start", "stop"], shape=STANDIN)
def linspace(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    parts = linspace_adjoints(g, start, stop, num, endpoint, retstep, axis)
    return parts[0], parts[1]


@adjoint(np.pad, differentiable=["array", "constant_values"], shape=pad_shape)
def pad(g, ans, array, pad_width, mode="constant", constant_values=0):
    return pad_adjoint(g, array, pad_width, mode), pad_value_adjoint(
        g, array, pad_width, constant_values
    )


# ---- moving: the inverse move ----------------------------------------------------------------


@adjoint(np.roll, differentiable=["a"], shape=STANDIN)
def roll(g, ans, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


@variant(np.roll, when=lambda facts: type(facts.constant("shift")) is int, differentiable=["a"])
def roll_by_int(g, ans, a, shift, axis=None):
    return np.roll(g, -shift, axis)


@adjoint(np.flip, shape=STANDIN)
def flip(g, ans, m, axis=None):
    return np.flip(g, axis)


@adjoint(np.fliplr, shape=STANDIN)
def fliplr(g, ans, m):
    return np.fliplr(g)


@adjoint(np.flipud, shape=STANDIN)
def flipud(g, ans, m):
    return np.flipud(g)


@adjoint(np.rot90, shape=STANDIN)
def rot90(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@adjoint(np.moveaxis, differentiable=["a"], shape=STANDIN)
def moveaxis(g, ans, a, source, destination):
    return np.moveaxis(g, destination, source)


@adjoint(np.swapaxes, differentiable=["a"], shape=STANDIN)
def swapaxes(g, ans, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@adjoint(np.rollaxis, differentiable=["a"], shape=STANDIN)
def rollaxis(g, ans, a, axis, start=0):
    return rollaxis_adjoint(g, a, axis, start)


@adjoint(np.matrix_transpose, shape=STANDIN)
def matrix_transpose(g, ans, x):
    return np.swapaxes(g, -1, -2)


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d, shape=STANDIN)
def atleast_nd(g, ans, arys):
    return np.reshape(g, np.shape(arys))


# ---- diagonals and triangles -----------------------------------------------------------------


@adjoint(np.diag, shape=diag_shape)
def diag(g, ans, v, k=0):
    return diag_adjoint(g, v, k)


@variant(np.diag, when=lambda facts: facts.shape("v") is not None and len(facts.shape("v")) == 1)
def diag_of_vector(g, ans, v, k=0):
    return np.diagonal(g, k)


@adjoint(np.diagflat, shape=diagflat_shape)
def diagflat(g, ans, v, k=0):
    return np.reshape(np.diagonal(g, k), np.shape(v))


@adjoint(np.diagonal, shape=STANDIN)
def diagonal(g, ans, a, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, a, offset, axis1, axis2)


@adjoint(np.trace, shape=STANDIN)
def trace(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return diagonal_adjoint(np.expand_dims(g, -1), a, offset, axis1, axis2)


# A 1-d `m` is broadcast to a square matrix first, so its adjoint is summed back.
@adjoint(np.tril, broadcasting=True, shape=triangle_shape)
def tril(g, ans, m, k=0):
    return np.tril(g, k)


@adjoint(np.triu, broadcasting=True, shape=triangle_shape)
def triu(g, ans, m, k=0):
    return np.triu(g, k)


# ---- selecting -------------------------------------------------------------------------------


@adjoint(np.take, differentiable=["a"], shape=STANDIN)
def take(g, ans, a, indices, axis=None, out=None, mode="raise"):
    return gather_adjoint(g, a, np.take(labels_like(a), indices, axis, mode=mode))


@adjoint(np.take_along_axis, differentiable=["arr"], shape=STANDIN)
def take_along_axis(g, ans, arr, indices, axis=-1):
    return gather_adjoint(g, arr, np.take_along_axis(labels_like(arr), indices, axis))


@adjoint(np.compress, differentiable=["a"], shape=STANDIN)
def compress(g, ans, condition, a, axis=None, out=None):
    return gather_adjoint(g, a, np.compress(condition, labels_like(a), axis))


@adjoint(np.extract, differentiable=["arr"], shape=STANDIN)
def extract(g, ans, condition, arr):
    return gather_adjoint(g, arr, np.extract(condition, labels_like(arr)))


@adjoint(np.delete, differentiable=["arr"], shape=STANDIN)
def delete(g, ans, arr, obj, axis=None):
    return gather_adjoint(g, arr, np.delete(labels_like(arr), obj, axis))


@adjoint(np.insert, differentiable=["arr", "values"], shape=STANDIN)
def insert(g, ans, arr, obj, values, axis=None):
    pieces = insert_adjoint(g, arr, obj, values, axis)
    return pieces[0], pieces[1]


@adjoint(np.select, differentiable=["choicelist", "default"])
def select(g, ans, condlist, choicelist, default=0):
    pieces = select_adjoint(g, condlist, choicelist, default)
    return pieces[0], pieces[1]


@adjoint(np.choose, differentiable=["choices"], shape=STANDIN)
def choose(g, ans, a, choices, out=None, mode="raise"):
    return choices_adjoint(g, a, choices, mode)


@adjoint(np.resize, differentiable=["a"], shape=resize_shape)
def resize(g, ans, a, new_shape):
    return gather_adjoint(g, a, np.resize(labels_like(a), new_shape))


# ---- sorting: each element's adjoint is `g` at the place the element was moved to ---------------


@adjoint(np.sort, differentiable=["a"], shape=STANDIN)
def sort(g, ans, a, axis=-1, kind=None, order=None, stable=None):
    ranks = np.argsort(np.argsort(a, axis=axis), axis=axis)
    return np.reshape(np.take_along_axis(g, ranks, axis=axis), np.shape(a))


@adjoint(np.partition, differentiable=["a"], shape=STANDIN)
def partition(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    ranks = np.argsort(np.argsort(a, axis=axis), axis=axis)
    places = np.take_along_axis(np.argsort(ans, axis=axis), ranks, axis=axis)
    return np.reshape(np.take_along_axis(g, places, axis=axis), np.shape(a))


# Python's `sorted` (with its `key` and `reverse`) of a list of numbers or a 1-D array: a list,
# whose adjoint (an array, a list or a tuple of numbers) goes back to where its elements came from
@adjoint(builtins.sorted, differentiable=["iterable"])
def sorted_(g, ans, iterable, key=None, reverse=False):
    return np.take(g, np.argsort(sorted_order(iterable, key, reverse)), axis=0)


# ---- a dict's views (d.values(), d.items()): lists whose adjoints go back to the dict's values


@adjoint(dict_values, differentiable=["d"])
def values_of_dict(g, ans, d):
    return values_adjoint(g, d)


@adjoint(dict_items, differentiable=["d"])
def items_of_dict(g, ans, d):
    return items_adjoint(g, d)


# `for k in d` for a `d` that may be a dict steps through `iterated(d)`: a dict's keys carry
# no derivative, any other sequence passes its adjoint through
@adjoint(iterated, differentiable=["xs"])
def iterated_sequence(g, ans, xs):
    return iterated_adjoint(g, xs)


@tangent(iterated)
def iterated_tangent(ans, xs):
    return iterated_adjoint(xs_dot, xs)


nondifferentiable(dict_keys)
linear(dict_values, dict_items)
