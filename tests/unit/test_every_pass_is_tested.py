"""Every pass of the stages in the middle of the pipeline has a unit test file of its own:
`srcgrad/<stage>/<module>.py` is tested by `tests/unit/<stage>/test_<module>.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["normalize", "analyse", "transform", "optimize"]
NOT_PASSES = {"__init__", "example"}  # a package's docstring; the passes' doctest helper


def _modules():
    for stage in STAGES:
        for path in sorted((ROOT / "srcgrad" / stage).glob("*.py")):
            if path.stem not in NOT_PASSES:
                yield stage, path.stem


MODULES = list(_modules())


def test_the_stages_have_their_passes():
    assert len(MODULES) > 35


@pytest.mark.parametrize(("stage", "module"), MODULES, ids=lambda v: v)
def test_the_pass_has_a_unit_test_file(stage: str, module: str):
    tests = ROOT / "tests" / "unit" / stage / f"test_{module}.py"
    assert tests.exists(), f"srcgrad/{stage}/{module}.py has no {tests.relative_to(ROOT)}"
    assert "def test_" in tests.read_text()
