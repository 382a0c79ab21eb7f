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

`test_random_memory_programs` does the same with programs that share memory and have effects
(`random_programs_memory.py`: views, aliases, containers of arrays, updates in place, helpers that
write into their arguments, random draws, logging), where srcgrad may also refuse a program at
one of its lines. CI checks a fixed set of 400; the long run:

    SRCGRAD_MEMORY_PROGRAMS=5000 python -m pytest -q -s \
        tests/e2e/test_random_programs.py::test_random_memory_programs
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
from random_programs_memory import (
    MemoryReport,
    check_found,
    memory_failure,
    memory_programs,
    run_memory_program,
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


def test_random_programs():
    report = Report()

    @settings(settings.get_profile(PROFILE))
    @given(programs(SIZE))
    def run(program: Program):
        try:
            failure = run_program(program.source, program)
        except NotSmooth:
            report.add(program, None, smooth=False)
            return
        report.add(program, failure)
        if failure is not None and KEEP:
            (Path(KEEP) / f"failure-{report.run}.txt").write_text(failure)

    run()
    print(report.summary())
    assert report.run >= min(COUNT, CI_PROGRAMS)
    if report.failures:
        pytest.fail(report.text(_failure), pytrace=False)
    assert report.not_smooth <= MOST_NOT_SMOOTH * report.run, report.summary()


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


def test_random_memory_programs():
    report = MemoryReport()

    @settings(settings.get_profile(MEMORY_PROFILE))
    @given(memory_programs())
    def run(program: Program):
        try:
            failure, refusals = run_memory_program(program.source, program)
        except NotSmooth:
            report.add(program, None, smooth=False)
            return
        report.add(program, failure, refusals=refusals)
        if failure is not None and KEEP:
            (Path(KEEP) / f"memory-failure-{report.run}.txt").write_text(failure)

    run()
    print(report.summary())
    assert report.run >= min(MEMORY_COUNT, MEMORY_CI_PROGRAMS)
    if report.failures:
        pytest.fail(report.text(memory_failure), pytrace=False)
    assert report.not_smooth <= MOST_NOT_SMOOTH * report.run, report.summary()
    assert report.refused <= MOST_REFUSED * report.run, report.summary()


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
