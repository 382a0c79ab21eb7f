"""Rules for reading by index and for shape functions: `x[i]`, slices, `reshape`, `transpose`."""

import operator

import numpy as np

from ..runtime import index_adjoint, inverse_permutation, nonnegative
from .registry import STANDIN, adjoint, linear, variant


@adjoint(operator.getitem, differentiable=["x"], shape=STANDIN)
def getitem(g, ans, x, index):
    return index_adjoint(g, x, index)


@adjoint(np.reshape, shape=STANDIN)
def reshape(g, ans, a, shape=None, order="C"):
    return np.reshape(g, np.shape(a), order=order)


@adjoint(np.ravel, shape=STANDIN)
def ravel(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order=order)


@adjoint(np.transpose, shape=STANDIN)
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


@adjoint(np.squeeze, shape=STANDIN)
def squeeze(g, ans, a, axis=None):
    return np.reshape(g, np.shape(a))


@adjoint(np.expand_dims, differentiable=["a"], shape=STANDIN)
def expand_dims(g, ans, a, axis):
    return np.reshape(g, np.shape(a))


@adjoint(np.copy, shape=STANDIN)
def copy(g, ans, a):
    return g


def _basic_index(facts) -> bool:
    """A literal index of ints, slices, None and Ellipsis: it cannot name an element twice."""
    index = facts.constant("index")
    parts = index if isinstance(index, tuple) else (index,)
    basic = (int, slice, type(None), type(Ellipsis))
    return facts.floating and all(isinstance(p, basic) and not isinstance(p, bool) for p in parts)


# an argument's array: (np.zeros_like costs six times np.zeros on a short array)
@variant(
    operator.getitem,
    when=lambda facts: _basic_index(facts) and facts.array_argument("x"),
    differentiable=["x"],
)
def getitem_basic_argument(g, ans, x, index):
    dx = np.zeros(x.shape, x.dtype)
    dx[index] = g
    return dx


@variant(operator.getitem, when=_basic_index, differentiable=["x"])
def getitem_basic(g, ans, x, index):
    dx = np.zeros_like(x)
    dx[index] = g
    return dx


linear(operator.getitem, np.reshape, np.ravel, np.transpose, np.squeeze, np.expand_dims, np.copy)


# ---- a vector read at integer positions: summed back with np.bincount ----------------------


def _gather_1d(facts) -> bool:
    x, index = facts.shape("x"), facts.shape("index")
    return (
        facts.floating
        and facts.integer_array("index")
        and x is not None
        and len(x) == 1
        and index is not None
        and len(index) == 1
    )


def _length(facts):
    return facts.shape("x")[0]


# repeated positions add up, as bincount adds its weights; negative positions count from the
# end, as indexing reads them
@variant(operator.getitem, when=_gather_1d, differentiable=["x"], size=_length)
def getitem_gathered(g, ans, x, index, *, size):
    return np.bincount(nonnegative(index, size), weights=g, minlength=size)
