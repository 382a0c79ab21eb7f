"""Rules for NumPy's remaining elementwise functions and for `scipy.special`.

Unary functions are declared by their derivative d(ans)/d(x) (`elementwise`); binary ones by
their two adjoints (`broadcasting`). Constants are Python floats (`math.sqrt(math.pi)`, not
`np.sqrt(np.pi)`), which do not promote a float32 array to float64. The SciPy rules are
registered only when SciPy imports.
"""

import math

import numpy as np

from ..runtime import unbroadcast
from .registry import (
    BROADCAST,
    SAME,
    adjoint,
    broadcasting,
    elementwise,
    linear,
    nondifferentiable,
    tangent,
    variant,
)

# ---- angles, sinc ---------------------------------------------------------------------------


@elementwise(np.deg2rad, np.radians)
def deg2rad(x, ans):
    return np.pi / 180.0


@elementwise(np.rad2deg, np.degrees)
def rad2deg(x, ans):
    return 180.0 / np.pi


# sinc(x) = sin(pi x) / (pi x); its derivative (cos(pi x) - sinc(x)) / x tends to 0 at 0.
@elementwise(np.sinc)
def sinc(x, ans):
    return np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))


# ---- signs and magnitudes -------------------------------------------------------------------


@elementwise(np.fabs)
def fabs(x, ans):
    return np.sign(x)


# copysign(x, y) = |x| with the sign bit of y; y only chooses a sign, so it gets no gradient.
@adjoint(np.copysign, broadcasting=True, shape=BROADCAST, differentiable=["x"])
def copysign(g, ans, x, y):
    return g * np.sign(x) * np.copysign(1.0, y)


# ldexp(x, i) = x * 2**i for integer i.
@adjoint(np.ldexp, broadcasting=True, shape=BROADCAST, differentiable=["x"])
def ldexp(g, ans, x, i):
    return np.ldexp(g, i)


# At the origin hypot has no derivative: 0 there, its smallest subgradient (as abs has at 0).
@broadcasting(np.hypot)
def hypot(g, ans, x, y):
    r = np.where(ans == 0, 1.0, ans)
    return g * x / r, g * y / r


# heaviside(x, h) is 0 below 0, 1 above, and h at 0: only h, and only there, moves it.
@adjoint(np.heaviside, broadcasting=True, shape=BROADCAST, differentiable=["x", "h"])
def heaviside(g, ans, x, h):
    return None, np.where(x == 0, g, 0.0)


nondifferentiable(np.signbit, np.spacing)

# ---- powers, logarithms of sums, remainders -------------------------------------------------


@broadcasting(np.float_power)
def float_power(g, ans, x, y):
    return g * y * np.float_power(x, y - 1), g * ans * np.log(np.where(x == 0, 1.0, x))


@broadcasting(np.logaddexp)
def logaddexp(g, ans, x, y):
    return g * np.exp(x - ans), g * np.exp(y - ans)


@broadcasting(np.logaddexp2)
def logaddexp2(g, ans, x, y):
    return g * np.exp2(x - ans), g * np.exp2(y - ans)


# fmod(x, y) = x - trunc(x / y) * y, the remainder with the sign of x.
@broadcasting(np.fmod)
def fmod(g, ans, x, y):
    return g, -g * np.trunc(x / y)


# ---- functions that return two arrays: `g` is the pair of their adjoints -------------------


# modf(x) = (fractional part, integral part); only the fractional part moves with x.
@adjoint(np.modf)
def modf(g, ans, x):
    return g[0]


# divmod(x, y) = (floor_divide(x, y), mod(x, y)); only the remainder moves.
@adjoint(np.divmod, broadcasting=True)
def divmod_(g, ans, x, y):
    return g[1], -g[1] * ans[0]


# frexp(x) = (m, e) with x = m * 2**e: m moves as x / 2**e, the integer e does not.
@adjoint(np.frexp)
def frexp(g, ans, x):
    return np.ldexp(g[0], -ans[1])


# ---- cleaning and complex parts -------------------------------------------------------------


