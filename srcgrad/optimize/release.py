"""Optimize stage, memory: a large array is let go (`del d, picked`) after the last statement
that reads it, as PyTorch frees a graph's buffers once backward has used them; first, large
elementwise expressions are worked out in one array (`elision`).

A generated gradient holds the forward values it needs for the reverse sweep, and Python keeps
every local name alive until the function returns: a gather's difference array `d`, read once
to make `picked`, would still take its megabytes while the reverse sweep makes its own arrays.
Only names the shape analysis knows to be large are released (small ones cost nothing to keep
and the `del` would be noise), and only where it is plain that nothing reads them again: bound
by one top-level assignment, never read in a nested function, not an argument. Beside the
function's largest array, the smallest of those are kept too, as long as all kept together hold
at most an eighth of its elements (`KEPT`): a layer norm's row means or an MLP's logits beside
its hidden layer change the peak by a few percent, and their `del` lines would be noise.
"""

from __future__ import annotations

from collections import Counter

import gast
import numpy as np

from ..front import nodes
from .elision import elide

LARGE = 1 << 12  # elements: from 32 kB of float64
KEPT = 1 / 8  # of the largest array's elements: what the small released names may hold together


def release(fn: gast.FunctionDef, ctx) -> None:
    """Work large elementwise expressions out in one array, then insert `del` statements after
    the last reads of large single-use values (both changes to `fn` itself)."""
    sizes = _sizes(ctx)
    large = {name for name, size in sizes.items() if size >= LARGE}
    if not large:
        return
    if getattr(ctx, "dtypes", None) and not getattr(ctx, "other_arrays", False):
        elide(fn, ctx, LARGE)  # (a dask array's += makes a new array: nothing to gain)
    body = fn.body
    candidates = _bound_once_at_top(fn) & large
    parameters = {n.id for n in nodes.walk(fn.args) if isinstance(n, gast.Name)}
    candidates -= parameters | _read_in_nested_functions(fn)
    last: dict[str, int] = {}
    for i, stmt in enumerate(body):
        for name in _reads(stmt) & candidates:
            last[name] = i
    for name, i in list(last.items()):  # (`dx = dy`, then dx *= ...: dy's array lives on in dx)
        if _is_copy(body[i]):
            del last[name]
    for name in _worth_keeping(last, sizes):
        del last[name]
    freed: dict[int, list[str]] = {}
    for name, i in last.items():
        if not all(isinstance(stmt, gast.Return) for stmt in body[i + 1 :]):  # (it frees all)
            freed.setdefault(i, []).append(name)
    for i in sorted(freed, reverse=True):
        body.insert(i + 1, nodes.delete(sorted(freed[i]), nodes.origin_of(body[i])))


def _sizes(ctx) -> dict[str, int]:
    """The elements each name of known shape holds, an adjoint as many as its value."""
    sizes = {name: int(np.prod(shape)) for name, shape in ctx.shapes.items() if shape is not None}
    for name, size in list(sizes.items()):
        if size >= LARGE and ctx.names.has_adjoint(name):
            sizes.setdefault(ctx.names.adjoint(name), size)
    return sizes


def _worth_keeping(candidates, sizes: dict[str, int]) -> list[str]:
    """The smallest of `candidates`, as long as together they hold at most `KEPT` of the
    largest array's elements."""
    budget = KEPT * max(sizes.values())
    kept = []
    for name in sorted(candidates, key=lambda n: (sizes[n], n)):
        budget -= sizes[name]
        if budget < 0:
            break
        kept.append(name)
    return kept


def _bound_once_at_top(fn: gast.FunctionDef) -> set[str]:
    """Names stored exactly once in the whole function, by an assignment of its own body."""
    stores = Counter(
        node.id
        for node in nodes.walk(fn)
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del))
    )
    top = set()
    for stmt in fn.body:
        if isinstance(stmt, gast.Assign):
            for target in stmt.targets:
                top |= {
                    n.id
                    for n in nodes.walk(target)
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
                }
    declared = {
        name
        for node in nodes.walk(fn)
        if isinstance(node, (gast.Global, gast.Nonlocal))
        for name in node.names
    }
    return {name for name in top if stores[name] == 1} - declared


def _read_in_nested_functions(fn: gast.FunctionDef) -> set[str]:
    inner = [
        node
        for stmt in fn.body
        for node in nodes.walk(stmt)
        if isinstance(node, (gast.FunctionDef, gast.Lambda))
    ]
    return set().union(*(_reads(node) for node in inner)) if inner else set()


def _reads(node: gast.AST) -> set[str]:
    return {
        n.id for n in nodes.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
    }


def _is_copy(stmt: gast.stmt) -> bool:
    return (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Name)
    )
