"""The optimizer's reductions as methods (`srcgrad/optimize/as_methods.py`): `np.sum(z, ...)`,
`np.max`, `np.min`, `np.mean` and `np.prod` of a name the shape analysis knows to hold an array
(one shape of at least one dimension) are written `z.sum(...)`, with the same arguments after
the array. Numbers, names of unknown shape, other functions of the same name, keywords the
method does not take, and starred arguments are left as they are; the values do not change.
"""

from __future__ import annotations

import math

import gast
import numpy as np
import pytest
from passes import context, define, text, transformed_tree

from srcgrad.optimize.as_methods import as_methods


def rewritten(source: str, *args, **names):
    """The context, the generated tree before the pass, and after it."""
    ctx = context(define(source, **names), *args)
    tree = transformed_tree(ctx)
    before = gast.parse(text(tree)).body[0]
    as_methods(tree, ctx)
    return ctx, before, tree


def run(tree: gast.FunctionDef, ctx, *args):
    scope = {**ctx.parsed.fn.__globals__, **ctx.support.injected}
    exec(compile(text(tree), "<test>", "exec"), scope)
    return scope[tree.name](*args)


REDUCTIONS = """
    def f(x, y):
        z = x * y
        m = np.max(z, axis=1)
        n = np.min(z, 0, keepdims=True)
        return np.sum(z) + np.mean(m) + np.prod(n) + np.sum(z, axis=(0, 1))
    """


def test_reductions_of_arrays_become_methods():
    _, _, tree = rewritten(REDUCTIONS, np.ones((4, 3)), 2.0)
    out = text(tree)
    for method in [
        "z.max(axis=1)",
        "z.min(0, keepdims=True)",
        "z.sum()",
        "m.mean()",
        "n.prod()",
        "z.sum(axis=(0, 1))",
    ]:
        assert method in out
    assert "np.max(" not in out and "np.sum(z" not in out


def test_the_methods_give_the_same_gradient():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, size=(4, 3))
    ctx, before, tree = rewritten(REDUCTIONS, x, 2.0)
    np.testing.assert_allclose(run(tree, ctx, x, 2.0), run(before, ctx, x, 2.0))


def test_a_number_keeps_the_function():
    _, _, scalar = rewritten(
        """
        def f(x, y):
            return x * np.sum(y)
        """,
        2.0,
        3.0,
    )
    assert "np.sum(y)" in text(scalar)  # `(3.0).sum()` is an error


def test_a_name_of_unknown_shape_keeps_the_function():
    source = """
        def f(x, ys):
            return np.sum(x * np.sum(ys))
        """
    _, _, tree = rewritten(source, np.ones(3), [1.0, 2.0])  # a list: its shape is not known
    assert "np.sum(ys)" in text(tree)


def test_another_functions_reduction_of_the_same_name_is_left():
    source = """
        def f(x, y):
            return np.sum(x * y) * math.prod(y)
        """
    _, _, tree = rewritten(source, np.ones(3), np.ones(3), math=math)
    assert "math.prod(y)" in text(tree)


@pytest.mark.parametrize(
    "call",
    [
        "np.sum(x, axis=0, like=None)",  # a keyword the method does not take
        "np.sum(*[x])",  # a starred argument
        "np.sum(a=x)",  # no positional array
        "np.cumsum(x)",  # not one of the reductions
        "np.sum(x.T)",  # not a name
    ],
)
def test_calls_left_as_they_are(call):
    ctx, _, _ = rewritten(REDUCTIONS, np.ones((4, 3)), 2.0)
    tree = gast.parse(f"def g(x):\n    return {call}\n").body[0]
    ctx.shapes["x"] = (4, 3)
    as_methods(tree, ctx)
    assert text(tree).strip().endswith(f"return {call}")


def test_the_users_own_alias_of_numpy_is_recognised():
    source = """
        def f(x):
            return xp.sum(xp.sin(x))
        """
    _, _, tree = rewritten(source, np.ones(3), xp=np)
    assert "_out = _t1.sum()" in text(tree)
    assert "xp.sum(" not in text(tree)
