"""One exit: a `return` before the end becomes an assignment and a flag, later code is guarded.

The reverse sweep then has one place to start from. A `return` inside a loop also leaves the
loop (through `break`, which the next pass turns into flags in turn), and every loop around it;
one in a loop's `else` is rewritten as any other. A function that may fall off its end returns
None there, as Python does.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     if x > 0:
...         return x * 2
...     y = x * 3
...     return y
... ''')
def f(x):
    _returned = False
    if x > 0:
        _out = x * 2
        _returned = True
    if not _returned:
        y = x * 3
        _out = y
        _returned = True
    return _out
"""

from __future__ import annotations

import gast

from ..front import nodes

LOOPS = (gast.For, gast.While)


def _has_return(stmt: gast.stmt) -> bool:
    return any(isinstance(n, gast.Return) for n in nodes.walk(stmt))


def _always_returns(stmts: list) -> bool:
    """Every path through `stmts` ends in a `return`."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.Return):
        return True
    return isinstance(last, gast.If) and _always_returns(last.body) and _always_returns(last.orelse)


def run(tree: gast.FunctionDef, ctx) -> None:
    body = tree.body
    early = any(_has_return(s) for s in body[:-1])
    if not early and body and isinstance(body[-1], gast.Return):
        return  # the common case: one return, at the end
    if not any(_has_return(s) for s in body):
        body.append(nodes.ret(nodes.const(None), nodes.origin_of(tree)))  # falls off the end
        return
    flag = ctx.names.fresh("_returned")
    result = ctx.names.fresh("_out")
    ctx.names.generated |= {flag, result}
    start = [nodes.assign(flag, nodes.const(False), nodes.origin_of(tree))]
    if not _always_returns(body):  # a path may fall off the end: Python's None
        start.append(nodes.assign(result, nodes.const(None), nodes.origin_of(tree)))
    rewritten = _block(body, flag, result, in_loop=False)
    tree.body = [*start, *rewritten, nodes.ret(nodes.load(result), nodes.origin_of(body[-1]))]


def _block(stmts: list, flag: str, result: str, in_loop: bool) -> list:
    out: list = []
    for i, stmt in enumerate(stmts):
        origin = nodes.origin_of(stmt)
        if isinstance(stmt, gast.Return):
            value = stmt.value if stmt.value is not None else nodes.const(None)
            out.append(nodes.assign(result, value, origin))
            out.append(nodes.assign(flag, nodes.const(True), origin))
            if in_loop:
                out.append(nodes.stamp(gast.Break(), origin))
            return out  # anything after a return never runs
        if not _has_return(stmt):
            out.append(stmt)
            continue
        if isinstance(stmt, gast.If):
            stmt.body = _block(stmt.body, flag, result, in_loop)
            stmt.orelse = _block(stmt.orelse, flag, result, in_loop)
        elif isinstance(stmt, LOOPS):
            stmt.body = _block(stmt.body, flag, result, in_loop=True)
            # (a loop's `else` runs after it, unless a return broke out of it)
            stmt.orelse = _block(stmt.orelse, flag, result, in_loop)
        out.append(stmt)
        if in_loop and isinstance(stmt, LOOPS):  # a return in an inner loop leaves this one too
            leave = [nodes.stamp(gast.Break(), origin)]
            out.append(nodes.stamp(gast.If(test=nodes.load(flag), body=leave, orelse=[]), origin))
        rest = stmts[i + 1 :]
        if rest:
            guard = nodes.unary(gast.Not(), nodes.load(flag))
            inner = _block(rest, flag, result, in_loop)
            out.append(nodes.stamp(gast.If(test=guard, body=inner, orelse=[]), origin))
        return out
    return out
