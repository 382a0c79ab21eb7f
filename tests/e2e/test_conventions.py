"""Conventions at kinks, ties and singularities, and dtypes: what srcgrad returns, and why.

* Repeated integer indices accumulate: `x[[0, 0]]` reads x[0] twice, so it gets both adjoints.
* `np.where(c, a, b)` gives the branch not taken an adjoint of exactly zero, and keeps it zero
  through the elementwise steps before it: `np.where(x > 0, np.sqrt(x), 0.0)` has a finite
  gradient at x <= 0 (JAX returns nan there; its documentation's "double where" trick is not
  needed here).
* `max`/`min` with several extreme elements share the adjoint equally among them, as JAX does;
  `np.maximum(x, y)` at x == y gives each side half, as JAX does.
* `abs` at 0 and `np.sign`-like kinks: the derivative is 0 there (NumPy's `np.sign(0) == 0`).
* Singularities that are not guarded are honest: the derivative of `sqrt` at 0 is `inf`.
* float32 inputs give float32 gradients, float64 inputs float64, integer inputs float64.
* Complex inputs are not differentiated yet: a clear error says so.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import srcgrad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

import conventions as c
from finite_differences import gradient


def test_repeated_integer_indices_accumulate():
    x = np.arange(4.0)
    assert np.array_equal(srcgrad.grad(c.gather_repeated)(x), [7.0, 0.0, 3.0, 0.0])


@pytest.mark.parametrize("function", [c.guarded_sqrt, c.guarded_log, c.guarded_division])
def test_where_guarding_a_singularity_has_a_finite_gradient(function):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the forward sweep computes nan too
        got = srcgrad.grad(function)(x)
    assert np.all(np.isfinite(got)), got
    inside = x > 0.1  # where finite differences are valid, they agree
    expected = gradient(function, (np.where(inside, x, 1.0),), 0)
    assert np.allclose(got[inside], expected[inside])
    if function is not c.guarded_division:
        assert np.array_equal(got[x <= 0], np.zeros(np.sum(x <= 0)))


def test_max_with_ties_shares_the_adjoint_equally():
    assert np.array_equal(
        srcgrad.grad(c.largest)(np.array([1.0, 3.0, 3.0, 3.0])), [0.0, 1 / 3, 1 / 3, 1 / 3]
    )
    rows = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 4.0]])
    assert np.array_equal(srcgrad.grad(c.largest_per_row)(rows), [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])


def test_kinks_abs_and_maximum():
    assert np.array_equal(srcgrad.grad(c.absolute)(np.array([-1.0, 0.0, 2.0])), [-1.0, 0.0, 1.0])
    assert np.array_equal(srcgrad.grad(c.relu_like)(np.array([-1.0, 0.0, 2.0])), [0.0, 0.5, 1.0])


def test_unguarded_singularity_is_honest():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = srcgrad.grad(c.square_root)(np.array([0.0, 4.0]))
    assert np.isinf(got[0]) and got[1] == 0.25


def test_broadcasting_inside_einsum():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=4)
    got = srcgrad.grad(c.einsum_broadcast, wrt=(0, 1))(a, b)
    want = gradient(c.einsum_broadcast, (a, b), (0, 1))
    assert all(np.allclose(p, q) for p, q in zip(got, want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_kept(dtype):
    rng = np.random.default_rng(1)
    w, x = rng.normal(size=3).astype(dtype), rng.normal(size=(5, 3)).astype(dtype)
    dw = srcgrad.grad(c.float32_model)(w, x)
    assert dw.dtype == dtype
    assert np.allclose(
        dw,
        gradient(c.float32_model, (w, x), 0),
        rtol=1e-3 if dtype == np.float32 else 1e-6,
        atol=1e-4 if dtype == np.float32 else 1e-8,
    )


def test_integer_inputs_get_float64_gradients():
    dw = srcgrad.grad(c.float32_model)(np.array([1, 0, -1]), np.ones((2, 3)))
    assert dw.dtype == np.float64


def test_complex_inputs_are_refused_clearly():
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(c.absolute)(np.array([1 + 1j, 2.0]))
    assert "complex" in str(info.value)


def test_repeated_negative_indices_accumulate_too():
    assert np.array_equal(
        srcgrad.grad(c.gather_negative_repeated)(np.arange(5.0)), [2.0, 0.0, 4.0, 0.0, 4.0]
    )


def test_where_broadcast_against_a_matrix():  # found by the random-program tester
    rng = np.random.default_rng(0)
    args = (rng.normal(size=4), rng.normal(size=(4, 4)))
    got = srcgrad.grad(c.where_broadcast_against_a_matrix)(*args)
    assert np.allclose(got, gradient(c.where_broadcast_against_a_matrix, args, 0))


@pytest.mark.parametrize("corner", [0.9, 0.5])
def test_a_name_whose_shape_depends_on_the_branch(corner):  # found by the random tester
    x = np.full((2, 3), corner)
    y = np.arange(6.0).reshape(2, 3) / 10 + 0.05
    got = srcgrad.grad(c.branch_shapes_differ, wrt=(0, 1))(x, y)
    want = gradient(c.branch_shapes_differ, (x, y), (0, 1))
    assert all(np.allclose(a, b) for a, b in zip(got, want))


# ---- code srcgrad writes only for large arrays, checked on small ones ---------------------------


def _layer_norm(x, gamma, beta):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    xn = xc / np.sqrt(var + 1e-5)
    return np.sum(np.sin(xn * gamma + beta))


def _scaled(x, s, b):
    return np.sum(np.tanh(x * s + b) * x)


@pytest.mark.parametrize("fn", [_layer_norm, _scaled], ids=lambda f: f.__name__)
def test_einsum_sums_of_products_for_large_arrays(fn, monkeypatch):
    """At large sizes a broadcast adjoint `(a * b).sum(axis=0)` is written
    `np.einsum('ab,ab->b', a, b)`; here the size threshold is lowered to reach that code."""
    from srcgrad.optimize import broadcast

    monkeypatch.setattr(broadcast, "_EINSUM_FROM", 1)
    rng = np.random.default_rng(5)
    args = (rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3))
    gradient = srcgrad.grad(fn, wrt=(0, 1, 2))
    gradient(*args)
    assert "np.einsum(" in gradient.source
    assert srcgrad.check_grad(fn, *args, wrt=(0, 1, 2))
