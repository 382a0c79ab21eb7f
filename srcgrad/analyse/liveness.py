"""Analyse stage, liveness: which names a statement's later statements may still read.

`live_after(body, output)` maps each statement to the names some statement that may run after
it reads before assigning them again: later in its block, after the block (a branch, a loop's
next step or its end), or the function's result. A loop's body is read again until nothing new
is live at its start.
"""

from __future__ import annotations

import gast

from ..front import nodes

_LOOPS = (gast.For, gast.While)


def live_after(body: list, output: str) -> dict[int, frozenset]:
    """Statement id -> the names live just after it runs."""
    found: dict[int, frozenset] = {}
    _block(body, {output}, found)
    return found


def read_before_written(stmts: list, live: frozenset = frozenset()) -> set[str]:
    """The names `stmts` may read before they assign them (`live`: those read after them):
    what they need from before. A tuple target assigns each of its names."""
    live = set(live)
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.If):
            then = read_before_written(stmt.body, live)
            live = then | read_before_written(stmt.orelse, live) | nodes.names_read(stmt.test)
        elif isinstance(stmt, _LOOPS):  # (a loop may not run, or run again)
            header = nodes.names_read(stmt.iter if isinstance(stmt, gast.For) else stmt.test)
            inner = read_before_written(stmt.body, live | header)
            if isinstance(stmt, gast.For):
                inner -= nodes.names_stored(stmt.target)
            live |= inner | header
        elif isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], gast.Subscript):
            live = (live - nodes.names_stored(stmt.targets[0])) | nodes.names_read(stmt.value)
        else:  # (x[i] = v reads x: the rest of it lives on)
            live |= nodes.names_read(stmt)
    return live


def _block(stmts: list, live: set[str], found: dict) -> set[str]:
    """The names live before `stmts`, given those live after them."""
    live = set(live)
    for stmt in reversed(stmts):
        found[id(stmt)] = frozenset(found.get(id(stmt), frozenset()) | live)
        if isinstance(stmt, gast.If):
            then = _block(stmt.body, live, found)
            other = _block(stmt.orelse, live, found)
            live = then | other | nodes.names_read(stmt.test)
        elif isinstance(stmt, _LOOPS):
            live = _loop(stmt, live, found)
        elif isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                live.discard(target.id)
            live |= nodes.names_read(stmt)  # (x[i] = v reads x: the rest of x lives on)
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                live.add(target.value.id)
        else:
            live |= nodes.names_read(stmt)
    return live


def _loop(loop, after: set[str], found: dict) -> set[str]:
    header = nodes.names_read(loop.iter if isinstance(loop, gast.For) else loop.test)
    end = set(after) | header  # the body's end: the next step's start, or after the loop
    while True:
        start = _block(loop.body, end, found)
        if isinstance(loop, gast.For):
            start -= nodes.names_stored(loop.target)
        grown = start - end
        if not grown:
            break
        end |= grown
    before = start | set(after) | header
    if isinstance(loop, gast.For):  # (`for n in range(n)` reads n before it binds it)
        before -= nodes.names_stored(loop.target) - start - set(after) - header
    return before
