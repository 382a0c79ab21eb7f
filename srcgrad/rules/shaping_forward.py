"""Forward rules for the functions of `shaping.py`.

Almost every one of them is linear in its one differentiable operand (a list of arrays counts as
one operand): the tangent is the same call on the tangent. The exceptions are the functions
linear in two operands *jointly* (`np.append(arr, values)`: each operand's term keeps the other
one's place, filled with zeros), and sorting, whose tangent is the input's tangent moved by the
same permutation.
"""

import builtins

import numpy as np

from ..runtime import permuted, sorted_order
from . import shaping  # noqa: F401  (the reverse rules, which the forward ones follow)
from .registry import linear, tangent

# ---- helpers the generated code calls --------------------------------------------------------


def zeros_of(x):
    """Float zeros shaped like `x` (an array, a number or a nested list of them)."""
    return np.zeros(np.shape(x))


def zeros_of_each(arrays):
    """One `zeros_of` per element of `arrays`: the place of operands that do not move."""
    return [zeros_of(a) for a in arrays]


class Tangents(tuple):
    """The tangent of a function that returns a tuple (`np.linspace(..., retstep=True)`):
    the forward stage adds the terms of its operands with `+`, which must add elementwise
    here, not join the tuples."""

    def __add__(self, other):
        return Tangents(a + b for a, b in zip(self, other, strict=True))

    __radd__ = __add__


def linspace_tangent(start_dot, stop, num, endpoint, retstep, axis):
    """The term of `start`'s tangent in `np.linspace(start, stop, ...)`: linspace is linear in
    (start, stop) jointly, so the term is linspace from `start_dot` to zeros shaped like `stop`
    (so the result broadcasts as the primal's does). Called with the roles swapped for `stop`."""
    made = np.linspace(start_dot, stop, num, endpoint=endpoint, retstep=retstep, axis=axis)
    return Tangents(made) if retstep else made


def pad_array_tangent(array_dot, pad_width, mode):
    """The term of `array`'s tangent in `np.pad(array, pad_width, mode, ...)`: the padding
    copies elements for these modes, and holds constants (whose tangent is zero) otherwise."""
    if mode in ("constant", "empty"):
        return np.pad(array_dot, pad_width)
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        return np.pad(array_dot, pad_width, mode)
    raise NotImplementedError(f"srcgrad has no derivative of np.pad with mode={mode!r}")


def sort_tangent(a_dot, a, axis, kind, stable):
    """`a_dot` moved by the permutation that sorts `a` along `axis` (flattened for None)."""
    a_dot = np.asarray(a_dot)
    if axis is None:
        a, a_dot, axis = np.ravel(a), np.ravel(a_dot), -1
    order = np.argsort(a, axis=axis, kind=kind, stable=stable)
    return np.take_along_axis(a_dot, order, axis=axis)


def partition_tangent(a_dot, a, ans, axis):
    """`a_dot` moved by the permutation that turned `a` into `ans`. NumPy does not promise that
    `np.argpartition` arranges elements as `np.partition` did, so the permutation is read off
    the values: the element at each place of `ans` is the one of `a` of the same rank."""
    a_dot = np.asarray(a_dot)
    if axis is None:
        a, a_dot, axis = np.ravel(a), np.ravel(a_dot), -1
    ranks = np.argsort(np.argsort(ans, axis=axis), axis=axis)
    moved = np.take_along_axis(np.argsort(a, axis=axis), ranks, axis=axis)
    return np.take_along_axis(a_dot, moved, axis=axis)


# ---- linear in their one differentiable operand ----------------------------------------------

linear(
    # joining (the list is one operand: the call gets the list of tangents)
    np.concatenate,
    np.stack,
    np.hstack,
    np.vstack,
    getattr(np, "row_stack", np.vstack),  # vstack's old name, gone from NumPy 2.5
    np.dstack,
    np.column_stack,
    np.array,
    # cutting: the tangent of the list of pieces is the list of the tangent's pieces
    np.split,
    np.array_split,
    np.hsplit,
    np.vsplit,
    np.dsplit,
    np.unstack,
    # repeating
    np.tile,
    np.repeat,
    np.broadcast_to,
    np.full,  # only the fill value is differentiable: np.full(shape, v_dot)
    np.resize,
    # moving
    np.roll,
    np.flip,
    np.fliplr,
    np.flipud,
    np.rot90,
    np.moveaxis,
    np.swapaxes,
    np.rollaxis,
    np.matrix_transpose,
    np.atleast_1d,
    np.atleast_2d,
    np.atleast_3d,
    # diagonals and triangles
    np.diag,
    np.diagflat,
    np.diagonal,
    np.trace,
    np.tril,
    np.triu,
    # selecting (indices, conditions and choosers are not differentiable)
    np.take,
    np.take_along_axis,
    np.compress,
    np.extract,
    np.delete,
    np.choose,
)

# ---- linear in two operands jointly: each term holds zeros in the other operand's place ------


@tangent(np.append)
def append_tangent(ans, arr, values, axis=None):
    return (
        np.append(arr_dot, zeros_of(values), axis),
        np.append(zeros_of(arr), values_dot, axis),
    )


@tangent(np.insert)
def insert_tangent(ans, arr, obj, values, axis=None):
    return (
        np.insert(arr_dot, obj, zeros_of(values), axis),
        np.insert(zeros_of(arr), obj, values_dot, axis),
    )


@tangent(np.linspace)
def linspace_tangent_rule(
    ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0
):
    # the tangent stays float whatever `dtype` is (an integer dtype rounds the samples)
    return (
        linspace_tangent(start_dot, zeros_of(stop), num, endpoint, retstep, axis),
        linspace_tangent(zeros_of(start), stop_dot, num, endpoint, retstep, axis),
    )


@tangent(np.pad)
def pad_tangent(ans, array, pad_width, mode="constant", constant_values=0):
    # the constant's term: it padded onto zeros (np.pad takes it only with mode 'constant')
    return (
        pad_array_tangent(array_dot, pad_width, mode),
        np.pad(zeros_of(array), pad_width, mode, constant_values=constant_values_dot),
    )


@tangent(np.select)
def select_tangent(ans, condlist, choicelist, default=0):
    # zeros shaped like the other operand, so that each term broadcasts to the result's shape
    return (
        np.select(condlist, choicelist_dot, zeros_of(default)),
        np.select(condlist, zeros_of_each(choicelist), default_dot),
    )


# ---- sorting: the tangent moves with its element -----------------------------------------------


@tangent(np.sort)
def sort_tangent_rule(ans, a, axis=-1, kind=None, order=None, stable=None):
    return sort_tangent(a_dot, a, axis, kind, stable)


@tangent(np.partition)
def partition_tangent_rule(ans, a, kth, axis=-1, kind="introselect", order=None):
    return partition_tangent(a_dot, a, ans, axis)


# `sorted` makes a list: so does its tangent, the tangents in the same order
@tangent(builtins.sorted)
def sorted_tangent(ans, iterable, key=None, reverse=False):
    return permuted(iterable_dot, sorted_order(iterable, key, reverse))
