"""Lists and dicts of the function that its nested functions write into, given to them and given
back.

`penalties = []; def head_loss(W): penalties.append(np.sum(W**2)); return ...` appends, from
inside `head_loss`, to a list of the outer function. srcgrad differentiates a call of a nested
function through the function's own generated code, which works on copies of what it is given:
the outer function would not see the append, and the derivative of what it appended would be
lost. So such a nested function, when closures.py lifts it, takes the list (as it takes every
name it reads), works on a copy of it (`penalties = list(penalties)`, `dict(...)` for a dict)
and returns it beside its value, `return (value, penalties)`; each call rebinds the list to
what the call gave back. What the list holds is then values the call returned, which carry
their derivatives as any returned value does, in every mode and order. A nested function that
calls such a function passes the list on and gives it back the same way, and a `nonlocal` name
(normalize/cells.py: a list of one element) is one more such list.

Three steps. `plan` (called by closures.py) finds the writers and what they write, or nothing
where the rewrite could change what plain Python does; `threaded` rewrites a lifted writer;
closures.py marks each call of a writer in the outer function `written(call, "penalties")`,
and `run`, after flatten has made every call a statement of its own, writes the marked
`_t5 = written(_t4, "penalties")` as `_t5 = _t4[0]` and `penalties = _t4[1]`.

Rebinding is plain Python's behaviour only where nothing else holds the old list, so the plan is
empty (the nested functions stay as closures.py makes them, and the memory analysis refuses
what it must) where: a writer, or a function that reads a written list, is used as a value (a
closure would keep the old list); a written list is made by anything but a display or
`list()`/`dict()`, or is read other than element by element, by its methods, by a loop, or by a
function that only reads it (`len`, `sum`, NumPy's); a loop over a written list calls a
function that writes into it; a nested function calls a writer other than as a statement of its
own (`y = record(v)`, `record(v)`, `return record(v)`).

`def record(v): log.append(v); return v * 2.0` is lifted as

    def record(v, *, log):
        log = list(log)
        log.append(v)
        return (v * 2.0, log)

and the outer function, after closures, flatten and this pass, reads

>>> from srcgrad.normalize import closures, flatten, outer_writes
>>> from srcgrad.normalize.example import show
>>> show(lambda tree, ctx: [p.run(tree, ctx) for p in (closures, flatten, outer_writes)], '''
... def f(x):
...     log = []
...     def record(v):
...         log.append(v)
...         return v * 2.0
...     y = record(np.sin(x))
...     return np.sum(y) + np.sum(log[0])
... ''')
def f(x):
    log = []
    _t1 = np.sin(x)
    _t2 = record(_t1, log=log)
    y = _t2[0]
    log = _t2[1]
    _t3 = np.sum(y)
    _t4 = log[0]
    _t5 = np.sum(_t4)
    _out = _t3 + _t5
    return _out
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast
import numpy as np

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING, has_user_source, module_of

# the methods of a list or dict that change it
_MUTATING = frozenset(
    {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}
    | {"update", "setdefault", "popitem"}
)
# methods whose result reads the container as it is later (a dict's views)
_VIEWS = frozenset({"keys", "values", "items"})
# functions that read a list or dict once and keep nothing of it
_CONSUMING = frozenset(
    {len, sum, min, max, sorted, list, tuple, dict, set, frozenset, any, all, print}
    | {str, repr, bool, float, int, isinstance}
)
# functions whose result reads their argument as it is consumed later
_ITERATORS = frozenset({zip, enumerate, reversed, iter, map, filter})
_LIBRARIES = ("numpy", "scipy", "math")
# NumPy functions whose result is a new list (of views of their argument)
_LIST_MAKERS = frozenset({np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit})
_SCOPES = (gast.FunctionDef, gast.Lambda)
_COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def written(value, *containers):
    """The mark closures.py puts on a call of a nested function that writes into `containers`
    of the outer function; `run` rewrites every one, so it never runs."""
    raise RuntimeError("srcgrad: a call marked by normalize/closures.py was left unrewritten")


written.opaque = True
written.marks_writes = True  # (found by this, not by identity: a doctest loads the module again)


@dataclass
class Plan:
    """Nested function -> the containers it gives back (sorted), and those it writes itself;
    or, where the rewrite could change what plain Python does, why (`blocked`: the writers,
    which stay closures.py's plain lifted functions, and the reason and advice their refusals
    give: memory.py, api/dynamic.py)."""

    writes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    direct: dict[str, frozenset] = field(default_factory=dict)
    # container -> "list", "dict" or "cell" (a `nonlocal` name's list of one: cells.py)
    kinds: dict[str, str] = field(default_factory=dict)
    blocked: frozenset = frozenset()
    why: tuple[str, str] | None = None  # (the reason, the advice)


def plan(tree: gast.FunctionDef, ctx, defs: dict, free: dict) -> Plan:
    """What the nested functions `defs` (with the outer names `free` each reads) write into,
    or why rebinding could differ from plain Python (the module docstring)."""
    outer = [s for s in tree.body if not isinstance(s, gast.FunctionDef)]
    params = set(nodes.names_stored(tree.args))
    direct = {name: _direct_writes(fn, free[name] - set(defs)) for name, fn in defs.items()}
    writes = {name: set(found) for name, found in direct.items() if found}
    changed = True
    while changed:  # (a function that calls a writer gives back what that one gives back)
        changed = False
        for name, fn in defs.items():
            given = set(writes.get(name, ()))
            for callee in _called(fn.body, set(writes)):
                given |= writes[callee]
            if given and given != writes.get(name):
                writes[name], changed = given, True
    if not writes:
        return Plan()
    containers = set().union(*writes.values())
    why = _why_not(ctx, outer, params, defs, free, writes, containers)
    if why is not None:
        return Plan(blocked=frozenset(writes), why=why)
    kinds = _made_containers(outer, ctx, set(defs) | params)
    return Plan(
        {name: tuple(sorted(found)) for name, found in writes.items()},
        {name: frozenset(direct[name]) for name in writes},
        {name: "cell" if name in ctx.cells else kinds[name] for name in containers},
    )


def _why_not(ctx, outer, params, defs, free, writes, containers) -> tuple[str, str] | None:
    """Why giving the containers back could differ from plain Python, and what to write
    instead; None where it cannot. (A line that reads a container in a comprehension beside a
    call that changes it is refused here, whatever the container.)"""
    for name, body in [(None, outer)] + [(name, fn.body) for name, fn in defs.items()]:
        own = containers if name is None else containers & free[name]
        for stmt in _statements(body):
            _Check(ctx, own, writes, set(), name)._statement(stmt, [stmt])
    kinds = _made_containers(outer, ctx, set(defs) | params)
    for name in sorted(containers - set(kinds)):
        if name in params:
            return (f"'{name}' is an argument of the function", f"make a new '{name}' here")
        return (
            f"'{name}' is not a list or dict made in the function alone ({name} = [] or {{}})",
            f"make '{name}' here as a new list or dict",
        )
    readers = {name for name in defs if free[name] & containers} | set(writes)
    for name, fn in defs.items():  # (a default computed where the def stands keeps the old list)
        defaults = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d is not None)]
        held = set().union(*(nodes.names_read(d) for d in defaults)) & (containers | readers)
        if held:
            return (
                f"the default of a parameter of '{name}' holds '{sorted(held)[0]}'",
                f"read '{sorted(held)[0]}' in the body of '{name}', not in a default",
            )
    scopes = [(None, outer)] + [(name, fn.body) for name, fn in defs.items()]
    for name, body in scopes:
        own = containers if name is None else containers & free[name]
        check = _Check(ctx, own, writes, readers, name)
        check.node(nodes.module(body), [])
        if check.why is not None:
            return check.why
    return None


_BLOCKED = "__srcgrad_not_given_back__"


def block(fn, found: Plan, ctx) -> None:
    """Mark the lifted writer `fn`, whose writes `found` could not give back, with why: what a
    refusal of a call of it says (`refusal`)."""
    setattr(fn, _BLOCKED, (*found.why, dict(ctx.cells)))


def refusal(callee, changed: str, where: str = "") -> tuple[str, str] | None:
    """The message and the advice of a refusal of a call of `callee`, a nested function that
    changes `changed` of the function around it (`where`: at which line), where its writes
    could not be given back (`block`); None for any other function."""
    why = getattr(callee, _BLOCKED, None)
    if why is None:
        return None
    reason, hint, cells = why
    name = getattr(callee, "__name__", "the function")
    shown = cells.get(changed, changed)
    if changed in cells:  # (a `nonlocal` name: cells.py)
        what = f"binds the nonlocal name '{shown}'"
        instead = f"have '{name}' return the new value and assign it here ({shown} = {name}(...))"
    else:
        what = f"changes '{shown}' of the function around it"
        instead = f"have '{name}' return what it stores in '{shown}', and store it here"
    for cell, user in cells.items():
        reason, hint = reason.replace(f"'{cell}'", f"'{user}'"), hint.replace(cell, user)
    return (
        f"a call of the nested function '{name}', which {what}{where}, is not supported "
        f"here: {reason}",
        f"{hint}; or {instead}",
    )


def _made_containers(outer: list, ctx, excluded: set) -> dict[str, str]:
    """The names the outer function binds only to new lists or only to new dicts (displays,
    `list(...)`, `dict(...)`, list comprehensions, `np.split(...)`), and nowhere else: name ->
    kind."""
    kinds: dict[str, set] = {}
    for stmt in _statements(outer):
        bound = _bound_here(stmt)
        if not bound:
            continue
        kind = None
        if (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
        ):
            kind = _kind_of(stmt.value, ctx)
        for name in bound:
            kinds.setdefault(name, set()).add(kind if len(bound) == 1 else None)
    fixed = {"list": list, "dict": dict}
    return {
        name: found.pop()
        for name, found in kinds.items()
        if len(found) == 1
        and None not in found
        and name not in excluded
        and ctx.resolve(nodes.load(next(iter(found)))) is fixed[next(iter(found))]
    }


def _kind_of(value: gast.expr, ctx) -> str | None:
    if isinstance(value, (gast.List, gast.ListComp)):
        return "list"
    if isinstance(value, gast.Dict):
        return "dict"
    if not isinstance(value, gast.Call):
        return None
    made = ctx.resolve(value.func)
    if _in(made, _LIST_MAKERS):
        return "list"
    if made in (list, dict) and not value.keywords and len(value.args) <= 1:
        return made.__name__
    return None


def _statements(body: list):
    """Every statement of `body`, in blocks too, not in nested functions."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, gast.FunctionDef):
            continue
        for field_name in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(stmt, field_name, []))
        for handler in getattr(stmt, "handlers", []):
            yield from _statements(handler.body)


