"""No class in srcgrad is longer than 400 lines and no function longer than 120: a reader holds a
unit in view. (The house style aims lower, about 40 lines a function; these are the limits.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "srcgrad"
LONGEST_CLASS = 400
LONGEST_FUNCTION = 120


def _units():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"
                yield where, isinstance(node, ast.ClassDef), length


UNITS = list(_units())


def test_the_units_are_found():
    assert sum(1 for _, is_class, _ in UNITS if is_class) > 20
    assert sum(1 for _, is_class, _ in UNITS if not is_class) > 500


@pytest.mark.parametrize("kind", ["class", "function"])
def test_no_unit_is_too_long(kind):
    limit = LONGEST_CLASS if kind == "class" else LONGEST_FUNCTION
    long = [
        f"{where}: {length} lines"
        for where, is_class, length in UNITS
        if is_class == (kind == "class") and length > limit
    ]
    assert not long, f"{kind}es longer than {limit} lines:\n" + "\n".join(long)
