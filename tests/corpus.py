"""The corpus: plain functions, one feature each, with their sample inputs declared beside them.

Every function here returns a scalar and is straight-line code of the kind srcgrad supports. The
`@case` decorator records the function, a factory `inputs(rng)` that builds sample arguments
from a `numpy.random.Generator`, and the `wrt` to differentiate with respect to.

Inputs keep away from kinks and domain edges (positive for `log` and `sqrt`, |x| < 1 for
`arcsin`, no ties for `max`/`maximum`, nothing near 0 for `abs`) so that central finite
differences are a valid reference. Functions must stay at module level in this file (or be
closures defined in it): srcgrad reads them with `inspect.getsource`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy as xp
from numpy import exp as exponential
from numpy import tanh


@dataclass(frozen=True)
class Case:
    """One corpus function, how to make its inputs, and what to differentiate it with respect to."""

    name: str
    fn: Callable
    inputs: Callable[[np.random.Generator], tuple]
    wrt: int | str | tuple


CASES: list[Case] = []


def case(inputs: Callable[[np.random.Generator], tuple], wrt: int | str | tuple = 0):
    """Record the decorated function as a corpus case; `inputs(rng)` returns its arguments."""

    def record(fn: Callable) -> Callable:
        CASES.append(Case(fn.__name__, fn, inputs, wrt))
        return fn

    return record


# ---------------------------------------------------------------- input factories


def normal(rng, *shape):
    return rng.normal(size=shape)


def positive(rng, *shape, low=0.5, high=2.0):
    return rng.uniform(low, high, size=shape)


def inside_unit(rng, *shape, bound=0.8):
    return rng.uniform(-bound, bound, size=shape)


def away_from_zero(rng, *shape, low=0.3, high=1.5):
    """Values with |x| in [low, high] and a random sign: no kink of abs/maximum nearby."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(rng, *shape):
    """Values at least 0.2 apart from each other: max/min have no ties."""
    count = math.prod(shape)
    return (rng.permutation(count) * 0.2 + rng.uniform(-1.0, -0.9)).reshape(shape)


def apart(rng, *shape):
    """Two arrays that differ by at least 0.3 everywhere: maximum/minimum have no ties."""
    x = rng.normal(size=shape)
    return x, x + away_from_zero(rng, *shape)


def clear_of(rng, edges, *shape, margin=0.2, spread=0.6):
    """Values at least `margin` from every point in `edges`."""
    base = rng.choice(np.asarray(edges, dtype=float), size=shape)
    offset = rng.uniform(margin, margin + spread, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return base + offset


def one_hot(rng, rows, classes):
    return np.eye(classes)[rng.integers(0, classes, size=rows)]


# ---------------------------------------------------------------- module-level constants

SCALE = 0.75
OFFSET = np.array([0.5, -1.0, 2.0])
RAMP3 = np.array([1.0, 2.0, 3.0])
RAMP4 = np.array([1.0, -2.0, 3.0, -4.0])
RAMP5 = np.arange(5.0) + 1.0
PROJ_34 = np.random.default_rng(1).normal(size=(3, 4))
PROJ_45 = np.random.default_rng(2).normal(size=(4, 5))
W_43 = np.random.default_rng(3).normal(size=(4, 3))
REPEATED = np.array([2, 2, 2, 0])


# ---------------------------------------------------------------- operators


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 3, 4)), wrt=(0, 1))
def add_arrays(x, y):
    return np.sum(np.sin(x + y))


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 3, 4)), wrt=(0, 1))
def subtract_arrays(x, y):
    return np.sum(np.cos(x - y))


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 3, 4)), wrt=(0, 1))
def multiply_arrays(x, y):
    return np.sum(x * y * x)


@case(lambda rng: (normal(rng, 3, 4), positive(rng, 3, 4)), wrt=(0, 1))
def divide_arrays(x, y):
    return np.sum(x / y)


@case(lambda rng: (normal(rng, 5),))
def power_integer_constant(x):
    return np.sum(x**3)


@case(lambda rng: (positive(rng, 5),))
def power_fractional_constant(x):
    return np.sum(x**0.5 + x**-1.5)


@case(lambda rng: (positive(rng, 4), normal(rng, 4)), wrt=(0, 1))
def power_both_arrays(x, y):
    return np.sum(x**y)


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 4, 2)), wrt=(0, 1))
def matmul_operator(a, b):
    return np.sum(np.tanh(a @ b))


@case(lambda rng: (normal(rng, 6),))
def unary_minus(x):
    return np.sum(np.exp(-x) * -x)


@case(lambda rng: (away_from_zero(rng, 6),))
def builtin_abs(x):
    return np.sum(abs(x) * x)


@case(lambda rng: (normal(rng, 5),))
def scalar_minus_array(x):
    return np.sum(1.0 - x * x)


