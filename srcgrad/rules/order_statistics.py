"""Rules for order statistics, both modes: sorting (`np.sort`, `np.partition`, Python's
`sorted`), the median and quantiles (`np.quantile`, `np.percentile`).

Each rests on the elements' ranks: sorting sends each element's adjoint back to the place the
element came from, and its tangent along with it; a median or quantile moves with the one or two
elements it picks or interpolates between, which share its adjoint and make its tangent. Among
equal values, the ones a stable sort puts there are the ones picked (as in JAX).
"""

import builtins

import numpy as np

from ..runtime import permuted, reduced_axes_last, refusal, sorted_order
from .reductions import reduced_shape
from .registry import STANDIN, adjoint, tangent, variable, variant

# ---- sorting: each element's adjoint is `g` at the place the element was moved to ----------------


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


@adjoint(np.sort, differentiable=["a"], shape=STANDIN)
def sort(g, ans, a, axis=-1, kind=None, order=None, stable=None):
    ranks = np.argsort(np.argsort(a, axis=axis), axis=axis)
    return np.reshape(np.take_along_axis(g, ranks, axis=axis), np.shape(a))


@tangent(np.sort)
def sort_tangent_rule(ans, a, axis=-1, kind=None, order=None, stable=None):
    return sort_tangent(a_dot, a, axis, kind, stable)


