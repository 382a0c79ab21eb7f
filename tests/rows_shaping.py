"""Rule-table rows for the shaping rules (see rule_table.py for the row format)."""

from rule_table import row  # noqa: F401
