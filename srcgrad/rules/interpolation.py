"""Rules for curves given by samples or coefficients, both modes: linear interpolation
(`np.interp`), polynomials (`np.polyval`) and 1-D convolution and correlation (`np.convolve`,
`np.correlate`: the product of two polynomials' coefficients, `bilinear`).
"""

import numpy as np

from ..runtime import scatter_add, unbroadcast
from .differences import zeros_or_none
from .registry import STANDIN, adjoint, bilinear, first_shape, tangent

# ---- interpolation -------------------------------------------------------------------------------
# A point x between the knots xp[k] and xp[k + 1], at t = (x - xp[k]) / (xp[k + 1] - xp[k]), is
# (1 - t) fp[k] + t fp[k + 1]; it moves with x by the slope s of that piece, with fp[k] and
# fp[k + 1] by (1 - t) and t, and with the knots by -s (1 - t) and -s t (the piece moves under
# it). At a knot the piece on its right counts (as in JAX). A period wraps x and xp into one
# period first, the knots sorted and repeated one period beyond either end (`wrapped_knots`).


def wrapped_knots(x, xp, fp, period):
    """np.interp's own view of its inputs with a period P = |period|: `(x, knots, values,
    index, x_turns, knot_turns)`, x and the knots wrapped into [0, P), the knots sorted and
    repeated one period beyond either end; `index` says which element of xp (and fp) each knot
    is, `x_turns` and `knot_turns` how x and each knot move with P (-floor(v / P), and one
    more or less for a repeated knot)."""
    size = np.abs(period)
    order = np.argsort(xp % size)
    wrapped = (xp % size)[order]
    knots = np.concatenate([wrapped[-1:] - size, wrapped, wrapped[:1] + size])
    index = np.concatenate([order[-1:], order, order[:1]])
    ends = np.concatenate([[-1.0], np.zeros_like(wrapped), [1.0]])
    return x % size, knots, fp[index], index, -np.floor(x / size), ends - np.floor(xp[index] / size)


