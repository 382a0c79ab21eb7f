"""No `break` or `continue`: they become flags, and the code they skip is guarded by them.

Loops then always run their body to the end, so the reverse sweep can replay each iteration
from its trip count and recorded branch decisions. A `for` loop whose body has broken out
does nothing in its remaining iterations; a `while` loop stops at its test.
`for ... else` and `while ... else` run their `else` unless the loop was broken out of.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     for i in range(5):
...         if x > 10:
...             break
...         x = x * 2
...     return x
... ''')
def f(x):
    _broke = False
    for i in range(5):
        if not _broke:
            _jumped = False
            if x > 10:
                _broke = True
                _jumped = True
            if not _jumped:
                x = x * 2
    return x
"""

from __future__ import annotations

import gast

from ..front import nodes

LOOPS = (gast.For, gast.While)


def _jumps(stmts: list) -> bool:
    """Whether `stmts` break or continue the loop they are in (not a loop nested inside)."""
    for stmt in stmts:
        if isinstance(stmt, (gast.Break, gast.Continue)):
            return True
        if isinstance(stmt, gast.If) and (_jumps(stmt.body) or _jumps(stmt.orelse)):
            return True
    return False


class _Loops(nodes.Transformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def visit_For(self, node):
        return self._loop(node)

    def visit_While(self, node):
        return self._loop(node)

    def _loop(self, loop):
        self.generic_visit(loop)  # inner loops first
        origin = nodes.origin_of(loop)
        orelse, loop.orelse = loop.orelse, []
        if not _jumps(loop.body):
            return [loop, *orelse]
        names = self.ctx.names
        broke, jumped = names.fresh("_broke"), names.fresh("_jumped")
        names.generated |= {broke, jumped}
        body = [nodes.assign(jumped, nodes.const(False), origin), *_block(loop.body, broke, jumped)]
        not_broke = nodes.unary(gast.Not(), nodes.load(broke))
        if isinstance(loop, gast.For):
            loop.body = [nodes.stamp(gast.If(test=not_broke, body=body, orelse=[]), origin)]
        else:
            loop.test = gast.BoolOp(op=gast.And(), values=[not_broke, loop.test])
            loop.body = body
        out = [nodes.assign(broke, nodes.const(False), origin), loop]
        if orelse:
            guard = nodes.unary(gast.Not(), nodes.load(broke))
            out.append(nodes.stamp(gast.If(test=guard, body=orelse, orelse=[]), origin))
        return out


def _block(stmts: list, broke: str, jumped: str) -> list:
    out: list = []
    for i, stmt in enumerate(stmts):
        origin = nodes.origin_of(stmt)
        if isinstance(stmt, (gast.Break, gast.Continue)):
            if isinstance(stmt, gast.Break):
                out.append(nodes.assign(broke, nodes.const(True), origin))
            out.append(nodes.assign(jumped, nodes.const(True), origin))
            return out  # the rest of this block never runs
        if not (isinstance(stmt, gast.If) and (_jumps(stmt.body) or _jumps(stmt.orelse))):
            out.append(stmt)
            continue
        stmt.body = _block(stmt.body, broke, jumped)
        stmt.orelse = _block(stmt.orelse, broke, jumped)
        out.append(stmt)
        rest = stmts[i + 1 :]
        if rest:
            guard = nodes.unary(gast.Not(), nodes.load(jumped))
            inner = _block(rest, broke, jumped)
            out.append(nodes.stamp(gast.If(test=guard, body=inner, orelse=[]), origin))
        return out
    return out


def run(tree: gast.FunctionDef, ctx) -> None:
    _Loops(ctx).visit(tree)