def _bound_here(stmt: gast.stmt) -> set[str]:
    """The names `stmt` itself binds (not its blocks', nor its comprehensions' and lambdas')."""
    if isinstance(stmt, gast.FunctionDef):
        return {stmt.name}
    if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
        return set().union(*(_stored(t) for t in targets))
    if isinstance(stmt, gast.For):
        return _stored(stmt.target)
    if isinstance(stmt, gast.With):
        return set().union(*(_stored(i.optional_vars) for i in stmt.items if i.optional_vars))
    if isinstance(stmt, gast.Try):
        return {h.name.id for h in stmt.handlers if isinstance(h.name, gast.Name)}
    return set()


def _stored(target: gast.expr) -> set[str]:
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, (gast.Tuple, gast.List)):
        return set().union(*(_stored(e) for e in target.elts))
    if isinstance(target, gast.Starred):
        return _stored(target.value)
    return set()


def _walk(node: gast.AST, scopes: bool = False):
    """`node`'s descendants, not into nested functions and lambdas unless `scopes`."""
    for child in gast.iter_child_nodes(node):
        yield child
        if scopes or not isinstance(child, _SCOPES):
            yield from _walk(child, scopes)


def _direct_writes(fn: gast.FunctionDef, names: set[str]) -> set[str]:
    """The names of `names` whose containers `fn` changes itself: `log.append(v)`, `d[k] = v`,
    `cell[0] += 1`."""
    found = set()
    for node in _walk(nodes.module(fn.body)):
        if (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Attribute)
            and isinstance(node.func.value, gast.Name)
            and node.func.attr in _MUTATING
        ):
            found.add(node.func.value.id)
        elif (
            isinstance(node, gast.Subscript)
            and isinstance(node.ctx, gast.Store)
            and isinstance(node.value, gast.Name)
        ):
            found.add(node.value.id)
    return found & names


