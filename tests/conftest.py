"""Test collection: modules that only hold tables for other tests are not collected themselves.

`test_rules.py` loads `rule_table.py`, which imports the `rows_*.py` files; collecting those
for doctests first would leave the rows registered in another copy of the table.
"""

collect_ignore_glob = ["rows_*.py", "rule_table.py"]
