"""Rules for the `math` module's differentiable functions, on Python floats, both modes.

Unary functions are declared by their derivative (`elementwise`); the others by their adjoints,
with `diagonal=True`: a function of numbers has a diagonal Jacobian, so each operand's forward
term is its adjoint with `g` replaced by its tangent (`g / (x * math.log(base))` becomes
`x_dot / (x * math.log(base))`).
"""

import math

from .registry import adjoint, elementwise, nondifferentiable

# ---- functions of one number, declared by their derivative ---------------------------------------


@elementwise(math.exp)
def exp(x, ans):
    return ans


@elementwise(math.expm1)
def expm1(x, ans):
    return ans + 1.0


@elementwise(math.log1p)
def log1p(x, ans):
    return 1.0 / (1.0 + x)


@elementwise(math.log2)
def log2(x, ans):
    return 1.0 / (x * math.log(2.0))


@elementwise(math.log10)
def log10(x, ans):
    return 1.0 / (x * math.log(10.0))


@elementwise(math.sqrt)
def sqrt(x, ans):
    return 0.5 / ans


@elementwise(math.sin)
def sin(x, ans):
    return math.cos(x)


@elementwise(math.cos)
def cos(x, ans):
    return -math.sin(x)


@elementwise(math.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(math.asin)
def asin(x, ans):
    return 1.0 / math.sqrt(1.0 - x * x)


@elementwise(math.acos)
def acos(x, ans):
    return -1.0 / math.sqrt(1.0 - x * x)


@elementwise(math.atan)
def atan(x, ans):
    return 1.0 / (1.0 + x * x)


@elementwise(math.sinh)
def sinh(x, ans):
    return math.cosh(x)


@elementwise(math.cosh)
def cosh(x, ans):
    return math.sinh(x)


@elementwise(math.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(math.asinh)
def asinh(x, ans):
    return 1.0 / math.sqrt(x * x + 1.0)


@elementwise(math.acosh)
def acosh(x, ans):
    return 1.0 / math.sqrt(x * x - 1.0)


@elementwise(math.atanh)
def atanh(x, ans):
    return 1.0 / (1.0 - x * x)


@elementwise(math.fabs)
def fabs(x, ans):
    return math.copysign(1.0, x) if x != 0 else 0.0


@elementwise(math.erf)
def erf(x, ans):
    return 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.erfc)
def erfc(x, ans):
    return -2.0 / math.sqrt(math.pi) * math.exp(-x * x)


# ---- functions with a base, or of two numbers ----------------------------------------------------


# log(x, base) = ln x / ln base
@adjoint(math.log, diagonal=True, differentiable=["x", "base"])
def log(g, ans, x, base=math.e):
    return g / (x * math.log(base)), -g * ans / (base * math.log(base))


@adjoint(math.pow, diagonal=True)
def pow(g, ans, x, y):
    return g * y * math.pow(x, y - 1), g * ans * math.log(x) if x > 0 else 0.0


@adjoint(math.atan2, diagonal=True)
def atan2(g, ans, y, x):
    return g * x / (x * x + y * y), -g * y / (x * x + y * y)


@adjoint(math.hypot, diagonal=True)
def hypot(g, ans, x, y):
    return g * x / ans, g * y / ans


# copysign(x, y) is |x| with y's sign: y moves it nowhere (except across 0, a jump)
@adjoint(math.copysign, differentiable=["x"], diagonal=True)
def copysign(g, ans, x, y):
    return g * math.copysign(1.0, x) * math.copysign(1.0, y)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite)
