"""Optimize stage, dead code: assignments whose value no later statement can read
(flow-sensitive, through ifs and loops), statements after which nothing runs, empty blocks:
an `if` with nothing in either branch goes, `else: pass` goes, and `if c: pass else: s` is
`if not c: s`. Pops from the tape stay (the tape must shrink as it grew), as do writes into an
array someone reads.
"""

from __future__ import annotations

import gast

from ..analyse.effects import only_pops
from ..front import nodes
from .blocks import blocks, read_counts


def dead_code(fn: gast.FunctionDef, pure=only_pops) -> bool:
    """`pure(node)`: no call in `node` has an effect (analyse/effects.py); a dead assignment
    whose value has one keeps the value, as a statement of its own."""
    reads = read_counts(fn.body)
    changed = False
    for block in blocks(fn):
        kept = [
            _without_target(s, pure)
            if isinstance(s, gast.Assign)
            and isinstance(s.targets[0], gast.Name)
            and reads[s.targets[0].id] == 0
            else s
            for s in block
        ]
        kept = [s for s in kept if s is not None]
        if len(kept) != len(block) or any(a is not b for a, b in zip(kept, block)):
            block[:] = kept or [gast.Pass()]
            changed = True
    return changed


def _without_target(stmt: gast.Assign, pure=only_pops) -> gast.stmt | None:
    """A dead assignment removed: nothing, or, where its value has an effect, the value alone:
    a pop of the tape (every push has its pop, or later pops would take the wrong values), a
    random draw (the draws after it would change), a call of the user's."""
    if pure(stmt.value):
        return None
    kept = nodes.expr_stmt(stmt.value, nodes.origin_of(stmt))
    if nodes.is_adjoint(stmt) or _pops_the_tape(stmt.value):
        nodes.mark_adjoint(kept)
    elif nodes.is_titled(stmt):
        nodes.mark_titled(kept)
    return kept


def empty_branches(fn: gast.FunctionDef, pure=only_pops) -> bool:
    """In every block, a pullback's too: `if c: pass` (no else, or an empty one) goes where
    computing `c` has no effect; `else: pass` goes; `if c: pass else: s` is `if not c: s`."""
    changed = False
    for block in blocks(fn):
        for i in range(len(block) - 1, -1, -1):
            stmt = block[i]
            if not isinstance(stmt, gast.If):
                continue
            if _empty(stmt.body) and _empty(stmt.orelse) and pure(stmt.test):
                del block[i]
                changed = True
            elif stmt.orelse and _empty(stmt.orelse):
                stmt.orelse = []
                changed = True
            elif _empty(stmt.body) and stmt.orelse:
                stmt.test = _negated(stmt.test)
                stmt.body, stmt.orelse = stmt.orelse, []
                changed = True
        if not block:
            block.append(gast.Pass())
    return changed


def _negated(test: gast.expr) -> gast.expr:
    """`not c`, and `c` for `not c` (an `if` asks for the truth of its test, nothing more)."""
    if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return test.operand
    return nodes.unary(gast.Not(), test)


def _pops_the_tape(node: gast.expr) -> bool:
    return any(
        isinstance(n, gast.Call)
        and isinstance(n.func, gast.Attribute)
        and n.func.attr == "pop"
        and getattr(n.func.value, "id", "").startswith("_tape")
        for n in nodes.walk(node)
    )


def dead_stores(block: list, live: set[str], dry: bool = False, pure=only_pops) -> bool:
    """Remove assignments whose value no later statement can read (flow-sensitive: a value
    overwritten before any read is dead even where the name is read elsewhere). `live`: names
    read after `block`. Updates `live` to the names read at the block's start. `dry`: change
    nothing, only work out `live` (as if the dead stores were gone)."""
    changed = False
    was_empty = not block or all(isinstance(s, gast.Pass) for s in block)
    for i in range(len(block) - 1, -1, -1):
        stmt = block[i]
        if isinstance(stmt, gast.If) and _empty(stmt.body) and _empty(stmt.orelse) and not dry:
            del block[i]  # nothing left to choose between
            changed = True
            continue
        if isinstance(stmt, gast.If) and _empty(stmt.body) and not dry:  # `if not c: s`
            stmt.test = nodes.unary(gast.Not(), stmt.test)
            stmt.body, stmt.orelse = stmt.orelse, []
            changed = True
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            name = stmt.targets[0].id
            if name not in live:
                kept = _without_target(stmt, pure)
                if kept is not None:
                    live |= nodes.names_read(kept)
                if not dry:
                    if kept is None:
                        del block[i]
                    else:
                        block[i] = kept
                    changed = True
                continue
            live.discard(name)
            live |= nodes.names_read(stmt.value)
        elif isinstance(stmt, gast.If):
            then, other = set(live), set(live)
            changed |= dead_stores(stmt.body, then, dry, pure) | dead_stores(
                stmt.orelse, other, dry, pure
            )
            live.clear()
            live |= then | other | nodes.names_read(stmt.test)
        elif isinstance(stmt, (gast.For, gast.While)):
            changed |= _loop_stores(stmt, live, dry, pure)
        elif isinstance(stmt, gast.AugAssign):  # `dx += c` reads dx and c; `dx[k] += c`, k too
            target = stmt.target
            live |= nodes.names_read(stmt) | nodes.names_stored(target)
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                live.add(target.value.id)
        elif isinstance(stmt, gast.FunctionDef):  # a pullback: it runs later, when called
            live.discard(stmt.name)
            live |= nodes.names_read(stmt)  # (what it stores is its own until it is called)
        else:  # returns, expressions: everything they read is live
            live -= nodes.names_stored(stmt) - nodes.names_read(stmt)
            live |= nodes.names_read(stmt)
    if not block and not was_empty and not dry:
        block.append(gast.Pass())
    return changed


def _empty(block: list) -> bool:
    return all(isinstance(s, gast.Pass) for s in block)


def _loop_stores(loop, live: set[str], dry: bool = False, pure=only_pops) -> bool:
    """A loop body runs again after itself: what its start reads is live at its end."""
    header = nodes.names_read(loop.iter if isinstance(loop, gast.For) else loop.test)
    end = set(live) | header
    while True:
        trial = set(end)
        dead_stores(loop.body, trial, True, pure)  # what is read, changing nothing
        grown = (end | trial) - end
        if not grown:
            break
        end |= grown
    start = set(end)
    changed = dead_stores(loop.body, start, dry, pure)
    live |= start | header
    if isinstance(loop, gast.For):
        live -= nodes.names_stored(loop.target) - start
    return changed


def written_through(stmt: gast.stmt, name: str) -> bool:
    """`name[...] = v` or `name.append(v)`, here or in a block inside: the object `name`
    holds changes."""
    for node in nodes.walk(stmt):
        if isinstance(node, gast.Assign) and any(name in nodes.names_read(t) for t in node.targets):
            return True
        if (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Attribute)
            and node.func.attr in ("append", "pop")
            and isinstance(node.func.value, gast.Name)
            and node.func.value.id == name
        ):
            return True
    return False