def _called(body: list, functions: set[str]) -> set[str]:
    return _called_in(nodes.module(body), functions)


def _called_in(node: gast.AST, functions: set[str]) -> set[str]:
    """The functions of `functions` called by name in `node`."""
    return {
        inner.func.id
        for inner in _walk(node, scopes=True)
        if isinstance(inner, gast.Call)
        and isinstance(inner.func, gast.Name)
        and inner.func.id in functions
    }


class _Check:
    """Why the rewrite could change what plain Python does in one scope: the outer function's
    body, or the body of the nested function `scope`, where `containers` are the written lists
    and dicts it sees (None: it cannot)."""

    def __init__(self, ctx, containers: set, writes: dict, readers: set, scope: str | None):
        self.ctx = ctx
        self.containers = containers
        self.writes = writes
        self.readers = readers
        self.nested = scope is not None
        self.scope = scope
        self.why: tuple[str, str] | None = None

    def fail(self, parents: list, reason: str, hint: str) -> None:
        statement = next((p for p in reversed(parents) if isinstance(p, gast.stmt)), None)
        if statement is not None and nodes.origin_of(statement) is not None:
            origin = self.ctx.origin(statement)
            reason = f"{reason} (line {origin.lineno}: {origin.text.strip()})"
        self.why = self.why or (reason, hint)

    def node(self, node: gast.AST, parents: list) -> None:
        if self.why is not None:
            return
        if isinstance(node, _SCOPES) and parents:
            mentioned = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
            held = sorted(mentioned & (self.containers | set(self.writes)))
            if held:
                self.fail(
                    [*parents, node],
                    f"a lambda or function inside reads '{held[0]}'",
                    f"define that function at the top of the function, beside '{held[0]}'",
                )
            return
        if isinstance(node, gast.stmt):
            self._statement(node, [*parents, node])
        if isinstance(node, (gast.Yield, gast.YieldFrom)) and self.nested:
            self.fail(parents, f"'{self.scope}' is a generator", "return a list instead")
        if isinstance(node, (gast.For, *_COMPREHENSIONS)):
            self._loop(node, [*parents, node])
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            self._name(node, parents)
        if (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Name)
            and node.func.id in self.writes
            and self.nested
            and not _statement_call(node, parents)
        ):
            self.fail(
                parents,
                f"'{node.func.id}' is called inside an expression in '{self.scope}'",
                f"call it in a statement of its own there (value = {node.func.id}(...))",
            )
        for child in gast.iter_child_nodes(node):
            self.node(child, [*parents, node])

    def _statement(self, stmt: gast.stmt, parents: list) -> None:
        """A line that calls a writer and has a comprehension or a lambda (which the passes
        after this one compute before the rest of the line), or a line of a nested function
        (whose call of a writer is rewritten as the line's first statement), reads what the
        writer changes only in the arguments of that one call: plain Python's order decides
        what is read. (Elsewhere the passes keep Python's order, left to right.)"""
        parts = [c for c in gast.iter_child_nodes(stmt) if not isinstance(c, gast.stmt)]
        parts = [c for c in parts if not isinstance(c, (gast.excepthandler, gast.arguments))]
        calls = [
            n
            for part in parts
            for n in [part, *_walk(part, scopes=True)]
            if isinstance(n, gast.Call)
            and isinstance(n.func, gast.Name)
            and n.func.id in self.writes
        ]
        changed = set().union(*(self.writes[c.func.id] for c in calls)) & self.containers
        if not changed:
            return
        inside = {id(n) for c in calls for a in [*c.args, *c.keywords] for n in gast.walk(a)}
        comprehensions = any(
            isinstance(n, (*_COMPREHENSIONS, gast.Lambda))
            for part in parts
            for n in gast.walk(part)
        )
        if not (self.nested or comprehensions):
            return
        for part in parts:
            for n in gast.walk(part):
                if not (isinstance(n, gast.Name) and n.id in changed):
                    continue
                if id(n) not in inside or len(calls) > 1 or comprehensions:
                    name = next(c.func.id for c in calls if n.id in self.writes[c.func.id])
                    shown = self.ctx.cells.get(n.id, n.id)
                    hint = (
                        f"call '{name}' on a line of its own, before the line that reads '{shown}'"
                    )
                    if comprehensions:  # (computed first, as no fallback would see either)
                        raise UnsupportedSyntaxError(
                            f"a call of the nested function '{name}', which changes '{shown}' "
                            "of the function around it, on a line that reads it in a "
                            "comprehension or a lambda, is not supported: srcgrad computes "
                            "the comprehension before the rest of the line",
                            self.ctx.origin(stmt),
                            hint,
                        )
                    self.fail(parents, f"'{shown}' is read on the line of a call of '{name}'", hint)
                    return

    def _loop(self, loop, parents: list) -> None:
        """A loop over a written list (or a view of it) calls no function that writes into it:
        plain Python would see the new elements as the loop runs."""
        if isinstance(loop, gast.For):
            iterated, body = self._live(loop.iter), nodes.module(loop.body)
        else:
            iterated = set().union(*(self._live(g.iter) for g in loop.generators))
            body = loop
        over = iterated & self.containers
        for name in sorted(_called_in(body, set(self.writes)) if over else ()):
            changed = sorted(over & set(self.writes[name]))
            if changed:
                self.fail(
                    parents,
                    f"a loop over '{changed[0]}' calls '{name}', which changes it",
                    f"loop over a copy (for ... in list({changed[0]})), or collect what "
                    f"'{name}' adds in another list",
                )

    def _live(self, iterated: gast.expr) -> set[str]:
        """The names whose container a loop over `iterated` reads as the loop runs: `xs`,
        `d.items()`, `enumerate(xs)` (not `list(xs)`, a copy made before it)."""
        if isinstance(iterated, gast.Name):
            return {iterated.id}
        if not isinstance(iterated, gast.Call):
            return set()
        func = iterated.func
        if isinstance(func, gast.Attribute) and func.attr in _VIEWS:
            return self._live(func.value)
        if _in(self.ctx.resolve(func), _ITERATORS):
            return set().union(*(self._live(a) for a in iterated.args))
        return set()

    def _name(self, node: gast.Name, parents: list) -> None:
        parent = parents[-1]
        called = isinstance(parent, gast.Call) and parent.func is node
        if node.id in self.readers and not called:  # (a function value would hold the list)
            self.fail(
                parents,
                f"'{node.id}' is used as a value (passed on, stored or returned)",
                f"call '{node.id}' directly where it is needed",
            )
        elif node.id in self.containers and not self._used_at_once(node, parents):
            shown = self.ctx.cells.get(node.id, node.id)
            call = parents[-2] if isinstance(parent, gast.keyword) else parent
            if isinstance(call, gast.Call) and call.func is not node:
                callee = nodes.dotted_name(call.func)
                self.fail(
                    parents,
                    f"'{shown}' is given to '{callee}', which may keep it",
                    f"have '{callee}' return what it would put in '{shown}', and put it in here",
                )
                return
            self.fail(
                parents,
                f"'{shown}' is kept in another name, container or object",
                f"read '{shown}' only by its elements, its methods or loops over it",
            )

    def _used_at_once(self, value: gast.expr, parents: list) -> bool:
        """`value` (a written container, or an iterator or view of one) is read where it stands
        and kept nowhere."""
        parent = parents[-1]
        if isinstance(parent, gast.Attribute):
            call = parents[-2] if len(parents) > 1 else None
            if not (isinstance(call, gast.Call) and call.func is parent):
                return False
            return parent.attr not in _VIEWS or self._used_at_once(call, parents[:-2])
        if isinstance(parent, gast.Subscript):
            return parent.value is value
        if isinstance(parent, gast.Compare):
            return True
        if isinstance(parent, (gast.For, gast.comprehension)):
            return parent.iter is value
        if isinstance(parent, (gast.If, gast.While, gast.Assert)):
            return parent.test is value
        if isinstance(parent, gast.UnaryOp):
            return isinstance(parent.op, gast.Not)
        if isinstance(parent, gast.Return):
            return not self.nested
        if isinstance(parent, gast.keyword):
            parent, parents = parents[-2], parents[:-1]
        if isinstance(parent, gast.Call) and parent.func is not value:
            callee = self.ctx.resolve(parent.func)
            if _consuming(callee):
                return True
            if _in(callee, _ITERATORS):
                return self._used_at_once(parent, parents[:-1])
        return False


