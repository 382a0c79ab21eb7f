"""A lambda bound to a name inside the function is inlined where it is called.

`f = lambda z: np.tanh(z) * z` followed by `y = f(x)` is `y = np.tanh(x) * x`: the call is
the lambda's body with its parameters replaced by the arguments.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     act = lambda z: np.tanh(z) * z
...     return np.sum(act(x * w) + act(x))
... ''')
def f(x, w):
    return np.sum(np.tanh(x * w) * (x * w) + np.tanh(x) * x)
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes


class _Inline(gast.NodeTransformer):
    def __init__(self, lambdas: dict[str, gast.Lambda]):
        self.lambdas = lambdas

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and node.func.id in self.lambdas):
            return node
        function = self.lambdas[node.func.id]
        params = [p.id for p in function.args.args]
        if node.keywords or len(node.args) != len(params):
            return node  # Python raises the TypeError when it runs
        return nodes.substitute(function.body, dict(zip(params, node.args)))


def run(tree: gast.FunctionDef, ctx) -> None:
    assigned: dict[str, int] = {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            assigned[node.id] = assigned.get(node.id, 0) + 1
    lambdas = {}
    for stmt in list(gast.walk(tree)):
        if (
            isinstance(stmt, gast.Assign)
            and isinstance(stmt.value, gast.Lambda)
            and isinstance(stmt.targets[0], gast.Name)
        ):
            name = stmt.targets[0].id
            if assigned.get(name) != 1:
                raise UnsupportedSyntaxError(
                    f"the lambda '{name}' is bound to a name that is assigned again",
                    nodes.origin_of(stmt),
                    "give the lambda a name of its own",
                )
            lambdas[name] = stmt.value
    if not lambdas:
        return
    for node in gast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                block[:] = [
                    s
                    for s in block
                    if not (isinstance(s, gast.Assign) and isinstance(s.value, gast.Lambda))
                ] or [gast.Pass()]
    _Inline(lambdas).visit(tree)
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and node.id in lambdas and isinstance(node.ctx, gast.Load):
            raise UnsupportedSyntaxError(
                f"the lambda '{node.id}' is used as a value, not called",
                nodes.origin_of(node) or nodes.origin_of(tree),
                "call it, or define a function at module level",
            )
