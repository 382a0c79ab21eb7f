"""A lambda bound to a name inside the function is inlined where it is called.

`f = lambda z: np.tanh(z) * z` followed by `y = f(x)` is `y = np.tanh(x) * x`: the call is
the lambda's body with its parameters replaced by the arguments. An argument the body reads
more than once is computed once, into a temporary before the statement, as Python computes it
once (`act(rng.normal())` draws one number); lambdas that call lambdas are inlined in turn.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     act = lambda z: np.tanh(z) * z
...     return np.sum(act(x * w) + act(x))
... ''')
def f(x, w):
    _t1 = x * w
    return np.sum(np.tanh(_t1) * _t1 + np.tanh(x) * x)
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes

_DEEPEST = 32  # lambdas inlined into lambdas: past this, one calls itself


class _Inline(nodes.Transformer):
    """Inlines the calls of one statement; `before` collects the arguments it computes first."""

    def __init__(self, lambdas: dict[str, gast.Lambda], ctx, origin, hoist: bool = True):
        self.lambdas = lambdas
        self.ctx = ctx
        self.origin = origin
        self.before: list[gast.stmt] = []
        self.hoist = hoist  # False inside parts that may run any number of times
        self.depth = 0

    def _once(self, node):
        """A part of the statement that may run once, never or many times."""
        hoist, self.hoist = self.hoist, False
        try:
            return self.generic_visit(node)
        finally:
            self.hoist = hoist

    visit_BoolOp = visit_IfExp = visit_ListComp = visit_GeneratorExp = _once

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and node.func.id in self.lambdas):
            return node
        name = node.func.id
        function = self.lambdas[name]
        params = [p.id for p in function.args.args]
        starred = any(isinstance(a, gast.Starred) for a in node.args)
        if node.keywords or starred or len(node.args) != len(params):
            raise UnsupportedSyntaxError(
                f"the lambda '{name}' takes {len(params)} argument(s), and is called here with "
                f"{len(node.args) + len(node.keywords)}"
                + (" (by keyword or with *)" if node.keywords or starred else ""),
                self.origin,
                "call it with its arguments by position",
            )
        uses = [n.id for n in gast.walk(function.body) if isinstance(n, gast.Name)]
        mapping = {}
        for param, argument in zip(params, node.args):
            if nodes.is_atom(argument) or uses.count(param) <= 1:
                mapping[param] = argument
            elif self.hoist:  # computed once, as Python computes an argument
                held = self.ctx.names.temporary()
                self.before.append(nodes.assign(held, argument, self.origin))
                mapping[param] = nodes.load(held)
            else:
                raise UnsupportedSyntaxError(
                    f"the lambda '{name}' reads its parameter '{param}' more than once, and "
                    "its argument here is an expression inside a conditional expression, a "
                    "comprehension or a loop test",
                    self.origin,
                    "compute the argument into a variable first, or define the function with 'def'",
                )
        self.depth += 1
        if self.depth > _DEEPEST:
            raise UnsupportedSyntaxError(
                f"the lambda '{name}' calls itself", self.origin, "define it with 'def'"
            )
        try:  # the lambdas its body calls, inlined in turn
            return self.visit(nodes.substitute(nodes.copy(function.body), mapping))
        finally:
            self.depth -= 1


def _block(stmts: list, lambdas: dict, ctx) -> list:
    out: list = []
    for stmt in stmts:
        origin = nodes.origin_of(stmt)
        inline = _Inline(lambdas, ctx, origin)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for field in ("body", "orelse"):
                setattr(stmt, field, _block(getattr(stmt, field), lambdas, ctx))
            if isinstance(stmt, gast.While):  # its test runs at every step: nothing hoisted
                inline.hoist = False
            field = "iter" if isinstance(stmt, gast.For) else "test"
            setattr(stmt, field, inline.visit(getattr(stmt, field)))
        else:
            stmt = inline.visit(stmt)
        out.extend([*inline.before, stmt])
    return out


def run(tree: gast.FunctionDef, ctx) -> None:
    found = nodes.walk(tree)
    assigned: dict[str, int] = {}
    for node in found:
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            assigned[node.id] = assigned.get(node.id, 0) + 1
    lambdas = {}
    for stmt in found:
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
    for node in nodes.walk(tree):  # (the loop changes only the node it is at)
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                block[:] = [
                    s
                    for s in block
                    if not (isinstance(s, gast.Assign) and isinstance(s.value, gast.Lambda))
                ] or [gast.Pass()]
    tree.body = _block(tree.body, lambdas, ctx)
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and node.id in lambdas and isinstance(node.ctx, gast.Load):
            raise UnsupportedSyntaxError(
                f"the lambda '{node.id}' is used as a value, not called",
                nodes.origin_of(node) or nodes.origin_of(tree),
                "call it, or define a function at module level",
            )
