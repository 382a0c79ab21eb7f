"""The one place where srcgrad builds `gast` nodes, and where statements carry their origin.

Every other module asks this one for nodes, so a change in `gast`'s node fields is a change here.
A statement's origin (the user's file, line and source text) travels on the statement as the
attribute `srcgrad_origin`, set and read only through `stamp` and `origin_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import gast

from ..errors import Origin

# (module globals, found faster than gast's attributes in the loops below)
_AST, _NAME = gast.AST, gast.Name

_ORIGIN = "srcgrad_origin"
_ADJOINT = "srcgrad_adjoint"  # set on statements of the reverse sweep: emit comments them


def stamp(node: gast.AST, origin: Origin | None) -> gast.AST:
    setattr(node, _ORIGIN, origin)
    return node


def origin_of(node: gast.AST) -> Origin | None:
    return getattr(node, _ORIGIN, None)


_AUGMENTED = "srcgrad_augmented"  # on the value of `x = x + v` written `x += v`


def mark_augmented(value: gast.expr) -> gast.expr:
    setattr(value, _AUGMENTED, True)
    return value


def is_augmented(stmt: gast.stmt) -> bool:
    """`x = x op v` that the user wrote `x op= v`: NumPy does that in place, in x's memory."""
    return isinstance(stmt, gast.Assign) and getattr(stmt.value, _AUGMENTED, False)


_ELEMENT = "srcgrad_element_update"  # on the value of `c[k] = c[k] + v` written `c[k] += v`


def mark_element_update(value: gast.expr) -> gast.expr:
    setattr(value, _ELEMENT, True)
    return value


def is_element_update(stmt: gast.stmt) -> bool:
    """`t = c[k] op v` that the user wrote `c[k] op= v`: where `c[k]` is an array that a list,
    tuple or dict holds, NumPy changes that array in place (then stores it back)."""
    return isinstance(stmt, gast.Assign) and getattr(stmt.value, _ELEMENT, False)


def mark_adjoint(stmt: gast.stmt) -> gast.stmt:
    setattr(stmt, _ADJOINT, True)
    return stmt


def is_adjoint(stmt: gast.stmt) -> bool:
    return getattr(stmt, _ADJOINT, False)


def mark_users_method(call: gast.Call) -> gast.Call:
    """`ema.update(v)` on an object of the user's class whose `update` is its own: no list's or
    dict's method of that name (normalize/mutators.py found it by the object)."""
    call._srcgrad_users_method = True
    return call


def is_users_method(call: gast.Call) -> bool:
    return getattr(call, "_srcgrad_users_method", False)


def mark_note(stmt: gast.stmt, note: str) -> gast.stmt:
    """A comment the emitted code puts on the line above `stmt` (what a schedule does)."""
    stmt._srcgrad_note = note
    return stmt


def note_of(stmt: gast.stmt) -> str | None:
    return getattr(stmt, "_srcgrad_note", None)


def mark_record(stmt: gast.stmt) -> gast.stmt:
    """`LOG.append(v)` kept for the caller: an effect, like a print (normalize/mutators.py)."""
    stmt._srcgrad_record = True
    return stmt


def is_record(stmt: gast.stmt) -> bool:
    return getattr(stmt, "_srcgrad_record", False)


_BROADCAST = "srcgrad_broadcast"  # on `unbroadcast(g, x)`: (g's shape, x's shape), both known


def mark_broadcast(call: gast.Call, have: tuple, want: tuple) -> gast.Call:
    """`unbroadcast(g, x)` where g's shape `have` and x's shape `want` are known."""
    setattr(call, _BROADCAST, (have, want))
    return call


def broadcast_of(node: gast.AST) -> tuple | None:
    return getattr(node, _BROADCAST, None)


_TITLED = "srcgrad_titled"  # a statement of the user's that emit comments (forward mode)


def mark_titled(stmt: gast.stmt) -> gast.stmt:
    """The user's own statement, shown under the comment of its line with its tangent."""
    setattr(stmt, _TITLED, True)
    return stmt


def is_titled(stmt: gast.stmt) -> bool:
    return getattr(stmt, _TITLED, False) or getattr(stmt, _ADJOINT, False)


_YIELDS = "srcgrad_yields"  # on a generator's def rewritten to return the list of its yields


