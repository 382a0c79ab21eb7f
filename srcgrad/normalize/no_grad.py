"""`with srcgrad.no_grad():` blocks: their statements run as they are, their values are constants.

The block's statements take its place; each value they assign, append or loop over passes
through `stop_gradient`, which activity analysis knows to have no derivative, so nothing the
block binds gets an adjoint.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     with no_grad():
...         scale = np.max(np.abs(w))
...     return np.sum(x * w / scale)
... ''')
def f(x, w):
    scale = stop_gradient(np.max(np.abs(w)))
    return np.sum(x * w / scale)
"""

from __future__ import annotations

import gast

from ..front import nodes
from ..runtime.markers import no_grad, stop_gradient


def _is_no_grad(stmt: gast.stmt, ctx) -> bool:
    if not isinstance(stmt, gast.With) or len(stmt.items) != 1:
        return False
    manager = stmt.items[0].context_expr
    return isinstance(manager, gast.Call) and ctx.resolve(manager.func) is no_grad


class _Unwrap(nodes.Transformer):
    def __init__(self, ctx, inside: bool = False):
        self.ctx = ctx
        self.inside = inside

    def visit_With(self, node: gast.With):
        if not _is_no_grad(node, self.ctx):
            return node
        inner = _Unwrap(self.ctx, inside=True)
        return [inner.visit(s) for s in node.body]

    def _stopped(self, value: gast.expr) -> gast.expr:
        stop = self.ctx.support.name_for(stop_gradient, "stop_gradient")
        return nodes.call(nodes.load(stop), [value])

    def visit_Assign(self, node: gast.Assign):
        if self.inside:
            node.value = self._stopped(node.value)
        return node

    def visit_Expr(self, node: gast.Expr):
        """`xs.append(v)` in the block: what a call for its effect is given is a constant."""
        if self.inside and isinstance(node.value, gast.Call):
            call = node.value
            call.args = [a if isinstance(a, gast.Starred) else self._stopped(a) for a in call.args]
            for keyword in call.keywords:
                keyword.value = self._stopped(keyword.value)
        return node

    def visit_For(self, node: gast.For):
        """`for v in w` in the block: its variable is a constant too (a range's integers carry
        no derivative anyway)."""
        self.generic_visit(node)
        counts = isinstance(node.iter, gast.Call) and self.ctx.resolve(node.iter.func) is range
        if self.inside and not counts:
            origin = nodes.origin_of(node)
            rebound = [
                nodes.assign(name, self._stopped(nodes.load(name)), origin)
                for name in sorted(nodes.names_stored(node.target))
            ]
            node.body = [*rebound, *node.body]
        return node

    def visit_AugAssign(self, node: gast.AugAssign):
        if self.inside:
            current = nodes.copy(node.target)
            current.ctx = gast.Load()
            value = nodes.binop(current, node.op, node.value)
            assign = nodes.assign(node.target, value, nodes.origin_of(node))
            return self.visit_Assign(assign)
        return node


def run(tree: gast.FunctionDef, ctx) -> None:
    _Unwrap(ctx).visit(tree)
