"""A generator function's source read as the function returning the list of what it yields,
and what its steps do besides yielding (normalize/generators.py decides where that is the same).

`list_builder(g)` compiles, from the source of the user's generator function `g`, the function
that returns the list of what `g` yields, under `g`'s own file, lines, globals and closure cells,
carrying its tree for srcgrad to read. `effect` says where a generator (or a function it calls)
prints, draws random numbers, writes into a value it did not make, or calls what srcgrad cannot
read: the steps of such a generator cannot be moved.
"""

from __future__ import annotations

import ast
import builtins
import copy
import inspect
import operator
import types
import weakref

import gast
import numpy

from ..errors import SrcgradError, UnsupportedSyntaxError
from ..front import nodes, reading
from ..front.reading import MISSING


def own_yields(fn: gast.FunctionDef) -> list:
    """The `yield` and `yield from` of `fn` itself (not of the functions defined in it)."""
    inner = {
        id(n)
        for d in gast.walk(fn)
        if d is not fn and isinstance(d, (gast.FunctionDef, gast.Lambda))
        for n in gast.walk(d)
    }
    return [
        n
        for n in gast.walk(fn)
        if isinstance(n, (gast.Yield, gast.YieldFrom)) and id(n) not in inner
    ]


def _refuse(origin, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(f"{what} is not supported", origin, hint)


def to_list_builder(fn: gast.FunctionDef, fresh, origin) -> None:
    """Rewrite the generator `fn` (in place) into the function returning the list it yields."""
    out, element = fresh("_out"), fresh("_v")

    def block(stmts: list) -> list:
        made: list = []
        for stmt in stmts:
            made.extend(statement(stmt))
        return made

    def statement(stmt):
        where = nodes.origin_of(stmt) or origin
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Yield):
            value = stmt.value.value or nodes.const(None)
            return [nodes.append_stmt(out, value, where)]
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.YieldFrom):
            step = nodes.append_stmt(out, nodes.load(element), where)
            return [nodes.for_(nodes.store(element), stmt.value.value, [step], where)]
        if isinstance(stmt, gast.Return):
            if stmt.value is not None and not nodes.is_atom(stmt.value):
                _refuse(
                    where,
                    "'return' with a value in a generator",
                    "a loop or list() drops that value: write 'return' alone",
                )
            # (a copy: the list at an early return is another value than the one appended to)
            whole = nodes.call(nodes.load("list"), [nodes.load(out)])
            return [nodes.ret(whole, where)]
        if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            return [stmt]
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, block(getattr(stmt, field)))
        for handler in getattr(stmt, "handlers", []):
            handler.body = block(handler.body)
        inner = _own_yields_of(stmt)
        if inner:
            _refuse(
                nodes.origin_of(inner[0]) or where,
                "'yield' used as a value (what a generator's send() passes in)",
                "write 'yield v' as a statement of its own",
            )
        return [stmt]

    start = nodes.assign(out, nodes.list_([]), origin)
    docstring = fn.body[:1] if _is_docstring(fn.body[0]) else []
    fn.body = [*docstring, start, *block(fn.body[len(docstring) :])]
    fn.body.append(nodes.ret(nodes.load(out), origin))


def _own_yields_of(stmt: gast.stmt) -> list:
    """Yields in the expressions of a statement (its blocks are rewritten on their own)."""
    found = []
    for field, value in gast.iter_fields(stmt):
        if field in ("body", "orelse", "finalbody", "handlers"):
            continue
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, gast.AST):
                found += [n for n in gast.walk(part) if isinstance(n, (gast.Yield, gast.YieldFrom))]
    return found


def _is_docstring(stmt: gast.stmt) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)


_BUILDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_READ: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def parsed(generator: types.FunctionType) -> reading.Parsed:
    """The user's generator function read (once: its tree is not changed)."""
    found = _READ.get(generator)
    if found is None:
        found = _READ[generator] = reading.read(generator)
    return found


