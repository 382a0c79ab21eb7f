"""`with` blocks (other than `srcgrad.no_grad()`, normalize/no_grad.py): the context manager is
entered, the block runs, the manager is exited, as three plain statements of the forward sweep.

`np.errstate`, `warnings.catch_warnings`, a timer or a log section then hold over the block's
forward values as they would in plain Python; the reverse sweep runs outside them. A `return`
that ends the block returns after the exit; any other `return`, `break` or `continue` inside a
`with` block is refused at its line (the exit would be skipped). If the block raises, the
exception propagates without `__exit__` being called.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     with np.errstate(divide="ignore") as state:
...         y = np.log(x)
...         return np.sum(y)
... ''')
def f(x):
    _manager = np.errstate(divide='ignore')
    state = _manager.__enter__()
    y = np.log(x)
    _result = np.sum(y)
    _manager.__exit__(None, None, None)
    return _result
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes

_JUMPS = (gast.Return, gast.Break, gast.Continue)


class _Contexts(nodes.Transformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def visit_FunctionDef(self, node: gast.FunctionDef):
        if node is self.ctx.parsed.tree:
            self.generic_visit(node)
        return node  # (a nested function's own blocks are its own)

    def visit_Lambda(self, node: gast.Lambda):
        return node

    def visit_With(self, node: gast.With):
        self.generic_visit(node)  # (blocks inside blocks first)
        origin = nodes.origin_of(node)
        body = list(node.body)
        last = body.pop() if body and isinstance(body[-1], gast.Return) else None
        for stmt in body:
            self._refuse_jumps(stmt)
        enters, exits = [], []
        for item in node.items:
            manager = self.ctx.names.fresh("_manager")
            self.ctx.names.taken.add(manager)
            enters.append(nodes.assign(manager, item.context_expr, origin))
            enter = nodes.call(nodes.attribute(nodes.load(manager), "__enter__"))
            if item.optional_vars is not None:
                enters.append(nodes.assign(item.optional_vars.id, enter, origin))
            else:
                enters.append(nodes.expr_stmt(enter, origin))
            none = [nodes.const(None)] * 3
            leave = nodes.call(nodes.attribute(nodes.load(manager), "__exit__"), none)
            exits.insert(0, nodes.expr_stmt(leave, origin))
        if last is None:
            return [*enters, *body, *exits]
        if last.value is None:
            return [*enters, *body, *exits, last]
        result = self.ctx.names.fresh("_result")
        self.ctx.names.taken.add(result)
        held = nodes.assign(result, last.value, nodes.origin_of(last))
        ended = nodes.ret(nodes.load(result), nodes.origin_of(last))
        return [*enters, *body, held, *exits, ended]

    def _refuse_jumps(self, stmt: gast.stmt, in_loop: bool = False) -> None:
        """A `return` anywhere in the block, or a `break` or `continue` of a loop outside it."""
        if isinstance(stmt, (gast.FunctionDef, gast.Lambda)):
            return
        if isinstance(stmt, _JUMPS) and not (in_loop and not isinstance(stmt, gast.Return)):
            word = {gast.Return: "return", gast.Break: "break", gast.Continue: "continue"}
            raise UnsupportedSyntaxError(
                f"a '{word[type(stmt)]}' inside a 'with' block (before its end) is not "
                "supported: the context manager's exit would be skipped",
                self.ctx.origin(stmt),
                "assign the value, and return (or break) after the 'with' block",
            )
        looping = in_loop or isinstance(stmt, (gast.For, gast.While))
        for child in gast.iter_child_nodes(stmt):
            if isinstance(child, gast.stmt):
                self._refuse_jumps(child, looping)


def run(tree: gast.FunctionDef, ctx) -> None:
    _Contexts(ctx).visit(tree)
