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


def neuron(a, w1, w2, w3, w4):
    return 10 - (w3 * (w1 * a) + w4 * (w2 * a))


WANT = (-4.0, -8.0, 6.0, 2.0)  # at a, w1, w2, w3, w4 = 2, -3, -1, 2, 4


def test_arguments_given_by_name_are_served_by_the_guard(monkeypatch):
    g = srcgrad.grad(neuron, wrt=(1, 2, 3, 4))
    for _ in range(3):
        assert g(2.0, -3.0, -1.0, 2.0, 4.0) == WANT
    full = _served_by_the_full_look_up(monkeypatch)
    assert g(w4=4.0, w3=2.0, w2=-1.0, w1=-3.0, a=2.0) == WANT
    assert g(2.0, -3.0, w4=4.0, w3=2.0, w2=-1.0) == WANT
    assert full == []  # (no dict of keywords is made for the guard's call)
    assert g(2, -3.0, -1.0, 2.0, 4.0) == WANT  # an int: a signature the guard has not got
    assert len(full) == 1


@pytest.mark.parametrize(
    ("args", "kwargs", "said"),
    [
        ((2.0, -3.0, -1.0, 2.0, 4.0, 5.0), {}, "positional"),  # one too many
        ((2.0, -3.0, -1.0, 2.0), {"z": 4.0}, "'z'"),  # a name it has not got
        ((2.0, -3.0, -1.0, 2.0), {}, "'w4'"),  # one too few
        ((2.0, -3.0, -1.0, 2.0), {"a": 4.0}, "'a'"),  # given twice
    ],
)
def test_a_call_the_guard_cannot_bind_raises_a_type_error_as_the_function_does(args, kwargs, said):
    g = srcgrad.grad(neuron, wrt=(1, 2, 3, 4))
    for _ in range(3):
        g(2.0, -3.0, -1.0, 2.0, 4.0)
    with pytest.raises(TypeError, match=said):
        neuron(*args, **kwargs)
    with pytest.raises(TypeError, match=said):
        g(*args, **kwargs)


def test_a_later_argument_given_by_name_after_a_missing_one_is_not_moved():
    g = srcgrad.grad(neuron, wrt=(1, 2, 3, 4))
    for _ in range(3):
        g(2.0, -3.0, -1.0, 2.0, 4.0)
    with pytest.raises(TypeError, match="w3"):
        g(2.0, -3.0, -1.0, w4=4.0)  # w3 left out: never read as w4's place
