"""Programs the random-program tester found srcgrad getting wrong, minimised by hand.

Each is a plain function with its arguments, checked by `test_random_programs.test_found_program`
exactly as a generated program is. `reason` is the symptom while srcgrad still fails it (the
test is then a strict xfail), None once it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Found:
    fn: Callable
    arguments: Callable[[], tuple]  # fresh arguments for every call
    wrt: tuple[int, ...]
    reason: str | None
    helpers: tuple[Callable, ...] = ()  # shown with the source on failure


CASES: list[Found] = []


def found(arguments: Callable[[], tuple], wrt: tuple[int, ...], reason=None, helpers=()):
    def record(fn: Callable) -> Callable:
        CASES.append(Found(fn, arguments, wrt, reason, helpers))
        return fn

    return record


# ---------------------------------------------------------------- found by the CI profile
# (each one wrong once, fixed since: np.where's mask on a summed scalar operand, `-1.0 ** 2`
# written for (-1.0) ** 2, a for loop over a name its body rebinds)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]), 2.0),
    wrt=(0, 1),
)
def where_masks_broadcast_scalar(x, s):
    y = s * x - np.tanh(s)
    v = np.where(y > 0.0, y, x)
    return np.sum(v)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]),),
    wrt=(0,),
)
def negative_constant_to_a_power(x):
    return np.sum(x * np.log(2.5 + (-1.0) ** 2))


@found(
    lambda: (np.array([0.2, 0.6]),),
    wrt=(0,),
)
def loop_over_rows_of_a_rebound_array(y):
    for row in y:
        y = np.tanh(y + row)
    return np.sum(y)


@found(
    lambda: (np.array([-0.3, -0.5, -0.7]),),
    wrt=(0,),
)
def name_rebound_in_branch_after_use(x):
    v = np.sin(x)
    if np.sum(x) < 0.0:
        x = x * 2.0
    return np.sum(v)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]), 0.5),
    wrt=(0, 1),
    reason=None,  # fixed: zeros take the shape of the value as the if found it
)
def parameter_rebound_in_branch(y, t):
    if t > 0.0:
        t = y * 2.0
    return np.sum(t)


@found(
    lambda: (np.array([0.3, 0.2]), np.array([0.3, -0.5, 0.7])),
    wrt=(0, 1),
    reason=None,  # fixed: the zeros of a rebound argument take its shape at the call
)
def unused_parameter_rebound_in_branch(x, y):
    if y[0] > -5.0:
        x = y  # noqa: F841  (the rebinding is the point)
    return np.sum(y)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]),),
    wrt=(0,),
)
def value_through_alias_of_updated_array(x):
    y = x * 2.0
    y[:] = np.exp(y)
    v = y
    return np.sum(v)


def two_results(p):
    return p * 2.0, np.tanh(p)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]),),
    wrt=(0,),
    reason=None,  # fixed: the zeros of an unused part are read from the tuple
    helpers=(two_results,),
)
def helper_tuple_result_in_loop(z):
    total = 0.0
    for _ in range(2):
        a, b = two_results(z)
        total = total + np.sum(a)
    return total


@found(
    lambda: (np.full((2, 3), 0.1) + np.eye(2, 3) * 0.8, np.arange(6.0).reshape(2, 3) / 10),
    wrt=(0, 1),
)
def parameter_rebound_in_a_branch_not_taken(x, y):  # y was not saved: parameters now count
    v2 = np.mean(y, axis=0, keepdims=True) if x[0, 0] >= 0.8 else np.maximum(y, y)
    if np.mean(x) > 0.4:
        return np.sum(v2) + np.mean(np.sin(v2))
    y3 = x.copy()
    y = y3[[0, 0], -2] * np.sin(np.sum(y))
    return np.sum(y3**2)


def value_and_maximum(p):
    return 0.5 * p, np.max(p)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]), 0.5),
    wrt=(0, 1),
    reason=None,  # fixed: the zeros of an unused part are read from the tuple
    helpers=(value_and_maximum,),
)
def helper_tuple_element_rebound_in_branch(y, s):
    a, b = value_and_maximum(y)
    if s > 0.0:
        a = s * 2.0  # noqa: F841  (the rebinding is the point)
    return b


@found(
    lambda: (np.array([0.3, -0.5, 0.7]), 0.5),
    wrt=(0, 1),
    reason=None,  # fixed: a caller's tuple adjoint with None parts is read as zeros
    helpers=(value_and_maximum,),
)
def helper_tuple_element_zero_adjoint(y, s):
    a, b = value_and_maximum(y)
    if s > 0.0:
        a = s * 2.0
    return np.sum(a) + b


# ---------------------------------------------------------------- found by the long profile


def cos_pair(p):
    return p, np.cos(p)


@found(
    lambda: (np.array([0.3, -0.5, 0.7, 0.1]), np.array([0.1, 0.7, -0.5, 0.3])),
    wrt=(0, 1),
    reason=None,  # fixed: a caller's tuple adjoint with None parts is read as zeros
    helpers=(cos_pair,),
)
def helper_tuple_element_in_arm_not_taken(y, z):
    a, b = cos_pair(y)
    v = 0.5 * y if y[0] <= 1.85 else z * b
    return np.sum(v)


def tanh_and_sum(r):
    return np.tanh(r), np.sum(r)


@found(
    lambda: (np.array([[0.3, -0.5, 0.7, 0.1]]),),
    wrt=(0,),
    reason=None,  # fixed: a caller's tuple adjoint with None parts is read as zeros
    helpers=(tanh_and_sum,),
)
def helper_tuple_element_after_early_return(y):
    a, b = tanh_and_sum(y)
    if b > 5.0:
        return b
    b = a[::-1]
    return np.sum(np.sin(b))


@found(
    lambda: (np.array([0.3, -0.5, 0.7, 0.1]),),
    wrt=(0,),
    reason=None,  # fixed: the zeros of an unused part are read from the tuple
    helpers=(cos_pair,),
)
def helper_tuple_element_rebound_in_loop(x):
    a, b = cos_pair(x)
    for _ in range(1):
        b = b * 2.0
    return np.sum(a)


@found(
    lambda: (np.array([[0.3, -0.5, 0.7, 0.1]]),),
    wrt=(0,),
    reason=None,  # fixed: zeros take the shape of the value just after the if or loop
)
def array_updated_then_rebound_after_early_return(y):
    out = np.ones(4)
    out[3] *= np.tanh(np.sum(y))
    if np.sum(y) > 5.0:
        return np.sum(out)
    out = np.sin(y)
    return np.sum(out)


@found(
    lambda: (np.array([0.3, -0.5, 0.7, 0.1]), np.full((2, 3), 0.5), 0.5),
    wrt=(0, 1, 2),
    reason=None,  # fixed: the zeros of a rebound argument take its shape at the call
)
def parameter_rebound_after_early_return(x, z, s):
    if s > 5.0:
        return np.sum(z)
    x = np.max(z, axis=1)  # noqa: F841  (the rebinding is the point)
    return np.sum(z)


@found(
    lambda: (np.array([0.3, -0.5, 0.7]), np.linspace(-0.8, 0.8, 9).reshape(3, 3)),
    wrt=(0, 1),
    reason=None,  # fixed: zeros take the shape of the value just after the if or loop
)
def loop_reads_array_rebound_later(x, W):
    for _ in range(2):
        x = x * np.sum(W, axis=0)
    for _ in range(2):
        W = np.tanh(W)
    W = np.max(W, axis=1)
    return np.sum(x)


@found(
    lambda: (np.array([0.3, -0.5, 0.7, 0.1]),),
    wrt=(0,),
    reason=None,  # fixed: y[:] = y zeroes the overwritten part before adding the share
)
def update_with_itself(x):
    y = x * 2.0
    y[:] = y
    return np.sum(y)


# ---------------------------------------------------------------- found by the second long run


@found(
    lambda: (
        np.array([[-0.37, -0.1, -0.51, 0.76]]),
        np.array([[-0.75, 0.72, -0.56, 0.1]]),
        0.68,
        np.linspace(-0.9, 0.9, 16).reshape(4, 4),
    ),
    wrt=(0, 1, 2, 3),
    reason=None,  # fixed: an np.where mask made on one path of an if no longer outlives it
)
def where_mask_made_in_one_branch(x, y, s, W):
    x = x + np.tanh(np.dot(x, W) - np.sin(x))
    if not 1.075 < s < 1.25:  # noqa: SIM108  (the if statement is the point)
        W = W * 2.0
    else:
        W = W - np.tanh(np.where(x > x, x, y))
    return np.sum(W) + np.sum(y**2)


@found(
    lambda: (np.linspace(-0.6, 0.7, 9).reshape(3, 3), 0.3),
    wrt=(0, 1),
    reason=None,  # fixed: a list rebound every step of the outer loop came back from the tape
)
def list_rebound_in_outer_loop_grown_in_inner(x, c):
    for row in x:
        items = []
        items.append(x - np.tanh(x.sum(axis=-1, keepdims=True)))
        c = np.tanh(row @ row)
        i = 0
        while i < 3:
            i = i + 1
            x = np.cos(items[0])
            items.append(np.tanh(items[0] * np.max(row)) + (x - c))
    return np.sum(x[-2] ** 2)


@found(
    lambda: (np.array([[1.76, 1.81, 1.1, 1.5]]), np.array([[0.84, 1.98, 1.95, 1.97]])),
    wrt=(0, 1),
    reason=None,  # fixed: `v = y` rebound to a new array before the update no longer refused
)
def alias_rebound_before_update(x, y):
    v = y
    v = y[None].sum(axis=(0, 1), keepdims=True)
    v[0] = y[[0]]
    if x[0, 0] < 0.65:
        v = np.tanh(v - np.mean(v, axis=-3))
        return np.sum(v) + np.sum(x)
    return np.mean(np.sin(v)) + np.mean(np.sin(x)) + np.sum(x)


@found(
    lambda: (np.linspace(-0.9, 0.9, 16).reshape(4, 4), np.array([1.6, 1.6, 0.8]), 1.2),
    wrt=(0, 1, 2),
    reason=None,  # fixed: -1.0 * hits was written -hits, and hits is a boolean array
)
def negated_max(W, y, s):
    W = -np.max(W)
    return W + np.mean(np.sin(y)) + np.sum(s)


@found(
    lambda: (np.array([[1.98, 1.67]]), 1.45),
    wrt=(0, 1),
    reason=None,  # fixed: zeros for v5's adjoint read v5, which `continue` left unbound
)
def name_bound_after_continue(x, s):
    out = np.zeros(1)
    for k in range(1):
        v3 = np.where(x > np.mean(out), out, x) if 1.14 < s < 1.6 else (x * out)
        if v3[0, 1] < 0.8:
            continue
        else:
            v5 = x + s
        out[k] *= np.tanh(np.log(2.0 + np.sin(np.tanh(np.sum(out @ v5, axis=0)))))
    return np.sum(out) + np.sum(out)


@found(
    lambda: (np.array([[0.88, 0.02, 0.95, -0.83]]), 0.21, 2),
    wrt=(0, 1),
    reason=None,  # fixed: np.where(c, 1.0, 0.0) of a number c was taken for x's full adjoint
)
def where_on_a_number_under_a_sum(x, s, n):
    v1 = np.where(s > s, x, x)
    return np.sum(v1)


def _root_and_log(p, q, r):
    return np.sqrt(2.0 + np.sin(q)), np.log(2.0 + np.sin(np.tanh(np.sum(r)))) if q > 0.0 else q


@found(
    lambda: (np.array([[0.88], [1.29]]), 0.52, 1.45),
    wrt=(0, 1, 2),
    reason=None,  # fixed: v1 held a helper's tuple part, then a float; its zero adjoint was None
    helpers=(_root_and_log,),
)
def tuple_part_name_rebound_in_loop(x, s, t):
    v1, v2 = _root_and_log(x, t, r=x)
    v1 = s
    for _ in x:
        v1 = np.cos(s)
    v6 = np.tanh(x)
    return np.sum(v6) + np.sum(v1**2)


@found(
    lambda: (np.array([[0.3, 0.9], [1.2, 0.4]]), 0.98, 0.78),
    wrt=(0, 1, 2),
    reason=None,  # fixed: the mask np.where left on x's adjoint in one pass over the loop body
    # reached the next pass, and was put on the adjoint of the `+ np.sin(...)` beside it
)
def where_mask_carried_round_a_loop(x, s, t):
    for _ in range(2):
        x = np.tanh(np.where(x > t, 1.0, t / (1.5 + np.tanh(x))) + np.sin(s / (2.0 + np.sin(s))))
    return np.mean(np.sin(x))


def _doubled(r):
    return r + r


@found(
    lambda: (np.array([0.27, -0.46]), -0.92),
    wrt=(0, 1),
    reason=None,  # fixed: every step `continue`d before v6 was bound; its adjoint's zeros
    # were np.zeros_like(v6), an UnboundLocalError (v6's shape is not known: 0.0 now)
    helpers=(_doubled,),
)
def continue_before_a_name_is_first_bound(x, s):
    v1 = _doubled(x)  # (a helper's result: the shape analysis does not know its shape)
    out = np.zeros(2)
    for k in range(2):
        if out[1] > 0.8:
            v6 = np.tanh(v1 * x)
            r5 = s
        else:
            continue
        out[k] = np.tanh(r5 - np.tanh(np.dot(np.tanh(v6), x)))
    return np.sum(out[[1, 0, 1]] ** 2) + np.sum(x) * s
