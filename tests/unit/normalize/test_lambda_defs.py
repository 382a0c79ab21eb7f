"""The `lambda_defs` pass alone: a lambda used as a value is a nested function defined before
the statement that holds it (its parameters and defaults as written), a lambda bound once to a
name and used as a value is a nested function of that name, a lambda only called by its name is
left for the `lambdas` pass, and a lambda whose reads would change meaning is refused at its
line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import lambda_defs


def after(source: str) -> str:
    ctx = normalized_until(define(source), lambda_defs)
    lambda_defs.run(ctx.parsed.tree, ctx)
    return text(ctx.parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def refused(source: str, fragment: str) -> str:
    fn = define(source)
    ctx = normalized_until(fn, lambda_defs)
    with pytest.raises(UnsupportedSyntaxError) as error:
        lambda_defs.run(ctx.parsed.tree, ctx)
    lines = Path(fn.__code__.co_filename).read_text().splitlines()
    line = next(n for n, text_ in enumerate(lines, 1) if fragment in text_)
    assert str(error.value).startswith(f"{fn.__code__.co_filename}:{line}:")
    assert error.value.hint
    return str(error.value)


def test_lambdas_in_a_list_a_key_and_a_dict_are_nested_functions_before_their_statement():
    assert after("""
        def f(x, ps):
            y = x * 2
            fs = [np.tanh, lambda z: z ** 3]
            ordered = sorted(ps, key=lambda p: p[0])
            table = {"a": lambda r, k=2: r * k}
            return fs[1](y) + ordered[0][0] + table["a"](y)
    """) == code("""
        def f(x, ps):
            y = x * 2

            def _lambda(z):
                return z ** 3
            fs = [np.tanh, _lambda]

            def _lambda_1(p):
                return p[0]
            ordered = sorted(ps, key=_lambda_1)

            def _lambda_2(r, k=2):
                return r * k
            table = {'a': _lambda_2}
            return fs[1](y) + ordered[0][0] + table['a'](y)
    """)


def test_a_named_lambda_used_as_a_value_is_a_function_of_that_name_and_one_called_is_left():
    assert after("""
        def f(x):
            sq = lambda a: a * a
            cube = lambda a: a ** 3
            gs = [sq]
            return gs[0](x) + cube(x)
    """) == code("""
        def f(x):

            def sq(a):
                return a * a
            cube = lambda a: a ** 3
            gs = [sq]
            return gs[0](x) + cube(x)
    """)


def test_a_lambda_in_a_loop_is_defined_before_the_loop_and_one_inside_moves_with_it():
    assert after("""
        def f(x):
            for i in range(3):
                g = lambda a: lambda b: a * b
                x = g(x)(x)
            return x
    """) == code("""
        def f(x):

            def _lambda(a):
                return lambda b: a * b
            for i in range(3):
                g = _lambda
                x = g(x)(x)
            return x
    """)


def test_a_lambda_reading_a_name_bound_again_later_is_refused():
    message = refused(
        """
        def f(x):
            a = x
            fs = [lambda z: z * a]
            a = x * 2
            return fs[0](x)
        """,
        "fs = [lambda",
    )
    assert "reads 'a', which is bound again after the lambda is made" in message


def test_a_lambda_reading_its_comprehensions_variable_is_refused():
    message = refused(
        """
        def f(x):
            fs = [lambda z: z * k for k in range(3)]
            return fs[0](x)
        """,
        "fs = [lambda",
    )
    assert "a lambda inside a comprehension that reads its variable 'k'" in message


def test_a_lambda_with_a_computed_default_is_refused():
    message = refused(
        """
        def f(x):
            fs = [lambda z, e=np.sin(x): z * e]
            return fs[0](x)
        """,
        "fs = [lambda",
    )
    assert "whose default is computed by an operation" in message


def test_a_function_without_lambdas_is_unchanged():
    source = """
        def f(x, y):
            z = x * y
            return z
    """
    assert after(source) == code(source)


def test_a_nested_function_used_as_a_value_before_a_name_it_reads_is_bound_again_is_refused():
    message = refused(
        """
        def f(x):
            def g(z):
                return z * k
            fs = []
            for k in range(3):
                fs.append(g)
            return fs[0](x)
        """,
        "fs.append(g)",
    )
    assert "the nested function 'g' used as a value, which reads 'k'" in message


def test_a_nested_function_passed_to_the_users_function_is_called_before_it_returns():
    source = """
        def f(x, w):
            a = w

            def g(z):
                return z * a
            for k in range(3):
                a = a * k
                x = helper(g, x)
            gs = [g]
            return gs[0](x)
    """
    fn = define(source, helper=lambda g, x: g(x))
    ctx = normalized_until(fn, lambda_defs)
    lambda_defs.run(ctx.parsed.tree, ctx)  # (a is bound last before `gs = [g]`: nothing refused)
    assert "helper(g, x)" in text(ctx.parsed.tree)
