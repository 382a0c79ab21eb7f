"""Memory: the log-likelihood of a sigmoid's result differentiated as one step (`y - p`), in
every mode and order, and large elementwise expressions of generated gradients worked out in
one array, which gives the very numbers the expressions as written give.
"""

from __future__ import annotations

import functools
import gc
import re
import tracemalloc
import types

import numpy as np
import pytest
from finite_differences import gradient as finite_gradient

import srcgrad
from srcgrad.optimize import elision, release


def logistic(w, x, y):
    z = x @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_swapped(w, x, y):
    z = x @ w
    p = 1.0 / (np.exp(-z) + 1.0)
    return -np.sum(np.log(1.0 - p) * (1.0 - y) + np.log(p) * y) + np.sum(p * p)


def logistic_of_logits(z, y):
    p = 1 / (1 + np.exp(-z))
    return np.sum((y * np.log(p) + (1 - y) * np.log(1 - p)) * np.arange(z.shape[0]))


def chain(x):
    y = np.sqrt(np.log1p(np.exp(np.sin(x))))
    return np.sum(np.maximum(y, 0.9))


def layer_norm(x, gamma, beta, c):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    xn = xc / np.sqrt(var + 1e-5)
    y = xn * gamma + beta
    return np.sum(y * c)


def mixed(a, b):
    t = np.tanh(a) * b
    u = 2.0 * (t - b) / (1.0 + a * a) + t * t
    return np.sum(u * np.cos(a))


def fresh(function):
    """A new function object of the same code (its own cache of generated code)."""
    return types.FunctionType(function.__code__, function.__globals__, function.__name__)


def _data(rows: int, columns: int = 3):
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, columns))
    return rng.normal(size=columns), x, rng.integers(0, 2, rows).astype(float)


@pytest.mark.parametrize("function", [logistic, logistic_swapped])
def test_the_log_likelihood_of_a_sigmoid_against_finite_differences(function):
    args = _data(7)
    got = srcgrad.grad(fresh(function), wrt=(0, 2))(*args)
    want = finite_gradient(function, args, wrt=(0, 2))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


def test_the_labels_get_their_derivative_and_the_code_reads_as_by_hand():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=6), rng.uniform(size=6)
    gradient = srcgrad.grad(fresh(logistic_of_logits), wrt=(0, 1))
    got = gradient(z, y)
    want = finite_gradient(logistic_of_logits, (z, y), wrt=(0, 1))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)
    assert "(y - p)" in gradient.source and "p * (1.0 - p)" not in gradient.source


def test_second_derivatives_and_forward_mode_through_the_log_likelihood():
    w, x, y = _data(9)
    p = 1 / (1 + np.exp(-(x @ w)))
    hessian = srcgrad.hessian(fresh(logistic))(w, x, y)
    np.testing.assert_allclose(hessian, x.T @ (x * (p * (1 - p))[:, None]) / 9, rtol=1e-9)
    v = np.array([0.5, -1.0, 2.0])
    _, tangent = srcgrad.jvp(fresh(logistic), (w, x, y), (v,), wrt=0)
    np.testing.assert_allclose(tangent, x.T @ (p - y) / 9 @ v, rtol=1e-9)


def test_the_logistic_regressions_gradient_holds_two_arrays_at_most():
    w, x, y = _data(1 << 14, 8)
    gradient = srcgrad.grad(fresh(logistic))
    gradient(w, x, y)
    call = gradient._latest.function
    call(w, x, y)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        call(w, x, y)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 2.2 * y.nbytes  # (z or p and the adjoint: as a hand-written gradient)


@pytest.mark.parametrize(
    ("function", "make"),
    [
        (chain, lambda rng: (rng.normal(size=5000),)),
        (logistic, lambda rng: _data(5000)),
        (
            layer_norm,
            lambda rng: (
                rng.normal(size=(100, 50)),
                *rng.normal(size=(2, 50)),
                rng.normal(size=(100, 50)),
            ),
        ),  # fmt: skip
        (mixed, lambda rng: tuple(rng.normal(size=(2, 80, 60)))),
    ],
)
def test_work_in_place_gives_the_very_same_numbers(function, make, monkeypatch):
    """Every statement that can be worked out in one array is (not only at the peak of memory,
    as srcgrad does), and the gradient is the one without, to the last bit."""
    monkeypatch.setenv("SRCGRAD_CACHE", "0")  # (code made before would hide the change)
    args = make(np.random.default_rng(2))
    copies = [np.copy(a) for a in args]
    everywhere = functools.partial(elision.elide, everywhere=True)
    monkeypatch.setattr(release, "elide", everywhere)
    gradient = srcgrad.grad(fresh(function))
    got = gradient(*args)
    monkeypatch.setattr(release, "elide", lambda fn, ctx, large: None)
    plain = srcgrad.grad(fresh(function))
    want = plain(*args)
    augmented = re.compile(r" [-+*/]= ")
    assert len(augmented.findall(plain.source)) < len(augmented.findall(gradient.source))
    np.testing.assert_array_equal(got, want)
    for given, kept in zip(args, copies):  # (the caller's arrays are never written)
        np.testing.assert_array_equal(given, kept)
