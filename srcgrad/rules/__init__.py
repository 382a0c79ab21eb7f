"""Derivative rules, one module per family of functions, each function's reverse rule next to its
forward rule; importing this package registers them all.

The machinery: `registry` (the tables and the declarations that fill them), `rule` (a rule as
the registry holds it, parsed from its function on first use), `facts` (what a call site tells
a rule's variants). `scipy_special` registers when the program imports `scipy.special`.
"""

from . import (
    arithmetic,
    decompositions,
    differences,
    einsum,
    elementwise,
    fft,
    higher_order,
    indexing,
    interpolation,
    joining,
    linalg,
    math_module,
    nondifferentiable,
    order_statistics,
    products,
    reductions,
    reshaping,
    special,
    statistics,
)

__all__ = [
    "arithmetic",
    "decompositions",
    "differences",
    "einsum",
    "elementwise",
    "fft",
    "higher_order",
    "indexing",
    "interpolation",
    "joining",
    "linalg",
    "math_module",
    "nondifferentiable",
    "order_statistics",
    "products",
    "reductions",
    "reshaping",
    "special",
    "statistics",
]