@case(lambda rng: (positive(rng, 5),))
def scalar_over_array(x):
    return np.sum(2.0 / x)


@case(lambda rng: (normal(rng, 5),))
def scalar_to_array_power(x):
    return np.sum(2.0**x)


@case(lambda rng: (normal(rng, 5),))
def rational_function(x):
    return np.sum((x * x + 3 * x - 1) / (x * x + 1))


@case(lambda rng: (normal(rng, 4),))
def integer_constants(x):
    return np.sum(x * 2 + 3) / 4


# ---------------------------------------------------------------- elementwise numpy functions


@case(lambda rng: (normal(rng, 5),))
def np_exp(x):
    return np.sum(np.exp(x))


@case(lambda rng: (positive(rng, 5),))
def np_log(x):
    return np.sum(np.log(x) * x)


@case(lambda rng: (positive(rng, 5, low=-0.5, high=2.0),))
def np_log1p(x):
    return np.sum(np.log1p(x))


@case(lambda rng: (normal(rng, 5),))
def np_expm1(x):
    return np.sum(np.expm1(x))


@case(lambda rng: (positive(rng, 5),))
def np_sqrt(x):
    return np.sum(np.sqrt(x))


@case(lambda rng: (normal(rng, 5),))
def np_square(x):
    return np.sum(np.square(x) * RAMP5)


@case(lambda rng: (normal(rng, 5),))
def np_sin(x):
    return np.sum(np.sin(x))


@case(lambda rng: (normal(rng, 5),))
def np_cos(x):
    return np.sum(np.cos(x))


@case(lambda rng: (inside_unit(rng, 5, bound=1.0),))
def np_tan(x):
    return np.sum(np.tan(x))


@case(lambda rng: (normal(rng, 5),))
def np_tanh(x):
    return np.sum(np.tanh(x))


@case(lambda rng: (normal(rng, 5),))
def np_sinh_cosh(x):
    return np.sum(np.sinh(x) * np.cosh(0.5 * x))


@case(lambda rng: (inside_unit(rng, 5),))
def np_arcsin(x):
    return np.sum(np.arcsin(x))


@case(lambda rng: (inside_unit(rng, 5),))
def np_arccos(x):
    return np.sum(np.arccos(x) * x)


@case(lambda rng: (normal(rng, 5),))
def np_arctan(x):
    return np.sum(np.arctan(x))


@case(lambda rng: (normal(rng, 5), away_from_zero(rng, 5)), wrt=(0, 1))
def np_arctan2(y, x):
    return np.sum(np.arctan2(y, x))


@case(lambda rng: (positive(rng, 5), normal(rng, 5)), wrt=(0, 1))
def np_power(x, y):
    return np.sum(np.power(x, y) + np.power(x, 3))


@case(lambda rng: apart(rng, 3, 4), wrt=(0, 1))
def np_maximum(x, y):
    return np.sum(np.maximum(x, y) * PROJ_34)


@case(lambda rng: apart(rng, 3, 4), wrt=(0, 1))
def np_minimum(x, y):
    return np.sum(np.minimum(x, y) * PROJ_34)


@case(lambda rng: (away_from_zero(rng, 6),))
def relu_via_maximum(x):
    return np.sum(np.maximum(x, 0.0) * x)


@case(lambda rng: (away_from_zero(rng, 6),))
def np_abs(x):
    return np.sum(np.abs(x) * np.sin(x))


@case(lambda rng: (normal(rng, 5),))
def np_negative(x):
    return np.sum(np.exp(np.negative(x)))


@case(lambda rng: (positive(rng, 5),))
def np_reciprocal(x):
    return np.sum(np.reciprocal(x) * RAMP5)


@case(lambda rng: (away_from_zero(rng, 6), normal(rng, 6)), wrt=(0, 1))
def np_where(x, y):
    return np.sum(np.where(x > 0, x * x, y * x))


@case(lambda rng: (clear_of(rng, [-0.5, 0.5], 8, margin=0.15, spread=0.3),))
def np_clip(x):
    return np.sum(np.clip(x, -0.5, 0.5) * np.cos(x))


# ---------------------------------------------------------------- reductions


@case(lambda rng: (normal(rng, 3, 4),))
def sum_all(x):
    return np.sum(np.sin(x))


