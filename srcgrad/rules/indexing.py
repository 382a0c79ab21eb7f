"""Rules for reading elements by index and selecting them, both modes: `x[i]`, `np.take` and
its kin, `np.select` and `np.choose`, diagonals and triangles, and the views of a dict.

Every function here copies elements of its input (`np.trace` also adds some up), so every
adjoint sends `g` back to where each element came from: by writing it into zeros at the index
(`x[i]`), or, for the irregular ones (`np.take`, `np.delete`, `np.insert`), by running the same
function on element numbers (`labels_like`) and adding each element of `g` back to the element
its label names. Almost all are linear in their one differentiable operand: the tangent is the
same call on the tangent. `np.insert` and `np.select` are linear in two operands jointly: each
operand's term keeps the other one's place, filled with zeros.
"""

import math
import operator

import numpy as np

from ..runtime import (
    added_at,
    diagonal_positions,
    dict_copy,
    dict_items,
    dict_keys,
    dict_values,
    flat_positions,
    index_adjoint,
    items_adjoint,
    iterated,
    iterated_adjoint,
    rows_added,
    scatter_add,
    scatter_way,
    summed_at,
    unbroadcast,
    values_adjoint,
)
from .registry import STANDIN, adjoint, linear, nondifferentiable, tangent, variant

# ---- helpers the generated code calls ------------------------------------------------------------


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
    out = scatter_add(out, sources[copied], g[copied])
    return np.reshape(out, np.shape(x))


def _as_operand(pieces, operand):
    """`pieces` for a list or tuple of operands, stacked into one array for an array operand
    (whose rows were the operands)."""
    return pieces if isinstance(operand, (list, tuple)) else np.stack(pieces)


def zeros_of(x):
    """Float zeros shaped like `x` (an array, a number or a nested list of them)."""
    return np.zeros(np.shape(x))


def zeros_of_each(arrays):
    """One `zeros_of` per element of `arrays`: the place of operands that do not move."""
    return [zeros_of(a) for a in arrays]


# ---- reading by index: `x[i]` --------------------------------------------------------------------


@linear(operator.getitem, differentiable=["x"], shape=STANDIN)
def getitem(g, ans, x, index):
    return index_adjoint(g, x, index)


def _basic_index(facts) -> bool:
    """A literal index of ints, slices, None and Ellipsis: it cannot name an element twice."""
    index = facts.constant("index")
    parts = index if isinstance(index, tuple) else (index,)
    basic = (int, slice, type(None), type(Ellipsis))
    if facts.other_arrays:  # (zeros written into: a NumPy array would compute a dask value)
        return False
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


# ---- read at integer positions: summed back with np.bincount ------------------------------------
# (the way is chosen for the shapes at hand: benchmarks/scatter.py, runtime/indexing.py)


def _gathered(facts) -> bool:
    """An integer array argument reads elements or rows of a float64 array of known shape."""
    x, index = facts.shape("x"), facts.shape("index")
    return (
        facts.floating
        and facts.float64  # (bincount sums in float64, and takes no complex weights)
        and not facts.other_arrays  # (dask's bincount takes positions of its own: the helper)
        and facts.integer_array("index")
        and bool(x)
        and bool(index)
    )


def _gathered_vector(facts) -> bool:
    return _gathered(facts) and len(facts.shape("x")) == 1 and len(facts.shape("index")) == 1


def _rows(facts):
    return facts.shape("x")[0]


def _way(facts):
    x, index = facts.shape("x"), facts.shape("index")
    return scatter_way(x[0], math.prod(x[1:]), math.prod(index))


# repeated positions add up, as bincount adds its weights; negative positions count from the
# end, as indexing reads them
@variant(operator.getitem, when=_gathered_vector, differentiable=["x"], size=_rows)
def getitem_gathered(g, ans, x, index, *, size):
    return summed_at(index, g, size)


# rows of a matrix (or an index of several axes): bincount of element numbers, one bincount
# per column of a narrow matrix, or np.add.at for a handful of numbers
@variant(operator.getitem, when=_gathered, differentiable=["x"], rows=_rows, way=_way)
def getitem_gathered_rows(g, ans, x, index, *, rows, way):
    return rows_added(g, index, rows, way)


# ---- selecting -----------------------------------------------------------------------------------


@linear(np.take, differentiable=["a"], shape=STANDIN)
def take(g, ans, a, indices, axis=None, out=None, mode="raise"):
    return gather_adjoint(g, a, np.take(labels_like(a), indices, axis, mode=mode))


@linear(np.take_along_axis, differentiable=["arr"], shape=STANDIN)
def take_along_axis(g, ans, arr, indices, axis=-1):
    return gather_adjoint(g, arr, np.take_along_axis(labels_like(arr), indices, axis))


@linear(np.compress, differentiable=["a"], shape=STANDIN)
def compress(g, ans, condition, a, axis=None, out=None):
    return gather_adjoint(g, a, np.compress(condition, labels_like(a), axis))


@linear(np.extract, differentiable=["arr"], shape=STANDIN)
def extract(g, ans, condition, arr):
    return gather_adjoint(g, arr, np.extract(condition, labels_like(arr)))


