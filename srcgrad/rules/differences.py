"""Rules for differences, both modes: `np.diff`, `np.ediff1d` and `np.gradient` (the running
sums they undo are in reductions.py).

Each is linear in its inputs jointly: `np.diff(a, prepend=p)` differences `p` and `a` joined, so
one operand's tangent term is the difference of its tangent joined with zeros in place of the
others. The adjoint of a difference is a difference of `g` the other way round.
"""

import numpy as np

from ..runtime import refusal, scatter_add
from .registry import STANDIN, adjoint, tangent, variant
from .special import TangentTuple


def zeros_or_none(x):
    """Zeros shaped like `x` (a part of a joined input that does not move), None for None."""
    return None if x is None else np.zeros_like(x, dtype=np.result_type(x, 1.0))


# ---- np.diff and np.ediff1d ----------------------------------------------------------------------


def diff_adjoints(g, a, n=1, axis=-1, prepend=None, append=None):
    """Adjoints of `np.diff(a, n, axis, prepend, append)` for `a`, `prepend` and `append`.

    For one difference y[i] = x[i + 1] - x[i], x[i] gets g[i - 1] - g[i], with g zero beyond
    its ends; n differences apply that n times. The adjoint of the joined input is then
    cut back into prepend, a and append (a scalar prepend or append gathers its whole slab).
    """
    for _ in range(n):
        zero = np.zeros_like(g, shape=())  # a float 0.0 would promote float32 to float64
        g = -np.diff(g, axis=axis, prepend=zero, append=zero)
    if prepend is None and append is None:
        return g, None, None
    axis = axis % np.ndim(a)
    start = 0 if prepend is None else (np.shape(prepend)[axis] if np.ndim(prepend) else 1)
    stop = start + np.shape(a)[axis]
    d_prepend, d_a, d_append = np.split(g, [start, stop], axis=axis)
    if prepend is not None and np.ndim(prepend) == 0:
        d_prepend = np.sum(d_prepend)
    if append is not None and np.ndim(append) == 0:
        d_append = np.sum(d_append)
    return d_a, d_prepend, d_append


def joined_diff(a, n=1, axis=-1, prepend=None, append=None):
    """`np.diff(a, n, axis, prepend, append)`, None meaning not given (NumPy's own default is
    a private sentinel, not None)."""
    ends = {"prepend": prepend, "append": append}
    return np.diff(a, n, axis, **{k: v for k, v in ends.items() if v is not None})


# (joined_diff is np.diff's forward rule's own call: forward code differentiated again, in a
# Hessian, reads it)
@adjoint(np.diff, joined_diff, shape=STANDIN, differentiable=["a", "prepend", "append"])
def diff(g, ans, a, n=1, axis=-1, prepend=None, append=None):
    parts = diff_adjoints(g, a, n, axis, prepend, append)
    return parts[0], parts[1], parts[2]


def tangent_or_zeros(x_dot, x):
    """An operand's tangent in a joint rule: zeros where it carries none, None for None."""
    return zeros_or_none(x) if x_dot is None else x_dot


@tangent(joined_diff, joint=True)
def joined_diff_tangent(ans, a, n=1, axis=-1, prepend=None, append=None):
    return joined_diff(
        tangent_or_zeros(a_dot, a),
        n,
        axis,
        tangent_or_zeros(prepend_dot, prepend),
        tangent_or_zeros(append_dot, append),
    )


@tangent(np.diff)
def diff_tangent(ans, a, n=1, axis=-1, prepend=None, append=None):
    return (
        joined_diff(a_dot, n, axis, zeros_or_none(prepend), zeros_or_none(append)),
        joined_diff(zeros_or_none(a), n, axis, prepend_dot, zeros_or_none(append)),
        joined_diff(zeros_or_none(a), n, axis, zeros_or_none(prepend), append_dot),
    )


def _one_difference(facts) -> bool:
    return (
        facts.constant("n") == 1
        and facts.constant("prepend") is None
        and facts.constant("append") is None
    )