def list_builder(generator: types.FunctionType) -> types.FunctionType:
    """The function returning the list of what the user's generator function yields: compiled
    from its source under its own file and lines, with its globals and closure cells, and
    carrying its tree for srcgrad to read (`reading.read`). One per generator function."""
    found = _BUILDERS.get(generator)
    if found is not None:
        return found
    parsed = globals()["parsed"](generator)
    tree = copy.deepcopy(parsed.tree)
    taken = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}

    def fresh(base: str) -> str:
        name = base
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    to_list_builder(tree, fresh, parsed.definition)
    nodes.mark_yields(tree)
    code = generator.__code__
    compiled = copy.deepcopy(tree)
    free = code.co_freevars
    body = [nodes.assign(n, nodes.const(None)) for n in free]  # (cells for the closure's names)
    maker = nodes.function_def("_maker", [], [*body, compiled, nodes.ret(nodes.load(tree.name))])
    module = ast.fix_missing_locations(gast.gast_to_ast(nodes.module([maker])))
    ast.increment_lineno(module, parsed.definition.lineno - (tree.lineno or 1))
    made = compile(module, code.co_filename, "exec")
    outer = next(c for c in made.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in outer.co_consts if isinstance(c, types.CodeType))
    cells = dict(zip(free, generator.__closure__ or ()))
    closure = tuple(cells[n] for n in inner.co_freevars) or None
    builder = types.FunctionType(
        inner, generator.__globals__, generator.__name__, generator.__defaults__, closure
    )
    builder.__kwdefaults__ = generator.__kwdefaults__
    builder.__module__ = generator.__module__
    builder.__qualname__ = generator.__qualname__
    builder.__doc__ = generator.__doc__
    builder.__srcgrad_tree__ = tree
    _BUILDERS[generator] = builder
    return builder


def is_user_generator(obj: object) -> bool:
    return inspect.isgeneratorfunction(obj) and reading.has_user_source(obj)


# ---- what a generator's steps do besides yielding --------------------------------------------

# consumers that take every step with nothing of the user's in between
WHOLE = (builtins.list, builtins.tuple, builtins.sum, builtins.sorted, builtins.min, builtins.max)
PARTIAL = (builtins.any, builtins.all)  # may stop before the end
_PURE_BUILTINS = (
    *WHOLE,
    *PARTIAL,
    abs,
    bool,
    complex,
    dict,
    divmod,
    enumerate,
    filter,
    float,
    getattr,
    hasattr,
    int,
    isinstance,
    len,
    map,
    pow,
    range,
    repr,
    reversed,
    round,
    slice,
    str,
    type,
    zip,
)
_PURE_MODULES = ("numpy", "scipy.special", "math", "operator", "_operator")
_WRITERS = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "setitem"}
_WRITERS |= {n for n in dir(operator) if n.startswith("i") and n not in ("index", "is_", "is_not")}
_METHODS = """reshape sum mean dot copy astype transpose ravel flatten max min std var prod
cumsum squeeze clip round conj item tolist any all argmax argmin nonzero get keys values items
index count swapaxes take diagonal trace cumprod real imag"""
PURE_METHODS = frozenset(_METHODS.split())  # (methods that leave what they are called on alone)