def mark_yields(fn: gast.FunctionDef) -> gast.FunctionDef:
    """A generator made the function that returns the list of what it yields
    (normalize/generators.py)."""
    setattr(fn, _YIELDS, True)
    return fn


def returns_yields(obj: object) -> bool:
    """`obj` is a function made from a generator, returning the list of what it yields."""
    return getattr(getattr(obj, "__srcgrad_tree__", None), _YIELDS, False)


def append_stmt(name: str, value: gast.expr, origin: Origin | None = None) -> gast.Expr:
    """`name.append(value)`."""
    return expr_stmt(call(attribute(load(name), "append"), [value]), origin)


def copy_replacing(node: gast.AST, old: gast.AST, new: gast.AST) -> gast.AST:
    """A deep copy of `node` in which the subtree `old` (found by identity) is `new`."""
    if node is old:
        return copy(new)
    if isinstance(node, list):
        return [copy_replacing(n, old, new) for n in node]
    if not isinstance(node, gast.AST):
        return node
    made = node.__class__.__new__(node.__class__)
    made.__dict__.update(
        (k, copy_replacing(v, old, new) if isinstance(v, (gast.AST, list)) else v)
        for k, v in node.__dict__.items()
    )
    return made


def copy(node: gast.AST) -> gast.AST:
    """A deep copy of the tree; origin stamps and constants are shared (they are immutable).

    (copy.deepcopy would do, at several times the cost: the transformation copies a lot.)
    """
    if isinstance(node, list):
        return [copy(n) for n in node]
    if not isinstance(node, _AST):
        return node
    new = node.__class__.__new__(node.__class__)
    fields = new.__dict__
    for key, value in node.__dict__.items():  # (a loop: faster than a generator into update)
        fields[key] = copy(value) if isinstance(value, (_AST, list)) else value
    return new


def load(name: str) -> gast.Name:
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def store(name: str) -> gast.Name:
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def param(name: str) -> gast.Name:
    return gast.Name(id=name, ctx=gast.Param(), annotation=None, type_comment=None)


def const(value: object) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def attribute(value: gast.expr, attr: str) -> gast.Attribute:
    return gast.Attribute(value=value, attr=attr, ctx=gast.Load())


def dotted_name(node: gast.expr) -> str:
    """`np.linalg.norm` of an attribute chain (the inverse of `dotted`)."""
    if isinstance(node, gast.Attribute):
        return f"{dotted_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, gast.Name) else "?"


def dotted(path: str) -> gast.expr:
    """`'np.linalg.norm'` as a load expression."""
    first, *rest = path.split(".")
    node: gast.expr = load(first)
    for part in rest:
        node = attribute(node, part)
    return node


def call(
    func: gast.expr, args: Sequence[gast.expr] = (), keywords: dict | None = None
) -> gast.Call:
    kws = [gast.keyword(arg=k, value=v) for k, v in (keywords or {}).items()]
    return gast.Call(func=func, args=list(args), keywords=kws)


def keyword(name: str, value: gast.expr) -> gast.keyword:
    return gast.keyword(arg=name, value=value)


def binop(left: gast.expr, op: gast.operator, right: gast.expr) -> gast.BinOp:
    return gast.BinOp(left=left, op=op, right=right)


def unary(op: gast.unaryop, operand: gast.expr) -> gast.UnaryOp:
    return gast.UnaryOp(op=op, operand=operand)


def add(left: gast.expr, right: gast.expr) -> gast.BinOp:
    return binop(left, gast.Add(), right)


def dict_(keys: list, values: list[gast.expr]) -> gast.Dict:
    return gast.Dict(keys=[const(k) for k in keys], values=list(values))


def for_(
    target: gast.expr, iterable: gast.expr, body: list[gast.stmt], origin: Origin | None = None
) -> gast.For:
    loop = gast.For(target=target, iter=iterable, body=list(body), orelse=[], type_comment=None)
    return stamp(loop, origin)


def tuple_(elts: Iterable[gast.expr], ctx: gast.expr_context | None = None) -> gast.Tuple:
    return gast.Tuple(elts=list(elts), ctx=ctx or gast.Load())


def tuple_like(node: gast.List) -> gast.Tuple:
    """The tuple with `node`'s elements, context, place and origin (`[a, b] = t` is `a, b = t`)."""
    made = gast.copy_location(gast.Tuple(elts=node.elts, ctx=node.ctx), node)
    return stamp(made, origin_of(node))