def interp_adjoints(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoints of `np.interp(x, xp, fp, left, right, period)`, as (x, fp, left, right, xp,
    period). Points left of xp[0] take `left` (fp[0] when None), right of xp[-1] `right`
    (fp[-1]), and move with nothing else; a period wraps x and xp first, so fp and xp gather
    from both ends (and NumPy ignores `left` and `right`)."""
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)  # (lists index by arrays too)
    if period is not None:
        x, knots, values, index, x_turns, knot_turns = wrapped_knots(x, xp, fp, period)
        parts = interp_adjoints(g, x, knots, values)
        d_fp = np.zeros_like(fp, dtype=np.result_type(fp, g, 1.0))
        d_xp = np.zeros_like(xp, dtype=np.result_type(xp, g, 1.0))
        moved = np.sum(parts[0] * x_turns) + np.sum(parts[4] * knot_turns)
        zero = np.zeros_like(moved)
        return (
            parts[0],
            scatter_add(d_fp, index, parts[1]),
            zero,
            zero,
            scatter_add(d_xp, index, parts[4]),
            np.sign(period) * moved,
        )
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    width = xp[k + 1] - xp[k]
    t = (x - xp[k]) / width
    below = x < xp[0]
    above = x > xp[-1]
    inside = ~(below | above)
    d_x = np.where(inside, g * (fp[k + 1] - fp[k]) / width, 0.0)
    d_fp = np.zeros_like(fp, dtype=np.result_type(fp, g, 1.0))
    d_fp = scatter_add(d_fp, k, np.where(inside, g * (1.0 - t), 0.0))
    d_fp = scatter_add(d_fp, k + 1, np.where(inside, g * t, 0.0))
    d_left = np.sum(np.where(below, g, 0.0))
    d_right = np.sum(np.where(above, g, 0.0))
    if left is None:
        d_fp = scatter_add(d_fp, 0, d_left)
    if right is None:
        d_fp = scatter_add(d_fp, -1, d_right)
    d_xp = np.zeros_like(xp, dtype=np.result_type(xp, d_x, 1.0))
    d_xp = scatter_add(d_xp, k, -d_x * (1.0 - t))
    d_xp = scatter_add(d_xp, k + 1, -d_x * t)
    return d_x, d_fp, d_left, d_right, d_xp, None


@adjoint(
    np.interp,
    shape=first_shape,
    differentiable=["x", "xp", "fp", "left", "right", "period"],
)
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    parts = interp_adjoints(g, x, xp, fp, left, right, period)
    return parts[0], parts[4], parts[1], parts[2], parts[3], parts[5]


def interp_slope(x, xp, fp, period=None):
    """d np.interp(x, xp, fp, period=period) / dx: the slope of the piece `x` lies on (at a
    knot the one on its right, as in JAX), 0 beyond the first and last knots. A period wraps
    x and xp first, and the knots at either end are repeated one period away."""
    xp, fp = np.asarray(xp), np.asarray(fp)  # (lists index by arrays too)
    if period is not None:
        wrapped = wrapped_knots(x, xp, fp, period)
        return interp_slope(wrapped[0], wrapped[1], wrapped[2])
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    slope = (fp[k + 1] - fp[k]) / (xp[k + 1] - xp[k])
    return np.where(np.logical_or(x < xp[0], x > xp[-1]), 0.0, slope)


def interp_knots_tangent(xp_dot, x, xp, fp, period=None):
    """What the knots' tangent `xp_dot` adds to that of np.interp(x, xp, fp, period=period):
    -slope ((1 - t) xp_dot[k] + t xp_dot[k + 1]) between xp[k] and xp[k + 1], 0 beyond the
    first and last knots."""
    x, xp, fp, xp_dot = np.asarray(x), np.asarray(xp), np.asarray(fp), np.asarray(xp_dot)
    if period is not None:
        wrapped = wrapped_knots(x, xp, fp, period)
        return interp_knots_tangent(xp_dot[wrapped[3]], wrapped[0], wrapped[1], wrapped[2])
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    t = (x - xp[k]) / (xp[k + 1] - xp[k])
    moved = (1.0 - t) * xp_dot[k] + t * xp_dot[k + 1]
    return -interp_slope(x, xp, fp) * moved


def interp_period_tangent(period_dot, x, xp, fp, period):
    """What the period's tangent adds to that of np.interp(x, xp, fp, period=period): x and
    every knot, wrapped into the period, move with it (`wrapped_knots`)."""
    x, knots, values, _, x_turns, knot_turns = wrapped_knots(
        np.asarray(x), np.asarray(xp), np.asarray(fp), period
    )
    moved = interp_slope(x, knots, values) * x_turns
    moved = moved + interp_knots_tangent(knot_turns, x, knots, values)
    return np.sign(period) * period_dot * moved


def below_knots(x, xp, period=None):
    """Where np.interp gives `left`: before the first knot (nowhere, with a period)."""
    return np.logical_and(np.less(x, xp[0]), period is None)


def above_knots(x, xp, period=None):
    """Where np.interp gives `right`: after the last knot (nowhere, with a period)."""
    return np.logical_and(np.greater(x, xp[-1]), period is None)


# Linear in fp, with `left` and `right` (fp[0] and fp[-1] where None) in its place beyond the
# knots.
@tangent(np.interp)
def interp_tangent(ans, x, xp, fp, left=None, right=None, period=None):
    return (
        x_dot * interp_slope(x, xp, fp, period),
        interp_knots_tangent(xp_dot, x, xp, fp, period),
        np.interp(x, xp, fp_dot, zeros_or_none(left), zeros_or_none(right), period),
        np.where(below_knots(x, xp, period), left_dot, 0.0),
        np.where(above_knots(x, xp, period), right_dot, 0.0),
        interp_period_tangent(period_dot, x, xp, fp, period),
    )


# ---- polynomials ---------------------------------------------------------------------------------
# np.polyval(p, x) = p[0] x^(N-1) + ... + p[N-1]: a coefficient moves it by its power of x (summed
# where it was broadcast against x), and x by the derivative polynomial at x. Coefficients may
# be arrays of their own (p shaped (N, ...)), as NumPy allows.


def polynomial_derivative_factors(p):
    """N - 1, ..., 1 for the N coefficients of `p` (highest power first), shaped to multiply
    `p[:-1]` into the coefficients of the derivative."""
    p = np.asarray(p)
    factors = np.arange(np.shape(p)[0] - 1, 0, -1, dtype=np.result_type(p, 1.0))
    return np.reshape(factors, (-1, *(1,) * (np.ndim(p) - 1)))


def polyval_coefficients_adjoint(g, p, x):
    """Adjoint of `np.polyval(p, x)` for the coefficients `p`: g x^(N-1-k) for p[k]."""
    p = np.asarray(p)
    count = np.shape(p)[0]
    parts = [unbroadcast(g * x ** (count - 1 - k), p[k]) for k in range(count)]
    return np.stack(parts) if parts else np.zeros_like(p, dtype=np.result_type(p, 1.0))


def polyval_shape(p, x):
    """The shape of `np.polyval(p, x)`: x's, broadcast against a coefficient's."""
    return tuple(np.broadcast_shapes(tuple(p)[1:], tuple(x)))


@adjoint(np.polyval, shape=polyval_shape)
def polyval(g, ans, p, x):
    slope = np.polyval(np.asarray(p)[:-1] * polynomial_derivative_factors(p), x)
    return polyval_coefficients_adjoint(g, p, x), unbroadcast(g * slope, x)


@tangent(np.polyval)
def polyval_tangent(ans, p, x):
    slope = np.polyval(np.asarray(p)[:-1] * polynomial_derivative_factors(p), x)
    return np.polyval(p_dot, x), x_dot * slope


# ---- 1-D convolution and correlation -------------------------------------------------------------


def _full_convolution_adjoints(g, a, u, offset):
    """Adjoints for `a` and `u` of np.convolve(a, u, 'full')[offset:offset + len(g)]: with
    `g` padded to full length G, a[i] gets sum_j G[i + j] u[j] and u[j] sum_i G[i + j] a[i]."""
    full = np.size(a) + np.size(u) - 1
    g = np.pad(g, (offset, full - np.shape(g)[0] - offset))
    return np.correlate(g, u, "valid"), np.correlate(g, a, "valid")


def convolve_adjoints(g, a, v, mode="full"):
    """Adjoints of `np.convolve(a, v, mode)` for `a` and `v` (real values): `g` is placed where
    its part sits in the full convolution, then correlated with the other input."""
    shorter = min(np.size(a), np.size(v))
    offset = {"f": 0, "s": (shorter - 1) // 2, "v": shorter - 1}[mode[0].lower()]
    return _full_convolution_adjoints(g, a, v, offset)


def correlate_adjoints(g, a, v, mode="valid"):
    """Adjoints of `np.correlate(a, v, mode)` for `a` and `v` (real values): a correlation is
    a convolution with `v` reversed, whose 'same' part sits one place later when v is longer."""
    n, m = np.size(a), np.size(v)
    same = (m - 1) // 2 if n >= m else n - 1 - (n - 1) // 2
    offset = {"f": 0, "s": same, "v": min(n, m) - 1}[mode[0].lower()]
    d_a, d_flipped = _full_convolution_adjoints(g, a, np.flip(v), offset)
    return d_a, np.flip(d_flipped)


@bilinear(np.convolve, shape=STANDIN, differentiable=["a", "v"])
def convolve(g, ans, a, v, mode="full"):
    parts = convolve_adjoints(g, a, v, mode)
    return parts[0], parts[1]


@bilinear(np.correlate, shape=STANDIN, differentiable=["a", "v"])
def correlate(g, ans, a, v, mode="valid"):
    parts = correlate_adjoints(g, a, v, mode)
    return parts[0], parts[1]