def _in(obj, table) -> bool:
    try:
        return obj in table
    except TypeError:
        return False


def _consuming(callee) -> bool:
    """A function that reads a list or dict given to it and keeps nothing of it: a builtin
    that does, or a NumPy, SciPy or math function (each makes arrays of what it reads)."""
    if callee is MISSING or callee is None:
        return False
    if _in(callee, _CONSUMING) or isinstance(callee, np.ufunc):
        return True
    return module_of(callee).split(".")[0] in _LIBRARIES and not has_user_source(callee)


def _statement_call(call: gast.Call, parents: list) -> bool:
    """The call is a statement's whole value: `record(v)`, `y = record(v)`, `y += record(v)`,
    `return record(v)`."""
    parent = parents[-1] if parents else None
    simple = (gast.Expr, gast.Assign, gast.AugAssign, gast.Return)
    return isinstance(parent, simple) and parent.value is call


# ---- the rewrite -----------------------------------------------------------------------------


def threaded(fn: gast.FunctionDef, found: Plan, ctx) -> None:
    """The lifted writer `fn` (its outer names already keyword-only parameters): a copy of each
    container it writes itself first, the containers its calls of writers give back rebound
    after each, and every return giving back the containers beside the value."""
    given = found.writes[fn.name]
    origin = ctx.origin(fn)
    fn.body = _lowered(fn.body, found, ctx)
    _Returns(given).visit(nodes.module(fn.body))
    if not fn.body or not isinstance(fn.body[-1], gast.Return):
        fn.body.append(nodes.ret(_given_back(nodes.const(None), given), origin))
    copies = [
        nodes.assign(name, _copy(name, found.kinds[name]), origin)
        for name in sorted(found.direct[fn.name])
    ]
    docstring = fn.body[:1] if _is_docstring(fn.body[0]) else []
    fn.body = [*docstring, *copies, *fn.body[len(docstring) :]]