def list_(elts: Iterable[gast.expr], ctx: gast.expr_context | None = None) -> gast.List:
    return gast.List(elts=list(elts), ctx=ctx or gast.Load())


def starred(value: gast.expr) -> gast.Starred:
    """`*value`, as an argument or an element of a display."""
    return gast.Starred(value=value, ctx=gast.Load())


def slice_(
    lower: gast.expr | None, upper: gast.expr | None = None, step: gast.expr | None = None
) -> gast.Slice:
    """`lower:upper:step` (each part may be None), to put in brackets."""
    return gast.Slice(lower=lower, upper=upper, step=step)


def compare(left: gast.expr, op: gast.cmpop, right: gast.expr) -> gast.Compare:
    return gast.Compare(left=left, ops=[op], comparators=[right])


def if_(
    test: gast.expr, body: list[gast.stmt], orelse: Sequence = (), origin: Origin | None = None
) -> gast.If:
    return stamp(gast.If(test=test, body=list(body), orelse=list(orelse)), origin)


def try_(
    body: list[gast.stmt],
    handlers: list[gast.ExceptHandler],
    orelse: Sequence = (),
    origin: Origin | None = None,
) -> gast.Try:
    made = gast.Try(body=list(body), handlers=list(handlers), orelse=list(orelse), finalbody=[])
    return stamp(made, origin)


def except_handler(
    types: gast.expr | None, name: str | None, body: list[gast.stmt]
) -> gast.ExceptHandler:
    """`except types as name: body` (`name` None: no `as`)."""
    bound = store(name) if name is not None else None
    return gast.ExceptHandler(type=types, name=bound, body=list(body))


_GUARD = "srcgrad_guard"  # on an `if` that stands for a guarded part of a `try` statement


def mark_guard(stmt: gast.If, guard: object) -> gast.If:
    """`stmt` stands for part of a `try` statement (normalize/exceptions.py says which)."""
    setattr(stmt, _GUARD, guard)
    return stmt


def guard_of(stmt: gast.stmt) -> object | None:
    return getattr(stmt, _GUARD, None)


def subscript(value: gast.expr, index: gast.expr, store_ctx: bool = False) -> gast.Subscript:
    ctx = gast.Store() if store_ctx else gast.Load()
    return gast.Subscript(value=value, slice=index, ctx=ctx)


def assign(target: str | gast.expr, value: gast.expr, origin: Origin | None = None) -> gast.Assign:
    if isinstance(target, str):
        target = store(target)
    return stamp(gast.Assign(targets=[target], value=value, type_comment=None), origin)


def delete(names: list[str], origin: Origin | None = None) -> gast.Delete:
    targets = [gast.Name(id=n, ctx=gast.Del(), annotation=None, type_comment=None) for n in names]
    return stamp(gast.Delete(targets=targets), origin)


def expr_stmt(value: gast.expr, origin: Origin | None = None) -> gast.Expr:
    return stamp(gast.Expr(value=value), origin)


def ret(value: gast.expr | None, origin: Origin | None = None) -> gast.Return:
    return stamp(gast.Return(value=value), origin)


def raise_(exc: gast.expr, origin: Origin | None = None) -> gast.Raise:
    return stamp(gast.Raise(exc=exc, cause=None), origin)


def _positional(params: Sequence[str]) -> gast.arguments:
    """The parameters `params`, positional, with no defaults."""
    return gast.arguments(
        args=[param(p) for p in params],
        posonlyargs=[],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )


def lambda_(params: Sequence[str], body: gast.expr) -> gast.Lambda:
    """`lambda params: body`."""
    return gast.Lambda(args=_positional(params), body=body)


def function_def(name: str, params: Sequence[str], body: list[gast.stmt]) -> gast.FunctionDef:
    args = _positional(params)
    return gast.FunctionDef(
        name=name,
        args=args,
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )


def function_of_lambda(name: str, lam: gast.Lambda) -> gast.FunctionDef:
    """`def name(<the lambda's parameters, as written>): return <its body>`."""
    made = function_def(name, [], [ret(lam.body, origin_of(lam))])
    made.args = lam.args
    return stamp(made, origin_of(lam))


