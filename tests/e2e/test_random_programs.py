"""Random programs through srcgrad's reverse and forward modes, against central finite differences.

Hypothesis builds modules of straight-line NumPy, branches, loops, helper calls, in-place
updates and lists (`random_programs.py`); each function `f` is differentiated with respect to
all its float arguments by `srcgrad.grad`, `srcgrad.value_and_grad` and `srcgrad.jvp` and checked against
finite differences (`random_programs_check.py` says what else is checked). A run does not stop
at the first failure: it checks every program, then fails listing each kind of failure once,
with its smallest program minimised (`random_programs_shrink.py`) and its arguments.

CI checks a fixed set of 500 programs (`derandomize=True`). The long run checks new ones:

    SRCGRAD_RANDOM_PROGRAMS=20000 python -m pytest -q -s \
        tests/e2e/test_random_programs.py::test_random_programs

(any count other than 500 selects the long profile, whose programs are a little longer; `-s`
shows the counts of a run that passes; `SRCGRAD_RANDOM_PROGRAMS_KEEP=DIR` writes every
failure, not only the smallest of each kind, to DIR). The fixed profile's programs depend on
hypothesis's version, which the test extra pins. Programs a run found are minimised further by
hand into
`random_programs_found.py` and checked by `test_found_program`, a strict xfail while srcgrad
still gets them wrong.

`test_random_complex_programs` does the same with programs where complex numbers (literals,
and complex arguments that are not differentiated: a NumPy array, a Python complex number,
alone or as the leaves of a dict or list) meet the differentiated real values and are brought
back to real ones with `np.real`, `.imag`, `np.abs`, `np.vdot`, ...
(`random_programs_complex.py`): every gradient must be real and right. CI checks a fixed set
of 120; the long run:

    SRCGRAD_COMPLEX_PROGRAMS=3000 python -m pytest -q -s \
        tests/e2e/test_random_programs.py::test_random_complex_programs

`test_random_memory_programs` does the same with programs that share memory and have effects
(`random_programs_memory.py`: views, aliases, containers of arrays, updates in place, helpers that
write into their arguments, random draws, logging), where srcgrad may also refuse a program at
one of its lines. CI checks a fixed set of 400; the long run:

    SRCGRAD_MEMORY_PROGRAMS=5000 python -m pytest -q -s \
        tests/e2e/test_random_programs.py::test_random_memory_programs

`test_random_rebinding_programs` checks that code generated from what module-level names denoted
is never run once they denote something else (`random_programs_rebinding.py`): `f` reads a
float, an array, functions (`ACT`, `TOOLS.act`, `FUNCS["act"]`, the functions of a list),
helpers (one reading a global, one made by a factory), a closure cell, attributes of an object
and of a module, a dict entry, list elements and integers that decide loops, axes and indices;
cells run between calls rebind them (a float to an array, a function to another, a helper
redefined as a notebook re-runs a cell, `nonlocal` through a setter, entries and attributes
changed in place), and the calls reuse one object per mode or make a fresh one, some through
more argument shapes than srcgrad keeps code for. At every call srcgrad must give plain Python's
value and the finite-difference gradient for the bindings of that moment, or refuse at a line of
the program. CI checks a fixed set of 200; the long run (its programs a little longer):

    SRCGRAD_REBINDING_PROGRAMS=3000 python -m pytest -q -s \
        tests/e2e/test_random_programs.py::test_random_rebinding_programs

Programs it found srcgrad getting wrong are minimised by hand into `test_rebinding_found.py`.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import random_programs_found
from random_programs import Program, programs
from random_programs_check import NotSmooth, check, run_program
from random_programs_complex import complex_programs
from random_programs_memory import (
    MemoryReport,
    check_found,
    memory_failure,
    memory_programs,
    run_memory_program,
)
from random_programs_rebinding import (
    RebindingReport,
    Size,
    rebinding_failure,
    rebinding_programs,
    run_rebinding_program,
)
from random_programs_shrink import Report

CI_PROGRAMS = 500
COUNT = int(os.environ.get("SRCGRAD_RANDOM_PROGRAMS", CI_PROGRAMS))
KEEP = os.environ.get("SRCGRAD_RANDOM_PROGRAMS_KEEP")  # a directory for every failure's text
MOST_NOT_SMOOTH = 0.03  # more programs on a kink than this: the generator needs a look

settings.register_profile(
    "srcgrad-random-programs-ci",
    max_examples=CI_PROGRAMS,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "srcgrad-random-programs-long",
    settings.get_profile("srcgrad-random-programs-ci"),
    max_examples=COUNT,
    derandomize=False,
)
LONG = COUNT != CI_PROGRAMS
PROFILE = "srcgrad-random-programs-" + ("long" if LONG else "ci")
SIZE = 8 if LONG else 6  # most statements in f, counting those in its blocks (not helpers')


def _failure(source: str, program: Program) -> str | None:
    try:
        return run_program(source, program)
    except NotSmooth:
        return None


def _run_and_check(profile: str, strategy, minimum: int, prefix: str) -> None:
    """Draw programs from `strategy` under hypothesis profile `profile`, check each against
    plain Python and finite differences, and fail with every wrong one (kept under `KEEP` as
    `<prefix>failure-N.txt`)."""
    report = Report()

    @settings(settings.get_profile(profile))
    @given(strategy)
    def run(program: Program):
        try:
            failure = run_program(program.source, program)
        except NotSmooth:
            report.add(program, None, smooth=False)
            return
        report.add(program, failure)
        if failure is not None and KEEP:
            (Path(KEEP) / f"{prefix}failure-{report.run}.txt").write_text(failure)

    run()
    print(report.summary())
    assert report.run >= minimum
    if report.failures:
        pytest.fail(report.text(_failure), pytrace=False)
    assert report.not_smooth <= MOST_NOT_SMOOTH * report.run, report.summary()


def test_random_programs():
    _run_and_check(PROFILE, programs(SIZE), min(COUNT, CI_PROGRAMS), "")


COMPLEX_CI_PROGRAMS = 120
COMPLEX_COUNT = int(os.environ.get("SRCGRAD_COMPLEX_PROGRAMS", COMPLEX_CI_PROGRAMS))
settings.register_profile(
    "srcgrad-complex-programs-ci",
    settings.get_profile("srcgrad-random-programs-ci"),
    max_examples=COMPLEX_CI_PROGRAMS,
)
settings.register_profile(
    "srcgrad-complex-programs-long",
    settings.get_profile("srcgrad-complex-programs-ci"),
    max_examples=COMPLEX_COUNT,
    derandomize=False,
)
COMPLEX_LONG = COMPLEX_COUNT != COMPLEX_CI_PROGRAMS
COMPLEX_PROFILE = "srcgrad-complex-programs-" + ("long" if COMPLEX_LONG else "ci")


def test_random_complex_programs():
    minimum = min(COMPLEX_COUNT, COMPLEX_CI_PROGRAMS)
    strategy = complex_programs(8 if COMPLEX_LONG else 6)
    _run_and_check(COMPLEX_PROFILE, strategy, minimum, "complex-")


MEMORY_CI_PROGRAMS = 400
MEMORY_COUNT = int(os.environ.get("SRCGRAD_MEMORY_PROGRAMS", MEMORY_CI_PROGRAMS))
MOST_REFUSED = 0.5  # more programs refused than this: the generator tests little
settings.register_profile(
    "srcgrad-memory-programs-ci",
    settings.get_profile("srcgrad-random-programs-ci"),
    max_examples=MEMORY_CI_PROGRAMS,
)
settings.register_profile(
    "srcgrad-memory-programs-long",
    settings.get_profile("srcgrad-memory-programs-ci"),
    max_examples=MEMORY_COUNT,
    derandomize=False,
)
MEMORY_PROFILE = "srcgrad-memory-programs-" + (
    "ci" if MEMORY_COUNT == MEMORY_CI_PROGRAMS else "long"
)


def _run_and_report(report, profile: str, strategy, runner, kind: str, count: int, explain):
    """Run the programs `strategy` draws through `runner`, then fail on any failure (all of
    them, grouped by kind) and on too many programs skipped or refused."""

    @settings(settings.get_profile(profile))
    @given(strategy)
    def run(program):
        try:
            failure, refusals = runner(program.source, program)
        except NotSmooth:
            report.add(program, None, smooth=False)
            return
        report.add(program, failure, refusals=refusals)
        if failure is not None and KEEP:
            (Path(KEEP) / f"{kind}-failure-{report.run}.txt").write_text(failure)

    run()
    print(report.summary())
    assert report.run >= count
    if report.failures:
        pytest.fail(report.text(explain), pytrace=False)
    assert report.not_smooth <= MOST_NOT_SMOOTH * report.run, report.summary()
    assert report.refused <= MOST_REFUSED * report.run, report.summary()


def test_random_memory_programs():
    count = min(MEMORY_COUNT, MEMORY_CI_PROGRAMS)
    _run_and_report(
        MemoryReport(),
        MEMORY_PROFILE,
        memory_programs(),
        run_memory_program,
        "memory",
        count,
        memory_failure,
    )


def _found():
    for case in random_programs_found.CASES:
        marks = () if case.reason is None else pytest.mark.xfail(strict=True, reason=case.reason)
        yield pytest.param(case, id=case.fn.__name__, marks=marks)


@pytest.mark.parametrize("case", list(_found()))
def test_found_program(case: random_programs_found.Found):
    if case.fn in random_programs_found.MEMORY:  # right, or refused at one of its lines
        check_found(case.fn, case.arguments(), case.wrt, case.helpers)
        return
    source = "".join(inspect.getsource(f) for f in (*case.helpers, case.fn))
    check(case.fn, case.arguments(), case.wrt, source)


REBINDING_CI_PROGRAMS = 200
REBINDING_COUNT = int(os.environ.get("SRCGRAD_REBINDING_PROGRAMS", REBINDING_CI_PROGRAMS))
settings.register_profile(
    "srcgrad-rebinding-programs-ci",
    settings.get_profile("srcgrad-random-programs-ci"),
    max_examples=REBINDING_CI_PROGRAMS,
)
settings.register_profile(
    "srcgrad-rebinding-programs-long",
    settings.get_profile("srcgrad-rebinding-programs-ci"),
    max_examples=REBINDING_COUNT,
    derandomize=False,
)
REBINDING_LONG = REBINDING_COUNT != REBINDING_CI_PROGRAMS
REBINDING_PROFILE = "srcgrad-rebinding-programs-" + ("long" if REBINDING_LONG else "ci")
# CI's programs run fewer cells and sweeps (under a minute); the long run's are the defaults
REBINDING_SIZE = Size() if REBINDING_LONG else Size(cells=3, kinds=5, sweeps=15, longest=11)


def test_random_rebinding_programs():
    count = min(REBINDING_COUNT, REBINDING_CI_PROGRAMS)
    _run_and_report(
        RebindingReport(),
        REBINDING_PROFILE,
        rebinding_programs(REBINDING_SIZE),
        run_rebinding_program,
        "rebinding",
        count,
        rebinding_failure,
    )