# y[i] = a[i + 1] - a[i]: each a[i] gets g[i - 1] - g[i], with g zero beyond its ends.
@variant(np.diff, when=_one_difference, differentiable=["a", "prepend", "append"])
def diff_once(g, ans, a, n=1, axis=-1, prepend=None, append=None):
    zero = np.zeros_like(g, shape=())
    return -np.diff(g, axis=axis, prepend=zero, append=zero), None, None


def ediff1d_adjoints(g, ary, to_end=None, to_begin=None):
    """Adjoints of `np.ediff1d(ary, to_end, to_begin)` for `ary`, `to_end` and `to_begin`:
    the result is to_begin, the differences of the flattened ary, then to_end."""
    start = 0 if to_begin is None else np.size(to_begin)
    stop = np.shape(g)[0] - (0 if to_end is None else np.size(to_end))
    zero = np.zeros_like(g, shape=())
    d_ary = np.reshape(-np.diff(g[start:stop], prepend=zero, append=zero), np.shape(ary))
    d_end = None if to_end is None else np.reshape(g[stop:], np.shape(to_end))
    d_begin = None if to_begin is None else np.reshape(g[:start], np.shape(to_begin))
    return d_ary, d_end, d_begin


@adjoint(np.ediff1d, shape=STANDIN, differentiable=["ary", "to_end", "to_begin"])
def ediff1d(g, ans, ary, to_end=None, to_begin=None):
    parts = ediff1d_adjoints(g, ary, to_end, to_begin)
    return parts[0], parts[1], parts[2]


@tangent(np.ediff1d)
def ediff1d_tangent(ans, ary, to_end=None, to_begin=None):
    return (
        np.ediff1d(ary_dot, zeros_or_none(to_end), zeros_or_none(to_begin)),
        np.ediff1d(zeros_or_none(ary), to_end_dot, zeros_or_none(to_begin)),
        np.ediff1d(zeros_or_none(ary), zeros_or_none(to_end), to_begin_dot),
    )


# ---- np.gradient: differences of neighbours, divided by the spacing ------------------------------


def _gradient_transposed(g, spacing, axis, edge_order):
    """The adjoint of `np.gradient(f, spacing, axis=axis, edge_order=edge_order)` for `f`.

    That gradient is linear in f: out[i] weighs the three consecutive f[j] of a window (j = i - 1,
    i, i + 1 inside, the first or last three at the ends), whose numbers j differ mod 3. So
    np.gradient of the comb that is 1 where j % 3 == k gives, at i, the weight of the f[j] of i's
    window with j % 3 == k, for every spacing NumPy takes; each g[i] is then added back to the
    window's f[j] with that weight.
    """
    moved = np.moveaxis(g, axis, 0)
    n = np.shape(moved)[0]
    position = np.cumsum(np.ones_like(moved, dtype=np.intp, shape=n)) - 1
    combs = np.stack([1.0 * (position % 3 == k) for k in range(3)])
    weights = np.gradient(combs, spacing, axis=1, edge_order=edge_order)
    start = np.clip(position - 1, 0, max(n - 3, 0))
    spread = (n, *(1,) * (np.ndim(moved) - 1))
    out = np.zeros_like(moved, dtype=np.result_type(moved, 1.0))
    for step in range(min(n, 3)):
        j = start + step
        out = scatter_add(out, j, moved * np.reshape(weights[j % 3, position], spread))
    return np.moveaxis(out, 0, axis)


