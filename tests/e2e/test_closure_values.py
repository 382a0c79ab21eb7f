"""Closures over differentiated values, passed as values: `scan(step, h, xs)` where `step` (a
nested function or a lambda) reads the parameters. The closure is differentiated as a
container of what it holds, and the helper that calls it differentiates that too, in both
modes, through several helpers, lists of closures and closures that call nested functions."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad


def scan(step, carry, xs):
    for x in xs:
        carry = step(carry, x)
    return carry


def run_twice(fn, h, xs):
    return scan(fn, h, xs) + scan(fn, h * 0.5, xs[::-1])


def rnn(W, b, xs):
    def step(h, x):
        return np.tanh(W @ h + x + b)

    return np.sum(run_twice(step, np.zeros(3), xs) ** 2)


def lambda_step(W, b, xs):
    return np.sum(scan(lambda h, x: np.sin(W @ h) * b + x, np.ones(3), xs))


def list_of_closures(W, b, xs):
    data = xs * 2.0

    def weigh(h, x):
        return np.sin(W @ h) + x * data[0] + b

    def damp(h, x):
        return 0.5 * h + np.cos(x) * b

    total = 0.0
    for f in [weigh, damp, weigh]:
        total = total + np.sum(scan(f, np.ones(3), xs))
    return total


def closure_calling_a_nested_function(W, b, xs):
    def inner(h):
        return np.tanh(W @ h)

    def step(h, x):
        return inner(h) + x * b

    return np.sum(scan(step, np.zeros(3), xs))


def ode_fit(k, b, ts):
    def rhs(y, t):
        return -k * y + np.sin(t) * b

    def euler(f, y, ts):
        for i in range(len(ts) - 1):
            y = y + (ts[i + 1] - ts[i]) * f(y, ts[i])
        return y

    return np.sum((euler(rhs, np.ones(3), ts) - 0.3) ** 2)


def _args(rng):
    return (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(4, 3)))


CASES = {
    "rnn step through two helpers": (rnn, _args),
    "lambda step": (lambda_step, _args),
    "list of closures": (list_of_closures, _args),
    "closure calling a nested function": (closure_calling_a_nested_function, _args),
    "ode right-hand side": (
        ode_fit,
        lambda rng: (rng.uniform(0.5, 1.0, size=3), rng.normal(size=3), np.linspace(0, 1, 6)),
    ),
}


@pytest.mark.parametrize("wrt", [0, 1])
@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes(name, wrt):
    fn, make = CASES[name]
    args = make(np.random.default_rng(0))
    value, got = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    want = finite_differences(fn, list(args), wrt)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    direction = np.random.default_rng(1).normal(size=np.shape(args[wrt]))
    _, tangent = srcgrad.jvp(fn, args, direction, wrt=wrt)
    assert tangent == pytest.approx(np.sum(want * direction), rel=1e-6, abs=1e-8)


def partial_over_a_parameter(W, xs):  # (called by name: the call of what it wraps)
    step = functools.partial(np.multiply, W)
    return np.sum(scan(lambda h, x: step(h) + x, np.ones(3), xs))


def iterate(step, carry, xs):
    for _ in xs:
        carry = np.tanh(step(carry))
    return carry


def partial_by_keyword_passed_on(W, xs):  # (a value: a closure over its keywords)
    step = functools.partial(np.dot, b=W)
    return np.sum(scan(lambda h, x: step(h) + x, np.ones(3), xs) + iterate(step, xs[0], xs))


def partial_over_a_parameter_passed_on(W, xs):
    step = functools.partial(np.multiply, W)
    return np.sum(iterate(step, np.ones(3), xs))


def nested_function_over_a_parameter(W, xs):  # what the refusal's advice says to write
    def step(h):
        return np.multiply(W, h)

    return np.sum(iterate(step, np.ones(3), xs))


@pytest.mark.parametrize("fn", [partial_over_a_parameter, partial_by_keyword_passed_on])
def test_a_partial_over_a_differentiated_value_in_both_modes(fn):
    _, b, xs = _args(np.random.default_rng(0))
    W = np.diag(b) if fn is partial_by_keyword_passed_on else b
    want = finite_differences(fn, [W, xs], 0)
    np.testing.assert_allclose(srcgrad.grad(fn)(W, xs), want, rtol=1e-6, atol=1e-8)
    direction = np.random.default_rng(1).normal(size=np.shape(W))
    _, tangent = srcgrad.jvp(fn, (W, xs), direction, wrt=0)
    assert tangent == pytest.approx(np.sum(want * direction), rel=1e-6, abs=1e-8)


def test_a_partial_passed_on_holding_a_differentiated_position_is_refused_with_advice():
    _, b, xs = _args(np.random.default_rng(0))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="functools.partial") as info:
        srcgrad.grad(partial_over_a_parameter_passed_on)(b, xs)
    assert "step = functools.partial(np.multiply, W)" in str(info.value)
    assert "nested function" in str(info.value)
    fixed = nested_function_over_a_parameter
    np.testing.assert_allclose(
        srcgrad.grad(fixed)(b, xs), finite_differences(fixed, [b, xs], 0), rtol=1e-6
    )


def captured_by_defaults(W, U, xs):
    h = np.zeros(W.shape[0])

    def step(h, x, W=W, U=U, scale=1.0):
        return np.tanh(W @ h + U @ x) * scale

    W = W * 2.0  # (rebound after the def: the default keeps the W the def saw)
    for x in xs:
        h = step(h, x) + step(h, x, W, scale=0.5)
    return np.sum(h**2)


@pytest.mark.parametrize("wrt", [(0, 1), (0,)])
def test_defaults_computed_where_the_def_stands(wrt):
    rng = np.random.default_rng(7)
    args = (rng.normal(size=(3, 3)) / 2, rng.normal(size=(3, 2)), rng.normal(size=(4, 2)))
    value, got = srcgrad.value_and_grad(captured_by_defaults, wrt=wrt)(*args)
    assert value == pytest.approx(captured_by_defaults(*args), rel=1e-12)
    expected = finite_differences(captured_by_defaults, args, wrt=wrt)
    for g, e in zip(got if len(wrt) > 1 else (got,), expected if len(wrt) > 1 else (expected,)):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-9)
    direction = rng.normal(size=args[0].shape)
    _, tangent = srcgrad.forward(captured_by_defaults)(direction, *args)
    grad_w = got[0] if len(wrt) > 1 else got
    assert tangent == pytest.approx(np.sum(grad_w * direction), rel=1e-6)
