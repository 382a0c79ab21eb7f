"""A list written as an assignment or loop target is the tuple target it means.

`[a, b] = t`, `a, (b, [c, d]) = t` and `for [x, y] in pairs:` unpack exactly as their tuple
spellings do, so every later pass sees only tuple targets.

(No doctest here: Python 3.10's `ast.unparse` writes the tuple target it makes in
parentheses, later versions do not; tests/unit/normalize/test_list_targets.py shows the pass.)
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
