"""Single assignment: a name assigned again gets a new name (`x`, then `x_1`), reads follow.

Straight-line code then overwrites nothing, so the reverse sweep can read every value the
forward sweep computed without saving any of them. Names assigned inside an `if` or a loop
keep their one name everywhere (the reverse sweep saves their values where it must).

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

from ..front import nodes


def run(tree: gast.FunctionDef, ctx) -> None:
    current = {name: name for name in nodes.names_stored(tree.args)}
    # names assigned inside an if or a loop keep one name: their values are saved instead
    in_blocks = set().union(
        *(nodes.names_stored(s) for s in tree.body if not isinstance(s, gast.Assign))
    )
    _split_self_updates(tree.body, in_blocks, ctx)
    for i, stmt in enumerate(tree.body):
        renamed = {k: nodes.load(v) for k, v in current.items() if k != v}
        if isinstance(stmt, gast.Assign):
            stmt.value = nodes.substitute(stmt.value, renamed)
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):  # x[i] = v changes x; it binds no name
                stmt.targets[0] = nodes.substitute(target, renamed)
            elif isinstance(target, gast.Name) and target.id not in in_blocks:
                if target.id in current:
                    new = ctx.names.renamed(target.id)
                    current[target.id] = new
                    target.id = new
                else:
                    current[target.id] = target.id
        else:  # an if, a loop, a return: every read inside it follows the renaming
            tree.body[i] = nodes.substitute(stmt, renamed)


def _split_self_updates(block: list, multi: set[str], ctx) -> None:
    """`h = f(h)` for a name that keeps one name becomes `_t = f(h); h = _t`: the reverse
    sweep needs both the value read and the value written, under different names."""
    i = 0
    while i < len(block):
        stmt = block[i]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                _split_self_updates(inner, multi, ctx)
        if (
            isinstance(stmt, gast.Assign)
            and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id in multi
            and stmt.targets[0].id in nodes.names_read(stmt.value)
        ):
            temporary = ctx.names.temporary()
            origin = nodes.origin_of(stmt)
            block[i : i + 1] = [
                nodes.assign(temporary, stmt.value, origin),
                nodes.assign(stmt.targets[0].id, nodes.load(temporary), origin),
            ]
            i += 1
        i += 1