@case(lambda rng: (normal(rng, 3, 4),))
def sum_axis0(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


@case(lambda rng: (normal(rng, 3, 4),))
def sum_axis_positional(x):
    return np.sum(np.sum(x * x, 1) * RAMP3)


@case(lambda rng: (normal(rng, 2, 3, 4),))
def sum_negative_axis(x):
    return np.sum(np.tanh(np.sum(x, axis=-1)))


@case(lambda rng: (normal(rng, 2, 3, 4),))
def sum_axis_tuple(x):
    return np.sum(np.sum(x * x, axis=(0, 2)) * RAMP3)


@case(lambda rng: (positive(rng, 3, 4),))
def sum_keepdims_normalize(x):
    return np.sum(x / np.sum(x, axis=1, keepdims=True) * PROJ_34)


@case(lambda rng: (normal(rng, 3, 4),))
def mean_all(x):
    return np.mean(x * x)


@case(lambda rng: (normal(rng, 3, 4),))
def mean_axis(x):
    return np.sum(np.mean(x, axis=1) ** 2)


@case(lambda rng: (normal(rng, 3, 4),))
def mean_keepdims_center(x):
    return np.sum((x - np.mean(x, axis=0, keepdims=True)) ** 3)


@case(lambda rng: (normal(rng, 2, 3, 4),))
def mean_axis_tuple(x):
    return np.sum(np.exp(np.mean(x, axis=(0, 1))))


@case(lambda rng: (positive(rng, 6, low=0.5, high=1.5),))
def prod_all(x):
    return np.prod(x)


@case(lambda rng: (positive(rng, 3, 4, low=0.5, high=1.5),))
def prod_axis(x):
    return np.sum(np.prod(x, axis=1) * RAMP3)


@case(lambda rng: (distinct(rng, 3, 4),))
def max_all(x):
    return np.max(x) ** 2


@case(lambda rng: (distinct(rng, 3, 4),))
def max_axis(x):
    return np.sum(np.max(x, axis=0) * RAMP4)


@case(lambda rng: (distinct(rng, 3, 4),))
def max_keepdims(x):
    return np.sum(np.exp(x - np.max(x, axis=1, keepdims=True)))


@case(lambda rng: (distinct(rng, 3, 4),))
def min_all(x):
    return np.min(np.sin(x))


@case(lambda rng: (distinct(rng, 3, 4),))
def min_axis_keepdims(x):
    return np.sum((x - np.min(x, axis=0, keepdims=True)) ** 2)


# ---------------------------------------------------------------- products and shapes


@case(lambda rng: (normal(rng, 5), normal(rng, 5)), wrt=(0, 1))
def dot_vectors(a, b):
    return np.dot(a, b) ** 2


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 4)), wrt=(0, 1))
def dot_matrix_vector(a, v):
    return np.sum(np.tanh(np.dot(a, v)))


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 4, 2)), wrt=(0, 1))
def dot_matrices(a, b):
    return np.sum(np.dot(a, b) ** 2)


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 4, 2)), wrt=(0, 1))
def np_matmul(a, b):
    return np.sum(np.sin(np.matmul(a, b)))


@case(lambda rng: (normal(rng, 2, 3, 4), normal(rng, 4, 2)), wrt=(0, 1))
def matmul_batched(a, b):
    return np.sum(np.tanh(a @ b))


@case(lambda rng: (normal(rng, 4), normal(rng, 3, 4)), wrt=(0, 1))
def matmul_vector_matrix(v, a):
    return np.sum(np.sin(a @ v) + np.cos(v @ a.T))


@case(lambda rng: (normal(rng, 3), normal(rng, 4)), wrt=(0, 1))
def np_outer(a, b):
    return np.sum(np.outer(a, b) * PROJ_34)


@case(lambda rng: (normal(rng, 4, 3),))
def np_transpose(x):
    return np.sum(np.transpose(x) * PROJ_34)


@case(lambda rng: (normal(rng, 2, 3, 4),))
def transpose_axes(x):
    return np.sum(np.transpose(x, (1, 0, 2)) * np.sin(np.transpose(x, (1, 0, 2))))


@case(lambda rng: (normal(rng, 4, 3),))
def attribute_T(x):
    return np.sum(x.T * PROJ_34)


@case(lambda rng: (normal(rng, 12),))
def np_reshape(x):
    return np.sum(np.reshape(x, (3, 4)) * PROJ_34)


@case(lambda rng: (normal(rng, 3, 4),))
def np_reshape_minus_one(x):
    return np.sum(np.reshape(x, (-1,)) * np.arange(12.0))


# ---------------------------------------------------------------- array methods


@case(lambda rng: (normal(rng, 3, 4),))
def method_sum_axis(x):
    return np.sum(np.sin(x.sum(axis=0)))


@case(lambda rng: (normal(rng, 3, 4),))
def method_sum_all(x):
    return (x * x).sum()


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 4)), wrt=(0, 1))
def method_dot(a, v):
    return np.sum(np.tanh(a.dot(v)))


@case(lambda rng: (normal(rng, 12),))
def method_reshape(x):
    return np.sum(x.reshape(2, -1) * np.sin(x.reshape(2, 6)))


@case(lambda rng: (normal(rng, 12),))
def method_reshape_tuple(x):
    return np.sum(x.reshape((3, 4)) * PROJ_34)


@case(lambda rng: (normal(rng, 3, 4),))
def method_mean(x):
    return (x**2).mean()


@case(lambda rng: (distinct(rng, 3, 4),))
def method_max_axis(x):
    return np.sum(x.max(axis=1) * RAMP3)


