"""The `partials` pass (`normalize/partials.py`): a call of a `functools.partial` made in the
function is the call of the function it wraps, with what the partial held where it was made;
the partial stays only where it is used as a value. The programs give plain Python's values and
gradients equal to finite differences in both modes."""

from __future__ import annotations

import ast
import functools
import textwrap

import finite_differences
import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import partials

X = np.array([0.5, -1.0, 2.0])


def after(source: str) -> str:
    ctx = normalized_until(define(source, functools=functools, helper=helper), partials)
    partials.run(ctx.parsed.tree, ctx)
    return code(text(ctx.parsed.tree))


def code(source: str) -> str:
    return ast.unparse(ast.parse(textwrap.dedent(source))) + "\n"


def helper(a, b, scale=1.0):
    return scale * np.sum(a * b)


def test_a_name_bound_again_later_is_held_in_a_name_of_its_own():
    assert after("""
        def f(x, s):
            s = s * 2.0
            k = functools.partial(helper, x, scale=s)
            s = s + 1.0
            return k(x) + k(s, scale=3.0)
    """) == code("""
        def f(x, s):
            s = s * 2.0
            _k_held = s
            s = s + 1.0
            return helper(x, x, scale=_k_held) + helper(x, s, scale=3.0)
    """)


def test_a_partial_used_as_a_value_stays_and_one_made_in_a_loop_is_left_alone():
    assert after("""
        def f(x, s):
            k = functools.partial(helper, scale=s)
            ks = [k]
            for i in range(2):
                j = functools.partial(helper, scale=x[i])
                s = s + j(x, x)
            return k(x, x) + ks[0](x, x) + s
    """) == code("""
        def f(x, s):
            _k_held = s
            k = functools.partial(helper, scale=_k_held)
            ks = [k]
            for i in range(2):
                j = functools.partial(helper, scale=x[i])
                s = s + j(x, x)
            return helper(x, x, scale=_k_held) + ks[0](x, x) + s
    """)


PROGRAMS = {
    "positional data, keyword parameter": (
        "k = functools.partial(helper, np.cos(x), scale=x[0])\n    return k(x) * k(x, scale=2.0)"
    ),
    "a nested function": (
        "def g(a, w):\n        return np.sum(np.tanh(a * w) * x)\n"
        "    k = functools.partial(g, w=x[1])\n    return k(x) + k(x * 2.0, w=x[2])"
    ),
    "passed on by keyword": (
        "k = functools.partial(helper, b=np.sin(x))\n    return sum(map(k, [x, x * x]))"
    ),
    "made in a loop": (
        "t = 0.0\n    for i in range(3):\n"
        "        k = functools.partial(helper, scale=x[i])\n        t = t + k(x, x)\n    return t"
    ),
}


@pytest.mark.parametrize("name", PROGRAMS, ids=list(PROGRAMS))
def test_the_programs_are_right_in_both_modes(name):
    fn = define("def f(x):\n    " + PROGRAMS[name] + "\n", functools=functools, helper=helper)
    value, grad = srcgrad.value_and_grad(fn)(X)
    np.testing.assert_allclose(value, fn(X))
    want = finite_differences.gradient(fn, (X,))
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.jvp(fn, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(want), rtol=1e-6, atol=1e-8)
