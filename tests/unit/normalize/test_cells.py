"""The `cells` pass (`normalize/cells.py`): a name a nested function declares `nonlocal` is a
list of one element both functions share; a nested function that binds the name without the
declaration, or has a parameter of that name, keeps its own. The programs give plain Python's
values, and gradients equal to finite differences in both modes, the cell changed by a nested
function called directly or through another function; a nonlocal name bound to a value that
carries a derivative is refused at the call, with advice that works."""

from __future__ import annotations

import ast
import textwrap

import finite_differences
import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import cells

X = np.array([0.5, -1.0, 2.0])


def after(source: str) -> str:
    ctx = normalized_until(define(source), cells)
    cells.run(ctx.parsed.tree, ctx)
    return ast.unparse(ast.parse(text(ctx.parsed.tree)))


def test_only_the_functions_that_share_the_name_read_the_cell():
    assert after("""
        def f(x, scale):
            def own(p):
                scale = 3.0
                return p * scale
            def shared(p):
                return p * scale
            def setter(v):
                nonlocal scale
                scale = v
            setter(5.0)
            return own(x) + shared(x)
    """) == ast.unparse(
        ast.parse(
            textwrap.dedent("""
        def f(x, scale):
            scale_cell = [scale]
            def own(p):
                scale = 3.0
                return p * scale
            def shared(p):
                return p * scale_cell[0]
            def setter(v):
                scale_cell[0] = v
            setter(5.0)
            return own(x) + shared(x)
    """)
        )
    )


def twice(fn, x):
    return fn(x) + fn(2.0 * x)


PROGRAMS = {
    "a counter read after the calls": """
        def f(x):
            calls = 0
            def energy(p):
                nonlocal calls
                calls += 1
                return np.sum(np.sin(p) * p)
            total = energy(x) + energy(x * x)
            assert calls == 2
            return total * calls
    """,
    "a counter in a function passed on": """
        def f(x):
            calls = 0
            def energy(p):
                nonlocal calls
                calls = calls + 1
                return np.sum(np.tanh(p * 3.0))
            return twice(energy, x) * calls
    """,
    "a setting changed by a nested function": """
        def f(x):
            scale = 2.0
            def setter(v):
                nonlocal scale
                scale = v
            def scaled(p):
                return p * scale
            setter(5.0)
            return np.sum(scaled(x) ** 2)
    """,
    "a log appended to by a nested function": """
        def f(x):
            log = []
            def step(p):
                log.append(len(log))
                return np.tanh(p * x)
            y = step(step(x))
            return np.sum(y) * len(log)
    """,
}


@pytest.mark.parametrize("name", PROGRAMS, ids=list(PROGRAMS))
def test_the_programs_are_right_in_both_modes(name):
    fn = define(PROGRAMS[name], twice=twice)
    value, grad = srcgrad.value_and_grad(fn)(X)
    np.testing.assert_allclose(value, fn(X))
    want = finite_differences.gradient(fn, (X,))
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    value, tangent = srcgrad.jvp(fn, (X,), (np.ones(3),))
    np.testing.assert_allclose(value, fn(X))
    np.testing.assert_allclose(tangent, np.sum(want), rtol=1e-6, atol=1e-8)


TOTALS = {
    "called directly": """
        def f(x):
            total = 0.0
            def add(p):
                nonlocal total
                total = total + np.sum(p * x)
            for p in [x, x * x]:
                add(p)
            return total
    """,
    "read by the nested function too": """
        def f(x):
            total = 0.0
            def add(p):
                nonlocal total
                total = total * 0.5 + np.sum(np.sin(p))
                return total
            first = add(x)
            return add(x * first) + total
    """,
}


@pytest.mark.parametrize("name", TOTALS, ids=list(TOTALS))
def test_a_nonlocal_name_bound_to_a_derivative_called_directly_is_right(name):
    """The cell is a list the nested function is given and gives back
    (normalize/outer_writes.py): the derivative flows through what it binds."""
    fn = define(TOTALS[name])
    value, grad = srcgrad.value_and_grad(fn)(X)
    np.testing.assert_allclose(value, fn(X))
    want = finite_differences.gradient(fn, (X,))
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.jvp(fn, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(want), rtol=1e-6, atol=1e-8)


def _hessian_right(fn) -> None:
    grad = srcgrad.grad(fn)
    hessian = np.array(
        [finite_differences.gradient(lambda x, i=i: grad(x)[i], (X,)) for i in range(3)]
    )
    np.testing.assert_allclose(srcgrad.hessian(fn)(X), hessian, rtol=1e-5, atol=1e-7)


def test_a_hessian_through_a_nonlocal_total():
    _hessian_right(define(TOTALS["called directly"]))


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="crash in the generated code (np.zeros_like of a tuple): a Hessian through a helper "
    "whose value, a tuple holding a list, is read in part (as `def g(p): return (np.sum(p), "
    "[p])` called twice)",
)
def test_a_hessian_through_a_nonlocal_total_the_nested_function_returns():
    _hessian_right(define(TOTALS["read by the nested function too"]))


def test_a_nonlocal_name_bound_to_a_derivative_in_a_function_passed_on_is_refused():
    fn = define(
        """
        def f(x):
            total = 0.0
            def energy(p):
                nonlocal total
                total = total + np.sum(p)
                return np.sum(np.sin(p))
            return twice(energy, x) + total
    """,
        twice=twice,
    )
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.grad(fn)(X)
    message = str(info.value)
    assert "binds the nonlocal name 'total'" in message
    assert "'energy' is used as a value" in message
    assert "total = energy(...)" in info.value.hint


def test_the_advice_works():
    fn = define("""
        def f(x):
            total = 0.0
            def add(total, p):
                return total + np.sum(p * x)
            for p in [x, x * x]:
                total = add(total, p)
            return total
    """)
    want = finite_differences.gradient(fn, (X,))
    np.testing.assert_allclose(srcgrad.grad(fn)(X), want, rtol=1e-6, atol=1e-8)


def test_a_hessian_through_a_counter_is_right_or_refused():
    fn = define(PROGRAMS["a counter read after the calls"])
    try:
        hessian = srcgrad.hessian(fn)(X)
    except srcgrad.SrcgradError:
        return
    grad = srcgrad.grad(fn)
    want = np.array(
        [finite_differences.gradient(lambda x, i=i: grad(x)[i], (X,)) for i in range(3)]
    )
    np.testing.assert_allclose(hessian, want, rtol=1e-5, atol=1e-7)
