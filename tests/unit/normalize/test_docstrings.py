"""The `docstrings` pass alone: docstrings, other constant expression statements and `pass`
are dropped from every block (function, if, else, loop bodies), a body left empty holds one
`pass`, an `else` left empty disappears, and statements that compute something stay."""

from __future__ import annotations

import textwrap

import gast
from passes import define, normalized_until, text

from srcgrad.normalize import docstrings


def normalized(source: str):
    ctx = normalized_until(define(source), docstrings)
    docstrings.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str) -> str:
    return text(normalized(source).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_the_docstring_and_pass_are_dropped():
    assert after("""
        def f(x):
            "Square."
            pass
            return x * x
    """) == code("""
        def f(x):
            return x * x
    """)


def test_a_triple_quoted_docstring_is_dropped():
    assert after('''
        def f(x):
            """Square.

            More text.
            """
            y = x * x
            return y
    ''') == code("""
        def f(x):
            y = x * x
            return y
    """)


def test_constant_statements_are_dropped_inside_ifs_and_loops():
    assert after("""
        def f(x):
            if x > 0:
                "a note"
                x = x * 2
            for i in range(3):
                42
                x = x + i
            while x > 10:
                ...
                x = x / 2
            return x
    """) == code("""
        def f(x):
            if x > 0:
                x = x * 2
            for i in range(3):
                x = x + i
            while x > 10:
                x = x / 2
            return x
    """)


def test_a_body_left_empty_holds_one_pass():
    assert after("""
        def f(x):
            if x > 0:
                "nothing"
                pass
            for i in range(3):
                pass
            return x
    """) == code("""
        def f(x):
            if x > 0:
                pass
            for i in range(3):
                pass
            return x
    """)


def test_a_function_of_only_a_docstring_keeps_a_body():
    tree = normalized("""
        def f(x):
            "Nothing to see."
    """).parsed.tree
    assert [type(s) for s in tree.body] == [gast.Pass]


def test_an_else_left_empty_disappears():
    assert after("""
        def f(x):
            if x > 0:
                y = 1
            else:
                "only a note"
            for i in range(3):
                x = x + i
            else:
                pass
            return x * y
    """) == code("""
        def f(x):
            if x > 0:
                y = 1
            for i in range(3):
                x = x + i
            return x * y
    """)


def test_an_else_with_statements_keeps_them():
    assert after("""
        def f(x):
            if x > 0:
                y = 1
            else:
                "note"
                y = 2
            return x * y
    """) == code("""
        def f(x):
            if x > 0:
                y = 1
            else:
                y = 2
            return x * y
    """)


def test_strings_that_are_values_are_kept():
    source = """
        def f(x):
            label = 'weights'
            print('at', label)
            return x
    """
    assert after(source) == code(source)
