"""Rules for NumPy's statistics functions (filled in by the NumPy coverage work)."""
