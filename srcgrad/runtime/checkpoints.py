"""Checkpointed loops: the markers users write and the schedule generated code follows.

`for t in srcgrad.checkpointed(range(n), snapshots=s):` runs as the plain loop when the function
runs undifferentiated. Its reverse sweep keeps at most `s` snapshots of the state the loop
carries from step to step, and recomputes the steps between them (binomial checkpointing,
Griewank's revolve). With `s` snapshots, reversing `n` steps recomputes each step at most `r`
times, `r` the least with C(s + r, s) >= n, and `r·n - C(s + r, r - 1)` steps in all, the
fewest any schedule with `s` snapshots needs.

Generated code speaks to a `Checkpoints` through two calls:

* `snapshot(ck, state)` at the start of every step, in the forward sweep and in the recomputed
  runs: the state before that step is kept where the schedule wants it;
* `restored(ck, k)` before the reverse sweep of step k: the latest snapshot at or before k
  (the steps from it to k are recomputed, keeping the snapshots the schedule asks for).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from math import comb
from typing import Any, Generic, ParamSpec, TypeVar

import numpy as np

from .containers import is_record, record_fields, record_like

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


def checkpointed(iterable: T, snapshots: int = 10) -> T:
    """`iterable` itself (a `range`, or a `while` loop's test): the reverse sweep of the loop
    keeps at most `snapshots` copies of its state and recomputes the steps between them."""
    if not isinstance(snapshots, int) or snapshots < 1:
        raise ValueError(f"snapshots must be a positive integer, not {snapshots!r}")
    return iterable


class checkpoint(Generic[P, R]):
    """`srcgrad.checkpoint(fn)`, as a decorator or around a call: `fn` itself when it runs; a
    reverse sweep keeps none of its values but its arguments, and runs it again (with its
    tape) when it reaches it, like `jax.checkpoint`."""

    def __init__(self, fn: Callable[P, R]) -> None:
        if not callable(fn):
            raise TypeError(f"srcgrad.checkpoint takes a function, not {type(fn).__name__}")
        self.__wrapped__ = fn
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.__wrapped__(*args, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:  # (a method: bound like it)
        return self if instance is None else functools.partial(self, instance)

    def __repr__(self) -> str:
        return f"srcgrad.checkpoint({self.__wrapped__!r})"


def reversible(snapshots: int, repeats: int) -> int:
    """The most steps `snapshots` snapshots (one of them the loop's start) reverse when no step
    is run more than `repeats` times before its own reverse step: C(snapshots + repeats,
    snapshots)."""
    return comb(snapshots + repeats, snapshots)


def repeats_needed(steps: int, snapshots: int) -> int:
    """The least number of runs of a step, its first included, that reverses `steps` steps."""
    high = 1
    while reversible(snapshots, high) < steps:
        high *= 2
    low = 0  # reversible(snapshots, low) < steps <= reversible(snapshots, high), or low = 0
    while high - low > 1:
        middle = (low + high) // 2
        if reversible(snapshots, middle) < steps:
            low = middle
        else:
            high = middle
    return 0 if steps <= 1 else high


def fewest_runs(steps: int, snapshots: int, window: int = 1) -> int:
    """The fewest plain runs of steps that reverse `steps` steps with `snapshots` snapshots (one
    of them the state before the first step) and a tape of `window` steps, the taped runs not
    counted: r·n - w·C(s + r, r - 1), where `steps` is a multiple of `window`."""
    if steps <= window:
        return 0
    r = repeats_needed(-(-steps // window), snapshots)
    return r * steps - window * comb(snapshots + r, r - 1)


def split(steps: int, free: int, window: int = 1) -> int:
    """Where the next snapshot goes, counted from the one the steps start from, when `steps`
    steps (more than `window`) are to be reversed with `free` more snapshots and a tape of
    `window` steps: the largest split that keeps the number of runs the fewest possible."""
    r = repeats_needed(-(-steps // window), free + 1)
    return min(window * reversible(free + 1, r - 1), steps - window * reversible(free, r - 1))


class Checkpoints:
    """The snapshots of one run of a checkpointed loop, and where the next ones go.

    The snapshots held are a stack: the steps they were taken before (`steps`, rising) and the
    states. The tape holds at most `window` steps (by default as many as there are snapshots):
    the reverse sweep runs a stretch of up to `window` steps once with its tape, then reverses
    them one by one. `targets` are the steps before which the runs under way keep snapshots;
    `runs` counts the plain runs of steps (the calls of `snapshot`), for the benchmarks.
    """

    def __init__(self, snapshots: int, steps: int | None = None, window: int | None = None):
        checkpointed(None, snapshots)
        self.snapshots = snapshots
        self.window = window or snapshots
        self.steps: list[int] = []
        self.states: list = []
        self.position = 0
        self.runs = 0
        # the forward sweep keeps the state before step 0, then (where the number of steps is
        # known) the snapshots of the schedule's first descent
        self.targets = [0]
        if steps is not None:
            self.targets += self._descent(0, steps, snapshots - 1)

    def _descent(self, start: int, end: int, free: int) -> list[int]:
        """The steps before which to keep snapshots, running from `start` to reverse the steps
        up to `end`, until what is left fits on the tape."""
        out = []
        while free > 0 and end - start > self.window:
            start += split(end - start, free, self.window)
            out.append(start)
            free -= 1
        return out

    def snapshot(self, state) -> None:
        if self.targets and self.targets[0] == self.position:
            self.steps.append(self.position)
            self.states.append(state)
            del self.targets[0]
        self.position += 1
        self.runs += 1

    def restored(self, step: int) -> tuple[int, int, Any]:
        """The latest snapshot at or before `step`: the step it was taken before, the step
        from which the runs up to `step` are taped, and its state."""
        while self.steps[-1] > step:  # (their steps are reversed)
            self.steps.pop()
            self.states.pop()
        start = self.steps[-1]
        descent = self._descent(start, step + 1, self.snapshots - len(self.steps))
        taped = max(descent[-1] if descent else start, step + 1 - self.window)
        self.targets = [k for k in descent if k < taped]
        self.position = start
        return start, taped, self.states[-1]


def kept(value):
    """A copy of a value a step may change in place, for a snapshot: arrays copied, and lists,
    tuples, dicts and the objects of the user's classes (their attributes) copied all the way
    down; anything else (a number) as it is."""
    if isinstance(value, list):
        return [kept(item) for item in value]
    if isinstance(value, dict):
        return {key: kept(item) for key, item in value.items()}
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(kept(item) for item in value)
    if hasattr(value, "__array_function__") and hasattr(value, "copy"):
        return value.copy()
    if is_record(value) and not isinstance(value, tuple):
        return record_like(value, {key: kept(item) for key, item in record_fields(value).items()})
    return value


def checkpoints(snapshots: int, steps: int | None = None, held: tuple | None = None) -> Checkpoints:
    """The schedule of one run of a loop of `steps` steps (None: learned as it runs). `held`:
    the objects the state is in before the loop, where a step may change one in place (see
    `given_back`)."""
    ck = Checkpoints(snapshots, steps)
    ck.held = held
    return ck


def given_back(ck: Checkpoints, *state) -> tuple:
    """After the loop's reverse sweep: the state before the loop (its first snapshot), in the
    very objects that held it then. The steps run again change copies, and the state the
    reverse sweep ends with may be a step further on; an array or list the forward sweep
    changed in place gets its values back, for whatever still reads it (a pullback made before
    the loop, the reverse of an update before it), as it does without checkpoints. `state`:
    what the names hold now, given back as it is for a loop that took no step (one name: its
    value, not in a tuple)."""
    held = getattr(ck, "held", None)
    if held is not None and ck.steps and ck.steps[0] == 0:
        state = tuple(_into(original, value) for original, value in zip(held, ck.states[0]))
    return state if len(state) != 1 else state[0]


def _into(original, value):
    if original is value:
        return original
    if (
        type(original) is np.ndarray
        and type(value) is np.ndarray
        and original.shape == value.shape
        and original.dtype == value.dtype
        and original.flags.writeable
    ):
        original[...] = value
        return original
    if type(original) is list and type(value) is list and len(original) == len(value):
        original[:] = [_into(o, v) for o, v in zip(original, value)]
        return original
    if type(original) is dict and type(value) is dict and original.keys() == value.keys():
        for key in original:
            original[key] = _into(original[key], value[key])
        return original
    if type(original) is type(value) and is_record(original) and not isinstance(value, tuple):
        for key, item in record_fields(value).items():
            object.__setattr__(original, key, _into(getattr(original, key, None), item))
        return original
    return value


def snapshot(ck: Checkpoints, *state) -> None:
    """At the start of a step: keep the state before it, where the schedule wants it."""
    ck.snapshot(state)


def restored(ck: Checkpoints, step: int) -> tuple:
    """Before reversing `step`, when it is not on the tape: the latest step at or before it
    whose state is kept, the step from which to tape the runs up to it, then that state's
    values."""
    start, taped, state = ck.restored(step)
    return (start, taped, *state)
