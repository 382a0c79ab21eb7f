"""Rules for NumPy's remaining elementwise functions (`scipy.special`'s are in scipy_special.py),
both modes.

Unary functions are declared by their derivative d(ans)/d(x) (`elementwise`); binary ones by
their two adjoints (`broadcasting`), whose forward terms are the adjoints with `g` replaced by the
operand's tangent. A function that returns two arrays gets `g` as the pair of their adjoints,
and its forward rule returns the pair of their tangents as one term. Constants are Python floats
(`math.sqrt(math.pi)`, not `np.sqrt(np.pi)`), which do not promote a float32 array to float64.
"""

import math

import numpy as np

from .registry import (
    BROADCAST,
    SAME,
    adjoint,
    broadcasting,
    elementwise,
    linear,
    nondifferentiable,
    tangent,
)


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


# ---- angles, sinc --------------------------------------------------------------------------------


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


# ---- signs and magnitudes ------------------------------------------------------------------------


@elementwise(np.fabs)
def fabs(x, ans):
    return np.sign(x)


# copysign(x, y) = |x| with the sign bit of y; y only chooses a sign, so it gets no gradient.
@broadcasting(np.copysign, differentiable=["x"])
def copysign(g, ans, x, y):
    return g * np.sign(x) * np.copysign(1.0, y)


# ldexp(x, i) = x * 2**i for integer i.
@linear(np.ldexp, broadcasting=True, shape=BROADCAST, differentiable=["x"])
def ldexp(g, ans, x, i):
    return np.ldexp(g, i)


# At the origin hypot has no derivative: 0 there, its smallest subgradient (as abs has at 0).
@broadcasting(np.hypot)
def hypot(g, ans, x, y):
    r = np.where(ans == 0, 1.0, ans)
    return g * x / r, g * y / r


# heaviside(x, h) is 0 below 0, 1 above, and h at 0: only h, and only there, moves it.
@broadcasting(np.heaviside, differentiable=["x", "h"])
def heaviside(g, ans, x, h):
    return None, np.where(x == 0, g, 0.0)


nondifferentiable(np.signbit, np.spacing)

# ---- powers, logarithms of sums, remainders ------------------------------------------------------


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


# ---- functions that return two arrays: `g` is the pair of their adjoints -------------------------
# The integral part, the quotient and the exponent are piecewise constant: their tangents are 0.
# (A rule of one operand returns one term, here a pair: hence the 1-tuples.)


# modf(x) = (fractional part, integral part); only the fractional part moves with x.
@adjoint(np.modf)
def modf(g, ans, x):
    return g[0]


@tangent(np.modf)
def modf_tangent(ans, x):
    return ((x_dot, np.zeros_like(x_dot)),)


# divmod(x, y) = (floor_divide(x, y), mod(x, y)); only the remainder moves.
@adjoint(np.divmod, broadcasting=True)
def divmod_(g, ans, x, y):
    return g[1], -g[1] * ans[0]


# Each term is full-sized (the forward stage cannot spread a tuple to the result's shape).
@tangent(np.divmod)
def divmod_tangent(ans, x, y):
    still = np.zeros_like(ans[1])
    return TangentTuple((still, x_dot + still)), TangentTuple((still, -y_dot * ans[0]))


# frexp(x) = (m, e) with x = m * 2**e: m moves as x / 2**e, the integer e does not.
@adjoint(np.frexp)
def frexp(g, ans, x):
    return np.ldexp(g[0], -ans[1])


@tangent(np.frexp)
def frexp_tangent(ans, x):
    return ((np.ldexp(x_dot, -ans[1]), np.zeros_like(x_dot)),)


# ---- cleaning and complex parts ------------------------------------------------------------------


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


@tangent(np.nan_to_num)
def nan_to_num_tangent(ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return (
        np.where(np.isfinite(x), x_dot, 0.0),
        np.where(np.isnan(x), nan_dot, 0.0),
        np.where(np.isposinf(x), posinf_dot, 0.0),
        np.where(np.isneginf(x), neginf_dot, 0.0),
    )


def imag_adjoint(g, val):
    """Adjoint of `np.imag(val)`: zero for a real `val`, `-1j * g` for a complex one (JAX's);
    shaped like `val` where `g` is one number (the adjoint of a sum)."""
    if np.iscomplexobj(val):
        part = -1j * g
        return part if np.shape(part) == np.shape(val) else np.full_like(val, part)
    return np.zeros_like(val, dtype=np.result_type(val, 1.0))


@linear(np.real, shape=SAME)
def real(g, ans, val):
    return g


@linear(np.imag, shape=SAME)
def imag(g, ans, val):
    return imag_adjoint(g, val)


@linear(np.conjugate, shape=SAME)  # np.conj is the same ufunc
def conjugate(g, ans, x):
    return np.conj(g)


# real_if_close drops an imaginary part that is all but zero, which is np.real, or keeps `a`.
@adjoint(np.real_if_close, shape=SAME)
def real_if_close(g, ans, a, tol=100):
    return g


# Where the imaginary part was dropped, so is the tangent's.
@tangent(np.real_if_close)
def real_if_close_tangent(ans, a, tol=100):
    return a_dot if np.iscomplexobj(ans) else np.real(a_dot)


def angle_adjoint(g, z, deg=False):
    """Adjoint of `np.angle(z, deg)`: atan2(y, x) of z = x + iy moves by (x dy - y dx) / |z|^2,
    which in JAX's convention is `-1j * g * conj(z) / |z|^2` (zero at z = 0). A real z's angle
    is 0 or pi: piecewise constant."""
    if not np.iscomplexobj(z):
        return np.zeros_like(z, dtype=np.result_type(z, 1.0))  # (shaped like z, as below)
    size = np.real(z * np.conj(z))
    scale = 180.0 / np.pi if deg else 1.0
    return -1j * scale * g * np.conj(z) / np.where(size == 0, 1.0, size)


@adjoint(np.angle, shape=SAME)
def angle(g, ans, z, deg=False):
    return angle_adjoint(g, z, deg)


# atan2(y, x) of z = x + iy moves by (x dy - y dx) / |z|^2 = imag(conj(z) dz) / |z|^2 (0 at z = 0,
# and for a real z, whose angle is piecewise constant).
@tangent(np.angle)
def angle_tangent(ans, z, deg=False):
    size = np.real(z * np.conj(z))
    scale = 180.0 / math.pi if deg else 1.0
    return scale * np.imag(np.conj(z) * z_dot) / np.where(size == 0, 1.0, size)
