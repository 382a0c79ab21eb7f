"""Rules for functions that move elements without adding or dropping any, both modes: reshaping
(`reshape`, `ravel`, `squeeze`, `expand_dims`, `copy`), transposing and moving axes, flips,
rolls and rotations.

Each adjoint is the inverse move of `g`; each function is linear in its one operand, so its
tangent is the same call on the tangent (`linear`).
"""

import numpy as np

from ..runtime import inverse_permutation
from .registry import STANDIN, linear, variant

# ---- reshaping and transposing -------------------------------------------------------------------


@linear(np.reshape, shape=STANDIN)
def reshape(g, ans, a, shape=None, order="C"):
    return np.reshape(g, np.shape(a), order=order)


# (NumPy's default order is said by leaving it out: dask's and CuPy's reshape take no order)
@variant(np.reshape, when=lambda facts: facts.constant("order") == "C")
def reshape_ordered(g, ans, a, shape=None, order="C"):
    return np.reshape(g, np.shape(a))


@linear(np.ravel, shape=STANDIN)
def ravel(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order=order)


@variant(np.ravel, when=lambda facts: facts.constant("order") == "C")
def ravel_ordered(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a))


@linear(np.transpose, shape=STANDIN)
def transpose(g, ans, a, axes=None):
    return np.transpose(g, inverse_permutation(axes))


@variant(np.transpose, when=lambda facts: facts.constant("axes") is None)
def transpose_reversed(g, ans, a, axes=None):
    return np.transpose(g)


def _inverse(facts):
    axes = facts.constant("axes")
    return None if axes is facts.UNKNOWN or axes is None else inverse_permutation(axes)


@variant(np.transpose, when=lambda facts: True, inverse=_inverse)
def transpose_permuted(g, ans, a, axes=None, *, inverse):
    return np.transpose(g, inverse)


@linear(np.squeeze, shape=STANDIN)
def squeeze(g, ans, a, axis=None):
    return np.reshape(g, np.shape(a))


@linear(np.expand_dims, differentiable=["a"], shape=STANDIN)
def expand_dims(g, ans, a, axis):
    return np.reshape(g, np.shape(a))


@linear(np.copy, shape=STANDIN)
def copy(g, ans, a):
    return g


# ---- moving: the inverse move --------------------------------------------------------------------


def rollaxis_adjoint(g, a, axis, start=0):
    """Adjoint of `np.rollaxis(a, axis, start)`: the axis moved back."""
    n = np.ndim(a)
    axis %= n
    start = start + n if start < 0 else start
    return np.moveaxis(g, start - 1 if axis < start else start, axis)


@linear(np.roll, differentiable=["a"], shape=STANDIN)
def roll(g, ans, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


@variant(np.roll, when=lambda facts: type(facts.constant("shift")) is int, differentiable=["a"])
def roll_by_int(g, ans, a, shift, axis=None):
    return np.roll(g, -shift, axis)


@linear(np.flip, shape=STANDIN)
def flip(g, ans, m, axis=None):
    return np.flip(g, axis)


@linear(np.fliplr, shape=STANDIN)
def fliplr(g, ans, m):
    return np.fliplr(g)


@linear(np.flipud, shape=STANDIN)
def flipud(g, ans, m):
    return np.flipud(g)


@linear(np.rot90, shape=STANDIN)
def rot90(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@linear(np.moveaxis, differentiable=["a"], shape=STANDIN)
def moveaxis(g, ans, a, source, destination):
    return np.moveaxis(g, destination, source)


@linear(np.swapaxes, differentiable=["a"], shape=STANDIN)
def swapaxes(g, ans, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@linear(np.rollaxis, differentiable=["a"], shape=STANDIN)
def rollaxis(g, ans, a, axis, start=0):
    return rollaxis_adjoint(g, a, axis, start)


@linear(np.matrix_transpose, shape=STANDIN)
def matrix_transpose(g, ans, x):
    return np.swapaxes(g, -1, -2)


@linear(np.atleast_1d, np.atleast_2d, np.atleast_3d, shape=STANDIN)
def atleast_nd(g, ans, arys):
    return np.reshape(g, np.shape(arys))
