"""The `idioms` pass alone: the logistic function `1 / (1 + np.exp(-z))`, in either order of the
sum and with `1` or `1.0`, becomes a call of srcgrad's `sigmoid` of `z` (numpy's `exp`
recognised by identity, nested ones inside out), `sigmoid` named without colliding with the
user's names; every expression that only looks like it is left alone."""

from __future__ import annotations

import math
import textwrap

import numpy as np
from passes import define, normalized_until, text

from srcgrad import runtime
from srcgrad.normalize import idioms


def normalized(source: str, **names):
    ctx = normalized_until(define(source, **names), idioms)
    idioms.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str, **names) -> str:
    return text(normalized(source, **names).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_the_logistic_function_becomes_sigmoid_in_either_order():
    assert after("""
        def f(x, w):
            p = 1 / (1 + np.exp(-(x @ w)))
            return np.sum(1.0 / (np.exp(-p) + 1.0))
    """) == code("""
        def f(x, w):
            p = sigmoid(x @ w)
            return np.sum(sigmoid(p))
    """)


def test_a_nested_logistic_function_is_rewritten_inside_out():
    assert after("""
        def f(x):
            return 1 / (1 + np.exp(-(1 / (1 + np.exp(-x)))))
    """) == code("""
        def f(x):
            return sigmoid(sigmoid(x))
    """)


def test_numpys_exp_is_recognised_under_another_name():
    assert after("""
        import numpy as xp
        from numpy import exp
        def f(x):
            a = 1 / (1 + xp.exp(-x))
            b = 1 / (1 + exp(-x))
            return a + b
    """) == code("""
        def f(x):
            a = sigmoid(x)
            b = sigmoid(x)
            return a + b
    """)


def test_expressions_that_only_look_like_it_are_left_alone():
    source = """
        def f(x):
            a = 2 / (1 + np.exp(-x))
            b = 1 / (1 + np.exp(x))
            c = 1 / (2 + np.exp(-x))
            d = 1 / (1 - np.exp(-x))
            e = 1 / (1 + math.exp(-x))
            h = True / (1 + np.exp(-x))
            k = 1 * (1 + np.exp(-x))
            return a
    """
    assert after(source, math=math) == code(source)


def test_an_exp_that_is_not_numpys_is_left_alone():
    source = """
        def f(x, np):
            return 1 / (1 + np.exp(-x))
    """
    assert after(source) == code(source)


def test_sigmoid_is_injected_as_srcgrads_runtime_function():
    ctx = normalized("""
        def f(x):
            return 1 / (1 + np.exp(-x))
    """)
    assert ctx.support.injected == {"sigmoid": runtime.sigmoid}


def test_a_local_named_sigmoid_is_not_shadowed():
    ctx = normalized("""
        def f(x):
            sigmoid = x * 2
            return 1 / (1 + np.exp(-sigmoid))
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x):
            sigmoid = x * 2
            return sigmoid_1(sigmoid)
    """)
    assert ctx.support.injected == {"sigmoid_1": runtime.sigmoid}


def test_the_helper_computes_exactly_the_users_expression():
    z = np.array([-800.0, -3.0, 0.0, 0.5, 40.0])
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-z))
        assert np.array_equal(runtime.sigmoid(z), expected)
