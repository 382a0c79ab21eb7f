"""The `closures` pass (`normalize/closures.py`): a function defined inside the function becomes a
function of its own whose free names are keyword-only parameters, each call passes them as they
are when it runs, a nested function used as a value becomes `closure(...)`; the programs give
plain Python's values and gradients equal to finite differences. Refused at the line: a nested
function in an if or a loop, decorated, bound again, with a default that is not a constant, or
used as a value while it reads values that carry a derivative."""

from __future__ import annotations

import textwrap

import finite_differences
import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import closures

X = np.array([0.5, -1.0, 2.0])


def after(source: str) -> str:
    ctx = normalized_until(define(source, apply=apply), closures)
    closures.run(ctx.parsed.tree, ctx)
    return text(ctx.parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def apply(function, values):
    return [function(v) for v in values]


def right(source: str, *args, **names) -> None:
    fn = define(source, apply=apply, twice=twice, **names)
    value, grad = srcgrad.value_and_grad(fn)(*args)
    np.testing.assert_allclose(value, fn(*args))
    want = finite_differences.gradient(fn, args)
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.jvp(fn, args, (np.ones_like(args[0]),), wrt=0)
    np.testing.assert_allclose(tangent, np.sum(want), rtol=1e-6, atol=1e-8)


def test_calls_pass_what_the_nested_function_reads_and_calls():
    assert after("""
        def f(w, x):
            scale = 2.0
            def inner(z):
                return np.sin(w * z) * scale
            def outer(z):
                return inner(z) + inner(z * z)
            return np.sum(outer(x))
    """) == code("""
        def f(w, x):
            scale = 2.0
            return np.sum(outer(x, inner=inner, scale=scale, w=w))
    """)


def test_a_nested_function_used_as_a_value_becomes_a_closure():
    output = after("""
        def f(x, data):
            def weight(t):
                return t * data
            return np.sum(apply(weight, x))
    """)
    assert "apply(closure(weight, data=data), x)" in output


def test_map_of_a_nested_function_calls_it_directly():
    output = after("""
        def f(x, data):
            def weight(t):
                return t * data
            return np.sum(list(map(weight, x)))
    """)
    assert "weight(_v, data=data)" in output


def test_a_lambda_passed_to_a_function_of_the_users_becomes_a_nested_function():
    output = after("""
        def f(x, data):
            return np.sum(apply(lambda t: t * data, x)) + np.sum(apply(function=lambda t: t, values=x))
    """)
    assert "apply(closure(_lambda, data=data), x)" in output
    assert "apply(function=closure(_lambda_1), values=x)" in output


def twice(fn, v):
    return fn(fn(v))


PROGRAMS = {
    "late binding: the value at the call": """
        def f(x):
            k = 1.0
            def g(z):
                return np.sum(np.tanh(k * z))
            k = 3.0
            return g(x)
    """,
    "early returns and a loop in the nested function": """
        def f(x):
            def clipped(z):
                total = 0.0
                for v in z:
                    if v > 1.5:
                        return total + v
                    total = total + v * v
                return total
            return clipped(x) * clipped(x * 0.5)
    """,
    "a tuple returned": """
        def f(x):
            def both(z):
                return np.sin(z), np.cos(z) * x[0]
            a, b = both(x)
            return np.sum(a * b)
    """,
    "a nested function writing into its own copy": """
        def f(x):
            def bumped(z):
                z = z.copy()
                z[0] = z[0] * 3.0
                return z
            return np.sum(bumped(x) * x)
    """,
    "used as a value where it reads no derivative": """
        def f(x):
            decay = 0.5
            def weigh(t):
                return decay * t
            return np.sum(x * np.array(apply(weigh, [1.0, 2.0, 3.0])))
    """,
    "lambdas passed to a helper, in a loop": """
        def f(x):
            total = 0.0
            for k in range(3):
                total = total + np.sum(twice(lambda v: np.sin(v * k), x))
            return total + np.sum(twice(fn=lambda v: v * v, v=x))
    """,
    "a lambda passed on that reads a derivative": """
        def f(x):
            ys = apply(lambda t: t * x[0], [1.0, 2.0])
            return ys[0] + ys[1] * x[2]
    """,
    "a nested function passed on that reads a derivative": """
        def f(x):
            def g(t):
                return t * x[0] + np.sin(x[1])
            ys = apply(g, [1.0, 2.0])
            return ys[0] + ys[1]
    """,
    "a closure passed through two helpers, with a nested function it calls": """
        def f(x):
            def inner(h):
                return np.tanh(x * h)
            def step(h, t):
                return inner(h) + t * x[0]
            return np.sum(twice(lambda h: step(h, 0.5), x) + twice(lambda h: step(h, 1.5), x))
    """,
    "map of a nested function that reads a derivative": """
        def f(x):
            def weigh(t):
                return x[0] * t
            return np.sum(x * np.array(list(map(weigh, [1.0, 2.0, 3.0]))))
    """,
}


@pytest.mark.parametrize("name", PROGRAMS, ids=list(PROGRAMS))
def test_the_programs_are_right_in_both_modes(name):
    right(PROGRAMS[name], X.copy())


def test_second_derivatives_go_through_nested_functions():
    fn = define("""
        def f(x):
            def energy(z):
                return np.sum(np.sin(z) * z)
            return energy(x) * x[0]
    """)
    got = srcgrad.hessian(fn)(X)
    want = np.stack(
        [(srcgrad.grad(fn)(X + e) - srcgrad.grad(fn)(X - e)) / 2e-5 for e in np.eye(3) * 1e-5]
    )
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


REFUSED = {
    "in an if": (
        """
        def f(x):
            if x[0] > 0:
                def g(z):  # here
                    return z
            return np.sum(x)
        """,
        "defined inside an if or a loop",
    ),
    "decorated": (
        """
        def f(x):
            @staticmethod
            def g(z):  # here
                return z
            return np.sum(g(x))
        """,
        "decorated",
    ),
    "bound again": (
        """
        def f(x):
            def g(z):  # here
                return z
            g = np.sin
            return np.sum(g(x))
        """,
        "bound again",
    ),
}


@pytest.mark.parametrize("name", REFUSED, ids=list(REFUSED))
def test_what_is_not_lifted_is_refused_at_its_line(name):
    source, match = REFUSED[name]
    fn = define(source, apply=apply)
    with pytest.raises(UnsupportedSyntaxError, match=match) as caught:
        srcgrad.grad(fn)(X.copy())
    lines = textwrap.dedent(source).splitlines()
    marked = next(k for k, line in enumerate(lines) if "# here" in line)
    assert caught.value.origin.text == lines[marked].strip()


def test_a_computed_default_is_computed_where_the_def_stands():
    fn = define(
        """
        def f(x):
            k = 2.0
            def g(z, c=k, d=1.0):
                return z * c * d
            k = 3.0
            return np.sum(g(x) + g(x, 5.0) + g(x, d=2.0))
        """,
        apply=apply,
    )
    x = X.copy()
    assert srcgrad.grad(fn)(x) == pytest.approx(np.full_like(x, 2.0 + 5.0 + 4.0))
