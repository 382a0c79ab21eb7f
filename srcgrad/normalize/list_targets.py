"""A list written as an assignment or loop target is the tuple target it means.

`[a, b] = t`, `a, (b, [c, d]) = t` and `for [x, y] in pairs:` unpack exactly as their tuple
spellings do, so every later pass sees only tuple targets.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(t, pairs):
...     a, (b, [c, d]) = t
...     for [x, y] in pairs:
...         a = a + x * y
...     return a * b * c * d
... ''')
def f(t, pairs):
    a, (b, (c, d)) = t
    for x, y in pairs:
        a = a + x * y
    return a * b * c * d
"""

from __future__ import annotations

import gast

from ..front import nodes


class _Targets(nodes.Transformer):
    def visit_List(self, node: gast.List) -> gast.expr:
        self.generic_visit(node)
        if not isinstance(node.ctx, gast.Store):
            return node
        return nodes.tuple_like(node)


def run(tree: gast.FunctionDef, ctx) -> None:
    if any(isinstance(n, gast.List) and isinstance(n.ctx, gast.Store) for n in nodes.walk(tree)):
        _Targets().visit(tree)
