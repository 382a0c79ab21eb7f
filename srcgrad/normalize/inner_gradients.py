"""A gradient of a nested function taken in the function: a closure of the gradient.

`g = srcgrad.grad(inner_loss)`, where `inner_loss` is defined inside the function (a MAML inner
step), reads after closures.py `srcgrad.grad(closure(inner_loss, w=w))`: the gradient of a
function value that holds `w`. The pass writes it as the closure of the gradient of the lifted
function, `closure(srcgrad.grad(inner_loss), w=w)`, which is the same function (the gradient
is taken along the parameters `inner_loss` declares, what it holds is passed by keyword at
each call). Then `g(v)` is a call of a closure that holds `w`, differentiated through the
gradient's generated code with respect to `v` and to what the closure holds (api/dynamic.py),
and a `w` that carries a derivative keeps it. A `functools.partial` that holds keywords only
is read the same way. A closure that holds nothing is the lifted function itself.

Left as they are: a gradient with respect to a keyword the closure or partial holds (the call
of the gradient refuses it, api/transforms.py), and a partial that holds positional arguments.

>>> import functools
>>> from srcgrad.normalize.example import show
>>> def run_with_grad(tree, ctx):  # (the example's module imports grad and partial)
...     from srcgrad import grad
...     ctx.parsed.namespace.globals.update(grad=grad, partial=functools.partial)
...     run(tree, ctx)
>>> show(run_with_grad, '''
... def f(w, v):
...     g = grad(partial(loss, w=w), wrt='v')
...     h = grad(partial(loss))
...     return g(v) + h(v, w=w)
... ''')
def f(w, v):
    g = partial(grad(loss, wrt='v'), w=w)
    h = grad(loss)
    return g(v) + h(v, w=w)
"""

from __future__ import annotations

import functools

import gast

from .. import runtime
from ..front import nodes


def run(tree: gast.FunctionDef, ctx) -> None:
    _Gradients(ctx).visit(tree)


def makes_gradients(obj: object) -> bool:
    """srcgrad.grad or srcgrad.value_and_grad (marked so by api/transforms.py)."""
    return getattr(obj, "srcgrad_makes_gradients", False) is True


class _Gradients(nodes.Transformer):
    """`grad(closure(f, k=v), ...)` -> `closure(grad(f, ...), k=v)`."""

    def __init__(self, ctx):
        self.ctx = ctx

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        if not (node.args and makes_gradients(self.ctx.resolve(node.func))):
            return node
        held = node.args[0]
        if not (
            isinstance(held, gast.Call)
            and self.ctx.resolve(held.func) in (runtime.closure, functools.partial)
            and len(held.args) == 1
            and all(k.arg is not None for k in held.keywords)
        ):
            return node
        if _wrt_held(node, {k.arg for k in held.keywords}):
            return node
        node.args[0] = held.args[0]
        if not held.keywords:
            return node
        held.args = [node]
        return held


def _wrt_held(node: gast.Call, keywords: set[str]) -> bool:
    """The gradient is taken with respect to a keyword the closure holds (or to something this
    pass cannot read)."""
    given = [*node.args[1:2], *(k.value for k in node.keywords if k.arg in ("wrt", "argnums"))]
    for value in given:
        values = value.elts if isinstance(value, (gast.Tuple, gast.List)) else [value]
        for part in values:
            if not isinstance(part, gast.Constant):
                return True
            if part.value in keywords:
                return True
    return False
