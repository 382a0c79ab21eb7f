"""List comprehensions and generator expressions are loops that append to a new list.

`[f(v) for v in xs if c(v)]` is `_l = []`, then `for v in xs: if c(v): _l.append(f(v))`,
and the comprehension's place holds `_l`. Its variables get new names, as a comprehension's
variables are its own in Python.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, n):
...     return np.sum(np.stack([x * i for i in range(n)]))
... ''')
def f(x, n):
    _l = []
    for i_1 in range(n):
        _l.append(x * i_1)
    return np.sum(np.stack(_l))
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes

_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp)
# where an operand may not be evaluated at all, or later: nothing is taken out before it
_CONDITIONAL = (gast.IfExp, gast.BoolOp, gast.Lambda, *_COMPREHENSIONS)


class _Hoist(nodes.Transformer):
    """Replace comprehensions in one statement by names; collect the loops that fill them.

    Python evaluates what comes before a comprehension in its statement first (`np.sum(
    layer(x, trace)) + sum(t for t in trace)` calls `layer` before it walks `trace`): each
    operand before it on its way down is computed first, into a name of its own."""

    def __init__(self, ctx, origin):
        self.ctx = ctx
        self.origin = origin
        self.before: list[gast.stmt] = []

    def visit_ListComp(self, node):
        return self._hoist(node)

    def visit_GeneratorExp(self, node):
        return self._hoist(node)

    def generic_visit(self, node):
        ordered = not isinstance(node, (gast.stmt, gast.Dict, *_CONDITIONAL))
        if not ordered or not _has_comprehension(node):
            return super().generic_visit(node)
        operands = [
            (field, k, item)
            for field, value in gast.iter_fields(node)
            for k, item in (enumerate(value) if isinstance(value, list) else [(None, value)])
            if isinstance(item, gast.AST)
        ]
        later = [_has_comprehension(item) for _, _, item in operands]
        for i, (field, k, item) in enumerate(operands):
            item = self.visit(item)
            if any(later[i + 1 :]):  # (computed before a comprehension that follows it)
                item = self._computed_first(item, node)
            if k is None:
                setattr(node, field, item)
            else:
                getattr(node, field)[k] = item
        return node

    def _computed_first(self, item, parent):
        """`item` as a name bound before the comprehensions that follow it, where it is an
        operand whose value may depend on when it is computed."""
        if isinstance(item, gast.keyword):
            item.value = self._computed_first(item.value, item)
            return item
        plain = isinstance(item, (gast.Name, gast.Constant, gast.Starred))
        called = isinstance(parent, gast.Call) and item is parent.func
        if plain or called or not isinstance(item, gast.expr):
            return item
        held = self.ctx.names.temporary()
        self.before.append(nodes.assign(held, item, self.origin))
        return nodes.load(held)

    def _hoist(self, node) -> gast.Name:
        names = self.ctx.names
        result = names.fresh("_l")
        names.generated.add(result)
        renamed = {}
        for generator in node.generators:
            if generator.is_async:
                raise UnsupportedSyntaxError("an async comprehension is not supported", self.origin)
            for old in sorted(nodes.names_stored(generator.target)):
                renamed[old] = nodes.load(names.renamed(old))
        append = nodes.call(nodes.attribute(nodes.load(result), "append"), [node.elt])
        body: list = [nodes.expr_stmt(nodes.substitute(append, renamed), self.origin)]
        for generator in reversed(node.generators):
            for condition in reversed(generator.ifs):
                test = nodes.substitute(condition, renamed)
                body = [nodes.stamp(gast.If(test=test, body=body, orelse=[]), self.origin)]
            loop = gast.For(
                target=nodes.substitute(generator.target, renamed),
                iter=nodes.substitute(generator.iter, renamed),
                body=body,
                orelse=[],
                type_comment=None,
            )
            body = [nodes.stamp(loop, self.origin)]
        empty = gast.List(elts=[], ctx=gast.Load())
        # comprehensions inside are built where Python evaluates them: the first iterable
        # before the loops, the others, the conditions and the element inside them
        self.before.extend([nodes.assign(result, empty, self.origin), *_block(body, self.ctx)])
        return nodes.load(result)


def _block(stmts: list, ctx) -> list:
    out: list = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                setattr(stmt, field, _block(inner, ctx))
        if isinstance(stmt, gast.While) and _has_comprehension(stmt.test):
            raise UnsupportedSyntaxError(
                "a comprehension in a while loop's test is not supported",
                nodes.origin_of(stmt),
                "compute it in the loop body, into a variable",
            )
        hoist = _Hoist(ctx, nodes.origin_of(stmt))
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            field = "iter" if isinstance(stmt, gast.For) else "test"
            setattr(stmt, field, hoist.visit(getattr(stmt, field)))
        else:
            stmt = hoist.visit(stmt)
        out.extend([*hoist.before, stmt])
    return out


def _has_comprehension(node) -> bool:
    return any(isinstance(n, (gast.ListComp, gast.GeneratorExp)) for n in nodes.walk(node))


def run(tree: gast.FunctionDef, ctx) -> None:
    if _has_comprehension(tree):  # (without one, the pass changes nothing)
        tree.body = _block(tree.body, ctx)