@case(lambda rng: (distinct(rng, 3, 4),))
def method_min(x):
    return x.min() * x.sum()


@case(lambda rng: (normal(rng, 4, 3), normal(rng, 4, 2)), wrt=(0, 1))
def method_chain(a, b):
    return a.T.dot(b).sum()


# ---------------------------------------------------------------- reading by index


@case(lambda rng: (normal(rng, 3, 4),))
def index_integer(x):
    return np.sum(np.sin(x[1]))


@case(lambda rng: (normal(rng, 3, 4),))
def index_pair(x):
    return x[1, 2] * x[0, 3]


@case(lambda rng: (normal(rng, 3, 4),))
def index_negative(x):
    return np.sum(x[-1] * RAMP4)


@case(lambda rng: (normal(rng, 5),))
def slice_basic(x):
    return np.sum(np.exp(x[1:3]))


@case(lambda rng: (normal(rng, 3, 4),))
def slice_2d(x):
    return np.sum(x[:, 1:] ** 2 * x[:, :-1])


@case(lambda rng: (normal(rng, 6),))
def slice_step(x):
    return np.sum(x[::2] * RAMP3)


@case(lambda rng: (normal(rng, 5),))
def slice_negative_step(x):
    return np.sum(x[::-1] * RAMP5)


@case(lambda rng: (normal(rng, 3, 5),))
def slice_negative_step_2d(x):
    return np.sum(x[::-1, ::-2] * PROJ_34[:, :3])


@case(lambda rng: (normal(rng, 3), normal(rng, 4)), wrt=(0, 1))
def index_none(x, y):
    return np.sum(np.sin(x[:, None] * y[None, :]) * PROJ_34)


@case(lambda rng: (normal(rng, 2, 3, 4),))
def index_ellipsis(x):
    return np.sum(x[..., 0] * np.exp(x[..., 1:]).sum(axis=-1))


@case(lambda rng: (normal(rng, 4),))
def integer_array_index(x):
    return np.sum(np.sin(x[[0, 2]]) * RAMP3[:2])


@case(lambda rng: (normal(rng, 4),))
def repeated_integer_index(x):
    return np.sum(np.sin(x[[0, 0, 2]]) * RAMP3)


@case(lambda rng: (normal(rng, 3, 4),))
def repeated_row_index(x):
    return np.sum(x[[1, 1, 0]] * PROJ_34)


@case(lambda rng: (normal(rng, 3, 4),))
def repeated_column_index(x):
    return np.sum(x[:, [0, 0, 3]] ** 2 * RAMP3)


@case(lambda rng: (normal(rng, 3, 4),))
def repeated_index_pairs(x):
    return np.sum(x[[0, 1, 1], [2, 0, 0]] * RAMP3)


@case(lambda rng: (normal(rng, 3),))
def constant_index_array(x):
    return np.sum(np.tanh(x[REPEATED]) * RAMP4)


# ---------------------------------------------------------------- the math module on floats


@case(lambda rng: (float(rng.normal()), float(rng.uniform(0.5, 2.0))), wrt=(0, 1))
def math_exp_log(x, y):
    return math.exp(x) * math.log(y)


@case(lambda rng: (float(rng.uniform(0.5, 2.0)),))
def math_log_base(x):
    return math.log(x, 3.0) + math.log2(x) + math.log10(x)


@case(lambda rng: (float(rng.uniform(-1.0, 1.0)),))
def math_trig(x):
    return math.sin(x) * math.cos(x) + math.tan(x)


@case(lambda rng: (float(rng.uniform(-0.8, 0.8)),))
def math_inverse_trig(x):
    return math.asin(x) + math.acos(x) * x + math.atan(x)


@case(lambda rng: (float(rng.normal()),))
def math_hyperbolic(x):
    return math.sinh(x) + math.cosh(x) * math.tanh(x)


@case(lambda rng: (float(rng.uniform(0.5, 2.0)), float(rng.normal())), wrt=(0, 1))
def math_sqrt_pow(x, y):
    return math.sqrt(x) * math.pow(x, y)


@case(lambda rng: (float(rng.normal()), float(rng.uniform(0.5, 2.0))), wrt=(0, 1))
def math_atan2_hypot(y, x):
    return math.atan2(y, x) + math.hypot(x, y)


@case(lambda rng: (float(rng.normal()),))
def math_erf(x):
    return math.erf(x) + x * math.erfc(x)


@case(lambda rng: (float(rng.uniform(-0.5, 2.0)),))
def math_expm1_log1p(x):
    return math.expm1(x) * math.log1p(x)


@case(lambda rng: (float(away_from_zero(rng)),))
def math_fabs_builtin_abs(x):
    return math.fabs(x) * x + abs(x)


