"""Optimize stage: simplify generated code without changing any result.

Passes, run to a fixed point: fold `-(constant)`; forward the seed `1.0` and copies between
generated names; remove a copy back to the name a copy came from, give a temporary copied into
a name that name from the start, and write a copy and the update after it as one update
(copies.py); drop `1.0 * e`, `e * 1.0`, `--e`; remove assignments nobody reads and branches
with nothing in them; fold a temporary that is read exactly once back into the statement that
reads it (it is then computed once, where it is used, exactly as before); write a while loop's
test, computed before the loop and at the end of its body, as the loop's test. User-named
values are never renamed away, and a primal value is never returned as a gradient by reference
(it stays behind a new array).
"""

from __future__ import annotations

import gast

from ..analyse.effects import only_pops
from ..front import nodes
from .algebra import fold_constants, trivial_algebra
from .copies import copies_back, copies_into, copies_updated
from .dead_code import dead_code, dead_stores, empty_branches
from .folding import fold_temporaries, forward_copies
from .loop_tests import while_tests
from .outer_products import batch_outer_products


def optimize(
    fn: gast.FunctionDef,
    generated: set[str],
    kept: set[str],
    scalars: frozenset = frozenset(),
    floats: frozenset = frozenset(),
    views: frozenset = frozenset(),
    pure=only_pops,
    float_inputs: frozenset = frozenset(),
    counts: frozenset = frozenset(),
) -> gast.FunctionDef:
    """`generated`: every name srcgrad made up; `kept`: those never folded away (the adjoints
    of the user's own variables, which the reader follows through the reverse sweep);
    `scalars`: names whose values are numbers, which no one can change in place; `floats`: the
    adjoints and tangents; `pure(node)`: no call in `node` has an effect (analyse/effects.py),
    so it may be removed or moved; `float_inputs`: parameters that hold floats and are never
    bound again; `counts`: names that hold an int above 0 (a loop over them runs)."""
    temporaries = generated - kept
    changed = True
    while changed:
        changed = False
        changed |= fold_constants(fn)
        changed |= forward_copies(fn, generated, temporaries, float_inputs)
        changed |= copies_back(fn)
        changed |= copies_into(fn, generated, temporaries, floats)
        changed |= copies_updated(fn, floats)
        changed |= trivial_algebra(fn, generated | scalars, floats, views - scalars)
        changed |= dead_code(fn, pure)
        changed |= dead_stores(fn.body, set(), pure=pure)
        changed |= empty_branches(fn, pure)
        changed |= fold_temporaries(fn, temporaries, pure)
        changed |= while_tests(fn, temporaries, pure)
    if batch_outer_products(fn, generated, counts):  # (a row it read in a loop, gone there)
        fold_temporaries(fn, temporaries, pure)
    _declare_nonlocals(fn)
    return fn


def _declare_nonlocals(fn: gast.FunctionDef) -> None:
    """A pullback that gives the forward sweep's names their earlier values says `nonlocal`."""
    outer = nodes.names_stored(fn.args) | {
        name
        for stmt in fn.body
        if not isinstance(stmt, gast.FunctionDef)
        for name in nodes.names_stored(stmt)
    }
    for stmt in fn.body:
        if isinstance(stmt, gast.FunctionDef):
            shared = sorted(
                nodes.names_stored(gast.Module(body=stmt.body, type_ignores=[])) & outer
            )
            if shared:
                stmt.body.insert(0, gast.Nonlocal(names=shared))
