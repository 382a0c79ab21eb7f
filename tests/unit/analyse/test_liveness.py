"""Liveness (`analyse/liveness.py`): `live_after(body, output)` gives, for each statement of the
normalized body, the names a statement that may run after it reads before assigning them again:
later in its block, after an `if` (either branch), at a loop's next step (its test, its range,
a value the step reads before it assigns it) or after the loop, and the function's result. A
name assigned again before any read is dead; `x[i] = v` and `xs.append(v)` keep `x` and `xs`
live; a `for` loop's variable is dead at the end of a step (the next step assigns it) unless it
is read after the loop.
"""

from __future__ import annotations

import gast
from passes import context, define, text

from srcgrad.analyse.liveness import live_after
from srcgrad.analyse.scan import walk_statements

_GLOBALS = {"np", "range", "print"}  # (read like any name; left out of the expectations here)


def live(source: str, *args) -> dict[str, set[str]]:
    """The first line of each normalized statement -> the user's names live after it (a line
    written twice keeps the first statement's)."""
    ctx = context(define(source), *args)
    *body, last = ctx.parsed.tree.body
    found = live_after(body, last.value.id)
    table: dict[str, set[str]] = {}
    for stmt in walk_statements(body):
        table.setdefault(text(stmt).splitlines()[0], set(found[id(stmt)]) - _GLOBALS)
    return table


def test_straight_line_code_keeps_a_name_live_until_its_last_read():
    assert live(
        """
        def f(x, y):
            a = x * y
            b = a + x
            c = np.sin(b)
            return c * y
        """,
        1.0,
        2.0,
    ) == {
        "a = x * y": {"a", "x", "y"},
        "b = a + x": {"b", "y"},  # (a and x read no more)
        "c = np.sin(b)": {"c", "y"},
        "_out = c * y": {"_out"},  # the result is live at the end
    }


def test_every_statement_of_the_body_gets_an_entry():
    ctx = context(
        define(
            """
            def f(x, c):
                if c > 0:
                    x = x * 2.0
                return x
            """
        ),
        1.0,
        1.0,
    )
    *body, last = ctx.parsed.tree.body
    found = live_after(body, last.value.id)
    assert {id(s) for s in walk_statements(body)} <= set(found)
    assert all(isinstance(names, frozenset) for names in found.values())


def test_a_name_assigned_again_before_it_is_read_is_dead():
    table = live(
        """
        def f(x):
            a = x * 2.0
            a = x * 3.0
            return a
        """,
        1.0,
    )
    assert table == {"a = x * 2.0": {"x"}, "a_1 = x * 3.0": {"a_1"}}


def test_either_branch_of_an_if_may_read_a_name():
    table = live(
        """
        def f(x, c):
            a = x * 2
            if c > 0:
                b = a + 1
            else:
                b = x
            return b * c
        """,
        1.0,
        2.0,
    )
    assert table["a = x * 2"] == {"a", "c", "x"}  # a read in one branch, x in the other
    assert table["if _t1:"] == {"b", "c"}
    assert table["b = a + 1"] == table["b = x"] == {"b", "c"}


def test_a_value_read_at_the_start_of_the_next_step_is_live_at_the_end_of_the_body():
    table = live(
        """
        def f(x, n):
            s = 0.0
            p = x
            for i in range(n):
                s = s + p
                p = p * x
            return s
        """,
        1.0,
        3,
    )
    assert table["p = _t2"] == {"n", "p", "s", "x"}  # p, s and x: read again at the next step
    assert table["_t1 = s + p"] == {"_t1", "n", "p", "x"}  # s is assigned before it is read
    assert table["for i in range(n):"] == {"s"}


def test_a_while_loops_test_is_live_at_the_end_of_each_step():
    table = live(
        """
        def f(x, n):
            t = x
            i = 0
            while i < n:
                t = np.sin(t)
                i = i + 1
            return t
        """,
        1.0,
        3,
    )
    assert table["_t1 = i < n"] == {"_t1", "i", "n", "t"}  # (the test the next step reads)
    assert table["_t2 = np.sin(t)"] == {"_t2", "i", "n"}
    assert table["while _t1:"] == {"t"}


def test_a_for_loops_variable_is_dead_at_the_end_of_a_step_unless_read_after_the_loop():
    inside = live(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x[i]
            return s
        """,
        [1.0, 2.0],
        2,
    )
    after = live(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x[i]
            return s + i
        """,
        [1.0, 2.0],
        2,
    )
    assert "i" not in inside["s = _t2"]  # the next step assigns it before reading it
    assert "i" not in inside["s = 0.0"] | inside["for i in range(n):"]
    assert "i" in after["s = _t2"]  # the last step's i is read after the loop
    assert "i" in after["s = 0.0"]  # (and the loop may not run)


def test_an_update_in_place_keeps_the_rest_of_the_array_live():
    table = live(
        """
        def f(x):
            y = x * 2
            y[0] = 1.0
            z = np.sum(y)
            return z
        """,
        [1.0, 2.0],
    )
    assert table["y = x * 2"] == {"y"}
    assert table["y[0] = 1.0"] == {"y"}


def test_an_append_keeps_the_list_live_across_steps():
    table = live(
        """
        def f(x, n):
            xs = []
            for i in range(n):
                xs.append(x * i)
            return xs[0]
        """,
        1.0,
        2,
    )
    assert table["xs = []"] == {"n", "x", "xs"}
    assert table["xs.append(_t1)"] == {"n", "x", "xs"}
    assert table["for i in range(n):"] == {"xs"}


def test_a_name_read_only_in_a_nested_loop_is_live_through_the_outer_one():
    table = live(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                for j in range(n):
                    s = s + x
                s = s * 0.5
            return s
        """,
        1.0,
        2,
    )
    assert table["_t2 = s * 0.5"] == {"_t2", "n", "x"}  # x: read in the outer loop's next step
    assert table["for j in range(n):"] == {"n", "s", "x"}
    assert table["for i in range(n):"] == {"s"}


def test_the_output_alone_is_live_after_a_function_that_reads_nothing_more():
    body = [gast.parse("a = 1.0").body[0], gast.parse("b = a * 2.0").body[0]]
    found = live_after(body, "b")
    assert found[id(body[0])] == {"a"}
    assert found[id(body[1])] == {"b"}


def test_a_loop_variable_read_by_the_loops_own_range_is_live_before_the_loop():
    body = gast.parse("n = m + 1\nfor n in range(n):\n    x = x * 2.0\n").body
    assert "n" in live_after(body, "x")[id(body[0])]
