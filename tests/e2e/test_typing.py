"""srcgrad's public API is typed (it ships `py.typed`): `mypy --strict` passes on a user's file
that calls every public name (tests/fixtures/typed_usage.py), and flags a call of `grad(f)`
that does not fit `f`."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import typed_usage

import srcgrad

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "tests" / "fixtures" / "typed_usage.py"

MISUSED = """\
from typing import Any

import numpy as np
from numpy.typing import NDArray

import srcgrad


def loss(w: NDArray[np.float64], x: NDArray[np.float64]) -> Any:
    return np.sum((x @ w) ** 2)


w = np.ones(3)
srcgrad.grad(loss)(w)  # line 14: x is missing
srcgrad.value_and_grad(loss, wrt=1.5)  # line 15: wrt is an index or a name
srcgrad.hvp(loss)(w, w, w, w)  # line 16: one argument too many
srcgrad.hvp(loss, order="scipy")(w)  # line 17: v and x are missing
text: int = srcgrad.grad(loss).source  # line 18: the source is a str
"""


def test_py_typed_ships_with_the_package():
    assert (Path(srcgrad.__file__).parent / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[tool.setuptools.package-data]\nsrcgrad = ["py.typed"]' in pyproject


def _unannotated(function) -> list[str]:
    signature = inspect.signature(function)
    missing = [
        name
        for name, p in signature.parameters.items()
        if p.annotation is inspect.Parameter.empty and name not in ("self", "cls")
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


_SPECIAL = ("__init__", "__call__", "__enter__", "__exit__")


def _public_functions():
    for name in srcgrad.__all__:
        value = getattr(srcgrad, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            continue
        if not isinstance(value, type):
            yield name, value
            continue
        for attribute, member in vars(value).items():
            if attribute.startswith("_") and attribute not in _SPECIAL:
                continue
            if isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
                yield f"{name}.{attribute}", member


def test_every_public_function_and_method_has_complete_hints():
    missing = {name: gaps for name, fn in _public_functions() if (gaps := _unannotated(fn))}
    assert not missing


def test_the_typed_program_runs(tmp_path):
    results = typed_usage.main(str(tmp_path))
    np.testing.assert_allclose(results[13], results[14])  # hvp in both orders
    assert results[-1] and "is not an argument of 'loss'" in results[-1][0]
    assert (tmp_path / "grad_loss.py").is_file()


def test_mypy_strict_passes_on_a_users_file_and_flags_misuse(tmp_path):
    pytest.importorskip("mypy")
    misused = tmp_path / "misused.py"
    misused.write_text(MISUSED)
    # the user's files strictly; srcgrad's own modules are read for their types only (their
    # errors are not the user's, and gast, which they import, has no hints)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            str(USAGE),
            str(misused),
        ],
        cwd=ROOT,  # (srcgrad of this tree, found before any installed copy)
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert not [line for line in lines if "typed_usage.py" in line], done.stdout
    flagged = sorted({int(line.split(":")[1]) for line in lines if "misused.py" in line})
    assert flagged == [14, 15, 16, 17, 18], textwrap.indent(done.stdout + done.stderr, "  ")