@case(lambda rng: (float(rng.normal()), normal(rng, 4)), wrt=(0, 1))
def math_with_array(s, v):
    return np.sum(np.tanh(v * math.exp(s)))


# ---------------------------------------------------------------- broadcasting


@case(lambda rng: (float(rng.normal()), normal(rng, 3, 4)), wrt=(0, 1))
def broadcast_float_array(s, x):
    return np.sum(np.sin(s * x))


@case(lambda rng: (normal(rng, 3, 1), normal(rng, 1, 4)), wrt=(0, 1))
def broadcast_column_row(a, b):
    return np.sum(np.tanh(a * b) * PROJ_34)


@case(lambda rng: (normal(rng, 4, 3), normal(rng, 3)), wrt=(0, 1))
def broadcast_bias(x, b):
    return np.sum(np.tanh(x + b) ** 2)


@case(lambda rng: (normal(rng, 2, 3, 4), normal(rng, 3, 1)), wrt=(0, 1))
def broadcast_leading_axes(x, c):
    return np.sum(np.sin(x * c))


@case(lambda rng: (np.array(rng.normal()), normal(rng, 3, 4)), wrt=(0, 1))
def broadcast_zero_d_array(s, x):
    return np.sum(np.exp(s * x) * PROJ_34)


@case(lambda rng: (normal(rng, 4), normal(rng, 3, 4)), wrt=(0, 1))
def broadcast_both_ways(v, x):
    return np.sum(np.sin(v - x) / (1.0 + v * v))


# ---------------------------------------------------------------- assignment forms


@case(lambda rng: (normal(rng, 5),))
def reassign_name(x):
    x = x * 2.0
    x = np.sin(x) + x
    return np.sum(x * x)


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt=(0, 1))
def tuple_assignment(x, y):
    a, b = x * 2.0, np.sin(y)
    return np.sum(a * b)


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt=(0, 1))
def tuple_swap(x, y):
    x, y = y, x * y
    return np.sum(x * np.exp(y))


@case(lambda rng: (normal(rng, 4), positive(rng, 4)), wrt=(0, 1))
def augmented_arithmetic(x, y):
    h = x * y
    h += x
    h -= 0.5 * y
    h *= y
    h /= 2.0
    return np.sum(h)


@case(lambda rng: (normal(rng, 4, 3), normal(rng, 3)), wrt=(0, 1))
def augmented_broadcast(x, b):
    h = np.tanh(x)
    h += b
    return np.sum(h**2)


@case(lambda rng: (float(rng.normal()), float(rng.uniform(0.5, 1.5))), wrt=(0, 1))
def augmented_python_floats(a, b):
    a += b
    a *= b
    a **= 2
    return a


@case(lambda rng: (normal(rng, 3, 4),))
def augmented_accumulator(x):
    total = 0.0
    total += np.sum(x)
    total += np.sum(x * x)
    return total


# ---------------------------------------------------------------- names: constants, aliases, closures


@case(lambda rng: (normal(rng, 3),))
def module_constants(x):
    return np.sum(np.sin(SCALE * x + OFFSET))


@case(lambda rng: (normal(rng, 5, 4),))
def module_constant_matrix(x):
    return np.sum(np.tanh(x @ W_43))


@case(lambda rng: (normal(rng, 5),))
def numpy_alias_xp(x):
    return xp.sum(xp.tanh(x) * xp.exp(x))


@case(lambda rng: (normal(rng, 5),))
def from_numpy_import(x):
    return np.sum(tanh(x) + exponential(-x))


def make_scaled_tanh(scale):
    def closure_scaled_tanh(x):
        return np.sum(np.tanh(scale * x))

    return closure_scaled_tanh


closure_scaled_tanh = case(lambda rng: (normal(rng, 5),))(make_scaled_tanh(1.5))


def make_projection(weights):
    def closure_projected_sine(x):
        return np.sum(np.sin(x) * weights)

    return closure_projected_sine


closure_projected_sine = case(lambda rng: (normal(rng, 3, 4),))(make_projection(PROJ_34 * 2.0))


# ---------------------------------------------------------------- several arguments, wrt forms


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt="w")
def wrt_by_name(x, w):
    return np.sum(w * np.sin(x) + w * w)


@case(lambda rng: (normal(rng, 4), normal(rng, 4), float(rng.normal())), wrt=("w", "b"))
def wrt_names_tuple(x, w, b):
    return np.sum(np.tanh(w * x + b))


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt=(1, "x"))
def wrt_mixed_order(x, w):
    return np.sum(np.exp(w) * x * x)


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt=-1)
def wrt_negative_index(x, w):
    return np.sum(np.sin(w * x))


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt=(0,))
def wrt_one_element_tuple(x, w):
    return np.sum(np.sin(w * x))


@case(lambda rng: (normal(rng, 4), normal(rng, 3)), wrt=(0, 1))
def wrt_unused_argument(x, y):
    return np.sum(x * x)


