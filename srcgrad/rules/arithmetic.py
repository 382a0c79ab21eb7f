"""Rules for Python's arithmetic operators and NumPy's arithmetic ufuncs, both modes.

Binary rules are declared with `broadcasting`: each adjoint is summed back to its operand's
shape by the reverse stage, only where a broadcast could have happened, and each operand's
forward term is its adjoint with `g` replaced by its tangent (`x_dot / y`). A product is
`bilinear`, a conversion `linear`: the tangent is the user's own expression on the tangents.
"""

import builtins
import operator

import numpy as np

from ..runtime import (
    abs_slope,
    astype,
    clip_weights,
    converted_adjoint,
    converted_tangent,
    extreme_shares,
    item,
    list_of,
    logistic_log_likelihood,
    sigmoid,
)
from .facts import Facts
from .registry import (
    BROADCAST,
    SAME,
    adjoint,
    bilinear,
    broadcasting,
    elementwise,
    linear,
    nondifferentiable,
    tangent,
    variant,
)

# ---- binary operators and ufuncs -----------------------------------------------------------------


@broadcasting(operator.add, np.add)
def add(g, ans, x, y):
    return g, g


@broadcasting(operator.sub, np.subtract)
def subtract(g, ans, x, y):
    return g, -g


# its tangent is the user's product on each tangent in turn: `x_dot * y + x * y_dot`
@bilinear(operator.mul, np.multiply, broadcasting=True, shape=BROADCAST)
def multiply(g, ans, x, y):
    return g * y, g * x


# `x * x`: one term, as a hand-written gradient says it
@variant(operator.mul, np.multiply, when=lambda facts: facts.same_name("x", "y"))
def square_product(g, ans, x, y):
    return 2.0 * g * x, None


@broadcasting(operator.truediv, np.divide, np.true_divide)
def divide(g, ans, x, y):
    return g / y, -g * ans / y


@broadcasting(operator.pow, np.power, builtins.pow)
def power(g, ans, x, y):
    return g * y * x ** (y - 1), g * ans * np.log(np.where(x == 0, 1.0, x))


def _exponent_not_constant(facts) -> bool:
    return facts.constant("y") is Facts.UNKNOWN


# `x ** k` with k not a constant (a loop's integer, an array): where k is 0, x ** 0 is 1
# everywhere, and x ** 1 in the slope keeps the general rule's 0 * x ** -1 (nan at 0) out
@variant(operator.pow, np.power, builtins.pow, when=_exponent_not_constant, broadcasting=True)
def power_of_a_variable(g, ans, x, y):
    return g * y * x ** np.where(y == 0, 1, y - 1), g * ans * np.log(np.where(x == 0, 1.0, x))


@tangent(operator.pow, np.power, builtins.pow, when=_exponent_not_constant)
def power_of_a_variable_tangent(ans, x, y):
    return (
        x_dot * y * x ** np.where(y == 0, 1, y - 1),
        y_dot * ans * np.log(np.where(x == 0, 1.0, x)),
    )


def _zero_exponent(facts) -> bool:
    y = facts.constant("y")
    return isinstance(y, (int, float)) and y == 0


# `x ** 0` is 1 everywhere: no derivative at all (the general rule's 0 * x ** -1 is nan at 0)
@variant(operator.pow, np.power, builtins.pow, when=_zero_exponent)
def power_of_zero(g, ans, x, y):
    return None, None


@tangent(operator.pow, np.power, builtins.pow, when=_zero_exponent)
def power_of_zero_tangent(ans, x, y):
    return None, None


@broadcasting(operator.mod, np.mod, np.remainder)
def mod(g, ans, x, y):
    return g, -g * np.floor_divide(x, y)


# At a tie each side gets half, as in JAX.
@broadcasting(np.maximum)
def maximum(g, ans, x, y):
    return g * ((x > y) + 0.5 * (x == y)), g * ((x < y) + 0.5 * (x == y))


@broadcasting(np.minimum)
def minimum(g, ans, x, y):
    return g * ((x < y) + 0.5 * (x == y)), g * ((x > y) + 0.5 * (x == y))


# fmax and fmin skip a NaN: against a NaN the other operand is the result, and gets all of g
# (`np.isnan(y) > np.isnan(x)`: y is NaN and x is not)
@broadcasting(np.fmax)
def fmax(g, ans, x, y):
    return (
        g * ((x > y) + 0.5 * (x == y) + (np.isnan(y) > np.isnan(x))),
        g * ((x < y) + 0.5 * (x == y) + (np.isnan(x) > np.isnan(y))),
    )


@broadcasting(np.fmin)
def fmin(g, ans, x, y):
    return (
        g * ((x < y) + 0.5 * (x == y) + (np.isnan(y) > np.isnan(x))),
        g * ((x > y) + 0.5 * (x == y) + (np.isnan(x) > np.isnan(y))),
    )


