"""Optimize stage, the shape of generated code: its statement lists, and how often each name
is assigned and read. What the other passes of the optimizer ask of a function.
"""

from __future__ import annotations

from collections import Counter

import gast

from ..front import nodes

COMPOUND = (gast.If, gast.For, gast.While, gast.FunctionDef)  # a pullback is one too


def blocks(fn: gast.FunctionDef):
    """Every statement list of the function: its body and the bodies of its ifs and loops."""
    stack = [fn.body]
    while stack:
        block = stack.pop()
        yield block
        for stmt in block:
            if isinstance(stmt, COMPOUND):
                stack.extend(b for b in (stmt.body, getattr(stmt, "orelse", None)) if b)


def assignments(fn: gast.FunctionDef) -> Counter:
    counts = Counter(nodes.names_stored(fn.args))
    for block in blocks(fn):
        for stmt in block:
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                counts[stmt.targets[0].id] += 1
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Tuple):
                counts.update(nodes.names_stored(stmt.targets[0]))  # `a, b = f(x)`
            elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                counts[stmt.target.id] += 1
            elif isinstance(stmt, gast.For):
                counts.update(nodes.names_stored(stmt.target))
            elif isinstance(stmt, gast.Try):  # (a statement of a `try` block: as it is)
                counts.update(nodes.names_stored(stmt))
    return counts


def read_counts(nodes_: list) -> Counter:
    counts: Counter = Counter()
    for stmt in nodes_:
        for n in nodes.walk(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                counts[n.id] += 1
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                counts[n.target.id] += 1  # `dx += c` reads dx
    return counts