@case(lambda rng: (normal(rng, 4), 3), wrt=0)
def integer_exponent_argument(x, n):
    return np.sum(x**n)


# ---------------------------------------------------------------- scalar, integer, 0-d and float32 inputs


@case(lambda rng: (float(rng.normal()),))
def python_float_input(x):
    return x * x + 3.0 * x - 1.0


@case(lambda rng: (float(rng.normal()),))
def numpy_on_python_float(x):
    return np.sin(x) * np.exp(x)


@case(lambda rng: (int(rng.integers(1, 5)),))
def python_int_input(n):
    return 0.5 * n * n + math.sin(n)


@case(lambda rng: (np.array(rng.normal()),))
def zero_d_array(x):
    return np.sin(x) * x


@case(lambda rng: (rng.integers(-3, 4, size=(2, 3)),))
def integer_array_input(k):
    return np.sum(k * k) + np.sum(np.sin(k))


@case(lambda rng: (normal(rng, 3, 4).astype(np.float32),))
def float32_elementwise(x):
    return np.sum(np.tanh(x) * x * 2.0)


@case(
    lambda rng: (normal(rng, 3, 4).astype(np.float32), normal(rng, 4).astype(np.float32)),
    wrt=(0, 1),
)
def float32_matmul_bias(a, v):
    return np.mean(np.sin(a @ v + 1.0))


@case(lambda rng: (normal(rng, 3, 4).astype(np.float32),))
def float32_softmax(x):
    z = x - np.max(x, axis=1, keepdims=True)
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    return np.sum(p * p)


@case(lambda rng: (np.float32(rng.normal()), normal(rng, 4).astype(np.float32)), wrt=(0, 1))
def float32_scalar_and_array(s, v):
    return np.sum(np.exp(s * v))


@case(lambda rng: (normal(rng, 3, 4).astype(np.float32),))
def float32_times_float64_constant(x):
    return np.sum(np.sin(x) * PROJ_34)


# ---------------------------------------------------------------- real-world models


@case(
    lambda rng: (
        normal(rng, 3),
        float(rng.normal()),
        normal(rng, 8, 3),
        rng.choice([-1.0, 1.0], 8),
    ),
    wrt=(0, 1),
)
def logistic_regression_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.log1p(np.exp(-y * z)))


@case(lambda rng: (normal(rng, 5, 3), one_hot(rng, 5, 3)))
def softmax_cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_z = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_probs = shifted - log_z
    return -np.mean(np.sum(labels * log_probs, axis=1))


@case(
    lambda rng: (
        normal(rng, 3, 4) * 0.5,
        normal(rng, 4) * 0.1,
        normal(rng, 4, 2) * 0.5,
        normal(rng, 2) * 0.1,
        normal(rng, 6, 3),
        normal(rng, 6, 2),
    ),
    wrt=(0, 1, 2, 3),
)
def mlp_two_layer(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


@case(
    lambda rng: (normal(rng, 4, 5), 1.0 + 0.1 * normal(rng, 5), 0.1 * normal(rng, 5)), wrt=(0, 1, 2)
)
def layer_norm(x, gamma, beta):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    y = gamma * xhat + beta
    return np.sum(y * PROJ_45)


@case(lambda rng: (normal(rng, 6), normal(rng, 6)), wrt=(0, 1))
def mean_squared_error(pred, target):
    return np.mean((pred - target) ** 2)


def residual_pair(rng):
    """Predictions whose residuals keep 0.15 away from 0 and from the Huber threshold ±1."""
    target = rng.normal(size=8)
    return target + clear_of(rng, [-1.0, 0.0, 1.0], 8, margin=0.15, spread=0.3), target


@case(residual_pair, wrt=0)
def huber_loss(pred, target):
    r = pred - target
    a = np.abs(r)
    return np.mean(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


@case(lambda rng: (normal(rng, 3, 4),))
def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


@case(lambda rng: (normal(rng, 5), 0.3 * normal(rng, 5), normal(rng, 5)), wrt=(0, 1))
def gaussian_nll(mu, log_sigma, x):
    z = (x - mu) / np.exp(log_sigma)
    return np.sum(0.5 * z**2 + log_sigma + 0.5 * np.log(2 * np.pi))


@case(
    lambda rng: (normal(rng, 3), float(rng.uniform(0.1, 1.0)), normal(rng, 6, 3), normal(rng, 6)),
    wrt=(0, "lam"),
)
def l2_regularized_least_squares(w, lam, X, y):
    residual = X @ w - y
    return np.mean(residual**2) + lam * np.sum(w**2)


@case(lambda rng: (normal(rng, 5), normal(rng, 5)), wrt=(0, 1))
def cosine_similarity(a, b):
    return np.dot(a, b) / (np.sqrt(np.sum(a * a)) * np.sqrt(np.sum(b * b)))


@case(lambda rng: tuple(float(v) for v in rng.normal(size=5)), wrt=(1, 2, 3, 4))
def five_neuron(a, w1, w2, w3, w4):
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    return L


@case(lambda rng: (normal(rng, 6),))
def sigmoid_by_hand(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return np.sum(s + s * s)


@case(lambda rng: (normal(rng, 6),))
def softplus(x):
    return np.sum(np.log1p(np.exp(x)))


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 5, 4), normal(rng, 5, 2)), wrt=(0, 1, 2))
def attention(q, k, v):
    scores = q @ k.T / np.sqrt(4.0)
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    return np.sum((weights @ v) ** 2)


