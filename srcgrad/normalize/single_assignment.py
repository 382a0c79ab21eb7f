"""Single assignment: a name assigned again gets a new name (`x`, then `x_1`), reads follow.

Straight-line code then overwrites nothing, so the reverse sweep can read every value the
forward sweep computed without saving any of them.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     y = x * 2
...     x = x + y
...     y = x * y
...     return y
... ''')
def f(x):
    y = x * 2
    x_1 = x + y
    y_1 = x_1 * y
    return y_1
"""

from __future__ import annotations

import gast

from .. import nodes


def run(tree: gast.FunctionDef, ctx) -> None:
    current = {name: name for name in nodes.names_stored(tree.args)}
    for stmt in tree.body:
        renamed = {k: nodes.load(v) for k, v in current.items() if k != v}
        if isinstance(stmt, gast.Assign):
            stmt.value = nodes.substitute(stmt.value, renamed)
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                if target.id in current:
                    new = ctx.names.fresh(target.id)
                    current[target.id] = new
                    target.id = new
                else:
                    current[target.id] = target.id
        else:
            for field, value in gast.iter_fields(stmt):
                if isinstance(value, gast.expr):
                    setattr(stmt, field, nodes.substitute(value, renamed))
