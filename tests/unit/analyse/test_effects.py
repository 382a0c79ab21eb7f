"""Which calls have an effect (`analyse/effects.py`): NumPy's functions compute values, but its
random module, the functions that write into an argument and `out=` do not only that; the
methods of the function's own values are pure only where they compute a value (`x.sum()`, not
`xs.pop()` or `rng.normal()`); srcgrad's helpers that change what they are given have effects;
the user's own functions are taken to have them. Through the pipeline: a random draw whose value
goes unused is still drawn, and the draws after it keep their values."""

from __future__ import annotations

import math

import gast
import numpy as np
import pytest
from passes import context, define

import srcgrad
from srcgrad import runtime
from srcgrad.analyse.effects import call_is_pure, effect_free, pure_object
from srcgrad.front.emit import unparse


@pytest.mark.parametrize(
    "obj", [np.sum, np.exp, np.add, np.linalg.norm, math.sin, len, sorted, runtime.unbroadcast]
)
def test_functions_that_compute_a_value_are_pure(obj):
    assert pure_object(obj)


@pytest.mark.parametrize(
    "obj",
    [
        np.copyto,
        np.fill_diagonal,
        np.random.normal,
        np.random.default_rng,
        print,
        runtime.add_at,
        runtime.scatter_add,
        runtime.pop_adjoint,
        runtime.check_scalar,
    ],
)
def test_functions_with_an_effect_are_not(obj):
    assert not pure_object(obj)


def test_the_users_own_function_is_taken_to_have_an_effect():
    helper = define("def helper(x):\n    return x * 2\n")
    assert not pure_object(helper)


def _calls(source: str, *args):
    fn = define(source)
    ctx = context(fn, *args)
    return ctx, [n for n in gast.walk(ctx.parsed.tree) if isinstance(n, gast.Call)]


def test_methods_of_the_functions_values():
    ctx, calls = _calls(
        """
        def f(x, n):
            rng = np.random.default_rng(n)
            return np.sum(x * rng.normal())
        """,
        np.ones(3),
        0,
    )
    found = {unparse(c.func): call_is_pure(c, ctx) for c in calls}
    assert found == {"np.random.default_rng": False, "rng.normal": False, "np.sum": True}


def test_a_method_that_changes_its_receiver_is_not_pure():
    ctx, _ = _calls("def f(x):\n    return np.sum(x)\n", np.ones(3))
    pop = gast.parse("stack.pop()").body[0].value
    total = gast.parse("x.sum()").body[0].value
    assert not call_is_pure(pop, ctx) and call_is_pure(total, ctx)


def test_out_makes_a_call_impure():
    ctx, _ = _calls("def f(x, y):\n    return np.sum(x)\n", np.ones(2), np.ones(2))
    add = gast.parse("np.add(x, x, out=y)").body[0].value
    assert not call_is_pure(add, ctx) and not effect_free(add, ctx)
    assert call_is_pure(gast.parse("np.add(x, x)").body[0].value, ctx)


def test_a_random_draw_whose_value_is_unused_is_still_drawn():
    fn = define(
        """
        def f(x):
            rng = np.random.default_rng(0)
            burn = rng.normal()
            return np.sum(x * rng.normal(size=3))
        """
    )
    rng = np.random.default_rng(0)
    rng.normal()
    expected = rng.normal(size=3)
    np.testing.assert_allclose(srcgrad.grad(fn)(np.ones(3)), expected)
    np.testing.assert_allclose(srcgrad.jvp(fn, (np.ones(3),), (np.ones(3),))[1], expected.sum())