class Effects:
    """What the steps of generators (and the functions they call) do besides yielding: the
    first effect found, as `(origin, description)`, or None. One per pass run."""

    def __init__(self):
        self._functions: dict = {}  # id(function) -> its effect (None while being scanned)

    def of_generator(self, tree, resolve, after_start: bool):
        """The first effect of the generator `tree`; `after_start`: only from the first
        top-level statement that yields on (the start runs before the consumer's first step
        either way)."""
        body = list(tree.body)
        if after_start:
            while body and not own_yields(nodes.module([body[0]])):
                body.pop(0)
        params = nodes.names_stored(tree.args)
        return self._statements(body, resolve, params, nodes.origin_of(tree), tree.body)

    def of_expressions(self, parts: list, resolve):
        """The first effect of expressions (a generator expression's element and tests)."""
        for part in parts:
            for node in gast.walk(part):
                if isinstance(node, gast.Call):
                    found = self._call(node, resolve)
                    if found:
                        return nodes.origin_of(node), found
        return None

    def of_function(self, fn) -> tuple | None:
        """A function of the user's, called by a generator's step: the first effect of its
        body (a change of its own arguments counts)."""
        key = id(fn)
        if key in self._functions:
            return self._functions[key]
        self._functions[key] = None  # (a recursive call: what the rest of the body does)
        try:
            parsed = reading.read(fn)
        except SrcgradError:
            found = (None, f"calls '{fn.__name__}', whose source srcgrad cannot read")
        else:
            local = nodes.names_stored(parsed.tree)

            def resolve(node):
                return parsed.namespace.resolve(node, local)

            params = nodes.names_stored(parsed.tree.args)
            found = self._statements(parsed.tree.body, resolve, params, parsed.definition)
        self._functions[key] = found
        return found

    def _statements(self, body: list, resolve, params: set, origin, whole=None):
        fresh = _fresh_locals(body if whole is None else whole)
        for stmt in body:
            for node in _walk_here(stmt):
                where = nodes.origin_of(node) or origin
                found = self._node(node, resolve, params, fresh)
                if found:
                    return where, found
        return None

    def _node(self, node, resolve, params: set, fresh: set) -> str | None:
        if isinstance(node, gast.Call):
            return self._call(node, resolve)
        if isinstance(node, (gast.Global, gast.Nonlocal, gast.Delete)):
            return "declares or deletes a name of another scope"
        targets = []
        if isinstance(node, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
        for target in targets:
            for part in gast.walk(target):
                if isinstance(part, (gast.Subscript, gast.Attribute)) and isinstance(
                    part.ctx, gast.Store
                ):
                    return f"writes into '{ast.unparse(gast.gast_to_ast(part.value))}'"
        named = isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name)
        if named and (node.target.id in params or node.target.id not in fresh):
            return f"updates '{node.target.id}' in place"
        return None

    def _call(self, call: gast.Call, resolve) -> str | None:
        spelled = ast.unparse(gast.gast_to_ast(call.func))
        obj = resolve(call.func)
        if any(k.arg == "out" for k in call.keywords):
            return f"writes into the 'out' of {spelled}(...)"
        if obj is MISSING:
            if isinstance(call.func, gast.Attribute) and call.func.attr in PURE_METHODS:
                return None
            return f"calls {spelled}(...), which may change what it is called on"
        if any(obj is f for f in _PURE_BUILTINS) or isinstance(obj, numpy.ufunc):
            return None
        module = reading.module_of(obj)
        name = getattr(obj, "__name__", "")
        if module.startswith(_PURE_MODULES) and "random" not in module and name not in _WRITERS:
            return None
        if isinstance(obj, types.FunctionType) and reading.has_user_source(obj):
            found = self.of_function(obj)
            return f"calls '{name}', which {found[1]}" if found else None
        if "random" in module or "random" in spelled:
            return f"draws random numbers ({spelled})"
        return f"calls {spelled}(...)"


def _walk_here(stmt: gast.stmt):
    """The nodes of a statement, not those of the functions and lambdas defined in it."""
    todo = [stmt]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)) and node is not stmt:
            continue
        todo.extend(reversed(list(gast.iter_child_nodes(node))))


def _fresh_locals(body: list) -> set:
    """Names a function binds only to values it makes (`i = 0`, `s = a + b`): updating one in
    place changes nothing anyone else holds."""
    made: dict[str, bool] = {}
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Assign):
                fresh = isinstance(node.value, (gast.Constant, gast.BinOp, gast.UnaryOp))
                fresh = fresh or isinstance(node.value, (gast.List, gast.ListComp))
                for name in nodes.names_stored(nodes.module([node])):
                    made[name] = made.get(name, True) and fresh
            elif isinstance(node, (gast.For, gast.comprehension)):
                for name in nodes.names_stored(node.target):
                    made[name] = False
    return {name for name, fresh in made.items() if fresh}


def endless(tree: gast.AST):
    """A `while True:` loop with no `break` or `return` in it: the generator never ends."""
    for node in gast.walk(tree):
        if (
            isinstance(node, gast.While)
            and isinstance(node.test, gast.Constant)
            and node.test.value
        ):
            inside = list(gast.walk(nodes.module(node.body)))
            if not any(isinstance(n, (gast.Break, gast.Return)) for n in inside):
                return node
    return None
