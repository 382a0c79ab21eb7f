"""Drop docstrings and `pass`: statements that compute nothing.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     "Square."
...     pass
...     return x * x
... ''')
def f(x):
    return x * x
"""

from __future__ import annotations

import gast

from ..front import nodes


def run(tree: gast.FunctionDef, ctx) -> None:
    for node in nodes.walk(tree):  # (the loop changes only the node it is at)
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                kept = [s for s in block if not _inert(s)]
                setattr(node, field, kept or [gast.Pass()] if field == "body" else kept)


def _inert(stmt: gast.stmt) -> bool:
    if isinstance(stmt, gast.Pass):
        return True
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
