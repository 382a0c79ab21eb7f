"""The `checkpoints` pass alone: `srcgrad.checkpointed(...)` comes off a `for` loop's iterable
and a `while` loop's test, the loop keeps its number of snapshots (a constant, or a name bound
just before it), whatever the marker is called; the marker anywhere else and a number of
snapshots that is not a positive integer are refused at the line; `srcgrad.checkpoint(f)(x)`
and a call of a function decorated with it become the call of the function, marked."""

from __future__ import annotations

import textwrap

import gast
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import checkpoints


def normalized(source: str, **names):
    ctx = normalized_until(define(source, **names), checkpoints)
    checkpoints.run(ctx.parsed.tree, ctx)
    return ctx


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def loops(ctx) -> list:
    return [n for n in gast.walk(ctx.parsed.tree) if isinstance(n, (gast.For, gast.While))]


def test_the_marker_comes_off_a_for_loop_and_the_loop_keeps_its_snapshots():
    ctx = normalized("""
        import srcgrad
        def f(u, n):
            for t in srcgrad.checkpointed(range(n), snapshots=7):
                u = np.sin(u)
            return u
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(u, n):
            for t in range(n):
                u = np.sin(u)
            return u
    """)
    (loop,) = loops(ctx)
    assert checkpoints.snapshots_of(loop).value == 7


def test_a_while_loop_and_a_computed_number_of_snapshots_bound_before_it():
    ctx = normalized("""
        from srcgrad import checkpointed as ck
        def f(u, tol):
            while ck(np.max(np.abs(u)) > tol, snapshots=len(u) // 2):
                u = u / 2
            return u
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(u, tol):
            _t1 = len(u) // 2
            while np.max(np.abs(u)) > tol:
                u = u / 2
            return u
    """)
    (loop,) = loops(ctx)
    assert checkpoints.snapshots_of(loop).id == "_t1"


def test_an_unmarked_loop_has_no_snapshots():
    ctx = normalized("""
        def f(u, n):
            for t in range(n):
                u = np.sin(u)
            return u
    """)
    (loop,) = loops(ctx)
    assert checkpoints.snapshots_of(loop) is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    v = srcgrad.checkpointed(u, snapshots=3)", "marks a loop, not a value"),
        ("    for t in srcgrad.checkpointed(range(3), snapshots=0):", "positive integer"),
        ("    for t in srcgrad.checkpointed(range(3), 4):", "takes the loop's iterable"),
    ],
)
def test_the_marker_elsewhere_is_refused_at_its_line(line, message):
    body = line if "for" not in line else line + "\n        u = u * 2"
    source = f"import srcgrad\ndef f(u):\n{body}\n    return u\n"
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=message) as caught:
        normalized(source)
    assert ":5:" in str(caught.value).splitlines()[0]  # (two lines of `define`'s own first)


def test_checkpoint_around_a_call_and_as_a_decorator_mark_the_call():
    ctx = normalized("""
        import srcgrad
        @srcgrad.checkpoint
        def block(x):
            return np.tanh(x)
        def g(x):
            return np.sin(x)
        def f(x):
            y = block(x)
            z = srcgrad.checkpoint(g)(y)
            return g(z)
    """)
    calls = [n for n in gast.walk(ctx.parsed.tree) if isinstance(n, gast.Call)]
    marked = [c for c in calls if checkpoints.is_rerun(c)]
    assert [ctx.resolve(c.func).__name__ for c in marked] == ["block", "g"]
    assert not checkpoints.is_rerun(calls[-1])  # (the last call, `g(z)`, is not marked)
    assert "checkpoint" not in text(ctx.parsed.tree)