@linear(np.delete, differentiable=["arr"], shape=STANDIN)
def delete(g, ans, arr, obj, axis=None):
    return gather_adjoint(g, arr, np.delete(labels_like(arr), obj, axis))


def insert_adjoint(g, arr, obj, values, axis=None):
    """Adjoints of `np.insert(arr, obj, values, axis)` with respect to `arr` and `values`: the
    elements of both are numbered one after the other, and `g` goes back by number."""
    size = np.size(arr)
    sources = np.insert(labels_like(arr), obj, labels_like(values) + size, axis)
    both = np.zeros_like(g, dtype=np.result_type(g, 1.0), shape=size + np.size(values))
    both = scatter_add(both, np.ravel(sources), np.ravel(g))
    return np.reshape(both[:size], np.shape(arr)), np.reshape(both[size:], np.shape(values))


@adjoint(np.insert, differentiable=["arr", "values"], shape=STANDIN)
def insert(g, ans, arr, obj, values, axis=None):
    pieces = insert_adjoint(g, arr, obj, values, axis)
    return pieces[0], pieces[1]


@tangent(np.insert)
def insert_tangent(ans, arr, obj, values, axis=None):
    return (
        np.insert(arr_dot, obj, zeros_of(values), axis),
        np.insert(zeros_of(arr), obj, values_dot, axis),
    )


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


@adjoint(np.select, differentiable=["choicelist", "default"])
def select(g, ans, condlist, choicelist, default=0):
    pieces = select_adjoint(g, condlist, choicelist, default)
    return pieces[0], pieces[1]


@tangent(np.select)
def select_tangent(ans, condlist, choicelist, default=0):
    # zeros shaped like the other operand, so that each term broadcasts to the result's shape
    return (
        np.select(condlist, choicelist_dot, zeros_of(default)),
        np.select(condlist, zeros_of_each(choicelist), default_dot),
    )


def choices_adjoint(g, a, choices, mode="raise"):
    """Adjoint of `np.choose(a, choices, mode=mode)` with respect to `choices`: choice k gets
    `g` where the (wrapped or clipped) index is k."""
    n = len(choices)
    a = np.asarray(a)  # (a list compared with k would be one False)
    if mode == "wrap":
        a = np.mod(a, n)
    elif mode == "clip":
        a = np.clip(a, 0, n - 1)
    pieces = [unbroadcast(np.where(a == k, g, 0.0), c) for k, c in enumerate(choices)]
    return _as_operand(pieces, choices)


@linear(np.choose, differentiable=["choices"], shape=STANDIN)
def choose(g, ans, a, choices, out=None, mode="raise"):
    return choices_adjoint(g, a, choices, mode)


def resize_shape(a, new_shape):
    """The shape of `np.resize(x, new_shape)`."""
    return (new_shape,) if np.ndim(new_shape) == 0 else tuple(new_shape)


@linear(np.resize, differentiable=["a"], shape=resize_shape)
def resize(g, ans, a, new_shape):
    return gather_adjoint(g, a, np.resize(labels_like(a), new_shape))


# ---- diagonals and triangles ---------------------------------------------------------------------


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


@linear(np.diag, shape=diag_shape)
def diag(g, ans, v, k=0):
    return diag_adjoint(g, v, k)


@variant(np.diag, when=lambda facts: facts.shape("v") is not None and len(facts.shape("v")) == 1)
def diag_of_vector(g, ans, v, k=0):
    return np.diagonal(g, k)


@linear(np.diagflat, shape=diagflat_shape)
def diagflat(g, ans, v, k=0):
    return np.reshape(np.diagonal(g, k), np.shape(v))


@linear(np.diagonal, shape=STANDIN)
def diagonal(g, ans, a, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, a, offset, axis1, axis2)


@linear(np.trace, shape=STANDIN)
def trace(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return diagonal_adjoint(np.expand_dims(g, -1), a, offset, axis1, axis2)


# A 1-d `m` is broadcast to a square matrix first, so its adjoint is summed back.
@linear(np.tril, broadcasting=True, shape=triangle_shape)
def tril(g, ans, m, k=0):
    return np.tril(g, k)


@linear(np.triu, broadcasting=True, shape=triangle_shape)
def triu(g, ans, m, k=0):
    return np.triu(g, k)


# ---- a dict's views (d.values(), d.items()): lists whose adjoints go back to the dict's values


@linear(dict_values, differentiable=["d"])
def values_of_dict(g, ans, d):
    return values_adjoint(g, d)


@linear(dict_copy, differentiable=["d"])
def copy_of_dict(g, ans, d):
    return g


@linear(dict_items, differentiable=["d"])
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


# ---- np.add.at and the positions of the functions that write into an array ------------------
# (normalize/mutators.py: `np.add.at(a, i, b)` is `a[...] = added_at(a, i, b)`)


@adjoint(added_at, differentiable=["a", "b"])
def add_at_values(g, ans, a, indices, b):
    return g, unbroadcast(g[indices], b)


@tangent(added_at)
def add_at_values_tangent(ans, a, indices, b):
    return a_dot, added_at(np.zeros_like(ans), indices, b_dot)


nondifferentiable(diagonal_positions, flat_positions)
