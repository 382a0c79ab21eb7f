"""The reverse sweep of a checkpointed loop (`transform/checkpoints.py`) and the schedule it
follows (`runtime/checkpoints.py`).

The code: the forward sweep makes the schedule and keeps snapshots of the state a step reads
before it assigns it, pushing nothing; the reverse loop runs the steps again from the latest
snapshot when its step is not on the tape, then the steps up to it with their pushes, then the
step's reverse. Refused at the line: a random draw, an append, a state that may be unbound
before the loop. A budget (`tape_limit`) checkpoints the loops whose tape would not fit.

The schedule: snapshots never more than asked, the tape never more than its window, each step
reversed from the state the forward sweep had there, and the number of runs the fewest a
schedule with those snapshots needs (checked against a search over every schedule for small
sizes)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from passes import context, define, optimized_tree, text

import srcgrad
from srcgrad.runtime import checkpoints as schedule
from srcgrad.transform import checkpoints


def _code(source: str, *args, wrt=0, **names) -> str:
    return text(optimized_tree(context(define(source, **names), *args, wrt=wrt)))


def test_the_forward_keeps_snapshots_and_the_reverse_runs_steps_again():
    code = _code(
        """
        import srcgrad
        def f(u, k, n):
            for t in srcgrad.checkpointed(range(n), snapshots=4):
                u = np.tanh(u + k * u)
            return np.sum(u)
        """,
        np.ones(3),
        0.5,
        6,
    )
    lines = [line.strip() for line in code.splitlines()]
    assert "_ck = checkpoints(4, len(range(n)))" in lines
    assert lines.count("snapshot(_ck, u)") == 2  # the forward's, and the runs again
    assert "_j, _i, u = restored(_ck, _k)" in lines
    assert "for t in range(n)[_j:_i]:" in lines
    assert "for t in range(n)[_i:_k + 1]:" in lines
    assert "for _k in reversed(range(len(range(n)))):" in lines
    forward = code[: code.index("for _k in")]
    assert "_tape.append" not in forward  # (the forward sweep pushes nothing)


def test_a_step_that_changes_values_in_place_copies_them_into_and_out_of_snapshots():
    code = _code(
        """
        import srcgrad
        def f(u, n):
            v = u * 1.0
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                v[1:] = v[1:] + 0.5 * np.sin(v[:-1])
            return np.sum(v * v)
        """,
        np.ones(4),
        5,
    )
    assert "snapshot(_ck, kept(v))" in code
    assert "v = kept(v)" in code


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("u = u + np.random.normal(size=u.shape)", "random draw"),
        ("u = u + rng.normal(size=u.shape)", "random draw"),
        ("out.append(u)", "append"),
    ],
)
def test_a_step_that_would_not_do_the_same_again_is_refused_at_its_line(line, message):
    source = f"""
        import srcgrad
        def f(u, n, rng):
            out = []
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = np.tanh(u)
                {line}
            return np.sum(u)
    """
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=message) as caught:
        _code(source, np.ones(3), 4, np.random.default_rng(0))
    assert ":9:" in str(caught.value).splitlines()[0]  # (`define` puts two lines first)
    assert "before the loop" in str(caught.value) or "drop srcgrad.checkpointed" in str(
        caught.value
    )


def test_a_helper_that_draws_is_refused_too():
    source = """
        import srcgrad
        def noisy(u):
            return u + np.random.standard_normal(u.shape)
        def f(u, n):
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = noisy(np.tanh(u))
            return np.sum(u)
    """
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="random draw"):
        _code(source, np.ones(3), 4)


def test_a_state_unbound_before_the_loop_is_refused():
    source = """
        import srcgrad
        def f(u, n):
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                if t > 0:
                    u = u + prev
                prev = np.sin(u)
            return np.sum(u)
    """
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="'prev' is carried"):
        _code(source, np.ones(3), 4)


# ---- the budget --------------------------------------------------------------------------


def _budgeted(limit: int):
    fn = define("""
        def f(u, k, n):
            for t in range(n):
                u = u + k * (np.roll(u, 1) - 2.0 * u)
            for t in range(3):
                u = np.tanh(u)
            return np.sum(u * u)
    """)
    ctx = context(fn, np.ones(1000), 0.1, 50, wrt=0)
    ctx.tape_limit = limit
    return fn, text(optimized_tree(ctx))


def test_a_budget_checkpoints_the_loop_whose_tape_may_not_fit_and_leaves_the_others():
    _, code = _budgeted(400_000)
    # a share of 200 kB each loop; a step of the first may keep its 6 values of 8 kB, and
    # its state u is 8 kB more: 3 snapshots (its steps are not known); the second's 3 steps fit
    assert "_ck = checkpoints(3, len(range(n)))" in code
    assert code.count("checkpoints(") == 1


def test_a_budget_one_step_does_not_fit_is_refused_before_running():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="more than its share"):
        _budgeted(40_000)


# ---- the schedule ------------------------------------------------------------------------


@lru_cache(None)
def _fewest(steps: int, free: int) -> int:
    """The fewest runs that reverse `steps` steps from a snapshot before the first, with
    `free` more snapshots and a tape of one step: a search over every first split."""
    if steps == 1:
        return 0
    if free == 0:
        return steps * (steps - 1) // 2
    return min(m + _fewest(m, free) + _fewest(steps - m, free - 1) for m in range(1, steps))


@pytest.mark.parametrize("snapshots", [1, 2, 3, 5])
def test_the_formula_is_the_fewest_runs_of_any_schedule(snapshots):
    for steps in range(1, 70):
        assert schedule.fewest_runs(steps, snapshots) == _fewest(steps, snapshots - 1)


def _reverse(steps: int, snapshots: int, known: bool = True) -> schedule.Checkpoints:
    """Drive a schedule as generated code does, over a state that counts the steps; check
    each step is reversed from its own state, and the bounds on snapshots and tape."""
    ck = schedule.Checkpoints(snapshots, steps if known else None)
    for state in range(steps):  # (the state before step k is k)
        ck.snapshot(state)
    tape: list[int] = []
    taped_from = steps
    for k in reversed(range(steps)):
        if k < taped_from:
            start, taped_from, state = ck.restored(k)
            assert state == start
            for _ in range(start, taped_from):
                ck.snapshot(state)
                state += 1
            for _ in range(taped_from, k + 1):
                tape.append(state)
                state += 1
            assert len(tape) <= ck.window
        assert len(ck.steps) <= snapshots
        assert tape.pop() == k
    assert not tape
    return ck


@pytest.mark.parametrize(("steps", "snapshots"), [(1, 1), (2, 1), (9, 1), (40, 3), (1000, 10)])
def test_every_step_is_reversed_from_its_state_within_the_bounds(steps, snapshots):
    _reverse(steps, snapshots)
    _reverse(steps, snapshots, known=False)  # (a while loop: learned as it runs)


def test_the_runs_are_the_fewest_for_the_window_plus_the_forwards_last_windows():
    for steps, snapshots in [(1000, 10), (10_000, 100), (100_000, 100)]:
        ck = _reverse(steps, snapshots)
        fewest = schedule.fewest_runs(steps, snapshots, window=snapshots)
        assert fewest <= ck.runs <= fewest + 3 * snapshots


def test_a_hundred_snapshots_repeat_each_of_100000_steps_at_most_three_times():
    assert schedule.repeats_needed(100_000, 100) == 3
    assert schedule.repeats_needed(100_000 // 100, 100) == 2  # (with a tape of 100 steps)


def test_kept_copies_arrays_and_containers_all_the_way_down():
    a = np.ones(3)
    held = {"a": a, "xs": [a, (a, 2.0)]}
    copy = schedule.kept(held)
    a[0] = 5.0
    assert copy["a"][0] == 1.0 and copy["xs"][0][0] == 1.0 and copy["xs"][1][0][0] == 1.0
    assert copy["xs"][1][1] == 2.0 and schedule.kept(3.5) == 3.5


class _Simulation:  # (an object of the user's: its attributes are its state)
    def __init__(self, u):
        self.u = u
        self.steps = 0


def test_kept_copies_an_objects_attributes_and_given_back_puts_them_back():
    sim = _Simulation(np.ones(3))
    ck = schedule.checkpoints(2, 3, held=(sim,))
    schedule.snapshot(ck, schedule.kept(sim))
    sim.u[0], sim.steps = 5.0, 1  # (the forward sweep's step changes the object in place)
    state = ck.states[0][0]
    assert state is not sim and state.u[0] == 1.0 and state.steps == 0
    again = schedule.kept(state)  # (a step run again changes a copy of the snapshot)
    again.steps = 7
    assert schedule.given_back(ck, again) is sim
    assert sim.u[0] == 1.0 and sim.steps == 0 and state.steps == 0


def test_the_marker_runs_the_plain_loop_and_checks_its_snapshots():
    assert srcgrad.checkpointed(range(3), snapshots=2) == range(3)
    with pytest.raises(ValueError, match="positive integer"):
        srcgrad.checkpointed(range(3), snapshots=0)
    assert checkpoints.snapshots_of(object()) is None
