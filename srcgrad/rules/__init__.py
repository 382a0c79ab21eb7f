"""Derivative rules, one file per mathematical kind; importing this package registers them all."""

from . import (
    arithmetic,
    elementwise,
    fft,
    indexing,
    linalg,
    math_module,
    nondifferentiable,
    products,
    reductions,
    runtime_helpers,
    shaping,
    shaping_forward,
    special,
    statistics,
    statistics_forward,
)

__all__ = [
    "arithmetic",
    "elementwise",
    "fft",
    "indexing",
    "linalg",
    "math_module",
    "nondifferentiable",
    "products",
    "reductions",
    "runtime_helpers",
    "shaping",
    "shaping_forward",
    "special",
    "statistics",
    "statistics_forward",
]