@broadcasting(np.arctan2)
def arctan2(g, ans, x, y):
    return g * y / (x * x + y * y), -g * x / (x * x + y * y)


nondifferentiable(operator.floordiv, np.floor_divide)  # piecewise constant


# ---- Python's max and min: of two numbers, or of the one iterable they are given -----------------
# `max(a, b)` is np.maximum of two numbers; `max(xs)` (y left out, so None: the transform always
# sees which) sends g to the largest element, shared among ties as np.max does (the variant).


def builtin_extreme_shape(x, y=None):
    """The shape of `max(x, y)` (broadcast), or of `max(x)`: one element of the iterable."""
    return tuple(x)[1:] if y is None else tuple(np.broadcast_shapes(x, y))


@adjoint(builtins.max, broadcasting=True, shape=builtin_extreme_shape, differentiable=["x", "y"])
def builtin_max(g, ans, x, y=None):
    return g * ((x > y) + 0.5 * (x == y)), g * ((x < y) + 0.5 * (x == y))


@adjoint(builtins.min, broadcasting=True, shape=builtin_extreme_shape, differentiable=["x", "y"])
def builtin_min(g, ans, x, y=None):
    return g * ((x < y) + 0.5 * (x == y)), g * ((x > y) + 0.5 * (x == y))


# the elements equal to the result share its tangent (`axes`: an iterable's, summed over)
@tangent(builtins.max, builtins.min)
def builtin_extreme_tangent(ans, x, y=None):
    shares = extreme_shares(ans, x, y)
    return np.sum(shares[0] * x_dot, axis=shares[2]), shares[1] * y_dot


def _one_iterable(facts) -> bool:
    return facts.constant("y") is None


# a list of numbers or a 1-D array: the adjoint is an array with one element per element of x
@variant(builtins.max, builtins.min, when=_one_iterable, differentiable=["x", "y"])
def extreme_of_iterable(g, ans, x, y=None):
    return g * extreme_shares(ans, x)[0], None


# ---- choosing between operands -------------------------------------------------------------------


@broadcasting(np.where, differentiable=["x", "y"])
def where(g, ans, condition, x, y):
    return np.where(condition, g, 0.0), np.where(condition, 0.0, g)


@broadcasting(np.clip, differentiable=["a", "a_min", "a_max"])
def clip(g, ans, a, a_min, a_max):
    w = clip_weights(a, a_min, a_max)
    return g * w[0], g * w[1], g * w[2]


# ---- sums of lists, and conversions that keep the value ------------------------------------------


@adjoint(builtins.sum, differentiable=["iterable", "start"])
def sum_of_list(g, ans, iterable, start=0):
    return list_of(g, iterable), g


@tangent(builtins.sum)
def sum_of_list_tangent(ans, iterable, start=0):
    return sum(iterable_dot), start_dot


# conversions that keep the value: the adjoint passes through (np.asarray's reverse rule is
# joining.py's, declared later; its forward rule is this one)
@linear(builtins.float, np.float64, np.asarray, differentiable=["x"], shape=SAME)
def keep_value(g, ans, x, dtype=None):
    return g


# `x.astype(dtype)`: the value kept for a float or complex dtype, truncated (derivative 0) for
# an integer or bool one
@adjoint(astype, differentiable=["x"], shape=SAME)
def astype_(g, ans, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    return converted_adjoint(g, dtype)


@tangent(astype)
def astype_tangent(ans, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    return converted_tangent(x_dot, dtype)


# `x.item()`: the one element of an array of size 1, as a Python number
@linear(item, shape=lambda x: ())
def item_value(g, ans, x):
    return np.reshape(g, np.shape(x))


@variant(item, when=lambda facts: facts.shape("x") == ())
def item_of_scalar(g, ans, x):
    return g


# ---- unary operators -----------------------------------------------------------------------------


@linear(operator.neg, np.negative, shape=SAME)
def negative(g, ans, x):
    return -g


@linear(operator.pos, np.positive, shape=SAME)
def positive(g, ans, x):
    return g


@elementwise(builtins.abs, np.abs, np.absolute)
def absolute(x, ans):
    return abs_slope(x)


# `1 / (1 + np.exp(-z))` as written by the user (normalize/idioms.py): reads only its result
@elementwise(sigmoid)
def logistic(x, ans):
    return ans * (1.0 - ans)


# `y * np.log(p) + (1 - y) * np.log(1 - p)` of a `p = sigmoid(z)` (normalize/idioms.py): in z,
# y - p; one array, where y / p, (1 - y) / (1 - p) and p * (1 - p) each took one
@adjoint(
    logistic_log_likelihood,
    differentiable=["z", "y"],
    broadcasting=True,
    shape=BROADCAST,
    diagonal=True,
)
def logistic_log_likelihood_rule(g, ans, z, y, p):
    return g * (y - p), g * (np.log(p) - np.log(1 - p))


@elementwise(np.reciprocal)
def reciprocal(x, ans):
    return -ans * ans
