"""Plain assignments only: `x += y` becomes `x = x + y`, `x: float = v` becomes `x = v`.

Both are marked: `x += y` changes x's memory where x is an array, and `c[k] += y` changes the
memory of the element where `c[k]` is an array a list, tuple or dict holds (analyse/memory.py
follows both).

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, y):
...     x *= y
...     x += 1
...     return x
... ''')
def f(x, y):
    x = x * y
    x = x + 1
    return x
"""

from __future__ import annotations

import gast

from ..front import nodes


class _Expand(nodes.Transformer):
    def visit_AugAssign(self, node: gast.AugAssign) -> gast.Assign:
        current = nodes.copy(node.target)
        current.ctx = gast.Load()
        value = nodes.binop(current, node.op, node.value)
        if isinstance(node.target, gast.Name):  # an array's memory changes: see analyse/in_place.py
            nodes.mark_augmented(value)
        elif isinstance(node.target, gast.Subscript):  # an element's, too: see analyse/memory.py
            nodes.mark_element_update(value)
        return nodes.assign(node.target, value, nodes.origin_of(node))

    def visit_AnnAssign(self, node: gast.AnnAssign) -> gast.Assign:
        return nodes.assign(node.target, node.value, nodes.origin_of(node))


def run(tree: gast.FunctionDef, ctx) -> None:
    _Expand().visit(tree)
