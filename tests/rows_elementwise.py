"""Rule-table rows for the elementwise rules (see rule_table.py for the row format)."""

from rule_table import row  # noqa: F401
