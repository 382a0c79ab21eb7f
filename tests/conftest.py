"""Test collection: the test modules find the corpora and other fixtures by module name
(`tests/fixtures` is put on `sys.path`; pytest runs in importlib mode), and the fixtures are
not collected themselves, but for the one with doctests.

Collecting a fixture for doctests would import it a second time under another module name, and
the corpora and rule tables register their cases when imported: each case would be there twice.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

# no test reads or writes the user's cache of generated code (srcgrad/api/disk_cache.py;
# tests/e2e/test_disk_cache.py turns it on in directories of its own), nor do the processes tests
# start. SRCGRAD_TEST_CACHE_DIR=DIR runs the suite with the cache in DIR: run twice, the second
# run loads from disk the code of every function that can be cached.
if os.environ.get("SRCGRAD_TEST_CACHE_DIR"):
    os.environ.update(SRCGRAD_CACHE="1", SRCGRAD_CACHE_DIR=os.environ["SRCGRAD_TEST_CACHE_DIR"])
else:
    os.environ["SRCGRAD_CACHE"] = "0"

_DOCTESTED = {"finite_differences.py"}
collect_ignore = [
    str(path)
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if path.name not in _DOCTESTED
]
