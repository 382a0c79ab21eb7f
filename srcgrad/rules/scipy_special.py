"""Rules for `scipy.special`, both modes, registered the first time a transformation looks a rule
up after the user's program has imported `scipy.special` (registry.load_optional_rules):
importing SciPy costs more than importing srcgrad, and code that never uses SciPy should not pay
for it.

Elementwise functions are declared by their derivative (`elementwise`) or by their adjoints
(`broadcasting`), which give their forward rules too; softmax, log-softmax and log-sum-exp, which
mix the elements of an axis, have forward rules of their own.
"""

import math

import numpy as np
import scipy.special

from ..runtime import no_derivative, unbroadcast
from .registry import (
    SAME,
    adjoint,
    broadcasting,
    elementwise,
    first_shape,
    nondifferentiable,
    tangent,
    variant,
)
from .special import TangentTuple

# ---- unary functions -----------------------------------------------------------------------------


@elementwise(scipy.special.expit)
def expit(x, ans):
    return ans * (1.0 - ans)


@elementwise(scipy.special.logit)
def logit(x, ans):
    return 1.0 / (x * (1.0 - x))


@elementwise(scipy.special.erf)
def erf(x, ans):
    return 2.0 / math.sqrt(math.pi) * np.exp(-x * x)


@elementwise(scipy.special.erfc)
def erfc(x, ans):
    return -2.0 / math.sqrt(math.pi) * np.exp(-x * x)


@elementwise(scipy.special.erfinv)
def erfinv(x, ans):
    return math.sqrt(math.pi) / 2.0 * np.exp(ans * ans)


@elementwise(scipy.special.erfcinv)
def erfcinv(x, ans):
    return -math.sqrt(math.pi) / 2.0 * np.exp(ans * ans)


@elementwise(scipy.special.gamma)
def gamma(x, ans):
    return ans * scipy.special.digamma(x)


@elementwise(scipy.special.gammaln)
def gammaln(x, ans):
    return scipy.special.digamma(x)


@elementwise(scipy.special.digamma)  # also scipy.special.psi, the same ufunc
def digamma(x, ans):
    return scipy.special.polygamma(1, x)


# The modified Bessel functions: I0' = I1, I1' = I0 - I1 / x (-> 1/2 at 0).
@elementwise(np.i0, scipy.special.i0)
def i0(x, ans):
    return scipy.special.i1(x)


@elementwise(scipy.special.i1)
def i1(x, ans):
    return np.where(x == 0, 0.5, scipy.special.i0(x) - ans / np.where(x == 0, 1.0, x))


# ---- beta and gamma functions, and the Bessel functions of the first and second kind -------------


# The order of a Bessel function and the shape parameters of an incomplete gamma or beta
# function move the value continuously, but their derivatives have no closed form here: the
# adjoint (and term) of such an argument is `no_derivative`, which refuses at the user's line
# where that argument carries a derivative.


@broadcasting(scipy.special.beta)
def beta(g, ans, a, b):
    both = scipy.special.digamma(a + b)
    return g * ans * (scipy.special.digamma(a) - both), g * ans * (scipy.special.digamma(b) - both)


@broadcasting(scipy.special.betaln)
def betaln(g, ans, a, b):
    both = scipy.special.digamma(a + b)
    return g * (scipy.special.digamma(a) - both), g * (scipy.special.digamma(b) - both)


# The regularized incomplete beta function I_x(a, b): its x-derivative is the beta density.
@broadcasting(scipy.special.betainc)
def betainc(g, ans, a, b, x):
    return (
        no_derivative("scipy.special.betainc", "a"),
        no_derivative("scipy.special.betainc", "b"),
        g * x ** (a - 1.0) * (1.0 - x) ** (b - 1.0) / scipy.special.beta(a, b),
    )


# The regularized lower and upper incomplete gamma functions: the gamma density in x.
@broadcasting(scipy.special.gammainc)
def gammainc(g, ans, a, x):
    return (
        no_derivative("scipy.special.gammainc", "a"),
        g * np.exp(-x) * x ** (a - 1.0) / scipy.special.gamma(a),
    )


@broadcasting(scipy.special.gammaincc)
def gammaincc(g, ans, a, x):
    return (
        no_derivative("scipy.special.gammaincc", "a"),
        -g * np.exp(-x) * x ** (a - 1.0) / scipy.special.gamma(a),
    )


# polygamma(n, x) for an integer order n.
@broadcasting(scipy.special.polygamma, differentiable=["x"])
def polygamma(g, ans, n, x):
    return g * scipy.special.polygamma(n + 1, x)


@elementwise(scipy.special.rgamma)  # 1 / gamma(x)
def rgamma(x, ans):
    return -ans * scipy.special.digamma(x)


