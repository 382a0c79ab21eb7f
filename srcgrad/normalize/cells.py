"""`nonlocal` names made cells: a list of one element that the function and its nested
functions share.

`calls = 0; def energy(p): nonlocal calls; calls += 1; ...` binds `calls` in the outer function
from inside `energy`. Python keeps such a name in a cell both functions see; the pass makes that
cell a list, `calls_cell = [None]`, and every use of the name, in the outer function and in each
nested function that shares it, `calls_cell[0]`. A nested function that declares the name
nonlocal, or reads it without binding it, shares it; one that binds it without the declaration,
or has a parameter of that name, has one of its own. The nested functions are then lifted like
any other (normalize/closures.py): the cell is a list a nested function that binds the name is
given and gives back (normalize/outer_writes.py), so that what it binds may carry a derivative;
where giving it back could differ from plain Python (the function passed on), the cell is
followed as any argument a function writes into (a counter, a log), and refused where a
derivative would flow through it and the caller reads it after.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     calls = 0
...     def energy(p):
...         nonlocal calls
...         calls += 1
...         return p * p
...     return energy(x) + calls
... ''')
def f(x):
    calls_cell = [None]
    calls_cell[0] = 0
<BLANKLINE>
    def energy(p):
        calls_cell[0] += 1
        return p * p
    return energy(x) + calls_cell[0]
"""

from __future__ import annotations

import gast

from ..front import nodes


def run(tree: gast.FunctionDef, ctx) -> None:
    declared: dict[int, set[str]] = {}  # nested function -> the names it declares nonlocal
    for node in nodes.walk(nodes.module(tree.body)):  # (the loop changes only the node it is at)
        if isinstance(node, gast.FunctionDef):
            found = [s for s in node.body if isinstance(s, gast.Nonlocal)]
            if found:
                declared[id(node)] = {name for s in found for name in s.names}
                node.body = [s for s in node.body if not isinstance(s, gast.Nonlocal)]
                node.body = node.body or [gast.Pass()]
    shared = set().union(*declared.values()) if declared else set()
    if not shared:
        return
    params = nodes.names_stored(tree.args)
    cells = {}
    for name in sorted(shared):
        cell = ctx.names.fresh(f"{name}_cell")
        ctx.names.taken.add(cell)
        cells[name] = cell
        ctx.cells[cell] = name
        first = nodes.load(name) if name in params else nodes.const(None)
        tree.body.insert(0, nodes.assign(cell, nodes.list_([first]), ctx.origin(tree)))
    rewrite = _Shared(cells, declared)
    tree.body[len(cells) :] = [rewrite.visit(s) for s in tree.body[len(cells) :]]


def _bound(fn: gast.FunctionDef) -> set[str]:
    """The names `fn` binds itself: its parameters and what its statements store (its own
    nested functions' included, which only widens what is left alone)."""
    bound = nodes.names_stored(fn.args) | set().union(*(nodes.names_stored(s) for s in fn.body))
    return bound | {s.name for s in fn.body if isinstance(s, gast.FunctionDef)}


class _Shared(nodes.Transformer):
    """Every use of a shared name -> `name_cell[0]`, except inside a nested function where the
    name is its own (a parameter, or bound there without a `nonlocal` declaration)."""

    def __init__(self, cells: dict[str, str], declared: dict, own: frozenset = frozenset()):
        self.cells = cells
        self.declared = declared
        self.own = own

    def visit_FunctionDef(self, node: gast.FunctionDef) -> gast.FunctionDef:
        declared = self.declared.get(id(node), set())
        own = (self.own | _bound(node)) - declared
        inner = _Shared(self.cells, self.declared, frozenset(own))
        node.body = [inner.visit(s) for s in node.body]
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.visit(default)  # (computed where the def stands: in this scope)
        return node

    def visit_Name(self, node: gast.Name) -> gast.expr:
        if node.id not in self.cells or node.id in self.own or isinstance(node.ctx, gast.Param):
            return node
        cell = nodes.subscript(nodes.load(self.cells[node.id]), nodes.const(0))
        if isinstance(node.ctx, gast.Store):
            cell = nodes.with_store_ctx(cell)
        return nodes.stamp(cell, nodes.origin_of(node))
