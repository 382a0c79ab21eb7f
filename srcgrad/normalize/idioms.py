"""Expressions with a derivative of their own: `1 / (1 + np.exp(-z))` is the logistic function.

Taken apart, the logistic function is four operations whose adjoints need `exp(-z)` and
`1 + exp(-z)` kept for the reverse sweep: two arrays more than its own derivative,
`ans * (1 - ans)`, which reads only the result. The rewritten call computes exactly the user's
expression (srcgrad.runtime.sigmoid).

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     p = 1 / (1 + np.exp(-(x @ w)))
...     return np.sum(1.0 / (np.exp(-p) + 1.0))
... ''')
def f(x, w):
    p = sigmoid(x @ w)
    return np.sum(sigmoid(p))
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..front import nodes


class _Idioms(gast.NodeTransformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        argument = self._logistic(node)
        if argument is None:
            return node
        helper = self.ctx.support.name_for(runtime.sigmoid, "sigmoid")
        return nodes.call(nodes.load(helper), [argument])

    def visit_Call(self, node: gast.Call) -> gast.expr:
        """`np.clip(a, min=v, max=w)` (NumPy 2.1's spelling, and `x.clip(min=0.0)`) is
        `np.clip(a, v, w)`: its rule names them a_min and a_max."""
        self.generic_visit(node)
        spelled = {k.arg: k for k in node.keywords}
        if (
            {"min", "max"} & set(spelled)
            and not {"a_min", "a_max"} & set(spelled)
            and len(node.args) == 1
            and self.ctx.resolve(node.func) is np.clip
        ):
            for name in ("min", "max"):
                bound = spelled.get(name)
                node.args.append(bound.value if bound is not None else nodes.const(None))
            node.keywords = [k for k in node.keywords if k.arg not in ("min", "max")]
        return node

    def _logistic(self, node: gast.BinOp) -> gast.expr | None:
        """`z` of `1 / (1 + np.exp(-z))` (either order of the sum; 1 or 1.0)."""
        if not (isinstance(node.op, gast.Div) and _one(node.left)):
            return None
        total = node.right
        if not (isinstance(total, gast.BinOp) and isinstance(total.op, gast.Add)):
            return None
        for one, power in ((total.left, total.right), (total.right, total.left)):
            if _one(one) and self._exp_of_negative(power):
                return power.args[0].operand
        return None

    def _exp_of_negative(self, node: gast.expr) -> bool:
        return (
            isinstance(node, gast.Call)
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], gast.UnaryOp)
            and isinstance(node.args[0].op, gast.USub)
            and self.ctx.resolve(node.func) is np.exp
        )


def _one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == 1


def run(tree: gast.FunctionDef, ctx) -> None:
    _Idioms(ctx).visit(tree)
