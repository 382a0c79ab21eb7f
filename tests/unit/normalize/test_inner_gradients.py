"""The `inner_gradients` pass (`normalize/inner_gradients.py`): the gradient of a closure or of
a partial of keywords, taken in the function, is the closure of the gradient of the function
it wraps; a closure that holds nothing is that function itself, and a gradient with respect to
what the closure holds is left alone."""

from __future__ import annotations

import ast
import functools
import textwrap

import numpy as np
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import inner_gradients


def helper(v, data=1.0):
    return np.sum(np.sin(v * data))


def after(source: str) -> str:
    fn = define(source, functools=functools, helper=helper, srcgrad=srcgrad)
    ctx = normalized_until(fn, inner_gradients)
    inner_gradients.run(ctx.parsed.tree, ctx)
    return ast.unparse(ast.parse(text(ctx.parsed.tree))) + "\n"


def code(source: str) -> str:
    return ast.unparse(ast.parse(textwrap.dedent(source))) + "\n"


def test_the_gradient_of_a_nested_function_is_a_closure_of_the_gradient():
    assert after("""
        def f(w):
            def inner(v):
                return np.sum((v - w) ** 2)
            g = srcgrad.grad(inner)
            return g(w * 2.0)
        """) == code("""
        def f(w):
            g = closure(srcgrad.grad(inner), w=w)
            return g(w * 2.0)
        """)


def test_a_closure_that_holds_nothing_is_the_function():
    assert after("""
        def f(w):
            def inner(v):
                return np.sum(v ** 2)
            return srcgrad.value_and_grad(inner)(w)
        """) == code("""
        def f(w):
            return srcgrad.value_and_grad(inner)(w)
        """)


def test_a_partial_of_keywords_is_read_the_same_way():
    assert after("""
        def f(w, s):
            g = srcgrad.grad(functools.partial(helper, data=s), wrt=0)
            return g(w)
        """) == code("""
        def f(w, s):
            g = functools.partial(srcgrad.grad(helper, wrt=0), data=s)
            return g(w)
        """)


def test_a_gradient_with_respect_to_what_the_partial_holds_is_left_alone():
    source = """
        def f(w, s):
            g = srcgrad.grad(functools.partial(helper, data=s), wrt='data')
            return g(w)
        """
    assert after(source) == code(source)


def test_the_program_differentiates_what_the_closure_holds():
    def f(w):
        def inner(v):
            return np.sum((v - w) ** 2 * v)

        return np.sum(srcgrad.grad(inner)(w * 2.0) ** 2)

    w = np.array([0.3, -0.2, 0.1])
    eps = 1e-6
    want = [(f(w + eps * e) - f(w - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(srcgrad.grad(f)(w), want, rtol=1e-6)
