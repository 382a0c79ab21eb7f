"""The guard a `Gradient` writes for signatures it has seen twice (api/dispatch.py): a binding
test that cannot be decided sends the call to the full look-up, and a method binding is served
by the guard while the method stays the same function of the same object."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad.api import gradient as gradient_module

X = np.array([0.5, -1.0, 2.0])


def _served_by_the_full_look_up(monkeypatch) -> list:
    """The calls that reach `Gradient.__call__` (the guard's way out)."""
    calls = []
    real = gradient_module.Gradient.__call__

    def counting(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(gradient_module.Gradient, "__call__", counting)
    return calls


def test_an_emptied_closure_cell_raises_what_the_function_raises():
    def outer():
        helper = np.sin

        def f(x):
            return np.sum(helper(x) * x)  # noqa: F821  (deleted below: an empty cell)

        g = srcgrad.grad(f)
        for _ in range(3):  # the third call goes through the guard
            np.testing.assert_allclose(g(X), np.sin(X) + X * np.cos(X))
        assert type(g).__call__ is not srcgrad.Gradient.__call__
        del helper
        return g, f

    g, f = outer()
    with pytest.raises(NameError, match="helper") as plain:
        f(X)
    with pytest.raises(NameError, match="helper") as guarded:  # (was the guard's ValueError)
        g(X)
    assert str(guarded.value) == str(plain.value)


class Scale:
    def __init__(self, k: float) -> None:
        self.k = k

    def factor(self, x: float) -> float:
        return self.k * x


SCALE = Scale(3.0)


def scaled(x):
    return np.sum(x**2) * SCALE.factor(2.0)


def test_a_method_binding_is_served_by_the_guard_and_its_rebinding_seen(monkeypatch):
    g = srcgrad.grad(scaled)
    for _ in range(3):
        np.testing.assert_allclose(g(X), 12.0 * X)
    full = _served_by_the_full_look_up(monkeypatch)
    for _ in range(4):  # `SCALE.factor` is a new bound method at each read: the same one
        np.testing.assert_allclose(g(X), 12.0 * X)
    assert full == []
    monkeypatch.setattr(SCALE, "factor", lambda x: -x, raising=False)  # another function
    np.testing.assert_allclose(g(X), -4.0 * X)
    assert len(full) == 1
    monkeypatch.setattr(SCALE, "k", 5.0)  # (an attribute of the object the method reads)
    monkeypatch.delattr(SCALE, "factor")  # the class's method again, of the same object
    np.testing.assert_allclose(g(X), 20.0 * X)
