"""The saving plan (`srcgrad/analyse/tape.py`): what the forward sweep pushes on the tape.
Straight-line code saves nothing; in a loop, only the values the reverse sweep reads and the
next iteration overwrites are saved (a loop that only reads an array saves none of it); a branch
decision is pushed only where it is overwritten before the reverse sweep reads it, and a `while`
loop's trip count only where an outer loop would overwrite it; pops come in the opposite order
of pushes. `Plan.of` and `overwritten_after` are checked on normalized bodies, the plan that the
reverse transform fills in through the generated code, and `recorded` with plans made by hand.
"""

from __future__ import annotations

import re

import gast
import numpy as np
import pytest
from passes import context, define, text, transformed_tree

from srcgrad.analyse.tape import Plan, recorded


def _body(source: str, *args) -> list:
    """The normalized body of the function, without its final `return`."""
    return context(define(source), *args).parsed.tree.body[:-1]


def _planned(source: str, *args, monkeypatch) -> tuple[Plan, str]:
    """The plan the reverse transform filled in, and the generated code."""
    made = []
    original = Plan.of.__func__

    def keep(cls, *arguments, **keywords):
        made.append(original(cls, *arguments, **keywords))
        return made[-1]

    ctx = context(define(source), *args)
    with monkeypatch.context() as patch:
        patch.setattr(Plan, "of", classmethod(keep))
        tree = transformed_tree(ctx)
    (plan,) = made
    return plan, text(tree)


def _saved(plan: Plan) -> list[str]:
    return sorted(name for names in plan.saves.values() for name in names)


def _loop(body: list):
    return next(s for s in body if type(s).__name__ in ("For", "While"))


def test_plan_of_records_program_order_and_the_names_assigned_in_loops():
    body = _body(
        """
        def f(x, n):
            a = np.sin(x)
            s = a
            for i in range(n):
                t = s * x
                s = t
            return np.sum(s)
        """,
        np.ones(3),
        2,
    )
    plan = Plan.of(body, "_tape", {"x", "n"})
    # a, s, the loop, t, s, `_out = np.sum(s)`: loops and their bodies are numbered in order
    assert sorted(plan.order.values()) == list(range(6))
    loop = body[2]
    assert plan.order[id(loop)] == 2 and plan.order[id(loop.body[0])] == 3
    assert plan.loop_assigns[id(loop)] == {"i", "t", "s"}
    assert plan.reassigned == {"i", "t", "s"}  # not a, x or n
    assert plan.last_assignment["a"] == 0 and plan.last_assignment["s"] == 4


def test_a_parameter_assigned_in_the_body_is_reassigned():
    body = _body(
        """
        def f(x, c):
            if c > 0:
                x = x * 2.0
            return np.sum(x)
        """,
        np.ones(3),
        1.0,
    )
    assert "x" not in Plan.of(body, "_tape").reassigned
    assert "x" in Plan.of(body, "_tape", {"x", "c"}).reassigned


def test_overwritten_after_in_a_loop_and_after_a_later_assignment():
    body = _body(
        """
        def f(x, n, c):
            a = np.sin(x)
            if c > 0:
                y = x * 2.0
            else:
                y = x * 3.0
            for i in range(n):
                t = np.cos(y)
            return np.sum(t * a)
        """,
        np.ones(3),
        2,
        1.0,
    )
    plan = Plan.of(body, "_tape", {"x", "n", "c"})
    first, branch, loop = body[0], body[2], body[3]
    then, other, inside = branch.body[0], branch.orelse[0], loop.body[0]
    assert not plan.overwritten_after("a", first, [])  # assigned once
    assert plan.overwritten_after("y", then, [])  # the else branch comes later in the text
    assert not plan.overwritten_after("y", other, [])
    assert plan.overwritten_after("t", inside, [loop])  # the next iteration
    assert not plan.overwritten_after("x", inside, [loop])  # a parameter never assigned


def test_straight_line_code_saves_nothing(monkeypatch):
    plan, code = _planned(
        """
        def f(x):
            a = np.sin(x)
            b = a * x
            return np.sum(b)
        """,
        np.ones(3),
        monkeypatch=monkeypatch,
    )
    assert not plan.used and plan.saves == {}
    assert "_tape" not in code


def test_a_loop_saves_the_loop_carried_value_its_derivative_reads(monkeypatch):
    plan, code = _planned(
        """
        def f(x, n):
            s = x
            for i in range(n):
                s = np.sin(s)
            return np.sum(s)
        """,
        np.ones(3),
        2,
        monkeypatch=monkeypatch,
    )
    assert _saved(plan) == ["s"]
    assert "_tape.append(s)" in code and "s = _tape.pop()" in code


