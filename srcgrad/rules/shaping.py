"""Rules for NumPy's shaping functions (filled in by the NumPy coverage work)."""
