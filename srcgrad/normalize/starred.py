"""Starred expressions and `**` unpacking, written as the plain forms the later passes follow.

Where the structure is known when the code is generated, a star is spread into the parts it
stands for. It is known for a display made in the function (a list only while nothing can
change it: no method called on it, not passed to the user's function, not held under another
name), for the tuples and dicts of an argument (srcgrad specialises on the lengths of tuples
and the keys of dicts as on the shapes of arrays; a list of arrays, a sequence, is not
specialised on its length), for a module's tuple, and for the keys of a module's dict (which
the code checks as it runs):

* `f(*pair)` is `f(pair[0], pair[1])`, `[*xs, y]` is `[xs[0], xs[1], y]`, `f(**kw)` is
  `f(a=kw['a'])`, `{**d, 'b': v}` a display of every key;
* `first, *rest = xs` is `first = xs[0]` and `rest = xs[1:]` (a list of its items);
* `d.get(k, default)` with a constant key is `d[k]` where `k` is one of the keys, else the
  default (a params dict argument with an optional entry);
* `zip(*pairs)` is `zip(pairs[0], pairs[1])`, and unpacked (`xs, ys = zip(*pairs)`) the
  tuples of the transposition;
* a call of the user's function that has `*args` or `**kwargs` parameters calls a copy of it
  made for the call: those parameters made plain ones (`def h(arrays_0, arrays_1)` beginning
  `arrays = (arrays_0, arrays_1)`), so that its derivative is followed as any other call's.

Where a length is known only as the code runs, the star becomes what it computes: `(*x.shape,
3)` is `x.shape + (3,)`, `[*hs, h]` a list built by appending, `a, *rest, b = xs` indexes
`list(xs)` after a check of its length, `for a, b in zip(*rows)` takes the number of rows from
its two names (after a check), and a star passed to a function is kept
(`np.random.randn(*x.shape)`): the later stages refuse it at its line where a derivative would
have to flow through it. Refused here, at the line: a `**d` whose keys are not known, a star in
a comprehension's target, and unpacking a number of values Python refuses.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, y):
...     pair = (x, y)
...     first, *rest = pair
...     z = np.zeros((*x.shape, 2))
...     return np.sum(np.add(*pair) * rest[0]) + np.sum(z)
... ''')
def f(x, y):
    pair = (x, y)
    first = pair[0]
    rest = [pair[1]]
    z = np.zeros(x.shape + (2,))
    return np.sum(np.add(pair[0], pair[1]) * rest[0]) + np.sum(z)
"""

from __future__ import annotations

import ast
import inspect
import threading
import types
import weakref
from dataclasses import dataclass

import gast

from ..errors import SrcgradError, UnsupportedSyntaxError
from ..front import nodes, reading
from ..front.emit import unparse
from ..rules import registry
from .ir import is_user_function


@dataclass(frozen=True)
class Seq:
    """A tuple or a list of known length, or an iterator over known items (`zip(...)`)."""

    kind: str  # "tuple", "list", "seq" (one or the other), "iter" (iterated once, not indexed)
    items: tuple  # what each item is: a Seq, Keys, Const, or None where not known


@dataclass(frozen=True)
class Many:
    """A list (or tuple, or iterator) of a length not known, every item of which is `item`."""

    kind: str
    item: object


@dataclass(frozen=True)
class Keys:
    """A dict of known keys (in their order) and what each value is."""

    keys: tuple
    items: tuple


@dataclass(frozen=True)
class Const:
    """A constant written in the code (its type kept: `1`, `1.0` and `True` differ)."""

    value: object
    kind: type


