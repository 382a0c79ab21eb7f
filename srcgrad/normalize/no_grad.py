"""`with srcgrad.no_grad():` blocks: their statements run as they are, their values are constants.

The block's statements take its place; each value they assign passes through `stop_gradient`,
which activity analysis knows to have no derivative, so nothing in the block gets an adjoint.

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


class _Unwrap(gast.NodeTransformer):
    def __init__(self, ctx, inside: bool = False):
        self.ctx = ctx
        self.inside = inside

    def visit_With(self, node: gast.With):
        if not _is_no_grad(node, self.ctx):
            return node
        inner = _Unwrap(self.ctx, inside=True)
        return [inner.visit(s) for s in node.body]

    def visit_Assign(self, node: gast.Assign):
        if self.inside:
            stop = self.ctx.support.name_for(stop_gradient, "stop_gradient")
            node.value = nodes.call(nodes.load(stop), [node.value])
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