# The replacement values `nan`, `posinf`, `neginf` are scalars: each gathers the adjoint of
# the elements it replaced.
@adjoint(np.nan_to_num, shape=SAME, differentiable=["x", "nan", "posinf", "neginf"])
def nan_to_num(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return (
        np.where(np.isfinite(x), g, 0.0),
        np.sum(np.where(np.isnan(x), g, 0.0)),
        np.sum(np.where(np.isposinf(x), g, 0.0)),
        np.sum(np.where(np.isneginf(x), g, 0.0)),
    )


def imag_adjoint(g, val):
    """Adjoint of `np.imag(val)`: zero for a real `val`, `-1j * g` for a complex one (JAX's)."""
    if np.iscomplexobj(val):
        return -1j * g
    return np.zeros_like(g)


@adjoint(np.real, shape=SAME)
def real(g, ans, val):
    return g


@adjoint(np.imag, shape=SAME)
def imag(g, ans, val):
    return imag_adjoint(g, val)


@adjoint(np.conjugate, shape=SAME)  # np.conj is the same ufunc
def conjugate(g, ans, x):
    return np.conj(g)


# real_if_close drops an imaginary part that is all but zero, which is np.real, or keeps `a`.
@adjoint(np.real_if_close, shape=SAME)
def real_if_close(g, ans, a, tol=100):
    return g


def angle_adjoint(g, z, deg=False):
    """Adjoint of `np.angle(z, deg)`: atan2(y, x) of z = x + iy moves by (x dy - y dx) / |z|^2,
    which in JAX's convention is `-1j * g * conj(z) / |z|^2` (zero at z = 0). A real z's angle
    is 0 or pi: piecewise constant."""
    if not np.iscomplexobj(z):
        return np.zeros_like(g)
    size = np.real(z * np.conj(z))
    scale = 180.0 / np.pi if deg else 1.0
    return -1j * scale * g * np.conj(z) / np.where(size == 0, 1.0, size)


@adjoint(np.angle, shape=SAME)
def angle(g, ans, z, deg=False):
    return angle_adjoint(g, z, deg)


# ---- scipy.special --------------------------------------------------------------------------

try:
    import scipy.special
except ImportError:  # pragma: no cover - SciPy is optional
    scipy = None


if scipy is not None:

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

    # ---- beta and gamma functions, and the Bessel functions of the first and second kind ----

    def underivable(function, parameter):
        """Raise for a parameter whose derivative has no closed form here (the order of a Bessel
        function, the shape parameters of an incomplete gamma or beta function)."""
        raise NotImplementedError(
            f"srcgrad has no derivative of scipy.special.{function} with respect to "
            f"{parameter}: pass it a value that is not differentiated"
        )

    @broadcasting(scipy.special.beta)
    def beta(g, ans, a, b):
        both = scipy.special.digamma(a + b)
        return g * ans * (scipy.special.digamma(a) - both), g * ans * (
            scipy.special.digamma(b) - both
        )

    @broadcasting(scipy.special.betaln)
    def betaln(g, ans, a, b):
        both = scipy.special.digamma(a + b)
        return g * (scipy.special.digamma(a) - both), g * (scipy.special.digamma(b) - both)

    # The regularized incomplete beta function I_x(a, b): its x-derivative is the beta density.
    @adjoint(scipy.special.betainc, broadcasting=True, shape=BROADCAST)
    def betainc(g, ans, a, b, x):
        return (
            underivable("betainc", "a"),
            underivable("betainc", "b"),
            g * x ** (a - 1.0) * (1.0 - x) ** (b - 1.0) / scipy.special.beta(a, b),
        )

    # The regularized lower and upper incomplete gamma functions: the gamma density in x.
    @adjoint(scipy.special.gammainc, broadcasting=True, shape=BROADCAST)
    def gammainc(g, ans, a, x):
        return (
            underivable("gammainc", "a"),
            g * np.exp(-x) * x ** (a - 1.0) / scipy.special.gamma(a),
        )

    @adjoint(scipy.special.gammaincc, broadcasting=True, shape=BROADCAST)
    def gammaincc(g, ans, a, x):
        return (
            underivable("gammaincc", "a"),
            -g * np.exp(-x) * x ** (a - 1.0) / scipy.special.gamma(a),
        )

    # polygamma(n, x) for an integer order n.
    @adjoint(scipy.special.polygamma, broadcasting=True, shape=BROADCAST, differentiable=["x"])
    def polygamma(g, ans, n, x):
        return g * scipy.special.polygamma(n + 1, x)

    @elementwise(scipy.special.rgamma)  # 1 / gamma(x)
    def rgamma(x, ans):
        return -ans * scipy.special.digamma(x)

    # The multivariate log-gamma: the sum of gammaln(a - j / 2) for j < d (an integer).
    @adjoint(scipy.special.multigammaln, shape=SAME, differentiable=["a"])
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
    @adjoint(scipy.special.jv, broadcasting=True, shape=BROADCAST)
    def jv(g, ans, v, x):
        return underivable("jv", "v"), 0.5 * g * (
            scipy.special.jv(v - 1.0, x) - scipy.special.jv(v + 1.0, x)
        )

    @adjoint(scipy.special.yn, broadcasting=True, shape=BROADCAST, differentiable=["x"])
    def yn(g, ans, n, x):
        return 0.5 * g * (scipy.special.yn(n - 1, x) - scipy.special.yn(n + 1, x))

    @adjoint(scipy.special.iv, broadcasting=True, shape=BROADCAST)
    def iv(g, ans, v, x):
        return underivable("iv", "v"), 0.5 * g * (
            scipy.special.iv(v - 1.0, x) + scipy.special.iv(v + 1.0, x)
        )

    # ive(v, x) = iv(v, x) exp(-|x|).
    @adjoint(scipy.special.ive, broadcasting=True, shape=BROADCAST)
    def ive(g, ans, v, x):
        return underivable("ive", "v"), g * (
            0.5 * (scipy.special.ive(v - 1.0, x) + scipy.special.ive(v + 1.0, x)) - np.sign(x) * ans
        )

    # As JAX: d/dx x log(y) = log(y) and d/dy = x / y, also where x is 0.
    @broadcasting(scipy.special.xlogy)
    def xlogy(g, ans, x, y):
        return g * np.log(y), g * x / y

    @broadcasting(scipy.special.xlog1py)
    def xlog1py(g, ans, x, y):
        return g * np.log1p(y), g * x / (1.0 + y)

    @adjoint(scipy.special.softmax, shape=SAME)
    def softmax(g, ans, x, axis=None):
        return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))

    @adjoint(scipy.special.log_softmax, shape=SAME)
    def log_softmax(g, ans, x, axis=None):
        return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)

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
        `b`: `g * b * exp(a - ans)` (a softmax weighted by b) and `g * exp(a - ans)`."""
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


# ---- forward rules ----------------------------------------------------------------------------


class TangentTuple(tuple):
    """The tangent of a function that returns a tuple of arrays, one tangent per array.

    The forward stage adds the terms of a call's active operands with `+`, which would join two
    plain tuples end to end; two of these add element by element instead.
    """

    __slots__ = ()

    def __add__(self, other):
        if isinstance(other, TangentTuple) and len(other) == len(self):
            return TangentTuple(mine + theirs for mine, theirs in zip(self, other))
        return tuple.__add__(self, other)


linear(np.ldexp, np.real, np.imag, np.conjugate)


# y only chooses a sign.
@tangent(np.copysign)
def copysign_tangent(ans, x, y):
    return x_dot * np.sign(x) * np.copysign(1.0, y)


@tangent(np.hypot)
def hypot_tangent(ans, x, y):
    r = np.where(ans == 0, 1.0, ans)
    return x_dot * x / r, y_dot * y / r


@tangent(np.heaviside)
def heaviside_tangent(ans, x, h):
    return None, np.where(x == 0, h_dot, 0.0)


@tangent(np.float_power)
def float_power_tangent(ans, x, y):
    return x_dot * y * np.float_power(x, y - 1), y_dot * ans * np.log(np.where(x == 0, 1.0, x))


@tangent(np.logaddexp)
def logaddexp_tangent(ans, x, y):
    return x_dot * np.exp(x - ans), y_dot * np.exp(y - ans)


@tangent(np.logaddexp2)
def logaddexp2_tangent(ans, x, y):
    return x_dot * np.exp2(x - ans), y_dot * np.exp2(y - ans)


@tangent(np.fmod)
def fmod_tangent(ans, x, y):
    return x_dot, -y_dot * np.trunc(x / y)


# The integral part, the quotient and the exponent are piecewise constant: their tangents are 0.
# (A rule of one operand returns one term, here a pair: hence the 1-tuples.)
@tangent(np.modf)
def modf_tangent(ans, x):
    return ((x_dot, np.zeros_like(x_dot)),)


# Each term is full-sized (the forward stage cannot spread a tuple to the result's shape).
@tangent(np.divmod)
def divmod_tangent(ans, x, y):
    still = np.zeros_like(ans[1])
    return TangentTuple((still, x_dot + still)), TangentTuple((still, -y_dot * ans[0]))


@tangent(np.frexp)
def frexp_tangent(ans, x):
    return ((np.ldexp(x_dot, -ans[1]), np.zeros_like(x_dot)),)


@tangent(np.nan_to_num)
def nan_to_num_tangent(ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return (
        np.where(np.isfinite(x), x_dot, 0.0),
        np.where(np.isnan(x), nan_dot, 0.0),
        np.where(np.isposinf(x), posinf_dot, 0.0),
        np.where(np.isneginf(x), neginf_dot, 0.0),
    )


# Where the imaginary part was dropped, so is the tangent's.
@tangent(np.real_if_close)
def real_if_close_tangent(ans, a, tol=100):
    return a_dot if np.iscomplexobj(ans) else np.real(a_dot)


# atan2(y, x) of z = x + iy moves by (x dy - y dx) / |z|^2 = imag(conj(z) dz) / |z|^2 (0 at z = 0,
# and for a real z, whose angle is piecewise constant).
@tangent(np.angle)
def angle_tangent(ans, z, deg=False):
    size = np.real(z * np.conj(z))
    scale = 180.0 / math.pi if deg else 1.0
    return scale * np.imag(np.conj(z) * z_dot) / np.where(size == 0, 1.0, size)


if scipy is not None:

    @tangent(scipy.special.beta)
    def beta_tangent(ans, a, b):
        both = scipy.special.digamma(a + b)
        return (
            a_dot * ans * (scipy.special.digamma(a) - both),
            b_dot * ans * (scipy.special.digamma(b) - both),
        )

    @tangent(scipy.special.betaln)
    def betaln_tangent(ans, a, b):
        both = scipy.special.digamma(a + b)
        return a_dot * (scipy.special.digamma(a) - both), b_dot * (scipy.special.digamma(b) - both)

    @tangent(scipy.special.betainc)
    def betainc_tangent(ans, a, b, x):
        return (
            underivable("betainc", "a"),
            underivable("betainc", "b"),
            x_dot * x ** (a - 1.0) * (1.0 - x) ** (b - 1.0) / scipy.special.beta(a, b),
        )

    @tangent(scipy.special.gammainc)
    def gammainc_tangent(ans, a, x):
        return (
            underivable("gammainc", "a"),
            x_dot * np.exp(-x) * x ** (a - 1.0) / scipy.special.gamma(a),
        )

    @tangent(scipy.special.gammaincc)
    def gammaincc_tangent(ans, a, x):
        return (
            underivable("gammaincc", "a"),
            -x_dot * np.exp(-x) * x ** (a - 1.0) / scipy.special.gamma(a),
        )

    @tangent(scipy.special.polygamma)
    def polygamma_tangent(ans, n, x):
        return x_dot * scipy.special.polygamma(n + 1, x)

    @tangent(scipy.special.multigammaln)
    def multigammaln_tangent(ans, a, d):
        return a_dot * np.sum(scipy.special.digamma(np.expand_dims(a, -1) - 0.5 * np.arange(d)), -1)

    @tangent(scipy.special.jv)
    def jv_tangent(ans, v, x):
        return underivable("jv", "v"), 0.5 * x_dot * (
            scipy.special.jv(v - 1.0, x) - scipy.special.jv(v + 1.0, x)
        )

    @tangent(scipy.special.yn)
    def yn_tangent(ans, n, x):
        return 0.5 * x_dot * (scipy.special.yn(n - 1, x) - scipy.special.yn(n + 1, x))

    @tangent(scipy.special.iv)
    def iv_tangent(ans, v, x):
        return underivable("iv", "v"), 0.5 * x_dot * (
            scipy.special.iv(v - 1.0, x) + scipy.special.iv(v + 1.0, x)
        )

    @tangent(scipy.special.ive)
    def ive_tangent(ans, v, x):
        return underivable("ive", "v"), x_dot * (
            0.5 * (scipy.special.ive(v - 1.0, x) + scipy.special.ive(v + 1.0, x)) - np.sign(x) * ans
        )

    @tangent(scipy.special.xlogy)
    def xlogy_tangent(ans, x, y):
        return x_dot * np.log(y), y_dot * x / y

    @tangent(scipy.special.xlog1py)
    def xlog1py_tangent(ans, x, y):
        return x_dot * np.log1p(y), y_dot * x / (1.0 + y)

    @tangent(scipy.special.softmax)
    def softmax_tangent(ans, x, axis=None):
        return ans * (x_dot - np.sum(x_dot * ans, axis=axis, keepdims=True))

    @tangent(scipy.special.log_softmax)
    def log_softmax_tangent(ans, x, axis=None):
        return x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True)

    def logsumexp_share(ans, a, axis=None, keepdims=False, return_sign=False):
        """exp(a - ans) for `ans = scipy.special.logsumexp(a, axis, b, keepdims)`, with the
        reduced axes of `ans` put back so that it lines up with `a`: each element's share of
        the sum, before its weight b."""
        if return_sign:
            raise NotImplementedError(
                "srcgrad has no derivative of scipy.special.logsumexp with return_sign=True"
            )
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
