"""A srcgrad gradient called inside a differentiated function, in the forms programs written
for autograd and JAX use: of a nested function (MAML's inner steps), made at module level or
in an enclosing function and closed over (a gradient penalty), of a lambda or a
`functools.partial`, `value_and_grad`, and with respect to several arguments. Each is
differentiated through the gradient's generated code (second order), in reverse and forward
mode and for a Hessian, against finite differences of plain Python."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

X = np.random.RandomState(0).randn(6, 3)
Y = np.random.RandomState(1).randn(6)


def maml(w):
    def inner_loss(v):
        return np.mean((X @ v - Y) ** 2)

    g = srcgrad.grad(inner_loss)
    v = w
    for _ in range(2):
        v = v - 0.1 * g(v)
    return inner_loss(v)


def maml_over_a_differentiated_value(w):
    def inner_loss(v):  # (reads w: the inner gradient depends on it)
        return np.sum((v - w) ** 2 * v) + np.mean((X @ v - Y) ** 2)

    g = srcgrad.grad(inner_loss)
    v = w * 2.0
    v = v - 0.1 * g(v)
    return np.sum(v**3)


def f(x):
    return np.sum(np.cosh(x) + x**3 / 3)


g_outer = srcgrad.grad(f)


def sum_of_grad(x):
    return np.sum(np.sin(g_outer(x)))


def penalised(scale):
    g = srcgrad.grad(f)

    def objective(w):  # (a gradient penalty: g closed over, made outside)
        return f(w) + np.sum(g(w * scale) ** 2)

    return objective


objective = penalised(np.array([1.0, 2.0, 0.5]))


def loss(v, data, scale=1.0):
    return scale * np.mean((data @ v - Y) ** 2) + np.sum(np.sin(v))


value_and_grad_outer = srcgrad.value_and_grad(loss)


def with_value_and_grad(w):
    value, g = value_and_grad_outer(w, X)
    return value * np.sum(g**2)


def with_value_and_grad_by_keyword(w):
    vg = srcgrad.value_and_grad(loss, wrt="scale")
    value, g = vg(w, X, scale=np.sum(w))
    return value + g * np.sum(w)


def of_a_lambda(w):
    g = srcgrad.grad(lambda v: loss(v, X, np.sum(w**2)))
    return np.sum(g(w * 0.5) ** 2)


def of_a_partial(w):
    g = srcgrad.grad(functools.partial(loss, data=X, scale=np.sum(w)))
    return np.sum(g(w) ** 2)


def of_a_named_partial(w):
    p = functools.partial(loss, data=X)
    g = srcgrad.grad(p)
    return np.sum(g(w) ** 2)


def called_where_made(w):
    def inner(v):
        return np.sum(np.tanh(v * w))

    return np.sum(srcgrad.grad(inner)(w) ** 2)


def with_respect_to_both(w):
    gv, gs = srcgrad.grad(loss, wrt=(0, 2))(w, X, np.sum(w))
    return np.sum(gv**2) + gs


CASES = [
    maml,
    maml_over_a_differentiated_value,
    sum_of_grad,
    objective,
    with_value_and_grad,
    with_value_and_grad_by_keyword,
    of_a_lambda,
    of_a_partial,
    of_a_named_partial,
    called_where_made,
    with_respect_to_both,
]
W = np.array([0.3, -0.2, 0.1])


@pytest.mark.parametrize("fn", CASES, ids=lambda fn: fn.__name__)
def test_reverse_mode(fn):
    value, got = srcgrad.value_and_grad(fn)(W)
    assert value == pytest.approx(fn(W), rel=1e-12)
    np.testing.assert_allclose(got, finite_differences(fn, [W], 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", CASES, ids=lambda fn: fn.__name__)
def test_forward_mode(fn):
    direction = np.array([0.4, 1.0, -0.7])
    value, tangent = srcgrad.jvp(fn, (W,), direction, wrt=0)
    assert value == pytest.approx(fn(W), rel=1e-12)
    want = np.sum(finite_differences(fn, [W], 0) * direction)
    assert tangent == pytest.approx(want, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("fn", CASES[:4] + CASES[6:8], ids=lambda fn: fn.__name__)
def test_hessian(fn):
    gradient = srcgrad.grad(fn)
    rows = [functools.partial(lambda w, k: gradient(w)[k], k=k) for k in range(3)]
    want = np.array([finite_differences(row, [W], 0) for row in rows])
    np.testing.assert_allclose(srcgrad.hessian(fn)(W), want, rtol=1e-5, atol=1e-7)


def test_the_gradient_of_a_partial_outside():
    got = srcgrad.grad(functools.partial(loss, data=X, scale=2.0))
    np.testing.assert_allclose(got(W), srcgrad.grad(loss)(W, X, 2.0))
    by_position = srcgrad.grad(functools.partial(loss, W), wrt="scale")
    assert by_position(X, 2.0) == pytest.approx(srcgrad.grad(loss, wrt=2)(W, X, 2.0))
    assert "def grad_loss" in got.source


forward_outer = srcgrad.forward(f)


def with_forward(x):
    return np.sum(forward_outer((np.ones(3),), x)[1])


def with_a_gradient_of_a_gradient(x):
    return srcgrad.grad(srcgrad.grad(lambda s: np.sin(s) * s))(x[0])


@pytest.mark.parametrize("fn", [with_forward, with_a_gradient_of_a_gradient])
def test_other_transforms_inside_are_refused_at_the_line(fn):
    line = fn.__code__.co_firstlineno + 1
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=rf"test_inner_gradients.py:{line}:"):
        srcgrad.grad(fn)(W)
