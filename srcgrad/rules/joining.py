"""Rules for NumPy's functions that join, cut and repeat arrays and make arrays from values,
both modes: `concatenate`, `stack` and the other joins, `split` and the other cuts, `tile`,
`repeat`, `broadcast_to`, `full`, `linspace`, `pad`.

Every adjoint sends `g` back to where each element came from: by cutting `g` into pieces
(`np.concatenate`), by joining the pieces' adjoints (`np.split`), or by summing the copies
(`np.tile`). A joining function called on a list display (`np.concatenate([a, b])`) gets one
adjoint per element of the list (a list, or an array whose rows are the adjoints); called on one
array (whose rows it joins), it gets an array shaped like that array.

Almost every function here is linear in its one differentiable operand (a list of arrays counts
as one operand): the tangent is the same call on the tangent. The exceptions are linear in two
operands jointly (`np.append(arr, values)`, `np.linspace(start, stop)`, `np.pad(array, ...,
constant_values=c)`): each operand's term keeps the other one's place, filled with zeros.
"""

from itertools import accumulate

import numpy as np

from ..runtime import refusal, truncates, unbroadcast
from .indexing import _as_operand, gather_adjoint, labels_like, zeros_of
from .registry import STANDIN, adjoint, linear, tangent, variant

# ---- helpers the generated code calls ------------------------------------------------------------


def _cut(g, sizes, axis):
    """`g` cut along `axis` into consecutive pieces of the given sizes."""
    return np.split(g, list(accumulate(sizes))[:-1], axis)


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


def split_adjoint(g, ary, axis, pieces):
    """Adjoint of the `pieces` of `np.split(ary, ..., axis)` and friends: their adjoints (a
    piece no path reached may have the number 0.0 or None for one), joined again and shaped
    like `ary`."""
    g = [
        np.zeros_like(p) if d is None else np.broadcast_to(d, np.shape(p)) if np.ndim(d) == 0 else d
        for d, p in zip(g, pieces)
    ]
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


def arange_adjoints(g, stop=None, dtype=None):
    """Adjoints of `np.arange(start, stop, step, dtype)` for `start` and `step`: element k is
    start + k step, so `start` gathers the sum of g and `step` the sum of k g. With one number
    (`np.arange(n)`, stop None) that number is the stop, which only decides how many elements
    there are: no derivative. An integer dtype truncates the elements: no derivative either."""
    zero = np.zeros_like(g, dtype=np.result_type(g, 1.0), shape=())
    if dtype is not None and truncates(dtype):
        return zero, zero
    steps = np.cumsum(np.ones_like(g, dtype=np.result_type(g, 1.0))) - 1.0
    return zero if stop is None else np.sum(g), np.sum(g * steps)


def arange_tangent(ans, start_dot, step_dot, stop=None, dtype=None):
    """The tangent of `np.arange(start, stop, step, dtype)`: start_dot + k step_dot at element
    k (no start term for `np.arange(n)`, whose one number is the stop; zeros where an integer
    dtype truncates the elements)."""
    like = np.zeros_like(ans, dtype=np.result_type(ans, 1.0))
    if dtype is not None and truncates(dtype):
        return like
    steps = np.cumsum(np.ones_like(like)) - 1.0
    return like + (0.0 if stop is None else start_dot) + steps * step_dot


def pad_adjoint(g, array, pad_width, mode="constant"):
    """Adjoint of `np.pad(array, pad_width, mode)` with respect to `array`."""
    if mode in ("constant", "empty"):
        return g[_core(array, pad_width)]
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        return gather_adjoint(g, array, np.pad(labels_like(array), pad_width, mode))
    raise refusal(
        f"srcgrad has no derivative of np.pad with mode={mode!r}",
        "pad with mode 'constant', 'empty', 'edge', 'reflect', 'symmetric' or 'wrap'",
    )


def pad_value_adjoint(g, array, pad_width, constant_values=0):
    """Adjoint of `np.pad(array, pad_width, constant_values=c)` with respect to a scalar `c`."""
    if np.ndim(constant_values) != 0:
        raise refusal(
            "srcgrad differentiates np.pad's constant_values as one number",
            "pad with one constant, or pad each side in a call of its own",
        )
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
    raise refusal(
        f"srcgrad has no derivative of np.pad with mode={mode!r}",
        "pad with mode 'constant', 'empty', 'edge', 'reflect', 'symmetric' or 'wrap'",
    )


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


# ---- joining -------------------------------------------------------------------------------------


