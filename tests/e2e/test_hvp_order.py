"""`hvp(f, order="scipy")` takes `(x, v, *args)`, as `scipy.optimize.minimize` calls `hessp(x,
p, *args)`; the default order is `(v, *args)`, and `lambda x, p: hvp(f)(p, x)` adapts it."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def shifted_bowl(x, center, weights):
    return np.sum(weights * (x - center) ** 4) + np.sum((x - center) ** 2)


X0 = np.array([-1.2, 1.0, -0.5, 0.8, 1.1])


def test_both_orders_and_the_adapter_give_scipys_hessian_products():
    optimize = pytest.importorskip("scipy.optimize")
    p = np.random.default_rng(1).normal(size=X0.size)
    expected = optimize.rosen_hess_prod(X0, p)
    np.testing.assert_allclose(srcgrad.hvp(rosenbrock, order="scipy")(X0, p), expected)
    np.testing.assert_allclose(srcgrad.hvp(rosenbrock)(p, X0), expected)
    hvp = srcgrad.hvp(rosenbrock)
    adapted = lambda x, p: hvp(p, x)  # noqa: E731  (the README's one-line adapter)
    np.testing.assert_allclose(adapted(X0, p), expected)


def test_trust_krylov_minimizes_rosenbrock_with_hessp_in_scipy_order():
    optimize = pytest.importorskip("scipy.optimize")
    start = np.array([1.3, 0.7, 0.8, 1.9, 1.2])  # (SciPy's tutorial's; from X0 it finds the
    # local minimum that Rosenbrock's function has in five dimensions, near x0 = -1)
    result = optimize.minimize(
        rosenbrock,
        start,
        method="trust-krylov",
        jac=srcgrad.grad(rosenbrock),
        hessp=srcgrad.hvp(rosenbrock, order="scipy"),
    )
    assert result.success, result.message
    np.testing.assert_allclose(result.x, np.ones(X0.size), atol=1e-6)


def test_scipy_passes_the_extra_arguments_after_the_vector():
    optimize = pytest.importorskip("scipy.optimize")
    center, weights = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 0.5])
    result = optimize.minimize(
        shifted_bowl,
        np.zeros(3),
        args=(center, weights),
        method="trust-krylov",
        jac=srcgrad.grad(shifted_bowl),
        hessp=srcgrad.hvp(shifted_bowl, order="scipy"),  # called as hessp(x, p, center, weights)
    )
    assert result.success, result.message
    np.testing.assert_allclose(result.x, center, atol=1e-4)


def test_an_order_that_does_not_fit_is_refused():
    with pytest.raises(srcgrad.WrtError, match="order='sideways': choose one of"):
        srcgrad.hvp(rosenbrock, order="sideways")
    with pytest.raises(srcgrad.WrtError, match="x being the first argument, but wrt is 'center'"):
        srcgrad.hvp(shifted_bowl, wrt="center", order="scipy")
    with pytest.raises(srcgrad.WrtError, match=r"needs x and v by position"):
        srcgrad.hvp(rosenbrock, order="scipy")(X0)
    with pytest.raises(srcgrad.WrtError, match="v has shape"):
        srcgrad.hvp(rosenbrock, order="scipy")(X0, np.ones(2))