def _copy(name: str, kind: str) -> gast.expr:
    """`list(log)`, `dict(d)`; a `nonlocal` name's cell, `[total_cell[0]]` (a display: its
    tangent in forward mode is a list of its own, which an assignment to its element may
    change)."""
    if kind == "cell":
        return nodes.list_([nodes.subscript(nodes.load(name), nodes.const(0))])
    return nodes.call(nodes.load(kind), [nodes.load(name)])


def _is_docstring(stmt: gast.stmt) -> bool:
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _given_back(value: gast.expr, given: tuple[str, ...]) -> gast.Tuple:
    return nodes.tuple_([value, *(nodes.load(name) for name in given)])


class _Returns(nodes.Transformer):
    """`return v` -> `return (v, log)`, in the function itself, not in what it nests."""

    def __init__(self, given: tuple[str, ...]):
        self.given = given

    def visit_FunctionDef(self, node):
        return node

    def visit_Lambda(self, node):
        return node

    def visit_Return(self, node: gast.Return) -> gast.Return:
        value = node.value if node.value is not None else nodes.const(None)
        node.value = _given_back(value, self.given)
        return node


def _lowered(body: list, found: Plan, ctx) -> list:
    """Each call of a writer, a statement's whole value (`plan` made sure), as
    `_w = record(v, log=log)`, `log = _w[1]`, then the statement with `_w[0]` for the call."""
    out = []
    for stmt in body:
        for field_name in ("body", "orelse", "finalbody"):
            if not isinstance(stmt, gast.FunctionDef) and hasattr(stmt, field_name):
                setattr(stmt, field_name, _lowered(getattr(stmt, field_name), found, ctx))
        for handler in getattr(stmt, "handlers", []):
            handler.body = _lowered(handler.body, found, ctx)
        value = getattr(stmt, "value", None)
        simple = isinstance(stmt, (gast.Expr, gast.Assign, gast.AugAssign, gast.Return))
        if not (
            simple
            and isinstance(value, gast.Call)
            and isinstance(value.func, gast.Name)
            and value.func.id in found.writes
        ):
            out.append(stmt)
            continue
        origin = nodes.origin_of(stmt)
        pair = ctx.names.fresh("_written")
        ctx.names.taken.add(pair)
        out.append(nodes.assign(pair, value, origin))
        for k, name in enumerate(found.writes[value.func.id]):
            out.append(
                nodes.assign(name, nodes.subscript(nodes.load(pair), nodes.const(k + 1)), origin)
            )
        if not isinstance(stmt, gast.Expr):
            stmt.value = nodes.subscript(nodes.load(pair), nodes.const(0))
            out.append(stmt)
    return out


