"""Rules for srcgrad's own runtime helpers that generated code calls (`tangent_like`,
`choose_adjoint`, ...), both modes, so that generated code can be differentiated again
(`grad(grad(f))`, Hessians): higher orders are transforms of transforms.

A helper without a rule here is differentiated from its source, like the user's own functions.
"""

import numpy as np

from ..runtime import (
    added,
    added_adjoint,
    added_tangent,
    check_scalar,
    choose_adjoint,
    clip_weights,
    extreme_shares,
    inverse_permutation,
    joined,
    joined_adjoint,
    joined_tangent,
    mean_count,
    nonnegative,
    permuted,
    real_tangent,
    sequence_adjoint,
    sorted_order,
    summed_at,
    tangent_like,
    unbroadcast,
    zero_gradient,
    zero_tangent,
)
from .interpolation import polynomial_derivative_factors
from .order_statistics import quantile_axes, quantile_shares
from .registry import SAME, adjoint, linear, nondifferentiable, tangent

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


# summed_at(index, weights, size) adds each weight at its position: linear in the weights, whose
# adjoint reads the positions back
@linear(summed_at, differentiable=["weights"])
def summed_at_adjoint(g, ans, index, weights, size):
    return g[index]


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


# joined(a, b) joins two tuples or lists (analyse/containers.py writes `a + b` so where both
# are): each operand's adjoint is its part of the result's, split where `a` ends
@adjoint(joined)
def joined_adjoints(g, ans, a, b):
    return joined_adjoint(g, ans, a, b, 0), joined_adjoint(g, ans, a, b, 1)


@tangent(joined, joint=True)
def joined_tangents(ans, a, b):
    return joined_tangent(a_dot, b_dot, a, b)


# the tangent of a join, in forward code differentiated again (a Hessian): linear in the tangents
@adjoint(joined_tangent, differentiable=["a_dot", "b_dot"])
def joined_tangent_adjoints(g, ans, a_dot, b_dot, a, b):
    return joined_adjoint(g, ans, a, b, 0), joined_adjoint(g, ans, a, b, 1)


# added(a, b): `a + b` of what functions known only as the code runs returned (two lists are
# joined, two arrays added): each rule looks at the values
@adjoint(added)
def added_adjoints(g, ans, a, b):
    return added_adjoint(g, ans, a, b, 0), added_adjoint(g, ans, a, b, 1)


@tangent(added, joint=True)
def added_tangents(ans, a, b):
    return added_tangent(a_dot, b_dot, a, b)


# tuple(xs): the same values in a tuple (the starred pass writes `(*hs, x)` of a list of a length
# known only as the code runs as `tuple(hs) + (x,)`; `list(xs)` is a loop of appends)
@linear(tuple, differentiable=["iterable"])
def sequence_of(g, ans, iterable=()):
    return sequence_adjoint(g, iterable)