# The multivariate log-gamma: the sum of gammaln(a - j / 2) for j < d (an integer).
@adjoint(scipy.special.multigammaln, shape=SAME, differentiable=["a"], diagonal=True)
def multigammaln(g, ans, a, d):
    return g * np.sum(scipy.special.digamma(np.expand_dims(a, -1) - 0.5 * np.arange(d)), -1)


nondifferentiable(scipy.special.gammasgn)


@elementwise(scipy.special.j0)
def j0(x, ans):
    return -scipy.special.j1(x)


@elementwise(scipy.special.y0)
def y0(x, ans):
    return -scipy.special.y1(x)


@elementwise(scipy.special.j1)
def j1(x, ans):
    return 0.5 * (scipy.special.j0(x) - scipy.special.jv(2, x))


@elementwise(scipy.special.y1)
def y1(x, ans):
    return 0.5 * (scipy.special.y0(x) - scipy.special.yn(2, x))


# jv (also spelled jn) of real order v; yn of integer order n.
@broadcasting(scipy.special.jv)
def jv(g, ans, v, x):
    return no_derivative("scipy.special.jv", "v", "the order"), 0.5 * g * (
        scipy.special.jv(v - 1.0, x) - scipy.special.jv(v + 1.0, x)
    )


@broadcasting(scipy.special.yn, differentiable=["x"])
def yn(g, ans, n, x):
    return 0.5 * g * (scipy.special.yn(n - 1, x) - scipy.special.yn(n + 1, x))


@broadcasting(scipy.special.iv)
def iv(g, ans, v, x):
    return no_derivative("scipy.special.iv", "v", "the order"), 0.5 * g * (
        scipy.special.iv(v - 1.0, x) + scipy.special.iv(v + 1.0, x)
    )


# ive(v, x) = iv(v, x) exp(-|x|).
@broadcasting(scipy.special.ive)
def ive(g, ans, v, x):
    return no_derivative("scipy.special.ive", "v", "the order"), g * (
        0.5 * (scipy.special.ive(v - 1.0, x) + scipy.special.ive(v + 1.0, x)) - np.sign(x) * ans
    )


# ---- x log y -------------------------------------------------------------------------------------


# As JAX: d/dx x log(y) = log(y) and d/dy = x / y, also where x is 0.
@broadcasting(scipy.special.xlogy)
def xlogy(g, ans, x, y):
    return g * np.log(y), g * x / y


@broadcasting(scipy.special.xlog1py)
def xlog1py(g, ans, x, y):
    return g * np.log1p(y), g * x / (1.0 + y)


# The terms of an entropy, -x log(x), and of a relative entropy, x log(x / y) (as JAX: the
# formulas for positive x, also where x is 0).
@elementwise(scipy.special.entr)
def entr(x, ans):
    return -np.log(x) - 1.0


@broadcasting(scipy.special.rel_entr)
def rel_entr(g, ans, x, y):
    return g * (np.log(x / y) + 1.0), -g * x / y


# ---- softmax, log-softmax and log-sum-exp along an axis ------------------------------------------


@adjoint(scipy.special.softmax, shape=first_shape)
def softmax(g, ans, x, axis=None):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


# The Jacobian diag(ans) - ans ans^T is symmetric: the term reads as the adjoint does.
@tangent(scipy.special.softmax)
def softmax_tangent(ans, x, axis=None):
    return ans * (x_dot - np.sum(x_dot * ans, axis=axis, keepdims=True))


@adjoint(scipy.special.log_softmax, shape=first_shape)
def log_softmax(g, ans, x, axis=None):
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


@tangent(scipy.special.log_softmax)
def log_softmax_tangent(ans, x, axis=None):
    return x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True)


def logsumexp_shape(a, b=None, axis=None, keepdims=False, return_sign=False):
    """The shape of `logsumexp` of an array shaped `a` (for the shape analysis)."""
    if return_sign:
        return None
    shape = a if b is None else tuple(np.broadcast_shapes(a, b))
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    axes = {ax % len(shape) for ax in ((axis,) if isinstance(axis, int) else axis)}
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def logsumexp_adjoints(g, ans, a, axis=None, b=None, keepdims=False):
    """Adjoints of `scipy.special.logsumexp(a, axis, b, keepdims)` with respect to `a` and
    `b`: `g * b * exp(a - ans)` (a softmax weighted by b) and `g * exp(a - ans)`. With
    `return_sign=True`, `ans` is (log |s|, sign of s) for s = sum(b exp(a)) and `g` the pair
    of their adjoints: log |s| moves by ds / s, so `g` takes the sign; the sign has none."""
    if isinstance(ans, tuple):
        g, ans = g[0] * ans[1], ans[0]
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    share = g * np.exp(a - ans)
    if b is None:
        return share, None
    return unbroadcast(share * b, a), unbroadcast(share, b)


@adjoint(scipy.special.logsumexp, shape=logsumexp_shape, differentiable=["a", "b"])
def logsumexp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    parts = logsumexp_adjoints(g, ans, a, axis, b, keepdims)
    return parts[0], parts[1]