def with_keyword_only(fn: gast.FunctionDef, names: Sequence[str]) -> gast.FunctionDef:
    """`fn` with keyword-only parameters `names` added, without defaults (in place)."""
    fn.args.kwonlyargs = [*fn.args.kwonlyargs, *(param(n) for n in names)]
    fn.args.kw_defaults = [*fn.args.kw_defaults, *([None] * len(names))]
    return fn


def with_parameters(
    fn: gast.FunctionDef,
    positional: Sequence[gast.expr],
    defaults: Sequence[gast.expr],
    keyword_only: Sequence[gast.expr],
    kw_defaults: Sequence[gast.expr | None],
) -> gast.FunctionDef:
    """`fn` (in place) with these parameters after its positional-only ones, and no `*args`
    or `**kwargs` parameter. Parameters are `param` names; strings are made into them."""

    def made(names: Sequence) -> list:
        return [param(p) if isinstance(p, str) else p for p in names]

    fn.args = gast.arguments(
        args=made(positional),
        posonlyargs=fn.args.posonlyargs,
        vararg=None,
        kwonlyargs=made(keyword_only),
        kw_defaults=list(kw_defaults),
        kwarg=None,
        defaults=list(defaults),
    )
    return fn


def module(body: list[gast.stmt]) -> gast.Module:
    return gast.Module(body=body, type_ignores=[])


def with_store_ctx(node: gast.expr) -> gast.expr:
    """The same target expression, with every context turned to `Store` where Python needs it."""
    node = copy(node)
    if isinstance(node, (gast.Name, gast.Subscript, gast.Attribute)):
        node.ctx = gast.Store()
    elif isinstance(node, (gast.Tuple, gast.List)):
        node.ctx = gast.Store()
        node.elts = [with_store_ctx(e) for e in node.elts]
    return node


def index_value(index: gast.expr) -> gast.expr:
    """An index expression as an ordinary value: `1:3, None` becomes `(slice(1, 3, None), None)`.

    Slices are only syntax inside brackets; passing an index to a helper needs its value.
    """
    if isinstance(index, gast.Slice):
        parts = [index.lower, index.upper, index.step]
        return call(load("slice"), [copy(p) if p is not None else const(None) for p in parts])
    if isinstance(index, gast.Tuple):
        return tuple_(index_value(e) for e in index.elts)
    return copy(index)


def is_slice(index: gast.expr) -> bool:
    """A slice, as written in brackets (`1:3`) or as `index_value` makes it (`slice(1, 3, None)`)."""
    if isinstance(index, gast.Slice):
        return True
    return isinstance(index, gast.Call) and getattr(index.func, "id", None) == "slice"


def is_atom(node: gast.expr) -> bool:
    """Names and constants: the operands of a core-language operation."""
    return isinstance(node, (gast.Name, gast.Constant))


# Fields that hold a Python value (a name, a number, a flag), never a node.
_PLAIN = frozenset(
    {"id", "attr", "arg", "asname", "kind", "conversion", "simple", "level", "module",
     "is_async", "type_comment", "lineno", "tag"}
)  # fmt: skip


class _Fields(dict):
    """Node class -> its fields that may hold a node, but for those named in `skipped` (a
    constant's value is a Python value, never a node)."""

    def __init__(self, skipped: frozenset[str]):
        super().__init__({gast.Constant: ()})
        self.skipped = skipped

    def __missing__(self, cls: type) -> tuple[str, ...]:
        fields = self[cls] = tuple(f for f in cls._fields if f not in self.skipped)
        return fields


_NODE_FIELDS = _Fields(_PLAIN)
# (nor `ctx`, `op` and `ops`, which hold leaves without fields: `Load`, `Add`, `Eq`, ...)
_BRANCH_FIELDS = _Fields(_PLAIN | {"ctx", "op", "ops"})


def walk(node: gast.AST) -> list[gast.AST]:
    """The nodes `gast.walk(node)` yields, in the same order (breadth first, children in field
    order), as a list.

    About twice as fast as `gast.walk`, whose two nested generators per node dominate the cost
    of the transformation's many scans. Being a list, the walk is over the tree as it was when
    called: a caller that changes the tree while it loops sees none of its changes.
    """
    found = [node]
    for node in found:  # (the loop reaches the nodes appended while it runs)
        for name in _NODE_FIELDS[node.__class__]:
            value = getattr(node, name, None)
            if isinstance(value, _AST):
                found.append(value)
            elif isinstance(value, list):
                found.extend([item for item in value if isinstance(item, _AST)])
    return found


