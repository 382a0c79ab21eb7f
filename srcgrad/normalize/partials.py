"""`functools.partial` made in the function and called there: the call of the function it wraps.

`kernel = partial(rbf, lengthscale=s)`, then `kernel(X, X)`, is `rbf(X, X, lengthscale=s)`
with `s` as it was where the partial was made. The pass writes each call of the partial as
that call, so that the later passes see a call of the wrapped function (a user's function is
differentiated through its own generated code, `s` included), and keeps the partial itself
only where it is used as a value (passed on, stored, returned). What the partial holds is read
where it was made: a name bound again later in the function is first copied into a name of its
own (`_kernel_s = s`), as `partial` keeps the object it was given.

Left as they are: a partial bound more than once, inside an `if` or a loop, of a function
whose name the function binds, or with `*`/`**` arguments; a call of one that passes `**`.

>>> import functools
>>> from srcgrad.normalize.example import show
>>> def run_with_partial(tree, ctx):  # (the example's module imports partial)
...     ctx.parsed.namespace.globals["partial"] = functools.partial
...     run(tree, ctx)
>>> show(run_with_partial, '''
... def f(x, s):
...     k = partial(np.power, x)
...     s = s * 2.0
...     return k(s) + k(exponent=s)
... ''')
def f(x, s):
    s = s * 2.0
    return np.power(x, s) + np.power(x, exponent=s)
"""

from __future__ import annotations

import functools

import gast

from ..front import nodes


def run(tree: gast.FunctionDef, ctx) -> None:
    stores = _store_counts(tree)
    params = nodes.names_stored(tree.args)
    for stmt in list(tree.body):
        found = _partial(stmt, tree, ctx, stores, params)
        if found is None:
            continue
        name, function, args, keywords = found
        index = tree.body.index(stmt)
        once = _bound_once(tree, index, stores, params)
        before: list[gast.stmt] = []
        held_args = [_held(v, name, once, before, ctx, stmt) for v in args]
        held_keywords = {k: _held(v, name, once, before, ctx, stmt) for k, v in keywords.items()}
        later = _Calls(name, function, held_args, held_keywords)
        for k in range(index + 1, len(tree.body)):
            tree.body[k] = later.visit(tree.body[k])
        stmt.value.args[1:] = [nodes.copy(a) for a in held_args]
        for keyword in stmt.value.keywords:
            keyword.value = nodes.copy(held_keywords[keyword.arg])
        still_used = any(name in nodes.names_read(s) for s in tree.body[index + 1 :])
        tree.body[index : index + 1] = before + ([stmt] if still_used else [])


def _store_counts(tree: gast.FunctionDef) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in nodes.walk(nodes.module(tree.body)):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
        elif isinstance(node, gast.FunctionDef):
            counts[node.name] = counts.get(node.name, 0) + 1
    return counts


def _bound_once(tree: gast.FunctionDef, index: int, stores: dict, params: set) -> set[str]:
    """The names that hold one object from the statement at `index` on: parameters never
    bound again, and names bound once, by a statement of the body before it."""
    once = {p for p in params if stores.get(p, 0) == 0}
    for stmt in tree.body[:index]:
        if isinstance(stmt, gast.Assign):
            once |= {n for n in nodes.names_stored(stmt) if stores.get(n, 0) == 1}
    return once


def _partial(stmt: gast.stmt, tree, ctx, stores: dict, params: set) -> tuple | None:
    """(name, function, positional args, keywords) of `name = partial(function, ...)`, where
    the calls of `name` can be written as calls of `function`; else None."""
    if not (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Call)
        and stmt.value.args
    ):
        return None
    name, call = stmt.targets[0].id, stmt.value
    if ctx.resolve(call.func) is not functools.partial:
        return None
    if stores.get(name, 0) != 1 or name in params:
        return None
    if any(isinstance(a, gast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    function = call.args[0]
    root = function
    while isinstance(root, gast.Attribute):
        root = root.value
    if not isinstance(root, gast.Name) or root.id in params or root.id == name:
        return None
    defined = any(isinstance(s, gast.FunctionDef) and s.name == root.id for s in tree.body)
    if stores.get(root.id, 0) > int(defined):  # (a global, or a nested function's def)
        return None
    return name, function, call.args[1:], {k.arg: k.value for k in call.keywords}


def _held(value, name: str, once: set, before: list, ctx, stmt) -> gast.expr:
    """What the partial holds, as something that still holds it at every later call."""
    if isinstance(value, gast.Constant) or (isinstance(value, gast.Name) and value.id in once):
        return value
    held = ctx.names.fresh(f"_{name}_held")
    ctx.names.taken.add(held)
    before.append(nodes.assign(held, value, ctx.origin(stmt)))
    return nodes.load(held)


class _Calls(nodes.Transformer):
    """`name(a, k=v)` -> `function(*held_args, a, **held_keywords, k=v)` (the call's keywords
    win, as they do over a partial's)."""

    def __init__(self, name: str, function, held_args: list, held_keywords: dict):
        self.name = name
        self.function = function
        self.held_args = held_args
        self.held_keywords = held_keywords

    def visit_FunctionDef(self, node: gast.FunctionDef) -> gast.FunctionDef:
        if self.name in nodes.names_stored(node.args):
            return node  # (its own parameter of that name)
        return self.generic_visit(node)

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and node.func.id == self.name):
            return node
        if any(k.arg is None for k in node.keywords):
            return node
        given = {k.arg for k in node.keywords}
        keywords = [
            nodes.keyword(k, nodes.copy(v)) for k, v in self.held_keywords.items() if k not in given
        ]
        node.func = nodes.copy(self.function)
        node.args = [nodes.copy(a) for a in self.held_args] + node.args
        node.keywords = keywords + node.keywords
        return node