def _unweighted_over_all(facts) -> bool:
    return (
        facts.constant("b") is None
        and facts.constant("return_sign") is False
        and (facts.constant("axis") is None or facts.constant("keepdims") is True)
    )


# Without weights, and with the reduced axes kept (or all of them reduced), the adjoint is
# the textbook g * softmax(a).
@variant(scipy.special.logsumexp, when=_unweighted_over_all, differentiable=["a", "b"])
def logsumexp_kept(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    return g * np.exp(a - ans), None


def logsumexp_share(ans, a, axis=None, keepdims=False, return_sign=False):
    """exp(a - ans) for `ans = scipy.special.logsumexp(a, axis, b, keepdims)`, with the
    reduced axes of `ans` put back so that it lines up with `a`: each element's share of
    the sum, before its weight b. With `return_sign`, `ans` is (log |s|, sign of s): the share
    of d log |s| = ds / s carries the sign."""
    if return_sign:
        value, sign = ans
        if axis is not None and not keepdims:
            sign = np.expand_dims(sign, axis)
        return sign * logsumexp_share(value, a, axis, keepdims)
    if axis is not None and not keepdims:
        ans = np.expand_dims(ans, axis)
    return np.exp(a - ans)


# d log(sum(b exp(a))) = sum(b exp(a) da + exp(a) db) / sum(b exp(a)).
@tangent(scipy.special.logsumexp)
def logsumexp_tangent(ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    share = logsumexp_share(ans, a, axis, keepdims, return_sign)
    return (
        np.sum(a_dot * share * (1.0 if b is None else b), axis=axis, keepdims=keepdims),
        np.sum(b_dot * share, axis=axis, keepdims=keepdims),
    )


def with_sign(moved, ans):
    """The tangent of logsumexp's result from that of its value, `moved`: with
    `return_sign=True` (`ans` a pair) paired with the sign's, 0."""
    if isinstance(ans, tuple):
        return TangentTuple((moved, np.zeros_like(ans[1], dtype=np.result_type(moved, 1.0))))
    return moved


def _maybe_signed(facts) -> bool:
    return facts.constant("return_sign") is not False


# `return_sign=True` (or not known to be False): the result is (value, sign), and so is its
# tangent, the sign's 0
@tangent(scipy.special.logsumexp, when=_maybe_signed)
def logsumexp_signed_tangent(ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    share = logsumexp_share(ans, a, axis, keepdims, return_sign)
    return (
        with_sign(
            np.sum(a_dot * share * (1.0 if b is None else b), axis=axis, keepdims=keepdims), ans
        ),
        with_sign(np.sum(b_dot * share, axis=axis, keepdims=keepdims), ans),
    )


# ---- the normal and Student's t distribution functions, and others scipy.stats needs ---------


@elementwise(scipy.special.ndtr)
def ndtr(x, ans):
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


# The normal density over its distribution function, as one exponential: finite far in the
# lower tail, where both underflow.
@elementwise(scipy.special.log_ndtr)
def log_ndtr(x, ans):
    return np.exp(-0.5 * x * x - ans) / math.sqrt(2.0 * math.pi)


# The normal quantile: the inverse of ndtr, whose derivative is one over the normal density.
@elementwise(scipy.special.ndtri)
def ndtri(x, ans):
    return math.sqrt(2.0 * math.pi) * np.exp(0.5 * ans * ans)


# The scaled complementary error function exp(x^2) erfc(x).
@elementwise(scipy.special.erfcx)
def erfcx(x, ans):
    return 2.0 * x * ans - 2.0 / math.sqrt(math.pi)


@elementwise(scipy.special.log_expit)
def log_expit(x, ans):
    return scipy.special.expit(-x)


# Student's t distribution function: its t-derivative is the t density (the normal one for
# infinitely many degrees of freedom); its derivative in the degrees of freedom has no closed form.
@broadcasting(scipy.special.stdtr)
def stdtr(g, ans, df, t):
    normal = df == np.inf
    half = 0.5 * np.where(normal, 1.0, df)
    log_density = (
        scipy.special.gammaln(half + 0.5)
        - scipy.special.gammaln(half)
        - 0.5 * np.log(2.0 * math.pi * half)
        - (half + 0.5) * np.log1p(t * t / (2.0 * half))
    )
    normal_log_density = -0.5 * t * t - 0.5 * math.log(2.0 * math.pi)
    return no_derivative("scipy.special.stdtr", "df"), g * np.exp(
        np.where(normal, normal_log_density, log_density)
    )


# The upper regularized incomplete beta function 1 - I_x(a, b).
@broadcasting(scipy.special.betaincc)
def betaincc(g, ans, a, b, x):
    return (
        no_derivative("scipy.special.betaincc", "a"),
        no_derivative("scipy.special.betaincc", "b"),
        -g * x ** (a - 1.0) * (1.0 - x) ** (b - 1.0) / scipy.special.beta(a, b),
    )
