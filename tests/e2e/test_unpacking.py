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


# ---- a value taken apart, or joined, more than once: its adjoint's parts added, never joined ----


def _row_means(p):
    return p.mean(axis=1, keepdims=True)  # (an array of a shape the caller does not know)


def _pair(p):
    return p[0] * 2.0, np.sin(p[1])


def _halves(p):
    return np.split(p.ravel(), 2)


def rows_of_a_helper_s_array(x, Y):
    a, b = _row_means(Y)
    return np.sum(a * b * x)


def a_helper_s_array_unpacked_twice(x, Y):
    h = _row_means(Y)
    a, b = h
    c, d = h
    return np.sum(b * c) + np.sum(x)


def a_helper_s_tuple_unpacked_twice(x, Y):
    h = _pair(Y)
    a, b = h
    c, d = h
    return np.sum(a * d * x)


def a_helper_s_list_joined_twice(x, Y):
    parts = _halves(Y)
    w = np.vstack(parts)
    return np.sum(w**3) + np.sum(np.concatenate(parts) * np.tile(x, 2))


def a_tuple_unpacked_twice(x, Y):
    t = (x * 2.0, np.sin(Y[0]))
    p, q = t
    r, s = t
    return np.sum(p * s) + np.sum(q)


def a_tuple_joined_twice(x, Y):
    t = (x * 2.0, np.sin(Y[0]))
    w = np.vstack(t)
    return np.sum(w**3) + np.sum(np.concatenate(t) * Y.ravel())


def a_list_copied_and_stacked_twice(x, Y):
    xs = [x * 2.0, np.sin(Y[1])]
    ys = xs
    return np.sum(np.stack(ys) ** 2) + np.sum(np.stack(xs) * Y)


def a_list_copied_and_unpacked_twice(x, Y):
    xs = [x * 2.0, np.sin(Y[1])]
    ys = xs
    a, b = ys
    c, d = xs
    return np.sum(a * d) + np.sum(b * c)


TAKEN_APART_TWICE = [
    rows_of_a_helper_s_array,
    a_helper_s_array_unpacked_twice,
    a_helper_s_tuple_unpacked_twice,
    a_helper_s_list_joined_twice,
    a_tuple_unpacked_twice,
    a_tuple_joined_twice,
    a_list_copied_and_stacked_twice,
    a_list_copied_and_unpacked_twice,
]


@pytest.mark.parametrize("fn", TAKEN_APART_TWICE, ids=lambda f: f.__name__)
def test_a_value_taken_apart_twice_in_both_modes(fn):
    x, Y = np.array([0.7, -1.0]), np.array([[0.3, 1.2], [-0.4, 0.9]])
    if fn is rows_of_a_helper_s_array or fn is a_helper_s_array_unpacked_twice:
        x = x[:1]
    value, grads = srcgrad.value_and_grad(fn, wrt=(0, 1))(x, Y)
    assert value == pytest.approx(fn(x, Y), rel=1e-12)
    expected = finite_differences(fn, (x, Y), wrt=(0, 1))
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    tangents = (np.ones_like(x), np.full_like(Y, 0.5))
    _, tangent = srcgrad.jvp(fn, (x, Y), tangents)
    want = sum(np.sum(e * t) for e, t in zip(expected, tangents))
    assert tangent == pytest.approx(want, rel=1e-6)


def list_inside_a_tuple(x):
    a, (b, [c, d]) = x[0], (x[1], [x[2], x[3]])
    return a * b * c * d


def list_target(x):
    [a, b] = x[:2]
    [c, *rest] = x[2:]
    return np.sum(a * b * c * rest[0])


def list_loop_target(x):
    total = 0.0
    for [a, b] in [(x[0], x[1]), (x[2], x[3])]:
        total = total + a * b
    return total


def list_loop_targets_of_an_argument(pairs):
    total = 0.0
    for a, [b, c] in pairs:
        total = total + a * b * c
    return total


def test_a_list_inside_a_loop_target_of_an_argument():
    pairs = [(1.0, (2.0, 3.0)), (0.5, [4.0, -1.0])]
    got = srcgrad.grad(list_loop_targets_of_an_argument)(pairs)
    assert got == [(6.0, (3.0, 2.0)), (-4.0, [-0.5, 2.0])]


@pytest.mark.parametrize(
    "fn", [list_inside_a_tuple, list_target, list_loop_target], ids=lambda f: f.__name__
)
def test_a_list_target_is_a_tuple_target_in_both_modes(fn):
    x = np.array([0.7, -1.0, 2.0, 0.2])
    value, grad = srcgrad.value_and_grad(fn)(x)
    assert value == pytest.approx(fn(x), rel=1e-12)
    np.testing.assert_allclose(grad, finite_differences(fn, (x,)), rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.forward(fn)(np.ones(4), x)
    assert tangent == pytest.approx(np.sum(grad), rel=1e-9)


def nested_list_of_a_tuple_argument(t):
    a, (b, [c, d]) = t
    return a * b * c * d


def test_a_nested_list_target_of_a_tuple_argument():
    t = (1.0, (2.0, [3.0, 4.0]))
    assert srcgrad.grad(nested_list_of_a_tuple_argument)(t) == (24.0, (12.0, [8.0, 6.0]))


def starred_in_a_nested_target(x):
    a, (b, *rest) = x[0], x[1:]
    return a * b * rest[0]


def attribute_in_a_loop_target(x):
    y = np.zeros(1)
    for y.flat in x:
        pass
    return y


def element_of_an_element_in_a_tuple(x):
    y = np.zeros((2, 2))
    y[0][1], b = x[0], x[1]
    return y * b


@pytest.mark.parametrize(
    ("fn", "said", "hint"),
    [
        (starred_in_a_nested_target, "a starred name inside a nested tuple target", "inner"),
        (attribute_in_a_loop_target, "a loop variable that is not a name", "for v in xs"),
        (element_of_an_element_in_a_tuple, "element of an element", "x[i, j]"),
    ],
)
def test_every_refused_target_says_what_to_write_instead(fn, said, hint):
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as error:
        srcgrad.grad(fn)(np.ones(4))
    assert said in str(error.value)
    assert hint in error.value.hint
