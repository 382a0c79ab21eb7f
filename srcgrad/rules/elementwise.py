"""Rules for NumPy's unary elementwise functions, each declared by its derivative d(ans)/d(x).

Where the result already holds what the derivative needs (`exp`, `tanh`, `sqrt`), the rule
reads `ans` instead of recomputing from `x`.
"""

import math

import numpy as np

from .registry import elementwise

# ---- exponentials and logarithms ------------------------------------------------------------


@elementwise(np.exp)
def exp(x, ans):
    return ans


@elementwise(np.exp2)
def exp2(x, ans):
    return ans * math.log(2.0)


@elementwise(np.expm1)
def expm1(x, ans):
    return ans + 1.0


@elementwise(np.log)
def log(x, ans):
    return 1.0 / x


@elementwise(np.log2)
def log2(x, ans):
    return 1.0 / (x * math.log(2.0))


@elementwise(np.log10)
def log10(x, ans):
    return 1.0 / (x * math.log(10.0))


@elementwise(np.log1p)
def log1p(x, ans):
    return 1.0 / (1.0 + x)


# ---- powers ---------------------------------------------------------------------------------


@elementwise(np.sqrt)
def sqrt(x, ans):
    return 0.5 / ans


@elementwise(np.cbrt)
def cbrt(x, ans):
    return 1.0 / (3.0 * ans * ans)


@elementwise(np.square)
def square(x, ans):
    return 2.0 * x


# ---- trigonometric --------------------------------------------------------------------------


@elementwise(np.sin)
def sin(x, ans):
    return np.cos(x)


@elementwise(np.cos)
def cos(x, ans):
    return -np.sin(x)


@elementwise(np.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(np.arcsin)
def arcsin(x, ans):
    return 1.0 / np.sqrt(1.0 - x * x)


@elementwise(np.arccos)
def arccos(x, ans):
    return -1.0 / np.sqrt(1.0 - x * x)


@elementwise(np.arctan)
def arctan(x, ans):
    return 1.0 / (1.0 + x * x)


# ---- hyperbolic -----------------------------------------------------------------------------


@elementwise(np.sinh)
def sinh(x, ans):
    return np.cosh(x)


@elementwise(np.cosh)
def cosh(x, ans):
    return np.sinh(x)


@elementwise(np.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(np.arcsinh)
def arcsinh(x, ans):
    return 1.0 / np.sqrt(x * x + 1.0)


@elementwise(np.arccosh)
def arccosh(x, ans):
    return 1.0 / np.sqrt(x * x - 1.0)


@elementwise(np.arctanh)
def arctanh(x, ans):
    return 1.0 / (1.0 - x * x)
