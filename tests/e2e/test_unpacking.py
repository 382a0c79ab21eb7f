"""Unpacking assignments: a tuple of tuples (`(W1, b1), (W2, b2) = params`, as JAX users
unpack a parameter tree), unpacked in turn, in both modes; and `a, b = xs` where xs holds
another number of values, which plain Python refuses with ValueError, is refused at the line."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

RNG = np.random.default_rng(3)
PARAMS = [
    (RNG.normal(size=(3, 4)), RNG.normal(size=4)),
    (RNG.normal(size=(4, 2)), RNG.normal(size=2)),
]
X = RNG.normal(size=(5, 3))


def two_layers(params, x):
    (W1, b1), (W2, b2) = params
    h = np.tanh(x @ W1 + b1)
    return np.sum((h @ W2 + b2) ** 2)


def nested_display(x):
    a, (b, c) = x[0], (x[1], x[2] * 2.0)
    return a * b * c


def rows_of_a_view(x):
    (a, b), c = x.reshape(1, 2, 2)[0], x[:2]
    return np.sum(a * b * c)


def enumerate_pairs(params, x):
    for i, (W, b) in enumerate(params):
        x = np.tanh(x @ W + b) * (i + 1)
    return np.sum(x**2)


def clipped_with_numpy_2_keywords(x):
    return np.sum(x.clip(min=0.0) * np.clip(x, max=1.0) + np.clip(x, min=-0.5, max=0.5) ** 2)


@pytest.mark.parametrize("fn", [two_layers, enumerate_pairs], ids=lambda f: f.__name__)
def test_a_tuple_of_tuples_from_a_parameter_tree(fn):
    value, grads = srcgrad.value_and_grad(fn, wrt=(0, 1))(PARAMS, X)
    assert value == pytest.approx(fn(PARAMS, X), rel=1e-12)
    expected = finite_differences(fn, (PARAMS, X), wrt=(0, 1))
    for got, want in zip(grads[0], expected[0]):
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads[1], expected[1], rtol=1e-6, atol=1e-8)
    direction = RNG.normal(size=X.shape)
    _, tangent = srcgrad.forward(fn, wrt=1)(direction, PARAMS, X)
    assert tangent == pytest.approx(np.sum(expected[1] * direction), rel=1e-6)


@pytest.mark.parametrize(
    "fn", [nested_display, rows_of_a_view, clipped_with_numpy_2_keywords], ids=lambda f: f.__name__
)
def test_nested_targets_and_keywords_in_both_modes(fn):
    x = np.array([0.7, -1.0, 2.0, 0.2])
    value, grad = srcgrad.value_and_grad(fn)(x)
    assert value == pytest.approx(fn(x), rel=1e-12)
    np.testing.assert_allclose(grad, finite_differences(fn, (x,)), rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.forward(fn)(np.ones(4), x)
    assert tangent == pytest.approx(np.sum(grad), rel=1e-9)


def _doubled_rows(a):
    out = []
    for r in a:
        out.append(r * 2.0)
    return np.array(out)


def rows_of_a_copied_product(x):
    # (the product's shape is unknown here: the helper builds it from a list)
    v = _doubled_rows(x.reshape(2, 2)) * 1.5
    w = v
    a, b = w
    return np.sum(a * b - b)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_rows_of_an_arithmetic_result_copied_to_another_name(mode):
    x = np.array([0.7, -1.0, 2.0, 0.2])
    expected = finite_differences(rows_of_a_copied_product, (x,))
    if mode == "reverse":
        np.testing.assert_allclose(srcgrad.grad(rows_of_a_copied_product)(x), expected, rtol=1e-6)
    else:
        _, tangent = srcgrad.forward(rows_of_a_copied_product)(np.ones(4), x)
        assert tangent == pytest.approx(np.sum(expected), rel=1e-6)


def fewer_names_than_a_list_holds(x):
    values = [x, x * 2.0, x * 3.0]
    a, b = values
    return np.sum(a * b)


def fewer_names_than_rows(x):
    (a, b), c = x.reshape(3, 1), x
    return np.sum(a * b * c)


@pytest.mark.parametrize(
    "fn", [fewer_names_than_a_list_holds, fewer_names_than_rows], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unpacking_another_number_of_values_is_refused_where_python_raises(fn, mode):
    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(ValueError):
        fn(x)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="unpacking 3 values into 2 names"):
        if mode == "reverse":
            srcgrad.grad(fn)(x)
        else:
            srcgrad.forward(fn)(np.ones(3), x)
