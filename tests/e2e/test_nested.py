"""Nested differentiation: a function that calls `srcgrad.grad(g)` is differentiated through
that gradient, which is generated Python like any other code: the forward-mode code of `g`
where the inner derivative is with respect to a number, one forward-mode call per element,
stacked, where it is with respect to an array."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad


def loglike(r, s):
    return -np.log(1.0 + (r - 1.5) ** 2) * s + np.sin(r * s)


def rprime(r):
    return srcgrad.grad(loglike)(r, 0.5)


def newton_step(r):
    return r - rprime(r) / 2.0


def test_the_derivative_of_a_function_that_takes_a_gradient():
    """The issue's example: `srcgrad.grad(rprime)` where rprime calls `srcgrad.grad`."""
    got = srcgrad.grad(rprime)(0.3)
    assert got == pytest.approx(finite_differences(rprime, [0.3], 0), rel=1e-6)


def newton(r):
    return r - rprime(r) / srcgrad.grad(rprime)(r)


def test_a_third_derivative_through_a_gradient_in_the_code():
    # (the gradient in the code is called through the run-time dispatch: its reverse over
    # forward is the reverse of the forward code made for it as the code runs)
    got = srcgrad.grad(newton)(0.3)
    assert got == pytest.approx(finite_differences(newton, [0.3], 0), rel=1e-6)


def inner_loss(w, x):
    return np.sum(np.tanh(w * x) ** 2) + np.sum(w[:2] * w[1:])


def gradient_norm(w):
    g = srcgrad.grad(inner_loss)(w, 2.0)
    return np.sum(g**2)


def meta_objective(w, data):
    step = srcgrad.grad(inner_loss, wrt="w")  # one step of gradient descent, then the loss
    adapted = w - 0.1 * step(w, data)
    return inner_loss(adapted, data)


def in_a_loop(w):
    total = 0.0
    grad_of = srcgrad.grad(inner_loss)
    for scale in (0.5, 1.0, 2.0):
        total = total + np.sum(np.sin(grad_of(w * scale, 1.5)))
    return total


CASES = {
    "newton step (numbers)": (newton_step, (0.3,)),
    "gradient norm (array)": (gradient_norm, (np.array([0.5, -1.0, 0.3]),)),
    "meta-learning step": (meta_objective, (np.array([0.2, -0.4, 0.7]), 1.3)),
    "in a loop": (in_a_loop, (np.array([0.2, -0.4, 0.7]),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reverse_mode(name):
    fn, args = CASES[name]
    value, got = srcgrad.value_and_grad(fn)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    np.testing.assert_allclose(got, finite_differences(fn, list(args), 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_mode(name):
    fn, args = CASES[name]
    direction = np.linspace(0.3, 1.1, np.size(args[0])).reshape(np.shape(args[0]))
    if not np.ndim(args[0]):
        direction = float(direction)
    value, tangent = srcgrad.jvp(fn, args, direction, wrt=0)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    want = np.sum(finite_differences(fn, list(args), 0) * direction)
    assert tangent == pytest.approx(want, rel=1e-6, abs=1e-8)


def _both(w):
    gw, gx = srcgrad.grad(inner_loss, wrt=(0, 1))(w, np.sum(w))
    return np.sum(gw**2) + gx


def test_an_inner_gradient_with_respect_to_several_arguments():
    w = np.array([0.5, -1.0, 0.3])
    np.testing.assert_allclose(
        srcgrad.grad(_both)(w), finite_differences(_both, [w], 0), rtol=1e-6, atol=1e-8
    )