def assigned(body: list, found: Plan, ctx) -> list:
    """The outer function's statements that are a call of a writer and nothing else
    (`record(v)`) as assignments (`_t1 = record(v)`), which flatten makes statements of their
    own like any other, so that `run` finds the mark."""
    out = []
    for stmt in body:
        for field_name in ("body", "orelse", "finalbody"):
            if not isinstance(stmt, gast.FunctionDef) and hasattr(stmt, field_name):
                setattr(stmt, field_name, assigned(getattr(stmt, field_name), found, ctx))
        for handler in getattr(stmt, "handlers", []):
            handler.body = assigned(handler.body, found, ctx)
        call = getattr(stmt, "value", None)
        if (
            isinstance(stmt, gast.Expr)
            and isinstance(call, gast.Call)
            and isinstance(call.func, gast.Name)
            and call.func.id in found.writes
        ):
            stmt = nodes.assign(ctx.names.temporary(), call, nodes.origin_of(stmt))
        out.append(stmt)
    return out


def marked(call: gast.Call, given: tuple[str, ...], mark: str) -> gast.Call:
    """`written(call, "log")`: what `run` rewrites once the call is a statement of its own."""
    return nodes.call(nodes.load(mark), [call, *(nodes.const(name) for name in given)])


def run(tree: gast.FunctionDef, ctx) -> None:
    """`_t5 = written(_t4, "log")` -> `_t5 = _t4[0]` and `log = _t4[1]`; a mark anywhere else
    (a call of a writer inside a call made for its effect, `print(record(v))`) is refused."""
    tree.body = _rebound(tree.body, ctx)
    found = nodes.walk(tree)
    if not any(_is_mark(node, ctx) for node in found):
        return  # (the common case: no mark left to refuse, nor a walk of each part to find it)
    for statement in found:
        if not isinstance(statement, gast.stmt):
            continue
        for part in gast.iter_child_nodes(statement):
            if isinstance(part, gast.stmt):
                continue
            for node in [part, *_walk(part, scopes=True)]:
                if _is_mark(node, ctx):
                    _refuse_mark(node, ctx.origin(statement))


