"""The `spellings` pass alone: a call that reaches a writing function by another spelling is
written as the direct call (`getattr(y, "fill")(v)` is `y.fill(v)`, `np.ndarray.sort(y)` and
`type(y).sort(y)` are `y.sort()`, `cp = np.copyto; cp(y, v)` is `np.copyto(y, v)`), and a
writing function or bound method used as a value is refused at its line."""

from __future__ import annotations

import functools
import operator
import textwrap

import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import spellings


def after(source: str, **names) -> str:
    ctx = normalized_until(define(source, **names), spellings)
    spellings.run(ctx.parsed.tree, ctx)
    return text(ctx.parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_getattr_with_a_constant_name_is_the_attribute():
    assert after("""
        def f(x):
            y = x * 1.0
            getattr(y, "fill")(x[0])
            getattr(np, "copyto")(y, x)
            return getattr(y, "sum")() + getattr(x, "shape")[0]
    """) == code("""
        def f(x):
            y = x * 1.0
            y.fill(x[0])
            np.copyto(y, x)
            return y.sum() + x.shape[0]
    """)


def test_unbound_writing_methods_are_bound_to_their_first_argument():
    assert after("""
        def f(x):
            y = x * 1.0
            np.ndarray.sort(y)
            np.ndarray.__setitem__(y, 1, x[2])
            type(y).__iadd__(y, x)
            y.__class__.fill(y, 2.0)
            z = np.ndarray.sum(y)
            return z
    """) == code("""
        def f(x):
            y = x * 1.0
            y.sort()
            y.__setitem__(1, x[2])
            y.__iadd__(x)
            y.fill(2.0)
            z = np.ndarray.sum(y)
            return z
    """)


def test_a_local_alias_bound_once_to_a_writing_function_is_that_function():
    assert after("""
        def f(x):
            y = x * 1.0
            cp = np.copyto
            for i in range(2):
                cp(y, x * i)
            return y
    """) == code("""
        def f(x):
            y = x * 1.0
            for i in range(2):
                np.copyto(y, x * i)
            return y
    """)


def test_an_alias_of_a_function_that_does_not_write_is_left_alone():
    assert after("""
        def f(x):
            t = np.tanh
            return t(x)
    """) == code("""
        def f(x):
            t = np.tanh
            return t(x)
    """)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("s = y.sort", "the method 'y.sort'"),
        ("setter = y.__setitem__", "the method 'y.__setitem__'"),
        ("list(map(y.__setitem__, [0, 1], [x[2], x[1]]))", "the method 'y.__setitem__'"),
        ("functools.partial(np.copyto, y)(x)", "'np.copyto'"),
        ("ops = {'fill': np.ndarray.fill}", "'ndarray.fill'"),
        ("ops = [operator.iadd]", "'operator.iadd'"),
        ("cp = np.copyto\n    cp = np.put", "'np.copyto'"),
        ("s = getattr(y, 'sort')", "the method 'y.sort'"),
        ("getattr(y, name)(x[0])", "getattr(obj, name)"),
        ("type(x).__setitem__(y, 0, x[1])", "'.__setitem__' of a value computed"),
        ("z = (np.add.at, 1)", "'np.add.at'"),
    ],
)
def test_a_writing_function_used_as_a_value_is_refused_at_its_line(line: str, named: str):
    source = f"def f(x, name='fill'):\n    y = x * 1.0\n    {line}\n    return y\n"
    with pytest.raises(UnsupportedSyntaxError) as caught:
        after(source, functools=functools, operator=operator)
    message = str(caught.value)
    assert named in message
    assert ":5:" in message.splitlines()[0]  # (the line of `line` in the module file)
