"""A method of the user's own class named as a list's, a dict's or an array's writer
(`update`, `sort`, `fill`, `pop`, `clear`, `append`) is the user's method, called and
differentiated through its source, where the class of the object is known (made in the
function, or the argument's class): srcgrad finds what a call does by the object, never by the
spelling. Where the object may be a dict or a list, `.update(...)` is still refused."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

X = np.random.default_rng(10).normal(size=(6, 3))


class Blend:
    def __init__(self, decay):
        self.decay = decay

    def update(self, old, v):
        return self.decay * old + (1 - self.decay) * v

    def sort(self, v):
        return np.sort(v) * self.decay

    def fill(self, v):
        return v + self.decay

    def pop(self, v):
        return v[-1] * 2.0

    def clear(self, v):
        return v * 0.0 + 1.0


def made_in_the_function(w):
    blend = Blend(0.9)
    out = 0.0
    for x in X:
        out = blend.update(out, np.sin(x @ w))
    return out + np.sum(blend.sort(w) * blend.fill(w)) + blend.pop(w) + np.sum(blend.clear(w))


def an_argument(w, blend):
    value = blend.update(np.sum(w), np.sum(w**2))
    return value * blend.pop(w)


def bound_method_as_a_value(w):
    blend = Blend(0.5)
    step = blend.update
    return step(np.sum(w), np.sum(np.cos(w)))


@pytest.mark.parametrize(
    "fn", [made_in_the_function, an_argument, bound_method_as_a_value], ids=lambda f: f.__name__
)
def test_the_users_method_is_differentiated(fn):
    w = np.array([0.3, -0.2, 0.5])
    args = (w, Blend(0.7)) if fn is an_argument else (w,)
    value, got = srcgrad.value_and_grad(fn)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    want = finite_differences(fn, list(args), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def a_dict_update(w, d):
    d.update({"a": w})
    return np.sum(d["a"] ** 2)


def unknown_receiver(w, things):
    for t in things:
        t.update(w)
    return np.sum(w)


@pytest.mark.parametrize(
    ("fn", "arg"), [(a_dict_update, {"a": np.ones(3)}), (unknown_receiver, [{"a": 1.0}])]
)
def test_an_update_that_may_be_a_dicts_is_still_refused_or_followed(fn, arg):
    w = np.array([0.3, -0.2, 0.5])
    if fn is a_dict_update:  # (a dict argument: its update written as d['a'] = w)
        np.testing.assert_allclose(srcgrad.grad(fn)(w, arg), 2 * w)
        return
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"'\.update\(\)'"):
        srcgrad.grad(fn)(w, arg)
