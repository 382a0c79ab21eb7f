"""Rules for curves given by samples or coefficients, both modes: linear interpolation
(`np.interp`), polynomials (`np.polyval`) and 1-D convolution and correlation (`np.convolve`,
`np.correlate`: the product of two polynomials' coefficients, `bilinear`).
"""

import numpy as np

from ..runtime import scatter_add, unbroadcast
from .differences import zeros_or_none
from .registry import SAME, STANDIN, adjoint, bilinear, tangent

# ---- interpolation -------------------------------------------------------------------------------


def interp_adjoints(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoints of `np.interp(x, xp, fp, left, right, period)` for `x`, `fp`, `left`, `right`.

    A point between xp[k] and xp[k + 1] is (1 - t) fp[k] + t fp[k + 1]: it sends (1 - t) g to
    fp[k], t g to fp[k + 1], and the slope times g to x. At a knot the slope is the one on its
    right (as in JAX). Points left of xp[0] take `left` (fp[0] when None), right of xp[-1]
    `right` (fp[-1]); a period wraps x and xp first, so fp gathers from both ends.
    """
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)  # (lists index by arrays too)
    if period is not None:
        order = np.argsort(xp % period)
        wrapped = (xp % period)[order]
        knots = np.concatenate([wrapped[-1:] - period, wrapped, wrapped[:1] + period])
        index = np.concatenate([order[-1:], order, order[:1]])
        parts = interp_adjoints(g, x % period, knots, fp[index])
        d_fp = np.zeros_like(fp, dtype=np.result_type(fp, g, 1.0))
        return parts[0], scatter_add(d_fp, index, parts[1]), None, None
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    width = xp[k + 1] - xp[k]
    t = (x - xp[k]) / width
    below = x < xp[0]
    above = x > xp[-1]
    inside = ~(below | above)
    d_x = np.where(inside, g * (fp[k + 1] - fp[k]) / width, 0.0)
    d_fp = np.zeros_like(fp, dtype=np.result_type(fp, g, 1.0))
    scatter_add(d_fp, k, np.where(inside, g * (1.0 - t), 0.0))
    scatter_add(d_fp, k + 1, np.where(inside, g * t, 0.0))
    d_left = np.sum(np.where(below, g, 0.0))
    d_right = np.sum(np.where(above, g, 0.0))
    if left is None:
        scatter_add(d_fp, 0, d_left)
    if right is None:
        scatter_add(d_fp, -1, d_right)
    return d_x, d_fp, d_left, d_right


# The knots xp get no gradient.
@adjoint(np.interp, shape=SAME, differentiable=["x", "fp", "left", "right"])
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    parts = interp_adjoints(g, x, xp, fp, left, right, period)
    return parts[0], parts[1], parts[2], parts[3]


def interp_slope(x, xp, fp, period=None):
    """d np.interp(x, xp, fp, period=period) / dx: the slope of the piece `x` lies on (at a
    knot the one on its right, as in JAX), 0 beyond the first and last knots. A period wraps
    x and xp first, and the knots at either end are repeated one period away."""
    xp, fp = np.asarray(xp), np.asarray(fp)  # (lists index by arrays too)
    if period is not None:
        order = np.argsort(xp % period)
        wrapped = (xp % period)[order]
        knots = np.concatenate([wrapped[-1:] - period, wrapped, wrapped[:1] + period])
        index = np.concatenate([order[-1:], order, order[:1]])
        return interp_slope(x % period, knots, fp[index])
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    slope = (fp[k + 1] - fp[k]) / (xp[k + 1] - xp[k])
    return np.where(np.logical_or(x < xp[0], x > xp[-1]), 0.0, slope)


def below_knots(x, xp, period=None):
    """Where np.interp gives `left`: before the first knot (nowhere, with a period)."""
    return np.logical_and(np.less(x, xp[0]), period is None)


def above_knots(x, xp, period=None):
    """Where np.interp gives `right`: after the last knot (nowhere, with a period)."""
    return np.logical_and(np.greater(x, xp[-1]), period is None)


# Linear in fp, with `left` and `right` (fp[0] and fp[-1] where None) in its place beyond the
# knots; the knots xp get no tangent.
@tangent(np.interp)
def interp_tangent(ans, x, xp, fp, left=None, right=None, period=None):
    return (
        x_dot * interp_slope(x, xp, fp, period),
        np.interp(x, xp, fp_dot, zeros_or_none(left), zeros_or_none(right), period),
        np.where(below_knots(x, xp, period), left_dot, 0.0),
        np.where(above_knots(x, xp, period), right_dot, 0.0),
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
