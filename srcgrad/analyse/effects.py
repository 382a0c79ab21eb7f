"""Analyse stage, effects: which calls do more than compute a value.

A call has an effect when it changes something another statement can see (an array or a list
it is given, `out=`, the tape), draws a random number (a generator's state moves on), writes
output, or raises on purpose (srcgrad's checks). Such a call is never removed because its
value goes unused, never computed twice, and never moved past another call with an effect: the
optimizer asks `effect_free` before it removes or moves code.

A call is effect-free only when srcgrad knows it: NumPy's functions but its random module and
the functions that write into an argument (`front.writers.writes`, decided by the object
called: `np.copyto`, `np.ndarray.sort`, `operator.iadd`, a bound `y.fill`), `math`, `scipy.special`, the pure
builtins, srcgrad's runtime helpers but those that change a list or array they are given, and
the array methods that compute a value. Anything else (a method of the user's own values such as
`rng.normal()`, the user's own functions) is taken to have an effect.
"""

from __future__ import annotations

import builtins

import gast
import numpy as np

from .. import runtime
from ..front import nodes, reading, writers
from ..front.reading import MISSING
from ..front.writers import writes

MUTATORS = writers.MUTATORS  # NumPy functions that write into an argument they are given
# srcgrad's helpers that change what they are given (generated code calls them for that)
_MUTATING_HELPERS = {
    runtime.add_at,
    runtime.scatter_add,
    runtime.pop_adjoint,
    runtime.check_scalar,  # (raises on purpose: removing it would drop the check)
    runtime.check_finite,
}
_PURE_BUILTINS = {
    abs,
    all,
    any,
    bool,
    complex,
    dict,
    divmod,
    enumerate,
    float,
    int,
    isinstance,
    len,
    list,
    max,
    min,
    pow,
    range,
    reversed,
    round,
    sorted,
    sum,
    tuple,
    zip,
}
# methods of arrays (and of lists and dicts) that only compute a value
PURE_METHODS = {
    "all",
    "any",
    "argmax",
    "argmin",
    "astype",
    "copy",
    "dot",
    "get",
    "item",
    "items",
    "keys",
    "max",
    "mean",
    "min",
    "prod",
    "ravel",
    "reshape",
    "std",
    "sum",
    "tolist",
    "transpose",
    "values",
    "var",
}
_PURE_MODULES = ("numpy", "scipy.special", "math", "srcgrad.runtime", "srcgrad.rules")


def pure_object(obj: object) -> bool:
    """Calling `obj` computes a value and does nothing else (given no `out=`)."""
    if obj is MISSING:
        return False
    if isinstance(obj, np.ufunc):
        return True
    if writes(obj):
        return False
    try:
        if obj in _MUTATING_HELPERS:
            return False
        if obj in _PURE_BUILTINS:
            return True
    except TypeError:  # an unhashable object
        return False
    if getattr(builtins, getattr(obj, "__name__", ""), None) is obj:
        return False  # print, input, open, ...: builtins with an effect
    module = reading.module_of(obj)
    if module.startswith("numpy.random") or "random" in module.split("."):
        return False
    return module.startswith(_PURE_MODULES)


def call_is_pure(call: gast.Call, ctx) -> bool:
    """The call computes a value and does nothing else."""
    if any(keyword.arg == "out" for keyword in call.keywords):
        return False
    func = call.func
    if isinstance(func, gast.Attribute) and not ctx.is_global_reference(func):
        return func.attr in PURE_METHODS  # a method of one of the function's values
    return pure_object(ctx.resolve(func))


def effect_free(node: gast.AST, ctx) -> bool:
    """No call in `node` has an effect."""
    return all(call_is_pure(n, ctx) for n in nodes.walk(node) if isinstance(n, gast.Call))


def only_pops(node: gast.AST, ctx=None) -> bool:
    """What the optimizer assumes where it is given no context: every call is pure but a
    `.pop()` (the tape's)."""
    return not any(
        isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr == "pop"
        for n in nodes.walk(node)
    )