@case(
    lambda rng: (normal(rng, 3, 2), normal(rng, 4, 2), float(rng.uniform(0.5, 2.0))), wrt=(0, 1, 2)
)
def rbf_kernel(x, y, length):
    diff = x[:, None, :] - y[None, :, :]
    return np.sum(np.exp(-np.sum(diff**2, axis=-1) / (2.0 * length**2)) * PROJ_34)


@case(lambda rng: (normal(rng, 4, 3), normal(rng, 3), normal(rng, 4)), wrt=(0, 1, 2))
def rnn_two_steps_unrolled(W, x1, h0):
    h1 = np.tanh(W @ x1 + 0.5 * h0)
    h2 = np.tanh(W @ (x1 * 0.5) + 0.5 * h1)
    return np.sum(h2 * RAMP4)


@case(lambda rng: (normal(rng, 4), normal(rng, 4)), wrt=(0, 1))
def polynomial_features(x, c):
    features = c[0] + c[1] * x + c[2] * x**2 + c[3] * x**3
    return np.sum(features**2)


# ---------------------------------------------------------------- combinations of the above


@case(lambda rng: (normal(rng, 5),))
def reassign_uses_old_value(x):
    y = x * x
    x = np.sin(x)
    return np.sum(x * y)


@case(lambda rng: (normal(rng, 5),))
def unary_plus(x):
    return np.sum(+x * np.sin(+x))


@case(lambda rng: (normal(rng, 5),))
def nested_calls(x):
    return 3.0 * np.sum(np.exp(np.sin(np.cos(x))))


@case(lambda rng: (normal(rng, 5),))
def function_with_docstring(x):
    """A docstring is not a statement to differentiate."""
    return np.sum(np.tanh(x) ** 2)


@case(lambda rng: (normal(rng, 5),))
def default_argument(x, scale=2.0):
    return np.sum(np.sin(scale * x))


@case(lambda rng: (float(rng.uniform(0.5, 2.0)), float(rng.normal())), wrt=(0, 1))
def python_float_power(x, y):
    return x**y + y**2


@case(lambda rng: (np.float64(rng.normal()),))
def numpy_scalar_input(x):
    return np.tanh(x) * x


@case(lambda rng: (normal(rng, 4, 3),))
def gram_matrix(x):
    return np.sum((x.T @ x) * PROJ_34[:, :3])


@case(lambda rng: (normal(rng, 3, 4),))
def method_sum_positional_axis(x):
    return np.sum(np.exp(x.sum(0)) * RAMP4)


@case(lambda rng: (normal(rng, 3, 4),))
def method_reshape_flat(x):
    return np.sum(x.reshape(-1) * np.arange(12.0))


@case(lambda rng: (normal(rng, 6),))
def slice_negative_step_bounds(x):
    return np.sum(x[4:1:-1] * RAMP3)


@case(lambda rng: (normal(rng, 3, 4),))
def index_none_ellipsis_integer(x):
    return np.sum(x[None, ..., 1] * x[:, None, 2])


@case(lambda rng: (normal(rng, 4),))
def repeated_index_of_temporary(x):
    return np.sum(np.sin(x)[[3, 3, 1, 3]] * RAMP4)


@case(lambda rng: (normal(rng, 20, 30), normal(rng, 30)), wrt=(0, 1))
def larger_inputs(a, v):
    return np.mean(np.tanh(a @ v) ** 2)


@case(lambda rng: (normal(rng, 4, 3), normal(rng, 3), 0.5 * normal(rng, 3)), wrt=(0, 1, 2))
def tuple_assignment_from_calls(x, w, b):
    z, s = np.tanh(x @ w), np.sum(b * b)
    return np.sum(z) * s


@case(lambda rng: (positive(rng, 3),))
def reductions_of_a_list_along_an_axis(x):
    rows = [x, 2.0 * x + 1.0]
    pair = (x, x * x)
    top = np.max(rows, axis=0) + np.min(rows, axis=0) + np.mean(pair, axis=1).sum()
    return np.sum(top * np.std(rows, axis=0))


@case(lambda rng: (normal(rng, 4, 3),))
def reductions_written_as_functions_of_arrays(x):
    z = x * x + 1.0
    m = np.max(z, axis=1, keepdims=True)
    s = np.sum(np.exp(z - m), axis=1, keepdims=True)
    return np.sum(np.log(s) + m) + np.mean(z, 0).sum() + np.sum(np.min(z, axis=0) ** 2)


