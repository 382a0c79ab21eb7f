"""Objects of the user's classes: a property read is the call of its getter.

Code is made for the classes of the objects it gets (an argument's class is part of the
signature, `record_of`), and a name bound only by calls of one of the user's classes holds an
object of that class. Where srcgrad knows a value's class, `obj.prop` of a `property` becomes
`prop(obj)`, a call of the getter that srcgrad differentiates like any function of the user's;
what an object holds (`obj.W`) stays an attribute, a field of the object read as a parameter
tree's (analyse/containers.py `fields`). An attribute of an object whose class is not known
here is checked as the code runs: a property there is refused at its line
(runtime/containers.py), never read from the object's derivative as if it were held.

`q = Gaussian(m, s); y = q.std * x`, where `std` is a property of `Gaussian`, becomes
`q = Gaussian(m, s); y = std(q) * x`, `std` naming the property's getter.
"""

from __future__ import annotations

import inspect
import sys

import gast

from ..front import nodes
from ..front.reading import MISSING, module_of

_LIBRARIES = ("numpy", "scipy", "srcgrad", "builtins", "functools", "collections", "types")


def class_of(dtype) -> type | None:
    """The class a "record" dtype says (analyse/shapes.py `record_of`), or None."""
    structure = getattr(dtype, "structure", None)
    if isinstance(structure, tuple) and len(structure) == 2 and structure[0] == "class":
        return structure[1]
    return None


def is_user_class(obj: object) -> bool:
    """A class defined in the user's own files (its objects are parameter trees)."""
    if not isinstance(obj, type) or issubclass(obj, (tuple, list, dict, BaseException)):
        return False  # (a namedtuple is a tuple)
    root = module_of(obj).split(".")[0]
    return bool(root) and root not in _LIBRARIES and root not in _stdlib()


def _stdlib() -> frozenset:
    return frozenset(sys.stdlib_module_names)


def classes(tree: gast.FunctionDef, ctx) -> dict[str, type]:
    """The names whose class is known: arguments of one class (their dtype says it), names
    bound only by calls of one of the user's classes."""
    made: dict[str, set] = {}
    found = nodes.walk(tree)
    for stmt in found:
        if not isinstance(stmt, gast.Assign):
            continue
        for target in stmt.targets:
            for stored in nodes.walk(target):
                if isinstance(stored, gast.Name) and isinstance(stored.ctx, gast.Store):
                    kind = None
                    if target is stored and isinstance(stmt.value, gast.Call):
                        called = ctx.resolve(stmt.value.func)
                        kind = called if called is not MISSING and is_user_class(called) else None
                    made.setdefault(stored.id, set()).add(kind)
    for node in found:  # (a loop variable, a `with` target: not known)
        if isinstance(node, (gast.For, gast.comprehension)):
            for stored in nodes.walk(node.target):
                if isinstance(stored, gast.Name):
                    made.setdefault(stored.id, set()).add(None)
    found = {name: kinds.pop() for name, kinds in made.items() if len(kinds) == 1}
    for name, dtype in ctx.dtypes.items():
        kind = class_of(dtype)
        if kind is not None and name not in made:
            found[name] = kind
    return {name: kind for name, kind in found.items() if kind is not None}


class _Properties(nodes.Transformer):
    def __init__(self, ctx, known: dict[str, type]):
        self.ctx = ctx
        self.known = known

    def visit_Attribute(self, node: gast.Attribute) -> gast.expr:
        self.generic_visit(node)
        if not isinstance(node.value, gast.Name) or not isinstance(node.ctx, gast.Load):
            return node
        kind = self.known.get(node.value.id)
        if kind is None:
            return node
        try:
            found = inspect.getattr_static(kind, node.attr)
        except AttributeError:
            return node
        if not isinstance(found, property) or found.fget is None:
            return node
        getter = self.ctx.support.name_for(found.fget, node.attr)
        return nodes.stamp(nodes.call(nodes.load(getter), [node.value]), self.ctx.origin(node))


def run(tree: gast.FunctionDef, ctx) -> None:
    known = classes(tree, ctx)
    if known:
        _Properties(ctx, known).visit(tree)
