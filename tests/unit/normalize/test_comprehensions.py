"""The `comprehensions` pass alone: a list comprehension or generator expression becomes a new
list filled by loops (one per `for`, an `if` per condition) placed before the statement that
used it, which reads the list instead; the comprehension's variables get fresh names, the list
name collides with nothing, and a comprehension in a `while` test is refused with an
`UnsupportedSyntaxError` naming the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import comprehensions


def run(fn):
    ctx = normalized_until(fn, comprehensions)
    comprehensions.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str) -> str:
    return text(run(define(source)).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_a_comprehension_becomes_a_loop_appending_to_a_new_list():
    assert after("""
        def f(x, n):
            return np.sum(np.stack([x * i for i in range(n)]))
    """) == code("""
        def f(x, n):
            _l = []
            for i_1 in range(n):
                _l.append(x * i_1)
            return np.sum(np.stack(_l))
    """)


def test_each_condition_is_an_if_around_the_append():
    assert after("""
        def f(xs):
            ys = [x * 2 for x in xs if x > 0 if x < 5]
            return ys
    """) == code("""
        def f(xs):
            _l = []
            for x_1 in xs:
                if x_1 > 0:
                    if x_1 < 5:
                        _l.append(x_1 * 2)
            ys = _l
            return ys
    """)


def test_two_fors_are_nested_loops_in_order():
    assert after("""
        def f(xs, n):
            return [x * y for x in xs for y in range(n)]
    """) == code("""
        def f(xs, n):
            _l = []
            for x_1 in xs:
                for y_1 in range(n):
                    _l.append(x_1 * y_1)
            return _l
    """)


def test_a_generator_expression_is_a_list_too():
    assert after("""
        def f(xs):
            return sum(v * 2 for v in xs)
    """) == code("""
        def f(xs):
            _l = []
            for v_1 in xs:
                _l.append(v_1 * 2)
            return sum(_l)
    """)


def test_the_comprehensions_variables_are_its_own():
    assert after("""
        def f(xs, a):
            b = 1
            pairs = [a * b for a, b in zip(xs, xs)]
            return pairs[0] + a + b
    """) == code("""
        def f(xs, a):
            b = 1
            _l = []
            for a_1, b_1 in zip(xs, xs):
                _l.append(a_1 * b_1)
            pairs = _l
            return pairs[0] + a + b
    """)


def test_comprehensions_in_tests_and_iterables_are_built_before_their_statement():
    # the blocks inside an if or a loop are rewritten before its test or iterable
    assert after("""
        def f(xs, n):
            s = 0.0
            if sum([v for v in xs]) > 0:
                for i in range(len([k for k in range(n)])):
                    s = s + i
            else:
                s = [a for a in xs][0]
            return s
    """) == code("""
        def f(xs, n):
            s = 0.0
            _l_2 = []
            for v_1 in xs:
                _l_2.append(v_1)
            if sum(_l_2) > 0:
                _l = []
                for k_1 in range(n):
                    _l.append(k_1)
                for i in range(len(_l)):
                    s = s + i
            else:
                _l_1 = []
                for a_1 in xs:
                    _l_1.append(a_1)
                s = _l_1[0]
            return s
    """)


def test_two_comprehensions_in_one_statement_get_two_lists_in_order():
    assert after("""
        def f(xs):
            return [y for y in xs] + [y * 2 for y in xs]
    """) == code("""
        def f(xs):
            _l = []
            for y_1 in xs:
                _l.append(y_1)
            _l_1 = []
            for y_2 in xs:
                _l_1.append(y_2 * 2)
            return _l + _l_1
    """)


def test_the_list_name_collides_with_no_users_name_and_is_generated():
    ctx = run(
        define("""
        def f(xs, _l):
            return [v for v in xs] + _l
    """)
    )
    assert text(ctx.parsed.tree) == code("""
        def f(xs, _l):
            _l_1 = []
            for v_1 in xs:
                _l_1.append(v_1)
            return _l_1 + _l
    """)
    assert "_l_1" in ctx.names.generated
    assert "_l" not in ctx.names.generated


def test_a_function_without_comprehensions_is_unchanged():
    source = """
        def f(xs, n):
            s = 0.0
            for i in range(n):
                s = s + xs[i]
            return s
    """
    assert after(source) == code(source)


def test_a_comprehension_in_a_while_test_is_refused_at_the_loop():
    fn = define("""
        def f(xs, n):
            while n > len([x for x in xs]):
                n = n - 1
            return n
    """)
    with pytest.raises(UnsupportedSyntaxError) as error:
        run(fn)
    lines = Path(fn.__code__.co_filename).read_text().splitlines()
    line = next(k for k, text in enumerate(lines, 1) if "while n >" in text)
    message = str(error.value)
    assert message.startswith(f"{fn.__code__.co_filename}:{line}:")
    assert "a comprehension in a while loop's test is not supported" in message


def test_an_inner_comprehension_is_built_inside_the_outer_loop():
    assert after("""
        def f(xs, n):
            return [[x * j for j in range(n)] for x in xs]
    """) == code("""
        def f(xs, n):
            _l = []
            for x_1 in xs:
                _l_1 = []
                for j_1 in range(n):
                    _l_1.append(x_1 * j_1)
                _l.append(_l_1)
            return _l
    """)


def test_what_python_computes_before_a_comprehension_is_computed_before_its_loop():
    # `layer` may change `trace`: Python calls it before the generator walks `trace`
    assert after("""
        def f(x, trace):
            return np.sum(layer(x, trace)) + sum(t * 2 for t in trace) + np.sum(x)
    """) == code("""
        def f(x, trace):
            _t1 = np.sum(layer(x, trace))
            _l = []
            for t_1 in trace:
                _l.append(t_1 * 2)
            return _t1 + sum(_l) + np.sum(x)
    """)


def test_between_two_comprehensions_what_comes_between_is_computed_between():
    assert after("""
        def f(xs, ys):
            return g([x for x in xs], h(xs), [y for y in ys])
    """) == code("""
        def f(xs, ys):
            _l = []
            for x_1 in xs:
                _l.append(x_1)
            _t1 = h(xs)
            _l_1 = []
            for y_1 in ys:
                _l_1.append(y_1)
            return g(_l, _t1, _l_1)
    """)
