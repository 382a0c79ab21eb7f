"""The `generators` pass (`normalize/generators.py`): a call of the user's generator function
taken in full calls the function returning the list of what it yields (`yields.list_builder`),
a nested generator is rewritten in place, a generator held by a name is made where it is
iterated, `list(g(x))` is the list itself; what would take the steps otherwise is refused."""

from __future__ import annotations

import textwrap

import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import generators, yields

HELPERS = '''
def powers(x, n):
    """x**0, x**1, ..."""
    for k in range(n):
        if k > 5:
            return
        yield x**k


def chained(x):
    yield from powers(x, 2)
    yield
'''


def after(source: str) -> str:
    ctx = normalized_until(define(HELPERS + textwrap.dedent(source)), generators)
    generators.run(ctx.parsed.tree, ctx)
    return text(ctx.parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_a_call_taken_in_full_calls_the_list_builder():
    assert after("""
        def f(x):
            s = 0.0
            for p in powers(x, 3):
                s = s + p
            return sum(powers(x, 2)) + s + len(list(powers(x, 1)))
    """) == code("""
        def f(x):
            s = 0.0
            for p in powers_list(x, 3):
                s = s + p
            return sum(powers_list(x, 2)) + s + len(powers_list(x, 1))
    """)


def test_the_list_builder_appends_what_the_generator_yields():
    fn = define(HELPERS, "powers")
    builder = yields.list_builder(fn)
    assert builder(2.0, 3) == list(fn(2.0, 3))
    assert yields.list_builder(fn) is builder
    assert text(builder.__srcgrad_tree__) == code('''
        def powers(x, n):
            """x**0, x**1, ..."""
            _out = []
            for k in range(n):
                if k > 5:
                    return list(_out)
                _out.append(x ** k)
            return _out
    ''')
    chained = define(HELPERS, "chained")
    assert yields.list_builder(chained)(3.0) == list(chained(3.0))


def test_a_nested_generator_is_rewritten_in_place():
    assert after("""
        def f(x):
            def steps(v):
                yield v
                yield from [v * 2]
            return sum(steps(x))
    """) == code("""
        def f(x):

            def steps(v):
                _out = []
                _out.append(v)
                for _v in [v * 2]:
                    _out.append(_v)
                return _out
            return sum(steps(x))
    """)


def test_a_generator_held_by_a_name_is_made_where_it_is_iterated():
    assert after("""
        def f(x):
            parts = powers(x * 2, 3)
            y = x + 1
            return sum(parts)
    """) == code("""
        def f(x):
            _t1 = x * 2
            y = x + 1
            return sum(powers_list(_t1, 3))
    """)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("for p in powers(x, 3):\n    break", "may stop early ('break')"),
        ("return np.stack(powers(x, 2))", "passed to np.stack"),
        ("g = powers(x, 2)\na = sum(g)\nreturn sum(g) + a", "read more than once"),
        ("return next(powers(x, 2))", "passed to next"),
        ("return powers(x, 2)", "returned"),
        ("g = powers(x, 2)\nfor k in range(2):\n    s = sum(g)", "in a loop it was not made in"),
    ],
)
def test_what_python_would_take_otherwise_is_refused(source, message):
    body = textwrap.indent(source, "    ")
    with pytest.raises(
        UnsupportedSyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        after(f"def f(x):\n{body}\n")