@case(lambda rng: (normal(rng, 3),))
def nested_list_display_bound_to_a_name(x):
    m = [[x[0], x[1]], [x[2], 2.0 * x[0]]]
    return np.sum(np.array(m) ** 2) + m[1][0] * m[0][1]


@case(lambda rng: (normal(rng, 3),))
def copy_of_a_comprehension_list(x):
    rows = [x, 2.0 * x]
    copied = [v for v in rows]
    return np.sum(copied[0] * copied[1])


@case(lambda rng: (normal(rng, 3), normal(rng, 1, 1)))
def item_of_arrays(x, s):
    return (x * x).sum().item() * 3.0 + s.item() * np.sum(x)


@case(lambda rng: (positive(rng, 3),))
def interp_of_lists(x):
    values = np.interp([0.2, 0.5, 1.5], [0.0, 1.0, 2.0], [x[0], x[1], x[2] ** 2])
    return np.sum(values * values)


def _dense(p, x):
    return np.tanh(x @ p["w"] + p["b"])


@case(lambda rng: (normal(rng, 3, 2), normal(rng, 2), normal(rng, 4, 3)), wrt=(0, 1))
def dict_of_parameters_built_inside(w, b, x):
    params = {"w": w, "b": 2.0 * b, "layers": 1}
    h = _dense(params, x)
    scaled = {0: h, "scale": np.sum(params["w"] ** 2)}
    return np.sum(scaled[0] ** 2) * params["layers"] + scaled["scale"]


@case(lambda rng: (distinct(rng, 4), [0.3, -0.8, 1.1]))
def sorted_lists_grown_and_read(x, extra):
    ranked = sorted(x * x)  # a list, appended to and read by constant and loop indices
    ranked.append(max(extra) * x[0])
    total = ranked[0] * ranked[-1]
    for i in range(len(ranked)):
        total = total + i * ranked[i]
    return total + min(sorted(extra)[1:]) * sorted([x[1], x[2]], reverse=True)[0]


@case(lambda rng: (positive(rng, 3), positive(rng, 3)))
def augmented_assignment_to_an_alias_never_read_again(x, y):
    # `z += y` changes v's array too, but nothing reads v after it: the value is z's
    v = x * 1.0
    z = v
    z += y
    return np.sum(np.log(z))


@case(lambda rng: (normal(rng, 3), normal(rng, 2, 3)))
def augmented_assignments_that_rebind(x, m):
    s = x[0]  # a number: `s *= ...` rebinds it and changes nothing else
    s *= 3.0
    row = m[1, 2]
    row += s
    acc = np.zeros(3)  # an array of the function's own: += changes only it
    acc += x * row
    return np.sum(acc * x) + s


@case(lambda rng: (positive(rng, 3),))
def interp_queries_between_listed_knots(x):
    # (forward mode indexed the listed knots with an array, and crashed)
    return np.sum(np.interp(x, [0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 1.0, 3.0]) ** 2)


def _l2(params):
    return sum(np.sum(w**2) for w in params.values())


@case(lambda rng: (normal(rng, 3, 2), normal(rng, 2), normal(rng, 4, 3)), wrt=(0, 1))
def dict_views_and_iteration(w, b, x):
    params = {"w": w, "b": b}
    h = np.tanh(x @ params["w"] + params["b"])
    total = np.sum(h**2) + 0.1 * _l2(params)
    for name, value in params.items():
        total = total + np.sum(value) * len(name)
    for key in params:
        total = total + np.mean(params[key] ** 2)
    return total + sum(len(k) for k in params.keys())  # noqa: SIM118  (d.keys() on purpose)


@case(lambda rng: ({"a": normal(rng, 3), "c": normal(rng, 2, 2)},))
def dict_argument_iterated(p):
    total = 0.0
    for key in p:
        total = total + np.sum(np.sin(p[key]))
    return total + sum(np.sum(v**3) for v in p.values())


@case(lambda rng: (normal(rng, 4, 3), np.array([4, 2, 4])))
def setitem_with_repeated_positions(x, idx):
    # the value written first to a repeated position never arrives: only the last write does
    y = np.zeros(6)
    y[[0, 1, 1]] = x[0]
    z = np.zeros(5)
    z[idx] = x[1] * 2.0
    return np.sum(y * np.arange(6)) + np.sum(z * np.arange(5.0) ** 2)


@case(lambda rng: (normal(rng, 4, 3),))
def adjoint_that_is_a_view_of_an_array_updated_in_place(x):
    # x's adjoint was np.reshape(y, ...), a view of y, which the reverse sweep then restored
    y = np.zeros(12)
    y[::2] = x.ravel()[:6]
    return np.sum(y.reshape(4, 3) * x)
