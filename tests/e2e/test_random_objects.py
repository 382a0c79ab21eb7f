"""Random programs whose objects change what they hold (`random_programs_objects.py`): srcgrad's
value, gradient and jvp must be Python's and finite differences', or a refusal must name a line
of the program and say what to do. 60 programs in CI; `SRCGRAD_OBJECT_PROGRAMS=N` runs N."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from random_programs_check import NotSmooth
from random_programs_objects import object_programs, run_object_program

COUNT = int(os.environ.get("SRCGRAD_OBJECT_PROGRAMS", 60))


def test_random_object_programs():
    answered, refused, failures = [], [], []

    @settings(
        max_examples=COUNT,
        deadline=None,
        derandomize=COUNT == 60,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(object_programs())
    def run(program):
        try:
            failure, refusals = run_object_program(program.source, program)
        except NotSmooth:
            return
        if failure is not None:
            failures.append(failure)
        (refused if refusals else answered).append(program)

    run()
    assert not failures, f"{len(failures)} wrong:\n\n" + "\n\n".join(failures[:3])
    assert answered and refused, (len(answered), len(refused))
