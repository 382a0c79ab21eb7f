"""Rules for statistics of spread and location, both modes: `var`, `std`, `cov`, `ptp` and the
weighted `average` (the median and quantiles are in order_statistics.py).

Adjoints of reductions are spread back over the reduced axes with `expand_to`; a tangent is the
reduction of the input's tangent weighted by each element's share. Where a rule needs more than
one NumPy call, the helper that computes it lives here, next to its rule, and generated code
calls it by name.
"""

import numpy as np

from ..runtime import choose_adjoint, expand_to, mean_count, refusal, unbroadcast
from .reductions import reduced_shape
from .registry import adjoint, tangent, variant
from .special import TangentTuple

# ---- spread --------------------------------------------------------------------------------------


# ddof may be any real number (NumPy divides by n - ddof): var moves with it by var / (n - ddof),
# std by half that, std / (2 (n - ddof)).
@adjoint(np.var, shape=reduced_shape, differentiable=["a", "ddof"])
def var(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return (
        expand_to(g, a, axis, keepdims) * centred * (2.0 / (mean_count(a, axis) - ddof)),
        np.sum(g * ans) / (mean_count(a, axis) - ddof),
    )


# The centred values sum to 0, so the mean's own tangent drops out.
@tangent(np.var)
def var_tangent(ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    moved = np.sum(a_dot * centred, axis=axis, keepdims=keepdims)
    return (
        moved * (2.0 / (mean_count(a, axis) - ddof)),
        ddof_dot * ans / (mean_count(a, axis) - ddof),
    )


# Where every element of a slice is equal, std has no derivative (0/0, as in JAX).
@adjoint(np.std, shape=reduced_shape, differentiable=["a", "ddof"])
def std(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return (
        expand_to(g / ans, a, axis, keepdims) * centred / (mean_count(a, axis) - ddof),
        np.sum(g * ans) / (2.0 * (mean_count(a, axis) - ddof)),
    )


# d sqrt(v) = dv / (2 sqrt(v)); 0/0 where every element of a slice is equal, as in reverse.
@tangent(np.std)
def std_tangent(ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    moved = np.sum(a_dot * centred, axis=axis, keepdims=keepdims)
    return (
        moved / ((mean_count(a, axis) - ddof) * ans),
        ddof_dot * ans / (2.0 * (mean_count(a, axis) - ddof)),
    )


def cov_variables(m, rowvar=True, y=None, fweights=None, aweights=None):
    """`m` as np.cov reads it: one variable per row of a 2-d array, `(x, flipped)`. np.cov's
    other inputs are refused: differentiated wrongly they would be a silent error."""
    if y is not None or fweights is not None or aweights is not None:
        raise refusal(
            "srcgrad differentiates np.cov(m, rowvar=..., bias=..., ddof=...) only, not with "
            "y, fweights or aweights",
            hint="stack the variables into one array: np.cov(np.vstack([m, y]))",
        )
    x = np.atleast_2d(m)
    flipped = not rowvar and np.ndim(m) != 1
    return (np.transpose(x) if flipped else x), flipped


def cov_divisor(x, bias=False, ddof=None):
    return np.shape(x)[1] - ((0 if bias else 1) if ddof is None else ddof)


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Adjoint of `np.cov(m, ...)` for `m`: C = xc xc^T / d with xc the centred variables, so
    dxc = (G + G^T) xc / d, whose rows already sum to 0 (the mean passes nothing back)."""
    x, flipped = cov_variables(m, rowvar, y, fweights, aweights)
    centred = x - np.mean(x, axis=1, keepdims=True)
    count = np.shape(x)[0]
    square = np.reshape(g, (count, count))
    dx = (square + np.transpose(square)) @ centred / cov_divisor(x, bias, ddof)
    return np.reshape(np.transpose(dx) if flipped else dx, np.shape(m))


def cov_shape(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    x = np.atleast_2d(np.zeros(m))
    count = np.shape(x.T if not rowvar and len(m) != 1 else x)[0]
    return () if count == 1 else (count, count)


@adjoint(np.cov, shape=cov_shape, differentiable=["m"])
def cov(g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    return cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights)


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


# max - min: ties share as they do for max and min.
@adjoint(np.ptp, shape=reduced_shape)
def ptp(g, ans, a, axis=None, out=None, keepdims=False):
    high = np.max(a, axis=axis, keepdims=keepdims)
    low = np.min(a, axis=axis, keepdims=keepdims)
    return choose_adjoint(g, high, a, axis, keepdims) - choose_adjoint(g, low, a, axis, keepdims)


# max - min: the k tied elements at either end each move it by 1/k of their tangent.
@tangent(np.ptp)
def ptp_tangent(ans, a, axis=None, out=None, keepdims=False):
    ones = np.ones_like(ans, dtype=np.result_type(a, 1.0))
    high = choose_adjoint(ones, np.max(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    low = choose_adjoint(ones, np.min(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    return np.sum(a_dot * (high - low), axis=axis, keepdims=keepdims)


# ---- variants: what a hand-written gradient says, where the transform knows enough ---------------
# `count` is the number of elements each slice averages, less `ddof`, worked out at transform
# time; with the reduced dimensions kept (or all reduced) `g` broadcasts without help.


def _spread_count(facts):
    shape, axis, ddof = facts.shape("a"), facts.constant("axis"), facts.constant("ddof")
    if shape is None or axis is facts.UNKNOWN or type(ddof) is not int:
        return None
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[ax] for ax in axes])) - ddof


def _spread_kept(facts) -> bool:
    return facts.constant("axis") is None or facts.constant("keepdims") is True


def _spread_dropped(facts) -> bool:
    axis = facts.constant("axis")
    return axis is not None and axis is not facts.UNKNOWN and facts.constant("keepdims") is False


@variant(np.var, when=_spread_kept, count=_spread_count)
def var_kept(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return g * (a - np.mean(a, axis=axis, keepdims=True)) * (2.0 / count)


@variant(np.var, when=_spread_dropped, count=_spread_count)
def var_dropped(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return np.expand_dims(g, axis) * (a - np.mean(a, axis=axis, keepdims=True)) * (2.0 / count)


@variant(np.std, when=_spread_kept, count=_spread_count)
def std_kept(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return g / ans * (a - np.mean(a, axis=axis, keepdims=True)) / count


@variant(np.std, when=_spread_dropped, count=_spread_count)
def std_dropped(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return np.expand_dims(g / ans, axis) * (a - np.mean(a, axis=axis, keepdims=True)) / count


# ---- weighted average ----------------------------------------------------------------------------


def average_shape(a, weights=None, axis=None, returned=False, keepdims=False):
    """The shape of `np.average` of an array shaped `a` (None: a tuple, with `returned`)."""
    return None if returned else reduced_shape(a, axis=axis, keepdims=keepdims)


def average_adjoints(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    """Adjoints of `np.average(a, axis, weights, returned, keepdims)` for `a` and `weights`.

    With `w` the weights spread to `a`'s shape and `s` their sum over `axis`, the average is
    sum(w a) / s: its adjoint is g w / s for `a` and g (a - average) / s for the weights (plus
    the adjoint of `s` itself when `returned` gives it to the caller).
    """
    g_sum = None
    if returned:
        g, g_sum = g[0], g[1]
        ans = ans[0]
    if weights is None:
        return expand_to(g / mean_count(a, axis), a, axis, keepdims), None
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
        if g_sum is not None:
            g_sum = np.expand_dims(g_sum, axis)
    w = weights
    if np.ndim(weights) != np.ndim(a):  # 1-D weights along `axis`
        w = np.moveaxis(np.reshape(weights, (*(1,) * (np.ndim(a) - 1), -1)), -1, axis)
    total = np.sum(w * np.ones_like(a), axis=axis, keepdims=True)
    d_a = unbroadcast(g * w / total, a)
    d_w = g * (a - ans) / total
    if g_sum is not None:
        d_w = d_w + g_sum
    d_w = unbroadcast(d_w, w)
    return d_a, np.reshape(d_w, np.shape(weights))


@adjoint(np.average, shape=average_shape, differentiable=["a", "weights"])
def average(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    parts = average_adjoints(g, ans, a, axis, weights, returned, keepdims)
    return parts[0], parts[1]


def _unweighted(facts) -> bool:
    return facts.constant("weights") is None and facts.constant("returned") is False


# Without weights an average is a mean.
@variant(np.average, when=_unweighted, differentiable=["a", "weights"])
def average_unweighted(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    return expand_to(g / mean_count(a, axis), a, axis, keepdims), None


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
