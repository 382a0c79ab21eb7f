"""The `idioms` pass alone: the logistic function `1 / (1 + np.exp(-z))`, in either order of the
sum and with `1` or `1.0`, becomes a call of srcgrad's `sigmoid` of `z` (numpy's `exp`
recognised by identity, nested ones inside out), `sigmoid` named without colliding with the
user's names; every expression that only looks like it is left alone."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
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
    large = np.linspace(-40.0, 40.0, 5000)  # (a large array's steps are done in one array)
    np.testing.assert_array_equal(runtime.sigmoid(large), 1 / (1 + np.exp(-large)))
    np.testing.assert_array_equal(
        runtime.sigmoid(large.astype(np.float32)), 1 / (1 + np.exp(-large.astype(np.float32)))
    )


# ---- the log-likelihood of a sigmoid's result ------------------------------------------------


def test_the_log_likelihood_of_a_sigmoid_in_every_order():
    assert after("""
        def f(w, x, y):
            z = x @ w
            p = 1 / (1 + np.exp(-z))
            a = y * np.log(p) + (1 - y) * np.log(1 - p)
            b = np.log(1.0 - p) * (1.0 - y) + np.log(p) * y
            return np.sum(a + b)
    """) == code("""
        def f(w, x, y):
            z = x @ w
            p = sigmoid(z)
            a = logistic_log_likelihood(z, y, p)
            b = logistic_log_likelihood(z, y, p)
            return np.sum(a + b)
    """)


def test_logits_given_as_an_argument():
    assert after("""
        def f(z, y):
            p = 1 / (1 + np.exp(-z))
            return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + np.mean(p > 0.5)
    """) == code("""
        def f(z, y):
            p = sigmoid(z)
            return -np.mean(logistic_log_likelihood(z, y, p)) + np.mean(p > 0.5)
    """)


@pytest.mark.parametrize(
    "body",
    [
        # p is not the sigmoid's result, or not only
        "p = np.tanh(z)",
        "p = 1 / (1 + np.exp(-z))\n    p = p * 0.5",
        "p = 1 / (1 + np.exp(-(z * 2)))",
        # p or z may have been changed, or may be changed by what they are handed to
        "p = 1 / (1 + np.exp(-z))\n    p[0] = 0.5",
        "p = 1 / (1 + np.exp(-z))\n    q = p\n    q += 0.1",
        "p = 1 / (1 + np.exp(-z))\n    g(p)",
        "p = 1 / (1 + np.exp(-z))\n    np.clip(p, 0.1, 0.9, out=p)",
        "p = 1 / (1 + np.exp(-z))\n    z[0] = 3.0",
        "z = z * 2\n    p = 1 / (1 + np.exp(-z))",
        # inside a loop: bound again at each step
        "for i in range(2):\n        p = 1 / (1 + np.exp(-z))",
    ],
)
def test_the_log_likelihood_of_anything_else_is_left_alone(body):
    source = f"""
def f(z, y, g):
    {body}
    return np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
"""
    assert "logistic_log_likelihood" not in after(source)


@pytest.mark.parametrize(
    "expression",
    [
        "y * np.log(p) + (1 - t) * np.log(1 - p)",  # two different labels
        "y * np.log(p) + (1 - y) * np.log(1 - q)",  # another probability
        "y * np.log(p) - (1 - y) * np.log(1 - p)",
        "y * np.log(p) + (2 - y) * np.log(1 - p)",
        "y * np.log1p(p) + (1 - y) * np.log(1 - p)",
    ],
)
def test_expressions_that_only_look_like_the_log_likelihood_are_left_alone(expression):
    source = f"""
def f(z, y, t, q):
    p = 1 / (1 + np.exp(-z))
    return np.sum({expression})
"""
    assert "logistic_log_likelihood" not in after(source)


def test_the_log_likelihood_helper_computes_exactly_the_users_expression():
    z = np.linspace(-30.0, 30.0, 7)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 1.0, 0.0])
    p = 1 / (1 + np.exp(-z))
    expected = y * np.log(p) + (1 - y) * np.log(1 - p)
    np.testing.assert_array_equal(runtime.logistic_log_likelihood(z, y, p), expected)