def test_a_loop_whose_derivatives_read_no_overwritten_value_saves_nothing(monkeypatch):
    # s + 1.0 has a derivative that does not read s; x[i] reads an array the loop never writes
    plan, code = _planned(
        """
        def f(x, n):
            s = 0.0
            t = x
            for i in range(n):
                s = s + x[i] * 2.0
                t = t + 1.0
            return s + np.sum(t)
        """,
        np.ones(3),
        3,
        monkeypatch=monkeypatch,
    )
    assert not plan.used and "_tape" not in code


def test_pops_come_in_the_opposite_order_of_the_pushes(monkeypatch):
    plan, code = _planned(
        """
        def f(x, n):
            s = x
            for i in range(n):
                a = np.sin(s)
                s = a * s
            return np.sum(s)
        """,
        np.ones(3),
        2,
        monkeypatch=monkeypatch,
    )
    pushed = re.findall(r"_tape\.append\((\w+)\)", code)
    popped = re.findall(r"(\w+) = _tape\.pop\(\)", code)
    assert len(pushed) >= 2
    assert popped == pushed[::-1]
    assert sorted(pushed) == _saved(plan)


def test_a_branch_decision_is_not_recorded_when_nothing_overwrites_it(monkeypatch):
    plan, code = _planned(
        """
        def f(x, c):
            if c > 0:
                y = x * x
            else:
                y = np.sin(x)
            return np.sum(y)
        """,
        np.ones(3),
        1.0,
        monkeypatch=monkeypatch,
    )
    assert plan.conditions == set() and "_tape" not in code


def test_a_branch_decision_in_a_loop_is_recorded(monkeypatch):
    plan, code = _planned(
        """
        def f(x, n):
            s = x
            for i in range(n):
                if s[0] > 0:
                    s = s + x
                else:
                    s = s - x
            return np.sum(s)
        """,
        np.ones(3),
        3,
        monkeypatch=monkeypatch,
    )
    assert len(plan.conditions) == 1
    (decision,) = re.findall(r"_tape\.append\((\w+)\)", code)
    assert re.search(rf"{decision} = _tape\.pop\(\)\n\s*if {decision}:", code)


TOP_LEVEL_WHILE = """
    def f(x, n):
        s = x
        while np.sum(s) < 10.0:
            s = s * 2.0
        return np.sum(s)
"""
NESTED_WHILE = """
    def f(x, n):
        s = x
        for i in range(n):
            while np.sum(s) < 10.0:
                s = s * 2.0
        return np.sum(s)
"""


@pytest.mark.parametrize(
    ("source", "pushed"), [(TOP_LEVEL_WHILE, False), (NESTED_WHILE, True)], ids=["top", "nested"]
)
def test_a_while_loop_s_trip_count_is_pushed_only_inside_another_loop(source, pushed, monkeypatch):
    plan, code = _planned(source, np.ones(3), 2, monkeypatch=monkeypatch)
    ((counter, push),) = plan.counters.values()
    assert push is pushed
    assert f"{counter} = 0" in code and f"{counter} = {counter} + 1" in code
    assert (f"_tape.append({counter})" in code) is pushed


def test_recorded_puts_pushes_after_their_statements_and_a_counter_around_a_loop():
    body = _body(
        """
        def f(x, n):
            a = np.sin(x)
            for i in range(n):
                b = np.cos(a)
            return np.sum(b)
        """,
        np.ones(3),
        2,
    )
    first, loop, _ = body  # (the last: `_out = np.sum(b)`)
    plan = Plan.of(body, "_tape", {"x", "n"})
    plan.saves[id(first)] = ["a", "x"]
    plan.saves[id(loop.body[0])] = ["b"]
    plan.counters[id(loop)] = ("_n", True)
    out = "".join(text(stmt) for stmt in recorded(body, plan))
    assert out == (
        "a = np.sin(x)\n"
        "_tape.append(a)\n"
        "_tape.append(x)\n"
        "_n = 0\n"
        "for i in range(n):\n"
        "    _n = _n + 1\n"
        "    b = np.cos(a)\n"
        "    _tape.append(b)\n"
        "_tape.append(_n)\n"
        "_out = np.sum(b)\n"
    )


def test_recorded_pushes_a_condition_after_its_if_and_a_copy_before_an_update():
    body = _body(
        """
        def f(x, c):
            y = x * 2.0
            if c > 0:
                y[0] = 1.0
            return np.sum(y)
        """,
        np.ones(3),
        1.0,
    )
    test, branch = body[1], body[2]
    plan = Plan.of(body, "_tape", {"x", "c"})
    plan.conditions.add(id(branch))
    plan.undo[id(branch.body[0])] = gast.parse("np.copy(y[0])").body[0].value
    out = "".join(text(stmt) for stmt in recorded(body, plan))
    decision = test.targets[0].id
    assert f"if {decision}:\n    _tape.append(np.copy(y[0]))\n    y[0] = 1.0\n" in out
    assert f"    y[0] = 1.0\n_tape.append({decision})\n_out = " in out
    assert plan.used
