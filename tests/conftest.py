"""Test collection: the test modules find the corpora and other fixtures by module name
(`tests/fixtures` is put on `sys.path`; pytest runs in importlib mode), and the fixtures are
not collected themselves, but for the one with doctests.

Collecting a fixture for doctests would import it a second time under another module name, and
the corpora and rule tables register their cases when imported: each case would be there twice.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

_DOCTESTED = {"finite_differences.py"}
collect_ignore = [
    str(path)
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if path.name not in _DOCTESTED
]
