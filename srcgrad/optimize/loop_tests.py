"""Optimize stage, a while loop's test where the user wrote it: `_t1 = k < 6` before the loop
and again as the last statement of its body, with `while _t1:` between, is `while k < 6:`.

Python evaluates a `while` test before the first iteration and after each one: exactly where
the two assignments computed it, so the test is computed as often, in the same order with
every other effect, from the same values. The temporary is read by the loop's test alone.
Statements between the first assignment and the loop (the trip counter `_n = 0`) stay before
the loop; they bind names the test does not read, and compute what has no effect.
"""

from __future__ import annotations

import gast

from ..analyse.effects import only_pops
from ..front import nodes
from .blocks import assignments, blocks, read_counts


def while_tests(fn: gast.FunctionDef, temporaries: set[str], pure=only_pops) -> bool:
    """`pure(node)`: no call in `node` has an effect (analyse/effects.py)."""
    counts = assignments(fn)
    reads = read_counts(fn.body)
    changed = False
    for block in blocks(fn):
        for at in range(len(block) - 1, -1, -1):
            loop = block[at]
            if not (isinstance(loop, gast.While) and isinstance(loop.test, gast.Name)):
                continue
            name = loop.test.id
            if name not in temporaries or counts[name] != 2 or reads[name] != 1 or loop.orelse:
                continue
            first = _first(block, at, name, pure)
            last = loop.body[-1] if loop.body else None
            if first is None or not _assigns(last, name):
                continue
            if gast.dump(block[first].value) != gast.dump(last.value):
                continue
            loop.test = block[first].value
            del loop.body[-1]
            if not loop.body:
                loop.body.append(gast.Pass())
            del block[first]
            changed = True
    return changed


def _assigns(stmt, name: str) -> bool:
    return (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and stmt.targets[0].id == name
    )


def _first(block: list, at: int, name: str, pure) -> int | None:
    """The index of `name = test` before the loop at `at`, if what stands between could run
    before it: assignments of names the test does not read, of values without an effect."""
    first = next((i for i in range(at - 1, -1, -1) if _assigns(block[i], name)), None)
    if first is None:
        return None
    read = nodes.names_read(block[first].value)
    for stmt in block[first + 1 : at]:
        movable = (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id not in read
            and pure(stmt.value)
        )
        if not movable:
            return None
    return first