@adjoint(np.partition, differentiable=["a"], shape=STANDIN)
def partition(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    ranks = np.argsort(np.argsort(a, axis=axis), axis=axis)
    places = np.take_along_axis(np.argsort(ans, axis=axis), ranks, axis=axis)
    return np.reshape(np.take_along_axis(g, places, axis=axis), np.shape(a))


@tangent(np.partition)
def partition_tangent_rule(ans, a, kth, axis=-1, kind="introselect", order=None):
    return partition_tangent(a_dot, a, ans, axis)


# Python's `sorted` (with its `key` and `reverse`) of a list of numbers or a 1-D array: a list,
# whose adjoint (an array, a list or a tuple of numbers) goes back to where its elements came from
@adjoint(builtins.sorted, differentiable=["iterable"])
def sorted_(g, ans, iterable, key=None, reverse=False):
    return np.take(g, np.argsort(sorted_order(iterable, key, reverse)), axis=0)


# `sorted` makes a list: so does its tangent, the tangents in the same order
@tangent(builtins.sorted)
def sorted_tangent(ans, iterable, key=None, reverse=False):
    return permuted(iterable_dot, sorted_order(iterable, key, reverse))


# ---- median and quantiles ------------------------------------------------------------------------


def median_adjoint(g, a, axis=None, keepdims=False, overwrite_input=False):
    """Adjoint of `np.median(a, axis, keepdims=keepdims)`.

    Each slice's `g` goes to its middle element, or half to each of its two middle elements.
    Among equal values, the ones a stable sort puts in the middle take it (as in JAX, whose
    median differentiates through a sort).
    """
    if overwrite_input:
        raise refusal(
            "srcgrad does not differentiate np.median with overwrite_input=True: NumPy reorders "
            "the input in place, so the middle elements are no longer where they were",
            hint="leave overwrite_input out",
        )
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    flat, moved, axes, ends = reduced_axes_last(a, axis)
    count = np.shape(flat)[-1]
    ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1, kind="stable")
    ranks = np.moveaxis(np.reshape(ranks, np.shape(moved)), ends, axes)
    half = 0.5 * g
    return np.where(ranks == (count - 1) // 2, half, 0.0) + np.where(ranks == count // 2, half, 0.0)


@adjoint(np.median, shape=reduced_shape)
def median(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return median_adjoint(g, a, axis, keepdims, overwrite_input)


# The middle element of each slice moves the median, or its two middle elements half each.
@tangent(np.median)
def median_tangent(ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    ones = np.ones_like(ans, dtype=np.result_type(a, 1.0))
    share = median_adjoint(ones, a, axis, keepdims, overwrite_input)
    return np.sum(a_dot * share, axis=axis, keepdims=keepdims)


def quantile_axes(a, q, axis=None) -> tuple:
    """The axes of `a` a quantile over `axis` reduces, counted in an array shaped like `q`'s
    shape followed by `a`'s (the shape of `quantile_shares`)."""
    ndim, lead = np.ndim(a), np.ndim(q)
    if axis is None:
        return tuple(range(lead, lead + ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(lead + ax % ndim for ax in axes)


def quantile_shares(a, q, axis=None, method="linear", overwrite_input=False):
    """How much each element of `a` moves each quantile `q` (fractions, 0 to 1) over `axis`:
    an array shaped like `q`'s shape followed by `a`'s.

    NumPy's linear method puts the quantile at the virtual place v = (n - 1) q among the n
    sorted values of a slice and interpolates between the values at floor(v) and the next
    place: they move it by (1 - frac) and frac, frac = v - floor(v). Among equal values, the
    ones a stable sort puts there are the ones moved (as for the median). Other methods, and
    `overwrite_input` (NumPy then reorders `a` itself, so its elements are no longer where the
    rule would look), are refused.
    """
    if method != "linear":
        raise refusal(
            f"srcgrad differentiates quantiles and percentiles with method='linear' only, "
            f"not method={method!r}",
            hint="leave method out (NumPy's default is 'linear')",
        )
    if overwrite_input:
        raise refusal(
            "srcgrad does not differentiate quantiles with overwrite_input=True: NumPy reorders "
            "the input in place, so the elements picked are no longer where they were",
            hint="leave overwrite_input out",
        )
    q = np.asarray(q)
    if isinstance(axis, list):
        axis = tuple(axis)
    flat, moved, axes, ends = reduced_axes_last(a, axis)
    count = np.shape(flat)[-1]
    ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1, kind="stable")
    place = count * q + (1 - q) - 1  # NumPy's own arithmetic, so that floor(place) agrees
    below = np.clip(np.floor(place), 0, count - 1)
    frac = np.reshape(place - below, (*np.shape(q), *(1,) * np.ndim(flat)))
    below = np.reshape(below.astype(np.intp), np.shape(frac))
    above = np.minimum(below + 1, count - 1)
    shares = np.where(ranks == below, 1.0 - frac, 0.0) + np.where(ranks == above, frac, 0.0)
    shares = np.reshape(shares, (*np.shape(q), *np.shape(moved)))
    lead = np.ndim(q)
    shares = np.moveaxis(shares, [lead + e for e in ends], [lead + ax for ax in axes])
    return shares.astype(np.result_type(flat, 1.0), copy=False)


def quantile_adjoint(g, a, q, axis=None, method="linear", overwrite_input=False, keepdims=False):
    """Adjoint of `np.quantile(a, q, axis, method=method, keepdims=keepdims)` for `a`: each
    quantile's `g` goes to the two elements it interpolates between (`quantile_shares`)."""
    shares = quantile_shares(a, q, axis, method, overwrite_input)
    if not keepdims:
        g = np.expand_dims(g, quantile_axes(a, q, axis))
    return np.sum(g * shares, axis=tuple(range(np.ndim(q))))


def quantile_shape(a, q=0.5, axis=None, keepdims=False, **_):
    """The shape of a quantile of an array shaped `a`: `q`'s shape, then the reduced shape."""
    return (*np.shape(q), *reduced_shape(a, axis=axis, keepdims=keepdims))


# ---- how a quantile moves with q -----------------------------------------------------------------
# NumPy puts the quantile at the virtual place v(q) among the n sorted values of a slice and
# interpolates between the values at floor(v) and the next place (clipped to the first and last
# values), so it moves with q by dv/dq times the difference of those two values. The methods
# that interpolate are Hyndman and Fan's, v = n q + alpha + q (1 - alpha - beta) - 1 (linear's
# v is (n - 1) q, as NumPy computes it); the others pick or average fixed elements: piecewise
# constant in q, derivative 0.

_INTERPOLATING = {  # method -> (alpha, beta)
    "linear": (1.0, 1.0),
    "interpolated_inverted_cdf": (0.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}


def quantile_slope(a, q, axis=None, method="linear", keepdims=False):
    """d np.quantile(a, q, axis, method=method, keepdims=keepdims) / dq, one number per element
    of the result (q's shape, then the reduced shape); at a q whose place is a whole number,
    the slope on its right (0 at the last value)."""
    q = np.asarray(q)
    if isinstance(axis, list):
        axis = tuple(axis)
    flat, _, axes, _ = reduced_axes_last(a, axis)
    count = np.shape(flat)[-1]
    values = np.sort(flat, axis=-1)
    alpha, beta = _INTERPOLATING.get(method, (1.0, 1.0))
    if method == "linear":
        place = (count - 1) * q
    else:
        place = count * q + (alpha + q * (1 - alpha - beta)) - 1
    below = np.clip(np.floor(place), 0, count - 1).astype(np.intp)
    above = np.minimum(below + 1, count - 1)
    rise = np.take(values, above, axis=-1) - np.take(values, below, axis=-1)
    lead, rest = np.ndim(q), np.ndim(values) - 1  # the axes not reduced come first in `rise`
    rise = np.moveaxis(rise, tuple(range(rest)), tuple(range(lead, lead + rest)))
    moving = np.logical_and(place >= 0, place < count - 1)
    if method not in _INTERPOLATING:
        moving = np.zeros_like(moving)
    rate = count + 1 - alpha - beta
    slope = np.where(np.expand_dims(moving, tuple(range(lead, lead + rest))), rate * rise, 0.0)
    if keepdims:  # the reduced axes, of length 1, where they were
        slope = np.expand_dims(slope, tuple(lead + ax for ax in axes))
    return slope


def quantile_q_adjoint(g, a, q, axis=None, method="linear", keepdims=False):
    """Adjoint of `np.quantile(a, q, axis, method=method, keepdims=keepdims)` for `q`: each
    quantile's `g` times its slope (`quantile_slope`), summed over the reduced shape."""
    slope = quantile_slope(a, q, axis, method, keepdims)
    return np.sum(g * slope, axis=tuple(range(np.ndim(q), np.ndim(slope))))


def quantile_q_tangent(q_dot, a, q, axis=None, method="linear", keepdims=False):
    """The tangent of `np.quantile(a, q, ...)` along `q_dot`: each quantile's slope times the
    tangent of its q."""
    slope = quantile_slope(a, q, axis, method, keepdims)
    return slope * np.expand_dims(q_dot, tuple(range(np.ndim(q), np.ndim(slope))))


# q written as a literal (`np.quantile(x, [0.25, 0.75])`, the usual call) is a constant, whose
# value the shape analysis reads; a q that is a variable may carry a derivative: the variant.
@adjoint(np.quantile, shape=quantile_shape, differentiable=["a"])
def quantile(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    return quantile_adjoint(g, a, q, axis, method, overwrite_input, keepdims)


@variant(np.quantile, when=variable("q"), differentiable=["a", "q"])
def quantile_of_variable(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    return (
        quantile_adjoint(g, a, q, axis, method, overwrite_input, keepdims),
        quantile_q_adjoint(g, a, q, axis, method, keepdims),
    )


# Each quantile moves with the two elements it interpolates between, by their shares, and with
# q by its slope.
@tangent(np.quantile, differentiable=["a", "q"])
def quantile_tangent(
    ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    shares = quantile_shares(a, q, axis, method, overwrite_input)
    return (
        np.sum(a_dot * shares, axis=quantile_axes(a, q, axis), keepdims=keepdims),
        quantile_q_tangent(q_dot, a, q, axis, method, keepdims),
    )


# a percentile is the quantile at q / 100 (NumPy divides so too)
@adjoint(np.percentile, shape=quantile_shape, differentiable=["a"])
def percentile(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    return quantile_adjoint(g, a, np.true_divide(q, 100), axis, method, overwrite_input, keepdims)


@variant(np.percentile, when=variable("q"), differentiable=["a", "q"])
def percentile_of_variable(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    return (
        quantile_adjoint(g, a, np.true_divide(q, 100), axis, method, overwrite_input, keepdims),
        quantile_q_adjoint(g, a, np.true_divide(q, 100), axis, method, keepdims) / 100,
    )


@tangent(np.percentile, differentiable=["a", "q"])
def percentile_tangent(
    ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    shares = quantile_shares(a, np.true_divide(q, 100), axis, method, overwrite_input)
    return (
        np.sum(a_dot * shares, axis=quantile_axes(a, q, axis), keepdims=keepdims),
        quantile_q_tangent(
            np.true_divide(q_dot, 100), a, np.true_divide(q, 100), axis, method, keepdims
        ),
    )
