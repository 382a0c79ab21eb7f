"""Checkpoints: the markers come off, and the loops and calls they marked remember them.

`for t in srcgrad.checkpointed(range(n), snapshots=s):` becomes `for t in range(n):` and
`while srcgrad.checkpointed(err > tol, snapshots=s):` becomes `while err > tol:`; the loop node
keeps `s` (`loop.snapshots`: a constant, or a name bound just before the loop) for the reverse
sweep, which follows a binomial schedule (transform/checkpoints.py). Forward mode needs no tape
and runs the plain loop. The marker anywhere else is refused at its line.

`srcgrad.checkpoint(f)(x)`, and a call of a function decorated `@srcgrad.checkpoint`, become
the call of `f` itself, marked (`is_rerun`): the reverse sweep runs it again rather than keep
its values.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(u, n):
...     for t in checkpointed(range(n), snapshots=2 * n):
...         u = np.sin(u)
...     return u
... ''')
def f(u, n):
    _t1 = 2 * n
    for t in range(n):
        u = np.sin(u)
    return u
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..runtime.checkpoints import checkpoint, checkpointed

ADVICE = (
    "write the marker around a loop's iterable, `for t in srcgrad.checkpointed(range(n), "
    "snapshots=s):`, or a while loop's test, `while srcgrad.checkpointed(test, snapshots=s):`"
)


class _Unmark(nodes.Transformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def _marker(self, node) -> bool:
        return isinstance(node, gast.Call) and self.ctx.resolve(node.func) is checkpointed

    def visit_For(self, node: gast.For):
        return self._loop(node, "iter")

    def visit_While(self, node: gast.While):
        return self._loop(node, "test")

    def _loop(self, loop, field: str):
        setup = self._unmarked(loop, field) if self._marker(getattr(loop, field)) else []
        self.generic_visit(loop)
        return [*setup, loop] if setup else loop

    def visit_Call(self, node: gast.Call):
        if self._marker(node):  # (a marker the loops above did not take off)
            raise UnsupportedSyntaxError(
                "srcgrad.checkpointed marks a loop, not a value", self.ctx.origin(node), ADVICE
            )
        self.generic_visit(node)
        if isinstance(node.func, gast.Call) and self.ctx.resolve(node.func.func) is checkpoint:
            if len(node.func.args) != 1 or node.func.keywords:
                raise UnsupportedSyntaxError(
                    "srcgrad.checkpoint takes one function",
                    self.ctx.origin(node),
                    "call it as `srcgrad.checkpoint(f)(x, y)`",
                )
            node.func = node.func.args[0]  # `checkpoint(f)(x)`: f(x), run again in reverse
            node.rerun = True
        called = self.ctx.resolve(node.func)
        if isinstance(called, checkpoint):  # a function decorated with it
            name = getattr(called.__wrapped__, "__name__", "function")
            node.func = nodes.load(self.ctx.support.name_for(called.__wrapped__, name))
            node.rerun = True
        return node

    def _unmarked(self, loop, field: str) -> list:
        """Take the marker off; the statements that bind the number of snapshots first."""
        call = getattr(loop, field)
        origin = nodes.origin_of(loop)
        keywords = {k.arg: k.value for k in call.keywords}
        if len(call.args) != 1 or set(keywords) - {"snapshots"}:
            raise UnsupportedSyntaxError(
                "srcgrad.checkpointed takes the loop's iterable (or test) and snapshots=",
                self.ctx.origin(call),
                ADVICE,
            )
        setattr(loop, field, call.args[0])
        snapshots = keywords.get("snapshots", nodes.const(10))
        setup = []
        if not isinstance(snapshots, gast.Constant):
            held = self.ctx.names.temporary()
            setup.append(nodes.assign(held, self.visit(snapshots), origin))
            snapshots = nodes.load(held)
        elif not isinstance(snapshots.value, int) or snapshots.value < 1:
            raise UnsupportedSyntaxError(
                f"snapshots={snapshots.value!r}: the number of snapshots is a positive integer",
                self.ctx.origin(call),
                ADVICE,
            )
        loop.snapshots = snapshots
        return setup


def is_rerun(call: gast.AST) -> bool:
    """Whether a call was marked `srcgrad.checkpoint`: its reverse sweep runs it again."""
    return getattr(call, "rerun", False)


def snapshots_of(loop) -> gast.expr | None:
    """The number of snapshots a checkpointed loop keeps (None: the loop is not marked)."""
    return getattr(loop, "snapshots", None)


def run(tree: gast.FunctionDef, ctx) -> None:
    _Unmark(ctx).visit(tree)
