"""Forward rules for the functions of `statistics.py`: spread, weighted and NaN-ignoring
reductions, median and quantiles, cumulative functions, differences, interpolation, polynomials
and 1-D convolution.

A reduction's tangent is the reduction of the input's tangent weighted by each element's
share, the same shares the reverse rules spread an adjoint by (ties shared, NaN skipped). Where
a rule needs more than one NumPy call, the helper that computes it lives below, next to its rule.
"""

import numpy as np

from ..runtime import choose_adjoint, mean_count, product_of_others
from .registry import linear, tangent
from .special import TangentTuple
from .statistics import (
    cov_divisor,
    cov_variables,
    median_adjoint,
    polynomial_derivative_factors,
    present_count,
    quantile_axes,
    quantile_shares,
)

# ---- spread ---------------------------------------------------------------------------------


# The centred values sum to 0, so the mean's own tangent drops out.
@tangent(np.var)
def var_tangent(ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    moved = np.sum(a_dot * centred, axis=axis, keepdims=keepdims)
    return moved * (2.0 / (mean_count(a, axis) - ddof))


# d sqrt(v) = dv / (2 sqrt(v)); 0/0 where every element of a slice is equal, as in reverse.
@tangent(np.std)
def std_tangent(ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    moved = np.sum(a_dot * centred, axis=axis, keepdims=keepdims)
    return moved / ((mean_count(a, axis) - ddof) * ans)


def cov_jvp(
    m_dot, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None
):
    """The tangent of np.cov(m, ...) along m_dot: (dxc xc^T + xc dxc^T) / d."""
    x, flipped = cov_variables(m, rowvar, y, fweights, aweights)
    t = np.transpose(np.atleast_2d(m_dot)) if flipped else np.atleast_2d(m_dot)
    centred = x - np.mean(x, axis=1, keepdims=True)
    moved = (t - np.mean(t, axis=1, keepdims=True)) @ np.transpose(centred)
    return np.reshape((moved + np.transpose(moved)) / cov_divisor(x, bias, ddof), np.shape(ans))


@tangent(np.cov)
def cov_tangent(ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    return cov_jvp(m_dot, ans, m, y, rowvar, bias, ddof, fweights, aweights)


# max - min: the k tied elements at either end each move it by 1/k of their tangent.
@tangent(np.ptp)
def ptp_tangent(ans, a, axis=None, out=None, keepdims=False):
    ones = np.ones_like(ans, dtype=np.result_type(a, 1.0))
    high = choose_adjoint(ones, np.max(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    low = choose_adjoint(ones, np.min(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    return np.sum(a_dot * (high - low), axis=axis, keepdims=keepdims)


# ---- weighted average and median ------------------------------------------------------------


def weights_along(weights, a, axis=None):
    """`weights` shaped to broadcast against `a`: 1-D weights lie along `axis`, as in NumPy."""
    if np.ndim(weights) == np.ndim(a):
        return weights
    return np.moveaxis(np.reshape(weights, (*(1,) * (np.ndim(a) - 1), -1)), -1, axis)


def with_sum_of_weights(moved, returned=False):
    """The tangent `moved` of an average, paired with that of the sum of the weights (which
    does not move with `a`) where `returned` asks np.average for the sum too."""
    return TangentTuple((moved, np.zeros_like(moved))) if returned else moved


def average_tangent_of_weights(
    weights_dot, ans, a, axis=None, weights=None, returned=False, keepdims=False
):
    """What the weights' tangent adds: with `s` the sum of the weights spread to `a`, the
    average sum(w a) / s moves by sum(w_dot (a - average)) / s, and `s` by sum(w_dot)."""
    if returned:
        ans = ans[0]
    if axis is not None and not keepdims:
        ans = np.expand_dims(ans, axis)
    ones = np.ones_like(a, dtype=np.result_type(a, weights, 1.0))
    spread = weights_along(weights_dot, a, axis) * ones
    total = np.sum(weights_along(weights, a, axis) * ones, axis=axis, keepdims=keepdims)
    moved = np.sum(spread * (a - ans), axis=axis, keepdims=keepdims) / total
    if returned:
        return TangentTuple((moved, np.sum(spread, axis=axis, keepdims=keepdims)))
    return moved


# Linear in `a`, the weights fixed.
@tangent(np.average)
def average_tangent(ans, a, axis=None, weights=None, returned=False, keepdims=False):
    return (
        with_sum_of_weights(np.average(a_dot, axis, weights, keepdims=keepdims), returned),
        average_tangent_of_weights(weights_dot, ans, a, axis, weights, returned, keepdims),
    )


# The middle element of each slice moves the median, or its two middle elements half each.
@tangent(np.median)
def median_tangent(ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    ones = np.ones_like(ans, dtype=np.result_type(a, 1.0))
    share = median_adjoint(ones, a, axis, keepdims, overwrite_input)
    return np.sum(a_dot * share, axis=axis, keepdims=keepdims)


# Each quantile moves with the two elements it interpolates between, by their shares.
@tangent(np.quantile)
def quantile_tangent(
    ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    shares = quantile_shares(a, q, axis, method, overwrite_input)
    return np.sum(a_dot * shares, axis=quantile_axes(a, q, axis), keepdims=keepdims)


@tangent(np.percentile)
def percentile_tangent(
    ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    shares = quantile_shares(a, np.true_divide(q, 100), axis, method, overwrite_input)
    return np.sum(a_dot * shares, axis=quantile_axes(a, q, axis), keepdims=keepdims)


# ---- reductions that skip NaN: the tangent at a NaN counts for nothing ----------------------


@tangent(np.nansum)
def nansum_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims)


# A slice of NaN alone has the tangent 0, as its elements have the adjoint 0 in reverse.
@tangent(np.nanmean)
def nanmean_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    share = np.where(np.isnan(a), 0.0, a_dot / present_count(a, axis))
    return np.sum(share, axis=axis, keepdims=keepdims)


@tangent(np.nanprod)
def nanprod_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    others = product_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.sum(np.where(np.isnan(a), 0.0, a_dot * others), axis=axis, keepdims=keepdims)


# NaN equals nothing, so it is never among the elements that share the extreme.
@tangent(np.nanmax, np.nanmin)
def nan_extreme_tangent(ans, a, axis=None, out=None, keepdims=False):
    share = choose_adjoint(np.ones_like(ans, dtype=np.result_type(a, 1.0)), ans, a, axis, keepdims)
    return np.sum(a_dot * share, axis=axis, keepdims=keepdims)


# ---- cumulative -----------------------------------------------------------------------------

linear(np.cumsum)


@tangent(np.nancumsum)
def nancumsum_tangent(ans, a, axis=None, dtype=None, out=None):
    return np.cumsum(np.where(np.isnan(a), 0.0, a_dot), axis=axis)


def running_product_tangent(a_dot, ans, a, axis=None):
    """Tangent of `np.cumprod(a, axis)`, exact where `a` holds zeros.

    Along the axis ans[j] = ans[j - 1] a[j], so its tangent is t[j] = t[j - 1] a[j] +
    ans[j - 1] a_dot[j], from t[0] = a_dot[0]. Without zeros that is ans times the running sum
    of a_dot / a.
    """
    if axis is None:
        return running_product_tangent(np.ravel(a_dot), ans, np.ravel(a), 0)
    if np.all(a != 0):
        return ans * np.cumsum(a_dot / a, axis)
    x = np.moveaxis(a, axis, -1)
    before = np.moveaxis(ans, axis, -1)
    t = np.array(np.moveaxis(a_dot, axis, -1), dtype=np.result_type(a_dot, ans, 1.0))
    for j in range(1, np.shape(x)[-1]):
        t[..., j] = t[..., j - 1] * x[..., j] + before[..., j - 1] * t[..., j]
    return np.moveaxis(t, -1, axis)


@tangent(np.cumprod)
def cumprod_tangent(ans, a, axis=None, dtype=None, out=None):
    return running_product_tangent(a_dot, ans, a, axis)


# ---- differences ----------------------------------------------------------------------------
# A difference of `prepend`, `a` and `append` joined is linear in the joined array: each
# operand's term is the difference of its tangent joined with zeros in place of the others.


def zeros_or_none(x):
    """Zeros shaped like `x` (a part of a joined input that does not move), None for None."""
    return None if x is None else np.zeros_like(x, dtype=np.result_type(x, 1.0))


def joined_diff(a, n=1, axis=-1, prepend=None, append=None):
    """`np.diff(a, n, axis, prepend, append)`, None meaning not given (NumPy's own default is
    a private sentinel, not None)."""
    ends = {"prepend": prepend, "append": append}
    return np.diff(a, n, axis, **{k: v for k, v in ends.items() if v is not None})


@tangent(np.diff)
def diff_tangent(ans, a, n=1, axis=-1, prepend=None, append=None):
    return (
        joined_diff(a_dot, n, axis, zeros_or_none(prepend), zeros_or_none(append)),
        joined_diff(zeros_or_none(a), n, axis, prepend_dot, zeros_or_none(append)),
        joined_diff(zeros_or_none(a), n, axis, zeros_or_none(prepend), append_dot),
    )


@tangent(np.ediff1d)
def ediff1d_tangent(ans, ary, to_end=None, to_begin=None):
    return (
        np.ediff1d(ary_dot, zeros_or_none(to_end), zeros_or_none(to_begin)),
        np.ediff1d(zeros_or_none(ary), to_end_dot, zeros_or_none(to_begin)),
        np.ediff1d(zeros_or_none(ary), zeros_or_none(to_end), to_begin_dot),
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
        raise NotImplementedError(
            "srcgrad differentiates np.gradient's spacing when it is a number, not coordinates"
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


# ---- interpolation --------------------------------------------------------------------------


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


# ---- polynomials: linear in the coefficients; x moves it by the derivative polynomial ------


@tangent(np.polyval)
def polyval_tangent(ans, p, x):
    slope = np.polyval(np.asarray(p)[:-1] * polynomial_derivative_factors(p), x)
    return np.polyval(p_dot, x), x_dot * slope


# ---- 1-D convolution and correlation: linear in each input ---------------------------------

linear(np.convolve, np.correlate)
