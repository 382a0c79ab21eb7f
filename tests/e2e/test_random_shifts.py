"""Random programs around a subtracted maximum (tests/fixtures/random_shifts.py), against finite
differences: where srcgrad's shift-invariance analysis lets the maximum go (its adjoint `dv1`
is not in the code), the gradient must still be right, and so must it where the analysis keeps
it. `SRCGRAD_RANDOM_PROGRAMS=N` draws N programs instead of 60.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from finite_differences import gradient
from hypothesis import HealthCheck, assume, given, settings
from random_programs_check import load, unload
from random_shifts import arguments, programs

import srcgrad

COUNT = int(os.environ.get("SRCGRAD_RANDOM_PROGRAMS", "60"))
SEEN = {"constant": 0, "kept": 0}


def _runs(fn, args) -> bool:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = fn(*args)
        except (ValueError, FloatingPointError):
            return False  # (shapes that do not broadcast)
    return bool(np.isfinite(value)) and abs(value) < 1e6


@settings(
    max_examples=COUNT,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(programs())
def test_random_shift_programs(drawn):
    source, reached = drawn
    module = load(source)
    try:
        fn, args = module.f, arguments(0)
        assume(_runs(fn, args))
        gradient_function = srcgrad.grad(fn)
        got = gradient_function(*args)
        want = gradient(fn, args, 0)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-7), f"{source}\n{got}\n{want}"
        code = gradient_function.source_for(*args)
        if reached:  # (the result is computed from the maximum)
            SEEN["kept" if "dv1" in code else "constant"] += 1
    finally:
        unload(module)


@pytest.mark.skipif(COUNT < 30, reason="too few programs to expect both outcomes")
def test_both_outcomes_were_drawn():
    """The draws above reached programs whose maximum cancels and programs where it does not
    (run after them: pytest keeps the file's order)."""
    assert SEEN["constant"] >= 3 and SEEN["kept"] >= 3, SEEN
