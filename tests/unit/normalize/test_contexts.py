"""The `contexts` pass (`normalize/contexts.py`): a `with` block becomes the manager's enter,
the block and its exit; the forward values run inside the context (np.errstate holds for
them) and the gradients are those of the block alone. A jump that would skip the exit is
refused at its line."""

from __future__ import annotations

import ast
import textwrap
import warnings

import finite_differences
import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import contexts

X = np.array([0.5, 0.0, 2.0])


def after(source: str, **names) -> str:
    ctx = normalized_until(define(source, **names), contexts)
    contexts.run(ctx.parsed.tree, ctx)
    return ast.unparse(ast.parse(text(ctx.parsed.tree))) + "\n"


def code(source: str) -> str:
    return ast.unparse(ast.parse(textwrap.dedent(source))) + "\n"


def test_nested_managers_exit_in_reverse_order_and_a_final_return_after_them():
    assert after(
        """
        def f(x):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                y = np.log(x)
            with np.errstate(divide="ignore") as state:
                return np.sum(y)
        """,
        warnings=warnings,
    ) == code(
        """
        def f(x):
            _manager = np.errstate(all='ignore')
            _manager.__enter__()
            _manager_1 = warnings.catch_warnings()
            _manager_1.__enter__()
            y = np.log(x)
            _manager_1.__exit__(None, None, None)
            _manager.__exit__(None, None, None)
            _manager_2 = np.errstate(divide='ignore')
            state = _manager_2.__enter__()
            _result = np.sum(y)
            _manager_2.__exit__(None, None, None)
            return _result
        """
    )


def _log_ignoring_zeros(x):
    with np.errstate(divide="ignore"):
        y = np.where(x > 0, np.log(np.abs(x) + (x == 0)), 0.0) * np.sin(x)
    return np.sum(y * y)


def _raising_inside(x):
    with np.errstate(divide="raise"):
        y = 1.0 / x
    return np.sum(y)


def test_values_and_gradients_of_a_block_under_errstate():
    x = np.array([0.5, 1.5, 2.0])
    value, gradient = srcgrad.value_and_grad(_log_ignoring_zeros)(x)
    assert value == pytest.approx(_log_ignoring_zeros(x), rel=1e-12)
    want = finite_differences.gradient(_log_ignoring_zeros, [x], 0)
    np.testing.assert_allclose(gradient, want, rtol=1e-6)
    _, tangent = srcgrad.jvp(_log_ignoring_zeros, (x,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(want), rel=1e-6)


def test_the_context_holds_over_the_forward_values():
    before = np.geterr()
    try:
        with pytest.raises(FloatingPointError):
            srcgrad.grad(_raising_inside)(X)
    finally:
        np.seterr(**before)  # (the exception skipped the exit, as the module says)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        srcgrad.grad(_raising_inside)(np.array([0.5, 1.0, 2.0]))  # no warning, no error


def _timer_and_list(x, log):
    total = 0.0
    for k in range(3):
        with Recorder(log, k):
            total = total + np.sum(np.cos(x * k))
    return total


class Recorder:
    def __init__(self, log, k):
        self.log, self.k = log, k

    def __enter__(self):
        self.log.append(("enter", self.k))
        return self

    def __exit__(self, *exc):
        self.log.append(("exit", self.k))


def test_a_users_manager_in_a_loop_runs_in_order():
    log: list = []
    gradient = srcgrad.grad(_timer_and_list)(X, log)
    assert log == [(a, k) for k in range(3) for a in ("enter", "exit")]
    want = finite_differences.gradient(lambda x: _timer_and_list(x, []), [X], 0)
    np.testing.assert_allclose(gradient, want, rtol=1e-6)


def test_a_return_before_the_end_of_the_block_is_refused_at_its_line():
    fn = define(
        """
        def f(x):
            with np.errstate(all="ignore"):
                if x[0] > 0:
                    return np.sum(x)
                y = x * 2.0
            return np.sum(y)
        """
    )
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="'return' inside a 'with'") as info:
        srcgrad.grad(fn)(X)
    assert "    return np.sum(x)" in str(info.value)


def test_a_break_of_a_loop_inside_the_block_is_its_own():
    fn = define(
        """
        def f(x):
            with np.errstate(all="ignore"):
                total = 0.0
                for k in range(5):
                    if k > 2:
                        break
                    total = total + np.sum(x * k)
            return total
        """
    )
    np.testing.assert_allclose(srcgrad.grad(fn)(X), np.full(3, 3.0))