def gradient_adjoints(g, ans, f, spacing, axis=None, edge_order=1):
    """Adjoints of `np.gradient(f, *spacing, axis=axis, edge_order=edge_order)` for `f` and
    for each spacing: `g` (and `ans`) hold one array per differentiated axis, or are one array
    when there is one axis. A number h as spacing divides that axis's result, so its adjoint is
    -sum(g ans) / h over the axes it spaces; coordinates along an axis have no rule."""
    ndim = np.ndim(f)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(axes) == 1:
        g, ans = (g,), (ans,)
    spacing = [h for h in spacing if h is not None]
    shared = len(spacing) == 1 and np.ndim(spacing[0]) == 0
    steps = spacing * len(axes) if shared else spacing or [1.0] * len(axes)
    d_f = np.zeros_like(f, dtype=np.result_type(f, 1.0))
    d_steps = []
    for part, value, h, ax in zip(g, ans, steps, axes):
        d_f = d_f + _gradient_transposed(part, h, ax, edge_order)
        if spacing:
            d_steps.append(-np.sum(part * value) / h if np.ndim(h) == 0 else None)
    if shared:
        d_steps = [sum(d_steps)]
    return d_f, d_steps


def spacing_adjoint(d_steps, k):
    """The adjoint of np.gradient's k-th spacing argument, from `gradient_adjoints`."""
    if d_steps[k] is None:
        raise refusal(
            "srcgrad differentiates np.gradient's spacing when it is a number, not coordinates",
            "pass coordinates that do not depend on the inputs you differentiate with respect to",
        )
    return d_steps[k]


def gradient_shape(f, *spacing, axis=None, edge_order=1):
    """The shape of `np.gradient(x, ...)` for `x` shaped `f`: `f`, when there is one axis."""
    one_axis = len(f) == 1 if axis is None else isinstance(axis, int) or len(axis) == 1
    return tuple(f) if one_axis else None


# NumPy's gradient takes its spacings as `*varargs`: the rule names four slots (h0 ... h3).
@adjoint(np.gradient, shape=gradient_shape, differentiable=["f", "h0", "h1", "h2", "h3"])
def gradient(g, ans, f, h0=None, h1=None, h2=None, h3=None, axis=None, edge_order=1):
    parts = gradient_adjoints(g, ans, f, (h0, h1, h2, h3), axis, edge_order)
    return (
        parts[0],
        spacing_adjoint(parts[1], 0),
        spacing_adjoint(parts[1], 1),
        spacing_adjoint(parts[1], 2),
        spacing_adjoint(parts[1], 3),
    )


def gradient_of(f, h0=None, h1=None, h2=None, h3=None, axis=None, edge_order=1):
    """`np.gradient(f, h0, h1, ..., axis=axis, edge_order=edge_order)` with the spacings that
    are None left out, a tuple of arrays added element by element where there are several."""
    spacing = [h for h in (h0, h1, h2, h3) if h is not None]
    result = np.gradient(f, *spacing, axis=axis, edge_order=edge_order)
    return result if isinstance(result, np.ndarray) else TangentTuple(result)


def spacing_tangent(h_dot, ans, k, h0=None, h1=None, h2=None, h3=None):
    """What the tangent of np.gradient's k-th spacing adds: a number h divides the derivative
    along the axes it spaces (all of them when it is the only one), which moves by -h_dot / h
    times it; coordinates along an axis have no rule."""
    spacing = [h for h in (h0, h1, h2, h3) if h is not None]
    if np.ndim(spacing[k]) != 0:
        raise refusal(
            "srcgrad differentiates np.gradient's spacing when it is a number, not coordinates",
            "pass coordinates that do not depend on the inputs you differentiate with respect to",
        )
    rate = -h_dot / spacing[k]
    if isinstance(ans, np.ndarray):
        return rate * ans
    shared = len(spacing) == 1
    return TangentTuple(
        rate * part if shared or i == k else np.zeros_like(part) for i, part in enumerate(ans)
    )


@tangent(np.gradient)
def gradient_tangent(ans, f, h0=None, h1=None, h2=None, h3=None, axis=None, edge_order=1):
    return (
        gradient_of(f_dot, h0, h1, h2, h3, axis, edge_order),
        spacing_tangent(h0_dot, ans, 0, h0, h1, h2, h3),
        spacing_tangent(h1_dot, ans, 1, h0, h1, h2, h3),
        spacing_tangent(h2_dot, ans, 2, h0, h1, h2, h3),
        spacing_tangent(h3_dot, ans, 3, h0, h1, h2, h3),
    )
