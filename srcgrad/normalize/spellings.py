"""Calls that reach a function by another spelling, written as the direct call it is.

What a call does is decided by the object called (`front.writers.writes`), so the passes after
this one must see that object where the call is made. `getattr(y, "fill")` is `y.fill`; an
unbound method of a library's class that changes its instance (`np.ndarray.sort(y)`,
`np.ndarray.__setitem__(y, i, v)`, `type(y).__iadd__(y, v)`) is the bound call `y.sort()`,
`y.__setitem__(i, v)`, `y.__iadd__(v)`; a local alias bound once to such a function
(`cp = np.copyto`) is that function wherever it is read. The `mutators` pass then writes each
as the update it is (`y[...] = np.sort(y)`, `y[i] = v`, `y += v`).

A function or bound method that writes into what it is given, used as a value rather than
called where it is named (`s = y.sort`, `map(y.__setitem__, ...)`, `partial(np.copyto, y)`,
`{"fill": np.ndarray.fill}`), is refused at its line: srcgrad could not tell where it writes.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x):
...     y = x * 1.0
...     cp = np.copyto
...     cp(y, x ** 2)
...     np.ndarray.fill(y, getattr(x, "sum")())
...     type(y).__setitem__(y, 0, x[1])
...     return y
... ''')
def f(x):
    y = x * 1.0
    np.copyto(y, x ** 2)
    y.fill(x.sum())
    y.__setitem__(0, x[1])
    return y
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING
from ..front.writers import MUTATING_METHODS, called, method_writes, writes
from .objects import classes


class _Spellings(nodes.Transformer):
    def __init__(self, ctx, tree: gast.FunctionDef):
        self.ctx, self.tree = ctx, tree
        self.callees: set[int] = set()  # the nodes called where they are named
        self.classes: dict | None = None  # the names of a user's class (found when needed)

    def _may_write(self, node: gast.Attribute) -> bool:
        """`y.update` may be a dict's: not where `y` is of a user's class whose `update` is its
        own."""
        if self.classes is None:
            self.classes = classes(self.tree, self.ctx)
        receiver = node.value.id if isinstance(node.value, gast.Name) else None
        return method_writes(self.classes.get(receiver), node.attr)

    def refuse(self, node: gast.AST, what: str, hint: str) -> None:
        raise UnsupportedSyntaxError(
            f"{what}, which writes into what it is given, used as a value, is not supported: "
            "srcgrad could not tell where it writes",
            self.ctx.origin(node),
            hint,
        )

    def resolved(self, node: gast.expr) -> object:
        try:
            return self.ctx.resolve(node)
        except Exception:  # (an attribute of something that is not a module)
            return MISSING

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.callees.add(id(node.func))
        self.generic_visit(node)
        attribute = self._getattr(node)
        if attribute is not None:
            if id(node) not in self.callees:
                self.value_use(attribute)
            return attribute
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr in MUTATING_METHODS:
            self._bind(node, func)
        return node

    def _getattr(self, node: gast.Call) -> gast.Attribute | None:
        """`getattr(obj, "name")` with a constant name: `obj.name`."""
        if len(node.args) != 2 or node.keywords or self.resolved(node.func) is not getattr:
            return None
        name = node.args[1]
        if not (isinstance(name, gast.Constant) and isinstance(name.value, str)):
            if id(node) in self.callees:  # getattr(y, name)(v): what is called is not known
                self.refuse(
                    node,
                    "a call of getattr(obj, name) with a name that is not a constant",
                    "call the method by its name (y.fill(v))",
                )
            return None
        if not name.value.isidentifier():
            return None
        attribute = gast.copy_location(nodes.attribute(node.args[0], name.value), node)
        return nodes.stamp(attribute, nodes.origin_of(node))

    def _bind(self, node: gast.Call, func: gast.Attribute) -> None:
        """`np.ndarray.sort(y)`, `type(y).sort(y)`, `y.__class__.sort(y)`: `y.sort()`."""
        first = node.args[0] if node.args else None
        if first is None or isinstance(first, gast.Starred):
            return
        owner = func.value
        if _type_of(owner, first, self) or (
            isinstance(self.resolved(owner), type) and writes(self.resolved(func))
        ):
            node.func = nodes.attribute(first, func.attr)
            node.args = node.args[1:]
            return
        if isinstance(owner, gast.Call):  # type(z).__setitem__(y, ...): not followed
            self.refuse(
                node,
                f"'.{func.attr}' of a value computed in the call",
                f"call it on the array itself (y.{func.attr}(...)), or write the update as "
                "an assignment (y[i] = v, y += v)",
            )

    def visit_Name(self, node: gast.Name) -> gast.Name:
        if isinstance(node.ctx, gast.Load) and id(node) not in self.callees:
            self.value_use(node)
        return node

    def visit_Attribute(self, node: gast.Attribute) -> gast.Attribute:
        self.generic_visit(node)
        if isinstance(node.ctx, gast.Load) and id(node) not in self.callees:
            self.value_use(node)
        return node

    def value_use(self, node: gast.expr) -> None:
        """`node`, not called where it is named: refused if calling it would write."""
        obj = self.resolved(node)
        if obj is MISSING and isinstance(node, gast.Attribute):
            if node.attr in MUTATING_METHODS and self._may_write(node):  # (of a value's)
                spelled = nodes.dotted_name(node) or f"....{node.attr}"
                self.refuse(node, f"the method '{spelled}'", _advice(node.attr))
            return
        if obj is not MISSING and writes(obj):
            self.refuse(
                node,
                f"'{called(obj)}'",
                "call it where you name it, with the array it writes into "
                f"({called(obj)}(...)), and write nothing else into it through another name",
            )


def _advice(method: str) -> str:
    return (
        f"call it where you name it (y.{method}(...)), or write the update as an assignment "
        "(y[i] = v, y += v)"
    )


def _type_of(owner: gast.expr, first: gast.expr, spellings: _Spellings) -> bool:
    """`owner` is `type(first)` or `first.__class__`, for a name `first`."""
    if not isinstance(first, gast.Name):
        return False
    if isinstance(owner, gast.Attribute) and owner.attr == "__class__":
        return isinstance(owner.value, gast.Name) and owner.value.id == first.id
    return (
        isinstance(owner, gast.Call)
        and len(owner.args) == 1
        and not owner.keywords
        and isinstance(owner.args[0], gast.Name)
        and owner.args[0].id == first.id
        and spellings.resolved(owner.func) is type
    )


def _aliases(tree: gast.FunctionDef, ctx) -> None:
    """`cp = np.copyto` in the function's body, `cp` bound nowhere else and read only after it:
    `np.copyto` wherever `cp` is read, and the assignment gone."""
    stores: dict[str, int] = {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        if isinstance(node, (gast.Global, gast.Nonlocal)):
            for name in node.names:
                stores[name] = stores.get(name, 0) + 2
    for stmt in list(tree.body):
        value = stmt.value if isinstance(stmt, gast.Assign) else None
        if not (
            isinstance(value, (gast.Name, gast.Attribute))
            and isinstance(stmt.targets[0], gast.Name)
            and stores.get(stmt.targets[0].id) == 1
            and ctx.is_global_reference(value)
            and writes(ctx.resolve(value))
        ):
            continue
        index = tree.body.index(stmt)
        name = stmt.targets[0].id
        if any(name in nodes.names_read(s) for s in tree.body[:index]):
            continue  # (read before it is bound: left to be refused)
        _Replace(name, value).visit(gast.Module(body=tree.body[index + 1 :], type_ignores=[]))
        del tree.body[index]


class _Replace(nodes.Transformer):
    def __init__(self, name: str, value: gast.expr):
        self.name = name
        self.value = value

    def visit_Name(self, node: gast.Name) -> gast.expr:
        if node.id == self.name and isinstance(node.ctx, gast.Load):
            return nodes.copy(self.value)
        return node


def run(tree: gast.FunctionDef, ctx) -> None:
    _aliases(tree, ctx)
    _Spellings(ctx, tree).visit(tree)
