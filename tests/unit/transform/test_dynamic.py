"""Calls of functions known only as the code runs (`transform/dynamic.py`, `api/dynamic.py`):
`y, f_back = call_vjp(f, active, x)` in reverse mode, `call_jvp(f, active, tangents, x)` in
forward mode, for a function taken from a list or a dict, a loop over functions, a method of an
object, a `functools.partial`; each gives plain Python's value and the gradient of finite
differences in both modes. Refused at the user's line: a function made from differentiated
values, a method of a differentiated value, starred arguments, a second derivative, a helper
that writes into its argument, and a callable srcgrad has no derivative of."""

from __future__ import annotations

import functools
import inspect
import re

import finite_differences
import numpy as np
import pytest
from passes import context, define, text, transformed_tree

import srcgrad
from srcgrad.errors import NoRuleError, UnsupportedSyntaxError

X = np.array([0.5, -1.0, 2.0])


def cube(z):
    return z**3


def bump_first(a):
    a[0] = 2.0 * a[0]
    return a


class Scale:
    def __init__(self, k):
        self.k = k

    def forward(self, x):
        return np.tanh(self.k * x)

    def twice(self, x):
        return self.forward(self.forward(x))


class Opaque:
    def __call__(self, x):
        return x * 2.0


NAMES = {
    "np": np,
    "functools": functools,
    "cube": cube,
    "Scale": Scale,
    "LAYERS": [Scale(0.5), Scale(2.0)],
    "ACTS": {"tanh": np.tanh, "cube": cube},
    "bump_first": bump_first,
    "OPAQUE": np.vectorize(lambda x: x * 2.0),
    "CALLABLE": Opaque(),
}

PROGRAMS = {
    "a loop over functions": """
        def f(x):
            for g in [np.sin, cube, np.tanh]:
                x = g(x)
            return np.sum(x)
    """,
    "a function from a dict": """
        def f(x, name='cube'):
            act = ACTS[name]
            return np.sum(act(x) * ACTS['tanh'](x))
    """,
    "methods of objects in a list": """
        def f(x):
            for layer in LAYERS:
                x = layer.forward(x)
            return np.sum(x * x)
    """,
    "a method that calls another": """
        def f(x):
            return np.sum(LAYERS[1].twice(x))
    """,
    "a partial with its constants": """
        def f(x):
            g = functools.partial(np.clip, a_min=-0.7, a_max=1.5)
            return np.sum(g(x) * x)
    """,
    "a keyword argument that carries a derivative": """
        def f(x):
            layer = LAYERS[0]
            return np.sum(layer.forward(x=x))
    """,
}


@pytest.mark.parametrize("name", PROGRAMS, ids=list(PROGRAMS))
def test_the_calls_are_right_in_both_modes(name):
    fn = define(PROGRAMS[name], **NAMES)
    value, grad = srcgrad.value_and_grad(fn)(X)
    np.testing.assert_allclose(value, fn(X))
    want = finite_differences.gradient(fn, (X,))
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    _, tangent = srcgrad.jvp(fn, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(want), rtol=1e-6, atol=1e-8)


def test_the_code_calls_through_call_vjp_with_the_active_arguments_and_a_named_pullback():
    fn = define(PROGRAMS["methods of objects in a list"], **NAMES)
    code = text(transformed_tree(context(fn, X)))
    assert re.search(r"_t\d+, forward_back = call_vjp\(layer.forward, \(0,\), x\)", code)
    assert "forward_back(" in code
    forward = text(transformed_tree(context(fn, X, mode=srcgrad.forward(fn).mode)))
    assert "call_jvp(layer.forward, (0,), (x_dot,), x)" in forward


def _refused(source: str, error, match: str, call=lambda fn: srcgrad.grad(fn)(X)) -> None:
    fn = define(source, **NAMES)
    with pytest.raises(error, match=match) as caught:
        call(fn)
    lines, first = inspect.getsourcelines(fn)
    marked = first + next(k for k, line in enumerate(lines) if "# here" in line)
    assert caught.value.origin is not None and caught.value.origin.lineno == marked


def test_a_partial_holding_a_derivative_by_position_is_refused_where_passed_on():
    _refused(
        """
        def f(x):
            g = functools.partial(np.clip, x * 0.5, -0.7)  # here
            gs = [g]
            return np.sum(gs[0](x) + g(x))
        """,
        UnsupportedSyntaxError,
        "a functools.partial that holds a function or a positional argument that carries a "
        "derivative",
    )


def test_a_method_of_a_differentiated_value_has_no_rule():
    _refused(
        """
        def f(x):
            return np.sum(x.conjugate_somehow(2))  # here
        """,
        NoRuleError,
        "no derivative rule for",
    )


def test_a_second_derivative_through_a_function_known_at_run_time():
    fn = define(
        """
        def f(x):
            layer = LAYERS[0]
            y = layer.forward(x) + ACTS.get('tanh', np.sin)(x)
            return np.sum(y * y)
        """,
        **NAMES,
    )
    grad = srcgrad.grad(fn)
    want = np.array(
        [finite_differences.gradient(lambda x, i=i: grad(x)[i], [X], 0) for i in range(3)]
    )
    np.testing.assert_allclose(srcgrad.hessian(fn)(X), want, rtol=1e-6, atol=1e-8)


def test_a_second_derivative_through_a_closure_known_at_run_time():
    fn = define(
        """
        def f(x):
            def scaled(v):
                return v * x
            fs = [scaled]
            return np.sum(fs[0](x) ** 2)
        """,
        **NAMES,
    )
    # sum((x * x) ** 2) = sum(x ** 4): the Hessian is diag(12 x ** 2)
    np.testing.assert_allclose(srcgrad.hessian(fn)(X), np.diag(12 * X**2), rtol=1e-12)


def test_a_helper_that_writes_into_its_argument_is_refused_as_it_runs():
    _refused(
        """
        def f(x):
            g = ACTS.get('bump', bump_first)
            y = g(x * 1.0)  # here
            return np.sum(y)
        """,
        UnsupportedSyntaxError,
        "changes its argument 'a' in place",
    )


def test_a_callable_with_no_derivative_is_refused_as_it_runs():
    _refused(
        """
        def f(x):
            g = OPAQUE
            return np.sum(g(x))  # here
        """,
        NoRuleError,
        "no derivative rule for '<lambda>', the function called here",
    )


def test_a_callable_object_of_the_users_is_differentiated_through_its_call():
    fn = define(
        """
        def f(x):
            g = CALLABLE
            return np.sum(g(x))
        """,
        **NAMES,
    )
    np.testing.assert_allclose(srcgrad.grad(fn)(X), np.full_like(X, 2.0))
