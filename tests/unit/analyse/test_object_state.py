"""The check of calls run as they are (`analyse/object_state.py`): `guard` puts
`state_kept(f, moving, *args)` before a call of a function known only as the code runs, made
for its effect or for a value the output does not depend on, where a value that moves is passed
to it or it is a method of one; none before a call that moves nothing, an active call (the
run-time dispatch checks it) or a call of a library's function. `state_kept` refuses, at the
user's line, a function that writes into its object or an argument with or into a value that
moves, or calls a method of its object that does, and lets one that moves nothing run."""

from __future__ import annotations

import numpy as np
import pytest
from passes import analysed_program, context, define, text

from srcgrad.analyse.object_state import state_kept
from srcgrad.errors import UnsupportedSyntaxError


class Acc:
    def __init__(self):
        self.total = 0.0
        self.calls = 0

    def add(self, v):
        self.total = self.total + v

    def tick(self):
        self.calls = self.calls + 1

    def twice(self, v):
        self.add(v * 2.0)

    def value(self, v):
        return v * 2.0

    def quiet(self, v):
        self.value(v)


def _guarded(source: str) -> list[str]:
    ctx = context(define(source, Acc=Acc), np.ones(3))
    analysed_program(ctx)
    return [line.strip() for line in text(ctx.parsed.tree).splitlines()]


def test_a_call_for_its_effect_with_a_moving_value_is_checked():
    lines = _guarded(
        """
        def f(w):
            s = np.sum(w)
            acc = Acc()
            acc.tick()
            acc.add(w)
            return s
        """
    )  # (acc or w read after acc.add(w) would be refused before: analyse/memory.py)
    k = lines.index("acc.add(w)")
    assert lines[k - 1] == "state_kept(acc.add, (0,), w)"
    assert not lines[lines.index("acc.tick()") - 1].startswith("state_kept")


def test_a_method_of_a_moving_object_is_checked():
    lines = _guarded(
        """
        def f(w):
            acc = Acc()
            made = Acc.value(acc, w)
            acc.tick()
            return made
        """
    )
    assert "state_kept(" not in "\n".join(lines)


def test_an_active_call_is_left_to_the_run_time_dispatch():
    lines = _guarded(
        """
        def f(w):
            acc = Acc()
            y = acc.value(w)
            print(w)
            return np.sum(y)
        """
    )
    assert not any(line.startswith("state_kept") for line in lines)


def test_what_moves_nothing_runs():
    acc = Acc()
    state_kept(acc.tick, ())
    state_kept(acc.quiet, (0,), 1.0)
    state_kept(acc.value, ("self", 0), 1.0)
    assert acc.calls == 0  # (the check calls nothing)


@pytest.mark.parametrize(
    ("method", "moving", "where"),
    [
        ("add", (0,), "self.total = self.total + v"),
        ("add", ("self",), "self.total = self.total + v"),
        ("tick", ("self",), "self.calls = self.calls + 1"),
        ("twice", (0,), "self.add(v * 2.0)"),
    ],
)
def test_a_write_with_or_into_what_moves_is_refused(method, moving, where):
    acc = Acc()
    args = (1.0,) * (method != "tick")
    with pytest.raises(UnsupportedSyntaxError, match="srcgrad runs the call as it is") as info:
        state_kept(getattr(acc, method), moving, *args)
    assert where in str(info.value)


def test_a_lists_own_writing_method_is_refused():
    xs = []
    with pytest.raises(UnsupportedSyntaxError, match=r"'\.append\(\)' of a list"):
        state_kept(xs.append, (0,), 1.0)
    state_kept(xs.append, (), 1.0)