@linear(np.concatenate, differentiable=["arrays"], shape=STANDIN)
def concatenate(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return concatenate_adjoint(g, arrays, axis)


@linear(np.stack, differentiable=["arrays"], shape=STANDIN)
def stack(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return np.moveaxis(g, axis, 0)


@linear(np.hstack, differentiable=["tup"], shape=STANDIN)
def hstack(g, ans, tup, dtype=None, casting="same_kind"):
    return hstack_adjoint(g, tup)


# row_stack: vstack's old name, gone from NumPy 2.5
@linear(np.vstack, getattr(np, "row_stack", np.vstack), differentiable=["tup"], shape=STANDIN)
def vstack(g, ans, tup, dtype=None, casting="same_kind"):
    return vstack_adjoint(g, tup)


@linear(np.dstack, shape=STANDIN)
def dstack(g, ans, tup):
    return dstack_adjoint(g, tup)


@linear(np.column_stack, shape=STANDIN)
def column_stack(g, ans, tup):
    return column_stack_adjoint(g, tup)


@adjoint(np.append, differentiable=["arr", "values"], shape=STANDIN)
def append(g, ans, arr, values, axis=None):
    pieces = concatenate_adjoint(g, [arr, values], axis)
    return pieces[0], pieces[1]


@tangent(np.append)
def append_tangent(ans, arr, values, axis=None):
    return (
        np.append(arr_dot, zeros_of(values), axis),
        np.append(zeros_of(arr), values_dot, axis),
    )


@linear(np.array, differentiable=["object"], shape=STANDIN)
def array(g, ans, object, dtype=None, copy=True, order="K", subok=False):
    return g


# its forward rule is keep_value's (arithmetic.py), declared first
@adjoint(np.asarray, differentiable=["a"], shape=STANDIN)
def asarray(g, ans, a, dtype=None, order=None):
    return g


# ---- cutting: results are lists of pieces; `a, b = np.split(x, 2)` gives the tuple of their
# adjoints, and an unused piece's adjoint is zeros


@linear(np.split, np.array_split, differentiable=["ary"])
def split(g, ans, ary, indices_or_sections, axis=0):
    return split_adjoint(g, ary, axis, ans)


@linear(np.hsplit, differentiable=["ary"])
def hsplit(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ary, 1 if np.ndim(ary) > 1 else 0, ans)


@linear(np.vsplit, differentiable=["ary"])
def vsplit(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ary, 0, ans)


@linear(np.dsplit, differentiable=["ary"])
def dsplit(g, ans, ary, indices_or_sections):
    return split_adjoint(g, ary, 2, ans)


@linear(np.unstack, differentiable=["x"])
def unstack(g, ans, x, axis=0):
    return np.stack(g, axis)


# ---- repeating -----------------------------------------------------------------------------------


@linear(np.tile, differentiable=["A"], shape=tile_shape)
def tile(g, ans, A, reps):
    return tile_adjoint(g, A, reps)


@linear(np.repeat, differentiable=["a"], shape=repeat_shape)
def repeat(g, ans, a, repeats, axis=None):
    return repeat_adjoint(g, a, repeats, axis)


@linear(np.broadcast_to, differentiable=["array"], broadcasting=True, shape=STANDIN)
def broadcast_to(g, ans, array, shape, subok=False):
    return g


# np.full(shape, v) is v broadcast to `shape`: the adjoint of v is g summed back to v's shape.
@linear(np.full, differentiable=["fill_value"], broadcasting=True, shape=STANDIN)
def full(g, ans, shape, fill_value, dtype=None, order="C"):
    return g


@adjoint(np.linspace, differentiable=["start", "stop"], shape=STANDIN)
def linspace(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    parts = linspace_adjoints(g, start, stop, num, endpoint, retstep, axis)
    return parts[0], parts[1]


@tangent(np.linspace)
def linspace_tangent_rule(
    ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0
):
    # the tangent stays float whatever `dtype` is (an integer dtype rounds the samples)
    return (
        linspace_tangent(start_dot, zeros_of(stop), num, endpoint, retstep, axis),
        linspace_tangent(zeros_of(start), stop_dot, num, endpoint, retstep, axis),
    )


# np.arange([start,] stop[, step]): the values start + k step; how many there are (decided by
# the values) has no derivative, so neither has `stop`
@adjoint(np.arange, differentiable=["start", "step"])
def arange(g, ans, start=None, stop=None, step=None, dtype=None, device=None, like=None):
    parts = arange_adjoints(g, stop, dtype)
    return parts[0], parts[1]


def _stop_alone(facts) -> bool:
    return facts.constant("stop") is None and facts.constant("step") is None


# `np.arange(n)`: its one number is the stop; the values 0, 1, ... do not move with it
@variant(np.arange, when=_stop_alone, differentiable=["start", "step"])
def arange_to(g, ans, start=None, stop=None, step=None, dtype=None, device=None, like=None):
    return None, None


@tangent(np.arange)
def arange_tangent_rule(ans, start=None, stop=None, step=None, dtype=None, device=None, like=None):
    return (
        arange_tangent(ans, start_dot, 0.0, stop, dtype),
        arange_tangent(ans, 0.0, step_dot, stop, dtype),
    )


@adjoint(np.pad, differentiable=["array", "constant_values"], shape=pad_shape)
def pad(g, ans, array, pad_width, mode="constant", constant_values=0):
    return pad_adjoint(g, array, pad_width, mode), pad_value_adjoint(
        g, array, pad_width, constant_values
    )


@tangent(np.pad)
def pad_tangent(ans, array, pad_width, mode="constant", constant_values=0):
    # the constant's term: it padded onto zeros (np.pad takes it only with mode 'constant')
    return (
        pad_array_tangent(array_dot, pad_width, mode),
        np.pad(zeros_of(array), pad_width, mode, constant_values=constant_values_dot),
    )
