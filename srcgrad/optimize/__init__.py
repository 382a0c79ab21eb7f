"""Rewrites of generated code that never change its results: simplification to a fixed point,
method spellings, letting go of large arrays, and the checks of `check_finite`."""
