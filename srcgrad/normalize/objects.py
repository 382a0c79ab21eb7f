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
`q = Gaussian(m, s); y = std(q) * x`, `std` naming the property's getter. A
`functools.cached_property` is read the same way, where the object holds no value of that name
yet (checked as the code runs: `not_cached`); the value it would cache is the one the getter
gives again, since srcgrad follows no change of what an object holds.

srcgrad never follows a change of what an object holds, so the spellings of one that the fence
does not see are refused here, in every function srcgrad reads (the differentiated one, and
the methods and helpers it differentiates or summarizes): `setattr(o, "a", v)`,
`object.__setattr__(o, "a", v)`, `o.__setattr__("a", v)`, `delattr`, and a call that writes
into a list, dict or array reached through an attribute or an element (`self.items.append(v)`,
`hist["h"].append(v)`), which no name of the function holds (`o.a = v`, `o.a += v`,
`o.a[i] = v` are the fence's). A method that does one of these is then one whose source srcgrad
cannot follow, and a call of it that moves a differentiated value is refused at the caller's
line (analyse/object_state.py, api/dynamic.py).
"""

from __future__ import annotations

import functools
import inspect
import linecache
import sys

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.emit import spelling
from ..front.reading import MISSING, module_of
from ..runtime.object_state import not_cached

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
        if isinstance(found, functools.cached_property):
            return self._cached(node, found)
        if not isinstance(found, property) or found.fget is None:
            return node
        getter = self.ctx.support.name_for(found.fget, node.attr)
        return nodes.stamp(nodes.call(nodes.load(getter), [node.value]), self.ctx.origin(node))

    def _cached(self, node: gast.Attribute, found: functools.cached_property) -> gast.expr:
        """`q.s` of a cached property: `s(q)`, a getter that checks that `q` holds no value of
        that name (runtime/object_state.py) and returns what the property's function gives."""
        getter = self.ctx.support.name_for(cached_getter(found, node.attr), node.attr)
        return nodes.stamp(nodes.call(nodes.load(getter), [node.value]), self.ctx.origin(node))


_GETTERS: dict = {}


def cached_getter(found: functools.cached_property, attr: str):
    """`def s(self): not_cached(self, "s"); return F(self)`, F the cached property's function:
    a function srcgrad reads like the user's (its text is in linecache), made once."""
    made = _GETTERS.get(id(found))
    if made is not None and made[0] is found:
        return made[1]
    name = attr if attr.isidentifier() and not attr.startswith("_") else "cached"
    text = f"def {name}(self):\n    not_cached(self, {attr!r})\n    return F(self)\n"
    filename = f"<srcgrad: cached property {name} {len(_GETTERS) + 1}>"
    namespace = {"F": found.func, "not_cached": not_cached, "__name__": "srcgrad_calls"}
    exec(compile(text, filename, "exec"), namespace)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    _GETTERS[id(found)] = (found, namespace[name])
    return namespace[name]


# methods that change the list, dict, set or array they are called on
MUTATING = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
        "popitem", "add", "discard", "sort", "reverse", "fill", "put", "resize", "itemset",
        "partition", "appendleft", "extendleft", "popleft", "rotate", "difference_update",
        "intersection_update", "symmetric_difference_update", "__setitem__", "__delitem__",
        "__iadd__", "__imul__", "setflags", "byteswap",
    }
)  # fmt: skip
_SETTERS = frozenset({setattr, delattr, object.__setattr__, object.__delattr__})


class _StateChanges(gast.NodeVisitor):
    """Refuses the changes of what an object holds that the fence does not see."""

    def __init__(self, ctx):
        self.ctx = ctx

    def visit_Call(self, node: gast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        try:
            setter = self.ctx.resolve(func) in _SETTERS
        except TypeError:  # (an object that cannot be hashed)
            setter = False
        if setter or (isinstance(func, gast.Attribute) and func.attr in SETTER_METHODS):
            self._refuse(node, f"'{spelling(func)}(...)', which sets an attribute")
        if (
            isinstance(func, gast.Attribute)
            and func.attr in MUTATING
            and _held_by_an_object(func.value)
            and not self.ctx.is_global_reference(func.value)
        ):
            self._refuse(
                node,
                f"'.{func.attr}()' of a value held by an attribute or an element "
                f"('{spelling(func.value)}'), which changes it in place",
            )

    def _refuse(self, node: gast.Call, what: str) -> None:
        raise UnsupportedSyntaxError(
            f"{what}, is not supported: srcgrad does not follow a change of what an object or "
            "a container holds",
            self.ctx.origin(node),
            "return the new value and use it (or make a new object from it); build a list in a "
            "name of the function (xs = []; xs.append(v)) and pass it on or store it once",
        )


SETTER_METHODS = frozenset({"__setattr__", "__delattr__"})


def _held_by_an_object(node: gast.expr) -> bool:
    """`self.items`, `self.d["k"]`, `make().xs`: a value an attribute or a call holds. An
    element of the function's own container (`hist["h"]`, `rows[0]`) is not: what containers
    share is followed by analyse/element_updates.py, which lets a log nobody reads be."""
    while isinstance(node, gast.Subscript):
        node = node.value
    return isinstance(node, (gast.Attribute, gast.Call))


def run(tree: gast.FunctionDef, ctx) -> None:
    if not module_of(ctx.parsed.fn).startswith("srcgrad."):  # (its helpers work on copies)
        _StateChanges(ctx).visit(tree)
    known = classes(tree, ctx)
    if known:
        _Properties(ctx, known).visit(tree)