_UNSET = object()  # no binding of the name has been read yet (where the fixed point starts)
_SCALARS = (int, float, complex, str, bool, type(None))
_PLAIN = (gast.Name, gast.Constant, gast.Load, gast.UnaryOp, gast.USub, gast.UAdd)
# builtins that read a list or dict and keep no reference to it, nor change it
_READERS = {len, tuple, list, dict, zip, enumerate, sum, min, max, sorted, reversed, any, all}
_READERS |= {print, isinstance, repr, str, iter, map, filter, set, frozenset}
_READING_METHODS = {"index", "count", "copy", "keys", "values", "items", "get"}
_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}
_MUTATORS |= {"update", "setdefault", "popitem", "__setitem__", "__delitem__", "__iadd__"}
_STAR_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
_NOT_PLAIN = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _join(a, b):
    """What a name holds that holds `a` on some paths and `b` on others."""
    if a is _UNSET:
        return b
    if b is _UNSET or a == b:
        return a
    if isinstance(a, Seq) and isinstance(b, Seq) and len(a.items) == len(b.items):
        if "iter" in (a.kind, b.kind):
            return None
        kind = a.kind if a.kind == b.kind else "seq"
        return Seq(kind, tuple(_join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Keys) and isinstance(b, Keys) and a.keys == b.keys:
        return Keys(a.keys, tuple(_join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, (Seq, Many)) and isinstance(b, (Seq, Many)) and "iter" not in (a.kind, b.kind):
        kind = a.kind if a.kind == b.kind else "seq"
        return Many(kind, _join(_elements(a), _elements(b)))  # (a length of one or the other)
    return None


def _frozen(s):
    """What an item read out of a container is known to be: a list or a dict held in another
    may be changed through any name that reaches it, so only tuples keep their structure."""
    if isinstance(s, Seq) and s.kind == "tuple":
        return Seq("tuple", tuple(_frozen(i) for i in s.items))
    return s if isinstance(s, Const) or s is _UNSET else None


def _parts(s) -> list | None:
    """What `*value` spreads, for a value that is `s`: its items (a dict's keys)."""
    if isinstance(s, Seq):
        return [_frozen(i) for i in s.items]
    if isinstance(s, Keys):
        return [Const(k, type(k)) for k in s.keys]
    return None


def _item(s, key):
    if isinstance(s, Many) and s.kind != "iter" and type(key) is int:
        return _frozen(s.item)
    if isinstance(s, Seq) and s.kind != "iter" and type(key) is int:
        inside = -len(s.items) <= key < len(s.items)
        return _frozen(s.items[key]) if inside else None
    if isinstance(s, Keys) and key in s.keys:
        return _frozen(s.items[s.keys.index(key)])
    return None


def _elements(s):
    """What the loop variable of `for v in <s>` holds."""
    if isinstance(s, Many):
        return _frozen(s.item)
    parts = _parts(s)
    if parts is None:
        return None
    found = _UNSET
    for part in parts:
        found = _join(found, part)
    return found


def _unpacked(s, index: int, count: int, star: int | None):
    """What the target at `index` of `count` targets (`star`: where `*rest` is) gets."""
    parts = _parts(s)
    if parts is None:
        return None
    n = len(parts)
    if (star is None and n != count) or (star is not None and n < count - 1):
        return None  # (Python raises)
    if star is None or index < star:
        return parts[index]
    after = count - 1 - star
    if index == star:
        return Seq("list", tuple(parts[star : n - after]))
    return parts[n - (count - index)]


def _from_signature(structure):
    """A structure as `analyse.shapes.of_value` describes an argument's."""
    if not isinstance(structure, tuple) or len(structure) != 2:
        return None
    kind, parts = structure
    if kind in ("tuple", "list"):
        return Seq(kind, tuple(_from_signature(p) for p in parts))
    if kind == "list*":  # a list of arrays, of a length not specialised on
        return Many("list", None)
    if kind == "dict":
        return Keys(tuple(k for k, _ in parts), tuple(_from_signature(c) for _, c in parts))
    return None


def _finished(s):
    """A structure with what stayed unset (bound on no path) made unknown."""
    if s is _UNSET:
        return None
    if isinstance(s, Seq):
        return Seq(s.kind, tuple(_finished(i) for i in s.items))
    if isinstance(s, Keys):
        return Keys(s.keys, tuple(_finished(i) for i in s.items))
    if isinstance(s, Many):
        return Many(s.kind, _finished(s.item))
    return s


def _refuse(origin, what: str, hint: str):
    raise UnsupportedSyntaxError(f"{what} is not supported", origin, hint)


class _Structures:
    """What each name of the function holds, where that is the same on every path: a name's
    bindings are joined (a fixed point over the loops), and a list or dict that may change
    (a method called on it, passed to the user's function, held under another name) is not
    known."""

    def __init__(self, tree: gast.FunctionDef, ctx):
        self.ctx = ctx
        self.local = nodes.names_stored(tree)
        self.shadowed: set[str] = set()  # a lambda's parameters, inside it
        self.values: dict = {}
        definitions = _definitions(tree)
        self.changeable, changed = _uses(tree, ctx)
        mutates = not all(_fresh(node, definitions, ctx) for node in changed)
        params = nodes.names_stored(tree.args)
        for name in self.local - set(definitions) - params:
            definitions[name] = [("unknown",)]
        for name in params:
            given = getattr(ctx.dtypes.get(name), "structure", None)
            given = _from_signature(given)
            if mutates and not (isinstance(given, Seq) and given.kind == "tuple"):
                given = None  # (a list argument may be changed through another name)
            definitions.setdefault(name, []).append(("known", given))
        self._solve(definitions)

    def _solve(self, definitions: dict) -> None:
        self.values = dict.fromkeys(definitions, _UNSET)
        for _ in range(24):
            changed = False
            for name, found in definitions.items():
                value = _UNSET
                for definition in found:
                    value = _join(value, self._defined(definition))
                if name in self.changeable and not (
                    isinstance(value, Seq) and value.kind == "tuple"
                ):
                    value = None if value is not _UNSET else value
                if isinstance(value, (Seq, Many)) and value.kind == "iter":
                    value = None  # (an iterator held by a name may be used up anywhere)
                if value != self.values[name]:
                    self.values[name] = value
                    changed = True
            if not changed:
                self.values = {k: _finished(v) for k, v in self.values.items()}
                return
        self.values = dict.fromkeys(definitions)  # (no fixed point: nothing is known)

    def _defined(self, definition):
        kind = definition[0]
        if kind == "known":
            return definition[1]
        if kind == "value":
            return self.of(definition[1])
        if kind == "augment":
            _, name, op, value = definition
            return self.of(nodes.binop(nodes.load(name), op, value))
        if kind in ("unpack", "element"):
            _, source, path = definition
            found = self.of(source)
            if kind == "element":
                found = _elements(found) if found is not _UNSET else _UNSET
            for index, count, star in path:
                if found is _UNSET:
                    return _UNSET
                found = _unpacked(found, index, count, star)
            return found
        return None

    def of(self, node: gast.expr):
        """What the expression's value is known to be (None: not known)."""
        if isinstance(node, gast.Constant):
            value = node.value
            return Const(value, type(value)) if isinstance(value, _SCALARS) else None
        if isinstance(node, gast.Name):
            if node.id in self.shadowed:
                return None
            if node.id not in self.local:  # a module's tuple: it never changes
                return _constant_tuple(self.ctx.resolve(node))
            return self.values.get(node.id)
        if isinstance(node, (gast.Tuple, gast.List)):
            return self._display(node)
        if isinstance(node, gast.Dict):
            return self._dict(node)
        if isinstance(node, gast.Subscript):
            return self._subscript(node)
        if isinstance(node, gast.BinOp):
            return self._binop(node)
        if isinstance(node, gast.Call):
            return self._call(node)
        if isinstance(node, gast.IfExp):
            return _join(self.of(node.body), self.of(node.orelse))
        return None

    def _display(self, node):
        items: list = []
        for element in node.elts:
            if not isinstance(element, gast.Starred):
                items.append(self.of(element))
                continue
            inner = self.of(element.value)
            if inner is _UNSET:
                return _UNSET
            parts = _parts(inner)
            if parts is None:
                return None
            items.extend(parts)
        return Seq("tuple" if isinstance(node, gast.Tuple) else "list", tuple(items))

    def _dict(self, node):
        keys: list = []
        items: list = []
        for key, value in zip(node.keys, node.values):
            if key is None:
                inner = self.of(value)
                known = self.global_keys(value)
                if known is not None:  # (the code checks them: `_Expressions._keyed`)
                    inner = Keys(known, (None,) * len(known))
                if not isinstance(inner, Keys):
                    return inner if inner is _UNSET else None
                pairs = zip(inner.keys, map(_frozen, inner.items))
            else:
                pairs = [(key.value, self.of(value))]
            for k, v in pairs:
                if k in keys:
                    items[keys.index(k)] = v
                else:
                    keys.append(k)
                    items.append(v)
        return Keys(tuple(keys), tuple(items))

    def global_keys(self, node: gast.expr) -> tuple | None:
        """The keys of a module's dict that `node` names, as they are now."""
        if not isinstance(node, (gast.Name, gast.Attribute)):
            return None
        if isinstance(node, gast.Name) and (node.id in self.local or node.id in self.shadowed):
            return None
        found = self.ctx.resolve(node)
        if type(found) is not dict or len(found) > 64:
            return None
        return tuple(found) if all(type(k) in (str, int) for k in found) else None

    def _subscript(self, node):
        base = self.of(node.value)
        if base is _UNSET:
            return _UNSET
        index = node.slice
        if isinstance(index, gast.Slice) and isinstance(base, Many) and base.kind != "iter":
            return Many(base.kind, _frozen(base.item))
        if isinstance(index, gast.Slice):
            bounds = [_integer(p) for p in (index.lower, index.upper, index.step)]
            if not isinstance(base, Seq) or base.kind == "iter" or False in bounds:
                return None
            if bounds[2] == 0:
                return None
            return Seq(base.kind, tuple(map(_frozen, base.items[slice(*bounds)])))
        key = _constant(index)
        if key is not _UNSET:
            return _item(base, key)
        if isinstance(base, (Seq, Many)) and base.kind != "iter":  # xs[i]: one of its items
            return _elements(base)
        if isinstance(base, Keys):
            return _elements(Seq("tuple", base.items))
        return None

    def _binop(self, node):
        left, right = self.of(node.left), self.of(node.right)
        if _UNSET in (left, right):
            return _UNSET
        joined = isinstance(left, Seq) and isinstance(right, Seq) and left.kind == right.kind
        if isinstance(node.op, gast.Add) and joined and left.kind in ("tuple", "list"):
            return Seq(left.kind, tuple(map(_frozen, left.items + right.items)))
        if isinstance(node.op, gast.Mult) and isinstance(left, Seq) and left.kind != "iter":
            times = right.value if isinstance(right, Const) and right.kind is int else None
            if times is not None and left.kind in ("tuple", "list"):
                return Seq(left.kind, tuple(map(_frozen, left.items * max(times, 0))))
        return None

    def _call(self, node):
        if node.keywords or any(isinstance(a, gast.Starred) for a in node.args):
            made = self.ctx.resolve(node.func)
            if made is dict and not node.args and all(k.arg for k in node.keywords):
                return Keys(tuple(k.arg for k in node.keywords), tuple(None for _ in node.keywords))
            return None
        made = self.ctx.resolve(node.func)
        if made not in (tuple, list, zip, enumerate, reversed):
            return None
        given = [self.of(a) for a in node.args]
        if _UNSET in given:
            return _UNSET
        many = len(given) == 1 and isinstance(given[0], Many) and given[0].kind != "iter"
        if many and made is not zip:
            kind = made.__name__ if made in (tuple, list) else "iter"
            item = _frozen(given[0].item)
            return Many(kind, Seq("tuple", (None, item)) if made is enumerate else item)
        if made in (tuple, list):
            if not given:
                return Seq(made.__name__, ())
            parts = _parts(given[0]) if len(given) == 1 else None
            return None if parts is None else Seq(made.__name__, tuple(parts))
        columns = [_parts(g) for g in given]
        if not columns or None in columns:
            return None
        if made is zip:
            count = min(len(c) for c in columns)
            rows = [Seq("tuple", tuple(c[k] for c in columns)) for k in range(count)]
            return Seq("iter", tuple(rows))
        if len(columns) != 1:
            return None
        if made is enumerate:
            return Seq(
                "iter", tuple(Seq("tuple", (Const(k, int), p)) for k, p in enumerate(columns[0]))
            )
        return Seq("iter", tuple(reversed(columns[0])))


def _constant_tuple(value, depth: int = 0):
    """What a module's tuple holds: its constants, and tuples in it."""
    if type(value) is not tuple or len(value) > 64 or depth > 4:
        return None
    items = [
        Const(v, type(v))
        if type(v) in (int, float, bool, str, type(None))
        else _constant_tuple(v, depth + 1)
        for v in value
    ]
    return Seq("tuple", tuple(items))


def _integer(node):
    """A slice's bound: an int constant, None where absent, False otherwise."""
    if node is None:
        return None
    value = _constant(node)
    return value if type(value) is int else False


def _constant(node):
    if isinstance(node, gast.Constant):
        return node.value
    if (
        isinstance(node, gast.UnaryOp)
        and isinstance(node.op, gast.USub)
        and isinstance(node.operand, gast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return _UNSET


# ---- the bindings of each name, and the names whose container may change ---------------------


def _definitions(tree: gast.FunctionDef) -> dict:
    """name -> how each of its bindings is computed: ("value", expr), ("unpack", expr, path),
    ("element", iterable, path) (a loop's), ("augment", name, op, value) or ("unknown",)."""
    found: dict = {}

    def bind(target, kind: str, source, path: tuple = ()) -> None:
        if isinstance(target, gast.Name):
            made = ("value", source) if kind == "value" and not path else (kind, source, path)
            if kind == "value" and path:
                made = ("unpack", source, path)
            found.setdefault(target.id, []).append(made)
        elif isinstance(target, (gast.Tuple, gast.List)):
            elts = target.elts
            star = next((k for k, e in enumerate(elts) if isinstance(e, gast.Starred)), None)
            for k, element in enumerate(elts):
                inner = element.value if isinstance(element, gast.Starred) else element
                bind(inner, kind, source, (*path, (k, len(elts), star)))

    def block(body: list) -> None:
        for stmt in body:
            if isinstance(stmt, gast.FunctionDef):
                found.setdefault(stmt.name, []).append(("unknown",))
                continue
            if isinstance(stmt, gast.Assign):
                for target in stmt.targets:
                    bind(target, "value", stmt.value)
            elif isinstance(stmt, gast.AnnAssign) and stmt.value is not None:
                bind(stmt.target, "value", stmt.value)
            elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                made = ("augment", stmt.target.id, stmt.op, stmt.value)
                found.setdefault(stmt.target.id, []).append(made)
            elif isinstance(stmt, gast.For):
                bind(stmt.target, "element", stmt.iter)
            for part in _expressions(stmt):
                for node in gast.walk(part):
                    if isinstance(node, gast.comprehension):
                        bind(node.target, "element", node.iter)
            for field in ("body", "orelse"):
                block(getattr(stmt, field, None) or [])

    block(tree.body)
    return found


def _expressions(stmt: gast.stmt) -> list:
    """The expressions of a statement itself (not of the statements in its blocks)."""
    found = []
    for name, value in gast.iter_fields(stmt):
        if name in ("body", "orelse", "handlers", "finalbody"):
            continue
        for node in value if isinstance(value, list) else [value]:
            if isinstance(node, gast.AST):
                found.append(node)
    return found


def _uses(tree: gast.FunctionDef, ctx) -> tuple[set[str], list]:
    """The names read anywhere but to read their items (held under another name, passed to
    the user's function, a method called on them), and what is changed in place (the
    receiver of `.append(...)`, the array of `x[i] = v`)."""
    changeable: set[str] = set()
    changed: list = []

    def visit(node, nested: bool) -> None:
        for child in gast.iter_child_nodes(node):
            if isinstance(child, gast.Name) and isinstance(child.ctx, gast.Load):
                if not _only_read(child, node, ctx, nested):
                    changeable.add(child.id)
            elif isinstance(child, gast.Call) and isinstance(child.func, gast.Attribute):
                if child.func.attr in _MUTATORS:
                    changed.append(child.func.value)
            elif isinstance(child, gast.Subscript) and not isinstance(child.ctx, gast.Load):
                changed.append(child.value)
            elif isinstance(child, gast.AugAssign):
                changed.append(child.target)
            inner = nested or isinstance(child, (gast.FunctionDef, gast.Lambda))
            visit(child, inner)

    visit(tree, False)
    return changeable, changed


def _only_read(name: gast.Name, parent, ctx, nested: bool) -> bool:
    """`name` read where its container is only read: indexed, spread, iterated, passed to a
    builtin or NumPy function that reads it, or returned by the function itself."""
    if isinstance(parent, gast.Subscript):
        return parent.value is name and isinstance(parent.ctx, gast.Load)
    if isinstance(parent, (gast.Starred, gast.BinOp, gast.Compare, gast.FormattedValue)):
        return True
    if isinstance(parent, (gast.For, gast.comprehension)):
        return parent.iter is name
    if isinstance(parent, gast.keyword):
        return parent.arg is None
    if isinstance(parent, gast.Dict):  # {**d}: a new dict
        return any(k is None and v is name for k, v in zip(parent.keys, parent.values))
    if isinstance(parent, gast.Attribute):
        return parent.attr in _READING_METHODS
    if isinstance(parent, gast.Assign):  # a, b = xs: its items
        return parent.value is name and isinstance(parent.targets[0], (gast.Tuple, gast.List))
    if isinstance(parent, gast.Call):
        return parent.func is not name and _reader(ctx.resolve(parent.func))
    if isinstance(parent, (gast.If, gast.While, gast.Assert, gast.UnaryOp, gast.AugAssign)):
        return True  # (a test; `ys += xs` reads xs)
    return isinstance(parent, gast.Return) and not nested


def _reader(obj) -> bool:
    if any(obj is r for r in _READERS):
        return True
    return reading.module_of(obj).split(".")[0] in ("numpy", "math")


def _fresh(node, definitions: dict, ctx) -> bool:
    """`node` certainly holds an object the function made itself (a display, a new list),
    never one that an argument reaches: changing it changes no argument."""
    if not isinstance(node, gast.Name):
        return False
    if node.id in ctx.dtypes and str(ctx.dtypes[node.id]) not in ("tree", "dict", "record"):
        return True  # (an array or a number argument: not a container)
    for definition in definitions.get(node.id, [("unknown",)]):
        if definition[0] == "augment":
            continue
        if definition[0] != "value" or not _new_object(definition[1], ctx):
            return False
    return True


def _new_object(value: gast.expr, ctx) -> bool:
    made = (gast.Tuple, gast.List, gast.Dict, gast.ListComp, gast.GeneratorExp, gast.DictComp)
    if isinstance(value, (*made, gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)):
        return True
    if isinstance(value, gast.Call):
        return _reader(ctx.resolve(value.func))
    return False


# ---- the expressions of one statement ----------------------------------------------------------


def _pure(node: gast.expr) -> bool:
    """Reading `node` again computes nothing and reads the same value (names, attributes and
    items of them by constant or named index)."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if isinstance(node, gast.Attribute):
        return _pure(node.value)
    if isinstance(node, gast.Subscript):
        index = node.slice
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        return _pure(node.value) and all(_pure_index(p) for p in parts)
    return False


def _pure_index(node: gast.expr) -> bool:
    if isinstance(node, gast.Slice):
        return all(p is None or _pure_index(p) for p in (node.lower, node.upper, node.step))
    if isinstance(node, gast.UnaryOp):
        return _pure_index(node.operand)
    return isinstance(node, (gast.Name, gast.Constant))


class _Expressions(nodes.Transformer):
    """Spreads the stars of one statement; `before` collects what is computed ahead of it (a
    value spread more than once, a list built by appending)."""

    def __init__(self, owner: _Pass, origin, hoist: bool = True):
        self.owner = owner
        self.ctx = owner.ctx
        self.structures = owner.structures
        self.origin = origin
        self.hoist = hoist  # False inside parts that may run never or many times
        self.before: list[gast.stmt] = []

    def _once(self, node):
        hoist, self.hoist = self.hoist, False
        try:
            return self.generic_visit(node)
        finally:
            self.hoist = hoist

    visit_BoolOp = visit_IfExp = visit_ListComp = visit_GeneratorExp = visit_DictComp = _once

    def visit_Lambda(self, node: gast.Lambda):
        added = nodes.names_stored(node.args) - self.structures.shadowed
        self.structures.shadowed |= added
        try:
            return self._once(node)
        finally:
            self.structures.shadowed -= added

    def visit_comprehension(self, node: gast.comprehension):
        if any(isinstance(n, gast.Starred) for n in gast.walk(node.target)):
            _refuse(
                self._where(node.target),
                "a starred name in a comprehension's target (for a, *rest in ...)",
                "write a for loop whose body unpacks the row: for row in rows: a, *rest = row",
            )
        return self.generic_visit(node)

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        node.args = self._spread(node.args)
        node.keywords = self._keywords(node.keywords)
        if any(isinstance(a, gast.Starred) for a in node.args):
            return self._shape_method(node)
        got = self._get(node)
        return got if got is not None else self.owner.specialised(node)

    def _get(self, call: gast.Call) -> gast.expr | None:
        """`d.get(k, default)` on a dict whose keys are known, `k` a constant: `d[k]` where k
        is one of them, else the default (None without one). A default that may do anything
        when computed is still computed, as Python computes it: `(d[k], default)[0]`."""
        func = call.func
        if not (
            isinstance(func, gast.Attribute)
            and func.attr == "get"
            and isinstance(func.value, gast.Name)
            and not call.keywords
            and len(call.args) in (1, 2)
        ):
            return None
        found, key = self.structures.of(func.value), self.structures.of(call.args[0])
        if not (isinstance(found, Keys) and isinstance(key, Const) and key.kind in (str, int)):
            return None
        default = call.args[1] if len(call.args) == 2 else nodes.const(None)
        if key.value not in found.keys:
            return default
        item = nodes.subscript(func.value, nodes.const(key.value))
        if all(isinstance(n, _PLAIN) for n in nodes.walk(default)):
            return item
        return nodes.subscript(nodes.tuple_([item, default]), nodes.const(0))

    def visit_Tuple(self, node: gast.Tuple) -> gast.expr:
        self.generic_visit(node)
        if not isinstance(node.ctx, gast.Load):
            return node
        return self._display(node.elts, isinstance(node, gast.Tuple), node)

    visit_List = visit_Tuple

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        """`args + (x,)` of tuples (or lists) of known lengths: the display of their parts,
        `(args[0], args[1], x)`, whose derivative is followed part by part."""
        self.generic_visit(node)
        if not isinstance(node.op, gast.Add):
            return node
        kinds = [self._kind(side) for side in (node.left, node.right)]
        if kinds[0] is None or kinds[0] != kinds[1]:
            return node
        left, right = self.parts(node.left), self.parts(node.right)
        if left is None or right is None:
            return node
        made = nodes.tuple_ if kinds[0] == "tuple" else nodes.list_
        return nodes.stamp(made(left + right), nodes.origin_of(node))

    def _kind(self, value: gast.expr) -> str | None:
        if isinstance(value, gast.Tuple):
            return "tuple"
        if isinstance(value, gast.List):
            return "list"
        found = self.structures.of(value)
        return found.kind if isinstance(found, Seq) and found.kind in ("tuple", "list") else None

    def visit_Dict(self, node: gast.Dict) -> gast.expr:
        self.generic_visit(node)
        if all(k is not None for k in node.keys):
            return node
        keys: list = []
        values: list = []
        for key, value in zip(node.keys, node.values):
            pairs = [(key.value, value)] if key is not None else self._keyed(value)
            if pairs is None:
                self._unknown_keys(value, node)
            for k, v in pairs:
                if k in keys:
                    values[keys.index(k)] = v
                else:
                    keys.append(k)
                    values.append(v)
        return nodes.dict_(keys, values)

    # ---- what a star stands for

    def parts(self, value: gast.expr) -> list | None:
        """The expressions `*value` spreads into, where its length is known."""
        if isinstance(value, (gast.Tuple, gast.List)) and not any(
            isinstance(e, gast.Starred) for e in value.elts
        ):
            return list(value.elts)
        found = self.structures.of(value)
        if isinstance(found, Keys):  # (a dict spreads its keys)
            return [nodes.const(k) for k in found.keys]
        if not isinstance(found, Seq):
            return None
        if found.kind == "iter":
            return self._rows(value)
        base = self._reusable(value, found)
        if base is None:
            return None
        return [_item_of(base, k, item) for k, item in enumerate(found.items)]

    def _rows(self, call: gast.expr) -> list | None:
        """The items of `zip(...)`, `enumerate(...)` or `reversed(...)` of known parts."""
        if not isinstance(call, gast.Call) or call.keywords:
            return None
        made = self.ctx.resolve(call.func)
        columns = [self.parts(a) for a in call.args]
        if not columns or any(c is None for c in columns):
            return None
        if made is zip:
            count = min(len(c) for c in columns)
            return [nodes.tuple_(nodes.copy(c[k]) for c in columns) for k in range(count)]
        if made is enumerate and len(columns) == 1:
            return [nodes.tuple_([nodes.const(k), p]) for k, p in enumerate(columns[0])]
        if made is reversed and len(columns) == 1:
            return list(reversed(columns[0]))
        return None

    def _reusable(self, value: gast.expr, found) -> gast.expr | None:
        """`value` to read more than once: itself where reading it again computes nothing,
        else a new name that holds it (where the statement lets it be computed first)."""
        if _pure(value):
            return value
        if not self.hoist:
            return None
        return self.owner.held(value, found, self.before, self.origin)

    def _spread(self, elements: list) -> list:
        out = []
        for element in elements:
            parts = self.parts(element.value) if isinstance(element, gast.Starred) else [element]
            out.extend([element] if parts is None else parts)
        return out

    def _display(self, elements: list, is_tuple: bool, node: gast.expr) -> gast.expr:
        """A tuple or list display whose stars are spread; where a length is not known, the
        parts joined with `+` (a list: built by appending, where the statement allows)."""
        if not any(isinstance(e, gast.Starred) for e in elements):
            return node
        pieces: list = []  # lists of elements, and values whose length is not known
        for element in elements:
            parts = self.parts(element.value) if isinstance(element, gast.Starred) else [element]
            if parts is None:
                pieces.append(element.value)
            elif pieces and isinstance(pieces[-1], list):
                pieces[-1].extend(parts)
            else:
                pieces.append(list(parts))
        if all(isinstance(p, list) for p in pieces):
            made = pieces[0] if pieces else []
            return nodes.tuple_(made) if is_tuple else nodes.list_(made)
        if not is_tuple and self.hoist:
            return self.owner.appended(pieces, self.before, self.origin)
        joined = None
        for piece in pieces:
            if isinstance(piece, list):
                term = nodes.tuple_(piece) if is_tuple else nodes.list_(piece)
            elif is_tuple and isinstance(piece, gast.Attribute) and piece.attr == "shape":
                term = piece  # (a tuple already)
            else:
                term = nodes.call(self.ctx.builtin("tuple" if is_tuple else "list"), [piece])
            joined = term if joined is None else nodes.add(joined, term)
        return joined

    def _shape_method(self, call: gast.Call) -> gast.Call:
        """`x.reshape(*shape, -1)` with a shape of unknown length: one tuple argument."""
        func = call.func
        if (
            isinstance(func, gast.Attribute)
            and func.attr in ("reshape", "transpose")
            and not self.ctx.is_global_reference(func.value)
        ):
            call.args = [self._display(call.args, True, nodes.tuple_(call.args))]
        return call

    # ---- what `**` stands for

    def _keywords(self, keywords: list) -> list:
        out = []
        for keyword in keywords:
            if keyword.arg is not None:
                out.append(keyword)
                continue
            pairs = self._keyed(keyword.value)
            if pairs is None:
                self._unknown_keys(keyword.value)
            for key, value in pairs:
                if not (isinstance(key, str) and key.isidentifier()):
                    _refuse(
                        self._where(keyword.value),
                        f"the key {key!r} passed as a keyword argument through '**'",
                        "keyword arguments are names: pass the value another way",
                    )
                out.append(nodes.keyword(key, value))
        names = [k.arg for k in out]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            _refuse(
                self.origin,
                f"the keyword argument '{twice[0]}' given twice (once through '**'), which "
                "Python refuses,",
                "pass each keyword once",
            )
        return out

    def _keyed(self, value: gast.expr) -> list | None:
        """`(key, expression)` for each key of a `**value` whose keys are known."""
        if isinstance(value, gast.Dict) and all(k is not None for k in value.keys):
            found: dict = {}
            for key, item in zip(value.keys, value.values):
                found[key.value] = item
            return list(found.items())
        if (
            isinstance(value, gast.Call)
            and self.ctx.resolve(value.func) is dict
            and not value.args
            and all(k.arg for k in value.keywords)
        ):
            return [(k.arg, k.value) for k in value.keywords]
        found = self.structures.of(value)
        known = self.structures.global_keys(value)
        if known is not None and self.hoist:  # a module's dict: its keys checked as it runs
            self._check_keys(value, known)
            return [(k, nodes.subscript(nodes.copy(value), nodes.const(k))) for k in known]
        if not isinstance(found, Keys):
            return None
        base = self._reusable(value, found)
        if base is None:
            return None
        return [(k, _item_of(base, k, item)) for k, item in zip(found.keys, found.items)]

    def _check_keys(self, value: gast.expr, keys: tuple) -> None:
        """`if tuple(CONFIG) != ('a', 'b'): raise KeyError(...)`: the code was made for these."""
        spelled = unparse(value).strip()
        given = nodes.call(self.ctx.builtin("tuple"), [nodes.copy(value)])
        test = nodes.compare(given, gast.NotEq(), nodes.tuple_(map(nodes.const, keys)))
        message = f"{spelled} has other keys than {keys!r}, for which srcgrad generated this code"
        error = nodes.call(self.ctx.builtin("KeyError"), [nodes.const(message)])
        self.before.append(nodes.if_(test, [nodes.raise_(error, self.origin)], origin=self.origin))

    def _unknown_keys(self, value: gast.expr, display: gast.Dict | None = None) -> None:
        """Refused: `f(**d)` or `{**d}` where the keys of `d` are not known."""
        spelled = unparse(value).strip()
        way = "write the keys out ({'a': d['a']})" if display else "pass the keywords one by one"
        _refuse(
            self._where(display or value),
            f"unpacking '**{spelled}', whose keys are not known when the code is generated,",
            f"{way}, or unpack a dict made in this function with constant keys "
            "({'a': a, 'b': b}) that nothing changes, or an argument",
        )

    def _where(self, node: gast.AST):
        return nodes.origin_of(node) or self.origin


def _item_of(base: gast.expr, key, known) -> gast.expr:
    if isinstance(known, Const):
        return nodes.const(known.value)
    return nodes.subscript(nodes.copy(base), nodes.const(key))


# ---- statements --------------------------------------------------------------------------------


class _Pass:
    """The function's statements, each with its stars spread or written out."""

    def __init__(self, tree: gast.FunctionDef, ctx):
        self.ctx = ctx
        self.structures = _Structures(tree, ctx)

    def block(self, stmts: list) -> list:
        out: list = []
        for stmt in stmts:
            if isinstance(stmt, gast.FunctionDef):  # (lifted by the closures pass, then read
                out.append(stmt)  # again: this pass runs on it there)
                continue
            origin = nodes.origin_of(stmt)
            if isinstance(stmt, gast.For) and _has_star(stmt.target):
                self._loop_target(stmt, origin)
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if inner and isinstance(stmt, (gast.If, gast.For, gast.While, gast.With)):
                    setattr(stmt, field, self.block(inner))
            expressions = _Expressions(self, origin, hoist=not isinstance(stmt, gast.While))
            made = self._statement(stmt, expressions)
            out.extend([*expressions.before, *made])
        return out

    def _statement(self, stmt: gast.stmt, expressions: _Expressions) -> list:
        if isinstance(stmt, gast.Assign):
            stmt.value = expressions.visit(stmt.value)
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                target.slice = expressions.visit(target.slice)
            if isinstance(target, (gast.Tuple, gast.List)) and _has_star(target):
                return self._unpack(target, stmt.value, expressions)
            if isinstance(target, gast.Tuple) and _calls(stmt.value, zip, self.ctx):
                rows = expressions.parts(stmt.value)  # xs, ys = zip(*pairs): the transposition
                iterated = nodes.call(self.ctx.builtin("tuple"), [stmt.value])
                stmt.value = nodes.tuple_(rows) if rows is not None else iterated
            if isinstance(target, gast.Tuple) and isinstance(stmt.value, (gast.Tuple, gast.List)):
                _same_length(len(stmt.value.elts), len(target.elts), expressions.origin)
            return [stmt]
        for field in ("value", "test", "iter", "msg", "exc"):
            part = getattr(stmt, field, None)
            if isinstance(part, gast.AST):
                setattr(stmt, field, expressions.visit(part))
        if isinstance(stmt, gast.For):
            self._zip_of_rows(stmt, expressions)
        if isinstance(stmt, gast.With):
            for item in stmt.items:
                item.context_expr = expressions.visit(item.context_expr)
        return [stmt]

    def _unpack(self, target: gast.expr, value: gast.expr, expressions: _Expressions) -> list:
        """`a, *rest, b = value`: each name assigned its item, `rest` a list of the middle."""
        origin = expressions.origin
        elts = target.elts
        count = len(elts)
        star = next(k for k, t in enumerate(elts) if isinstance(t, gast.Starred))
        after = count - 1 - star
        out: list = []
        found = self.structures.of(value)
        parts = None
        if isinstance(found, (Seq, Keys)):
            known = len(_parts(found))
            if known < count - 1:
                _refuse(
                    origin,
                    f"unpacking {known} values into at least {count - 1} names, which Python "
                    "refuses,",
                    "unpack a value with enough items",
                )
            written = {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}
            overlaps = bool(nodes.names_read(value) & written)
            display = isinstance(value, (gast.Tuple, gast.List))
            iterated = isinstance(found, Seq) and found.kind == "iter"  # (zip(...): its rows)
            if overlaps or not (_pure(value) or display or iterated):
                value = self.held(value, found, out, origin)
            parts = expressions.parts(value)
            if parts is not None and overlaps and iterated:
                parts = [self.held(p, None, out, origin) for p in parts]
        if parts is not None:
            n = len(parts)
            middle: gast.expr = nodes.list_(parts[star : n - after])
            if n - after > star and isinstance(found, Seq) and found.kind == "list":
                middle = _middle(value, star, after)
            values = [*parts[:star], middle, *parts[n - after :]]
        else:
            values = self._indexed(value, count, star, out, origin)
        for element, item in zip(elts, values):
            element = element.value if isinstance(element, gast.Starred) else element
            out.append(nodes.assign(element, item, origin))
        return out

    def _indexed(self, value: gast.expr, count: int, star: int, out: list, origin) -> list:
        """The items of `a, *rest, b = value` for a value of a length known only as the code
        runs: indexes of `list(value)`, after a check that it has enough of them."""
        after = count - 1 - star
        items = self.ctx.names.temporary()
        out.append(nodes.assign(items, nodes.call(self.ctx.builtin("list"), [value]), origin))
        if count > 1:
            length = nodes.call(self.ctx.builtin("len"), [nodes.load(items)])
            message = f"not enough values to unpack (expected at least {count - 1})"
            error = nodes.call(self.ctx.builtin("ValueError"), [nodes.const(message)])
            test = nodes.compare(length, gast.Lt(), nodes.const(count - 1))
            out.append(nodes.if_(test, [nodes.raise_(error, origin)], origin=origin))
        rest = nodes.slice_(
            nodes.const(star) if star else None, nodes.const(-after) if after else None
        )
        return [
            *(nodes.subscript(nodes.load(items), nodes.const(k)) for k in range(star)),
            nodes.subscript(nodes.load(items), rest),
            *(nodes.subscript(nodes.load(items), nodes.const(k - after)) for k in range(after)),
        ]

    def _zip_of_rows(self, loop: gast.For, expressions: _Expressions) -> None:
        """`for a, b in zip(*rows)` where the number of rows is not known: the loop's target
        says it (Python raises otherwise), so it is `zip(rows[0], rows[1])`, after a check."""
        call, target = loop.iter, loop.target
        if not (
            _calls(call, zip, self.ctx)
            and len(call.args) == 1
            and isinstance(call.args[0], gast.Starred)
            and not call.keywords
            and isinstance(target, gast.Tuple)
        ):
            return
        rows, origin, count = call.args[0].value, expressions.origin, len(target.elts)
        if not _pure(rows):
            rows = self.held(rows, None, expressions.before, origin)
        length = nodes.call(self.ctx.builtin("len"), [nodes.copy(rows)])
        message = f"zip(*{unparse(rows).strip()}) unpacked into {count} names needs {count} rows"
        error = nodes.call(self.ctx.builtin("ValueError"), [nodes.const(message)])
        test = nodes.compare(length, gast.NotEq(), nodes.const(count))
        expressions.before.append(nodes.if_(test, [nodes.raise_(error, origin)], origin=origin))
        call.args = [nodes.subscript(nodes.copy(rows), nodes.const(k)) for k in range(count)]

    def _loop_target(self, loop: gast.For, origin) -> None:
        """`for a, *rest in rows:` is `for _row in rows:` whose body starts `a, *rest = _row`."""
        target = loop.target
        if not isinstance(target, gast.Tuple) or not any(
            isinstance(t, gast.Starred) for t in target.elts
        ):
            _refuse(
                origin,
                "a starred name inside a nested loop target (for i, (a, *rest) in ...)",
                "unpack the row in the loop's body",
            )
        row = self.ctx.names.fresh("_row")
        self.ctx.names.generated.add(row)
        found = _elements(self.structures.of(loop.iter))
        self.structures.values[row] = None if found is _UNSET else found
        self.structures.local.add(row)
        loop.body = [nodes.assign(target, nodes.load(row), origin), *loop.body]
        loop.target = nodes.store(row)

    def held(self, value: gast.expr, found, out: list, origin) -> gast.Name:
        """A new name assigned `value` (in `out`), known to hold `found`."""
        name = self.ctx.names.temporary()
        out.append(nodes.assign(name, value, origin))
        self.structures.values[name] = found
        self.structures.local.add(name)
        return nodes.load(name)

    def appended(self, pieces: list, out: list, origin) -> gast.Name:
        """A list display with a star of unknown length, built by appending (in `out`)."""
        names = self.ctx.names
        made = names.fresh("_l")
        names.generated.add(made)

        def append(value: gast.expr) -> gast.stmt:
            if isinstance(value, (gast.Tuple, gast.List, gast.Dict)):  # (appended by name)
                value = self.held(value, self.structures.of(value), out, origin)
            method = nodes.attribute(nodes.load(made), "append")
            return nodes.expr_stmt(nodes.call(method, [value]), origin)

        first, *rest = pieces
        start = (
            nodes.list_(first)
            if isinstance(first, list)
            else nodes.call(self.ctx.builtin("list"), [first])
        )
        out.append(nodes.assign(made, start, origin))
        for piece in rest:
            if isinstance(piece, list):
                for element in piece:
                    out.append(append(element))
                continue
            element = names.fresh("_e")
            names.generated.add(element)
            method = nodes.attribute(nodes.load(made), "append")
            body = [nodes.expr_stmt(nodes.call(method, [nodes.load(element)]), origin)]
            out.append(nodes.for_(nodes.store(element), piece, body, origin))
        return nodes.load(made)

    def specialised(self, call: gast.Call) -> gast.Call:
        """A call of the user's function that has `*args` or `**kwargs` parameters: a call of
        its copy made for these arguments (`specialised`)."""
        if any(isinstance(a, gast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return call
        helper = _star_helper(self.ctx.resolve(call.func))
        if helper is None:
            return call
        made = specialised(helper, len(call.args), tuple(k.arg for k in call.keywords))
        if made is None:  # (the arguments do not fit: the later stages say so)
            return call
        function, renamed = made
        spelled = helper.__name__ if helper.__name__.isidentifier() else "function"
        call.func = nodes.load(self.ctx.support.name_for(function, spelled))
        call.keywords = [nodes.keyword(renamed.get(k.arg, k.arg), k.value) for k in call.keywords]
        return call


def _middle(value: gast.expr, star: int, after: int) -> gast.expr:
    """`rest` of `a, *rest, b = value` for a list: the slice `value[1:-1]` (a list), one
    container of the parts however they are shaped."""
    lower = nodes.const(star) if star else None
    bounds = nodes.slice_(lower, nodes.const(-after) if after else None)
    return nodes.subscript(nodes.copy(value), bounds)


def _same_length(values: int, names: int, origin) -> None:
    if values != names:
        _refuse(
            origin,
            f"unpacking {values} values into {names} names, which Python refuses,",
            "unpack a value with as many items as names",
        )


def _has_star(target: gast.expr) -> bool:
    return any(isinstance(n, gast.Starred) for n in gast.walk(target))


def _calls(node: gast.expr, function, ctx) -> bool:
    return isinstance(node, gast.Call) and ctx.resolve(node.func) is function


def _has_star_parameters(obj) -> bool:
    return _star_helper(obj) is not None


def _star_helper(obj):
    """The function with `*args` or `**kwargs` parameters a call of `obj` runs as srcgrad reads
    it: `obj`, a function of the user's, or srcgrad's definition of the library function `obj`
    (`scipy.linalg.block_diag(*arrs)`); None for any other."""
    defined = registry.definition(obj) if registry.reverse_rule(obj) is None else None
    if defined is not None:
        obj = defined
    elif not isinstance(obj, types.FunctionType) or reading.module_of(obj).startswith("srcgrad"):
        return None
    flags = obj.__code__.co_flags
    if not flags & _STAR_FLAGS or flags & _NOT_PLAIN:
        return None
    return obj if defined is not None or is_user_function(obj) else None


# ---- a function with *args or **kwargs, made for one call --------------------------------------

_MADE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MADE_LOCK = threading.Lock()


def specialised(helper: types.FunctionType, count: int, keywords: tuple):
    """`helper` as called with `count` arguments by position and `keywords` by name: a copy
    whose `*args` parameter is one parameter per argument it receives (`args_0`, ...) and
    whose `**kwargs` is one keyword-only parameter per keyword (`kwargs_a`), beginning
    `args = (args_0, args_1)` and `kwargs = {'a': kwargs_a}`. Returns the copy and the
    parameter each of those keywords is passed as; None if the call does not bind. One copy
    per function and form of call, made once."""
    signature = inspect.signature(helper, follow_wrapped=False)
    try:
        bound = signature.bind(*range(count), **dict.fromkeys(keywords))
    except TypeError:
        return None
    params = list(signature.parameters.values())
    star = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    double = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)
    extra = len(bound.arguments.get(star, ())) if star else 0
    keys = tuple(bound.arguments.get(double, {})) if double else ()
    with _MADE_LOCK:
        table = _MADE.setdefault(helper, {})
        if (extra, keys) not in table:
            try:
                table[extra, keys] = _made(helper, star, extra, double, keys)
            except SrcgradError:  # (no source: called as it is, refused later if need be)
                table[extra, keys] = None
        return table[extra, keys]


def _made(helper, star: str | None, extra: int, double: str | None, keys: tuple):
    tree = reading.read(helper).tree
    taken = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}

    def fresh(base: str) -> str:
        candidate, k = base, 0
        while candidate in taken or not candidate.isidentifier():
            k += 1
            candidate = f"{base}_{k}"
        taken.add(candidate)
        return candidate

    extras = [fresh(f"{star}_{k}") for k in range(extra)]
    renamed = {key: fresh(f"{double}_{key}") for key in keys}
    args = tree.args
    nodes.with_parameters(
        tree,
        [*args.args, *map(nodes.param, extras)],
        [] if extras else args.defaults,  # (every parameter before them is given)
        [*args.kwonlyargs, *map(nodes.param, renamed.values())],
        [*args.kw_defaults, *([None] * len(renamed))],
    )
    origin = nodes.origin_of(tree)
    packed = []
    if star:
        packed.append(nodes.assign(star, nodes.tuple_(map(nodes.load, extras)), origin))
    if double:
        values = [nodes.load(renamed[key]) for key in keys]
        packed.append(nodes.assign(double, nodes.dict_(list(keys), values), origin))
    documented = tree.body and isinstance(tree.body[0], gast.Expr)
    first = 1 if documented and isinstance(tree.body[0].value, gast.Constant) else 0
    tree.body[first:first] = packed
    function = _compiled(tree, helper, keep_defaults=not extras)
    if function is None:
        return None
    function.__srcgrad_tree__ = tree
    return function, renamed


def _compiled(tree: gast.FunctionDef, helper, keep_defaults: bool):
    """The function of `tree`, with `helper`'s globals, closure cells and defaults, its lines
    numbered as in the user's file."""
    free = helper.__code__.co_freevars
    made: gast.stmt = nodes.copy(tree)
    if free:  # (compiled inside a function that binds them, so that they stay free)
        bind = [nodes.assign(name, nodes.const(None)) for name in free]
        made = nodes.function_def("_outer", [], [*bind, made, nodes.ret(nodes.load(tree.name))])
    module = ast.fix_missing_locations(gast.gast_to_ast(nodes.module([made])))
    origin = nodes.origin_of(tree)
    if origin is not None and getattr(tree, "lineno", None):
        ast.increment_lineno(module, origin.lineno - tree.lineno)
    code = compile(module, helper.__code__.co_filename, "exec")
    body = _code_named(code, tree.name)
    cells = dict(zip(free, helper.__closure__ or ()))
    if body is None or not set(body.co_freevars) <= set(cells):
        return None
    closure = tuple(cells[name] for name in body.co_freevars) or None
    defaults = helper.__defaults__ if keep_defaults else None
    function = types.FunctionType(body, helper.__globals__, helper.__name__, defaults, closure)
    function.__kwdefaults__ = dict(helper.__kwdefaults__ or {}) or None
    function.__module__ = helper.__module__
    function.__qualname__ = helper.__qualname__
    function.__doc__ = helper.__doc__
    return function


def _code_named(code: types.CodeType, name: str):
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            if constant.co_name == name:
                return constant
            found = _code_named(constant, name)
            if found is not None:
                return found
    return None


# ---- the pass ----------------------------------------------------------------------------------


def _needed(tree: gast.FunctionDef, ctx) -> bool:
    """The function has a star, a `**`, a call of a function with star parameters, or a
    call of a method `.get`."""
    for node in nodes.walk(tree):
        if isinstance(node, gast.Starred):
            return True
        if isinstance(node, gast.keyword) and node.arg is None:
            return True
        if isinstance(node, gast.Dict) and any(k is None for k in node.keys):
            return True
        joined = isinstance(node, gast.BinOp) and isinstance(node.op, gast.Add)
        if joined and isinstance(node.right, (gast.Tuple, gast.List)):  # (`args + (x,)`)
            return True
        called = isinstance(node, gast.Call) and isinstance(node.func, (gast.Name, gast.Attribute))
        if called and isinstance(node.func, gast.Attribute) and node.func.attr == "get":
            return True  # (`d.get(k, default)`: `_Expressions._get`)
        if called and _has_star_parameters(ctx.resolve(node.func)):
            return True
    return False


def run(tree: gast.FunctionDef, ctx) -> None:
    if _needed(tree, ctx):
        tree.body = _Pass(tree, ctx).block(tree.body)
