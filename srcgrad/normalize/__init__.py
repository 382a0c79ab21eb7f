"""Normalize stage: rewrite the user's function into srcgrad's small core language.

After these passes, in order, every statement is `name = <one operation on names and
constants>`, an `if` on a name, a `for` over `range(...)`, a `while` on a name, or the one final
`return name`; there is no `break`, `continue` or early `return`, and a name assigned only
outside ifs and loops is assigned once (single assignment).
Each pass is one module with a before/after doctest.
"""

from __future__ import annotations

from ..front import nodes
from ..front.context import Context
from . import (
    attempts,
    augmented,
    cells,
    checkpoints,
    closures,
    comprehensions,
    contexts,
    distributions,
    docstrings,
    exceptions,
    flatten,
    generators,
    idioms,
    inner_gradients,
    iterators,
    jumps,
    lambda_defs,
    lambdas,
    list_targets,
    loops,
    method_calls,
    mutators,
    no_grad,
    objects,
    outer_writes,
    partials,
    returns,
    single_assignment,
    spellings,
    starred,
)

PASSES = (
    list_targets,
    exceptions,
    spellings,
    starred,
    checkpoints,
    iterators,
    generators,
    partials,
    cells,
    lambda_defs,
    closures,
    inner_gradients,
    no_grad,
    contexts,
    docstrings,
    mutators,
    augmented,
    distributions,
    objects,
    method_calls,
    idioms,
    lambdas,
    comprehensions,
    returns,
    loops,
    jumps,
    flatten,
    outer_writes,
    single_assignment,
    attempts,
)


def normalize(ctx: Context) -> None:
    for stage in PASSES:
        stage.run(ctx.parsed.tree, ctx)
    ctx.local_names |= nodes.names_stored(ctx.parsed.tree)
