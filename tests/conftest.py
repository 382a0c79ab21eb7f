"""Test collection: modules that only hold tables for other tests are not collected themselves,
and the test modules find their sibling helper modules by name (pytest runs in importlib mode).

`test_rules.py` loads `rule_table.py`, which imports the `rows_*.py` files; collecting those
for doctests first would leave the rows registered in another copy of the table.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

collect_ignore_glob = ["rows_*.py", "rule_table.py"]
