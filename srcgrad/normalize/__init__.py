"""Normalize stage: rewrite the user's function into srcgrad's small core language.

After these passes, in order, every statement of the body is `name = <one operation on names
and constants>` or a final `return name`, and no name is assigned twice (single assignment).
Each pass is one module with a before/after doctest.
"""

from __future__ import annotations

from .. import nodes
from ..context import Context
from . import augmented, docstrings, flatten, methods, single_assignment

PASSES = (docstrings, augmented, methods, flatten, single_assignment)


def normalize(ctx: Context) -> None:
    for stage in PASSES:
        stage.run(ctx.parsed.tree, ctx)
    ctx.local_names |= nodes.names_stored(ctx.parsed.tree)
