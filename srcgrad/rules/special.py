"""Rules for NumPy's special functions (filled in by the NumPy coverage work)."""
