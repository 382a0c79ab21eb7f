"""Rules for srcgrad's own runtime helpers that generated code calls (`tangent_like`,
`choose_adjoint`, ...), both modes, so that generated code can be differentiated again
(`grad(grad(f))`, Hessians): higher orders are transforms of transforms.

A helper without a rule here is differentiated from its source, like the user's own functions.
"""

import numpy as np

from ..runtime import (
    check_scalar,
    choose_adjoint,
    clip_weights,
    extreme_shares,
    inverse_permutation,
    mean_count,
    nonnegative,
    permuted,
    real_tangent,
    sorted_order,
    tangent_like,
    unbroadcast,
    zero_gradient,
    zero_tangent,
)
from .interpolation import polynomial_derivative_factors
from .order_statistics import quantile_axes, quantile_shares
from .registry import SAME, linear, nondifferentiable

# values that do not move with the inputs: zeros, masks, counts, signs, shapes, orders, and the
# shares of the elements a max, min or quantile picks (constant wherever the derivative exists)
nondifferentiable(
    zero_tangent,
    zero_gradient,
    clip_weights,
    mean_count,
    inverse_permutation,
    check_scalar,
    nonnegative,
    extreme_shares,
    sorted_order,
    quantile_shares,
    quantile_axes,
    polynomial_derivative_factors,
)


@linear(tangent_like, differentiable=["t"])
def tangent_like_adjoint(g, ans, t, like):
    return unbroadcast(g, t)


@linear(real_tangent, differentiable=["t"], shape=SAME)
def real_tangent_adjoint(g, ans, t, like):
    return g


# choose_adjoint(g, ans, x, ...) spreads g over the extreme elements of x: linear in g; the
# choice itself moves only where two elements tie, where the derivative does not exist
@linear(choose_adjoint, differentiable=["values"])
def choose_adjoint_adjoint(g, ans, values, extreme, x, axis=None, keepdims=False):
    share = choose_adjoint(np.ones_like(values, dtype=float), extreme, x, axis, keepdims)
    return np.sum(g * share, axis=axis, keepdims=keepdims)


# permuted(values, order) lists values[i] for each i in order: its adjoint puts g back
@linear(permuted, differentiable=["values"])
def permuted_adjoint(g, ans, values, order):
    return np.take(g, np.argsort(order), axis=0)
