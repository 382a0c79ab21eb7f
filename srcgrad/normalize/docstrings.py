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


def run(tree: gast.FunctionDef, ctx) -> None:
    tree.body = [s for s in tree.body if not _inert(s)]


def _inert(stmt: gast.stmt) -> bool:
    if isinstance(stmt, gast.Pass):
        return True
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
