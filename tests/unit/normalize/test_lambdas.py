"""The `lambdas` pass alone: a lambda bound to a name is inlined where it is called (its
parameters replaced by the arguments all at once, each argument kept whole), its assignment
disappears (a block left empty holds `pass`). (A lambda whose name is assigned again or that is
used other than by a call is a nested function before this pass: test_lambda_defs.py.)"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import lambdas


def run(fn):
    ctx = normalized_until(fn, lambdas)
    lambdas.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str) -> str:
    return text(run(define(source)).parsed.tree)


def after_function(fn) -> str:
    return text(run(fn).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def line_of(fn, fragment: str) -> int:
    """The line of `fn`'s file that holds `fragment`."""
    lines = Path(fn.__code__.co_filename).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if fragment in line)


def refused(source: str, fragment: str) -> str:
    """The message of the error the pass raises on `source`, checked to name the line that
    holds `fragment`."""
    fn = define(source)
    with pytest.raises(UnsupportedSyntaxError) as error:
        run(fn)
    message = str(error.value)
    assert message.startswith(f"{fn.__code__.co_filename}:{line_of(fn, fragment)}:")
    return message


def test_each_call_is_the_lambdas_body_with_its_arguments():
    assert after("""
        def f(x, w):
            act = lambda z: np.tanh(z) * z
            return np.sum(act(x * w) + act(x))
    """) == code("""
        def f(x, w):
            _t1 = x * w
            return np.sum(np.tanh(_t1) * _t1 + np.tanh(x) * x)
    """)


def test_an_argument_read_twice_is_computed_once():
    """`act(rng.normal())` draws one number, as Python does."""
    fn = define("""
        def f(x):
            rng = np.random.default_rng(0)
            act = lambda z: z * z
            return x * act(rng.normal())
    """)
    code = after_function(fn)
    assert code.count("rng.normal()") == 1
    draw = np.random.default_rng(0).normal()
    assert np.isclose(srcgrad.grad(fn)(1.5), draw * draw)


def test_the_parameters_are_replaced_all_at_once():
    assert after("""
        def f(a, b):
            sub = lambda a, b: a - 2 * b
            return sub(b, a)
    """) == code("""
        def f(a, b):
            return b - 2 * a
    """)


def test_free_names_are_read_where_it_is_called_and_parameters_hide_them():
    assert after("""
        def f(x, y):
            scaled = lambda a: a * y
            shifted = lambda y: x * y
            return scaled(x) + shifted(y + 1)
    """) == code("""
        def f(x, y):
            return x * y + x * (y + 1)
    """)


def test_a_lambda_without_parameters_is_its_body():
    assert after("""
        def f(x, y):
            twice = lambda: y * 2
            return twice() + x
    """) == code("""
        def f(x, y):
            return y * 2 + x
    """)


def test_a_lambda_defined_in_an_if_leaves_pass_and_is_inlined_in_a_loop():
    assert after("""
        def f(x, n):
            if n > 0:
                step = lambda v: v * n
            for i in range(n):
                x = step(x)
            return x
    """) == code("""
        def f(x, n):
            if n > 0:
                pass
            for i in range(n):
                x = x * n
            return x
    """)


def test_a_function_without_lambdas_is_unchanged():
    source = """
        def f(x, y):
            z = x * y
            return z
    """
    assert after(source) == code(source)


def test_a_lambda_calling_another_lambda_is_inlined_through_both():
    assert after("""
        def f(x):
            double = lambda a: a * 2
            step = lambda b: double(b) + 1
            return step(x)
    """) == code("""
        def f(x):
            return x * 2 + 1
    """)


def test_a_call_with_the_wrong_number_of_arguments_is_reported_as_such():
    message = refused(
        """
        def f(x, y):
            sq = lambda a: a * a
            return sq(x, y)
        """,
        "return sq(x, y)",
    )
    assert "not called" not in message
    assert "argument" in message