def _names(node: gast.AST, contexts: tuple[type, ...]) -> set[str]:
    """The ids of the names in `node` whose context is one of `contexts`."""
    found: set[str] = set()
    todo = [node]
    for node in todo:
        cls = node.__class__
        if cls is _NAME:  # (the most common node: its one field that may hold a node)
            if isinstance(node.ctx, contexts):
                found.add(node.id)
            annotation = getattr(node, "annotation", None)
            if isinstance(annotation, _AST):
                todo.append(annotation)
            continue
        for name in _BRANCH_FIELDS[cls]:
            value = getattr(node, name, None)
            if isinstance(value, _AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend([item for item in value if isinstance(item, _AST)])
    return found


def names_read(node: gast.AST) -> set[str]:
    return _names(node, (gast.Load,))


def names_stored(node: gast.AST) -> set[str]:
    return _names(node, (gast.Store, gast.Param))


# The leaves without fields that `ctx`, `op` and `ops` hold (`Load`, `Add`, `Eq`, ...).
_LEAVES = frozenset(
    leaf.__name__
    for base in (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    for leaf in base.__subclasses__()
)


class Transformer(gast.NodeTransformer):
    """`gast.NodeTransformer`, with the same visits and the same result, at about two thirds
    of the cost: each pass of the normalizer is one or two of these over the whole function.

    `generic_visit` looks only at the fields of a node that may hold one (not a name's `id`),
    and, in a transformer that visits no `Load`, `Add`, ... of its own (no `visit_Load`, no
    `generic_visit` of its own, when the class is made), not at the `ctx`, `op` and `ops`
    leaves, whose visit would change nothing.
    """

    _visited = _NODE_FIELDS  # node class -> the fields generic_visit visits

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        visits_leaves = cls.generic_visit is not Transformer.generic_visit or any(
            hasattr(cls, f"visit_{leaf}") for leaf in _LEAVES
        )
        cls._visited = _NODE_FIELDS if visits_leaves else _BRANCH_FIELDS

    def generic_visit(self, node: gast.AST) -> gast.AST:
        for field in self._visited[node.__class__]:  # (as ast.NodeTransformer's, field by field)
            old_value = getattr(node, field, None)
            if isinstance(old_value, list):
                new_values = []
                for value in old_value:
                    if isinstance(value, _AST):
                        value = self.visit(value)
                        if value is None:
                            continue
                        if not isinstance(value, _AST):
                            new_values.extend(value)
                            continue
                    new_values.append(value)
                old_value[:] = new_values
            elif isinstance(old_value, _AST):
                new_node = self.visit(old_value)
                if new_node is None:
                    delattr(node, field)
                else:
                    setattr(node, field, new_node)
        return node


def substitute(node: gast.AST, mapping: dict[str, gast.expr]) -> gast.AST:
    """A deep copy of `node` (as `copy` makes it) in which a loaded name of `mapping` is a copy
    of its expression, and a stored one a name mapped to a name is that name."""
    return _substituted(node, mapping) if mapping else copy(node)


def _substituted(node: gast.AST, mapping: dict[str, gast.expr]) -> gast.AST:
    """`substitute` in one pass: what a copy followed by a NodeTransformer did in two."""
    if isinstance(node, _NAME) and node.id in mapping:
        value = mapping[node.id]
        if isinstance(node.ctx, gast.Load):
            return copy(value)
        if isinstance(value, _NAME):
            return gast.Name(id=value.id, ctx=copy(node.ctx), annotation=None, type_comment=None)
        return copy(node)
    if isinstance(node, _NAME) or not isinstance(node, _AST):
        return copy(node)  # (a name's annotation is not substituted)
    new = node.__class__.__new__(node.__class__)
    fields = new.__dict__
    syntax = node._fields
    for key, value in node.__dict__.items():
        if key not in syntax:  # (an attribute srcgrad set, such as an origin: copied)
            fields[key] = copy(value) if isinstance(value, (_AST, list)) else value
        elif isinstance(value, list):
            fields[key] = [_substituted(item, mapping) for item in value]
        else:
            fields[key] = _substituted(value, mapping)
    return new
