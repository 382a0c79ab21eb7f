"""The `iterators` pass (`normalize/iterators.py`): `map` and `filter` become list
comprehensions and `functools.reduce` a loop before its statement, calling the function by name
(a lambda gets one); the programs give plain Python's values and gradients equal to finite
differences."""

from __future__ import annotations

import ast
import functools
import textwrap

import finite_differences
import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import iterators

X = np.array([0.5, -1.0, 2.0])


def after(source: str) -> str:
    ctx = normalized_until(define(source, functools=functools), iterators)
    iterators.run(ctx.parsed.tree, ctx)
    return code(text(ctx.parsed.tree))


def code(source: str) -> str:
    """`source` as `ast.unparse` writes what it parses to on this Python (3.10 brackets some
    tuple targets), so that both sides of a comparison are written the same way."""
    return ast.unparse(ast.parse(textwrap.dedent(source))) + "\n"


def test_map_of_two_sequences_zips_them_and_filter_tests_each_value():
    assert after("""
        def f(x, y):
            a = map(np.multiply, x, y)
            b = filter(None, x)
            c = filter(lambda v: v > 0, x)
            return a
    """) == code("""
        def f(x, y):
            a = [np.multiply(_v, _v_1) for _v, _v_1 in zip(x, y)]
            b = [_v_2 for _v_2 in x if _v_2]
            _f = lambda v: v > 0
            c = [_v_3 for _v_3 in x if _f(_v_3)]
            return a
    """)


def test_reduce_without_a_start_begins_with_the_first_element():
    assert after("""
        def f(x):
            return functools.reduce(np.multiply, x)
    """) == code("""
        def f(x):
            for _k, _v in enumerate(x):
                if _k == 0:
                    _acc = _v
                else:
                    _acc = np.multiply(_acc, _v)
            return _acc
    """)


PROGRAMS = {
    "map of a lambda": "return np.sum(np.array(list(map(lambda v: np.sin(v) * v, x))))",
    "sum of map": "return sum(map(np.tanh, [x[0], x[1] * x[2]]))",
    "map of two": "return sum(map(lambda a, b: a * b, [x[0], x[1]], [x[2], x[0]]))",
    "filter then sum": "return sum(filter(lambda v: v > 0, [x[0], x[1], x[2]])) * x[0]",
    "reduce with a start": "return functools.reduce(lambda a, b: a * b + 1.0, [x[0], x[1]], x[2])",
    "reduce of arrays": "return np.sum(functools.reduce(np.multiply, [x, x * 2.0, np.sin(x)]))",
}


@pytest.mark.parametrize("name", PROGRAMS, ids=list(PROGRAMS))
def test_the_programs_are_right_in_both_modes(name):
    fn = define("def f(x):\n    " + PROGRAMS[name] + "\n", functools=functools)
    value, grad = srcgrad.value_and_grad(fn)(X)
    np.testing.assert_allclose(value, fn(X))
    want = finite_differences.gradient(fn, (X,))
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.jvp(fn, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(want), rtol=1e-6, atol=1e-8)