def _refuse_mark(mark: gast.Call, origin) -> None:
    call = mark.args[0]
    name = call.func.id if isinstance(call, gast.Call) and hasattr(call.func, "id") else "it"
    raise UnsupportedSyntaxError(
        f"a call of '{name}', a nested function that writes into "
        f"'{mark.args[1].value}' of the function around it, inside a call made for its effect "
        "is not supported",
        origin,
        f"call '{name}' in a statement of its own (value = {name}(...)) and use the value there",
    )


def _is_mark(node: gast.AST, ctx) -> bool:
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Name)
        and getattr(ctx.resolve(node.func), "marks_writes", False) is True
    )


def _rebound(body: list, ctx) -> list:
    out = []
    for stmt in body:
        for field_name in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                setattr(stmt, field_name, _rebound(getattr(stmt, field_name), ctx))
        value = getattr(stmt, "value", None)
        if not (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and _is_mark(value, ctx)
            and isinstance(value.args[0], gast.Name)
        ):
            out.append(stmt)
            continue
        pair, given = value.args[0].id, [c.value for c in value.args[1:]]
        origin = nodes.origin_of(stmt)
        ctx.unpacked[pair] = 1 + len(given)
        out.append(
            nodes.assign(stmt.targets[0], nodes.subscript(nodes.load(pair), nodes.const(0)), origin)
        )
        for k, name in enumerate(given):
            out.append(
                nodes.assign(name, nodes.subscript(nodes.load(pair), nodes.const(k + 1)), origin)
            )
    return out
