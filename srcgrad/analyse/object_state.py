"""Analyse stage, object state: a call srcgrad runs as it is never changes, unseen, what an
object or an argument holds with a value that moves with the differentiated ones.

A call of a function known only as the code runs (`acc.add(x)`, `tr.record(v)`, a method of an
object the function made or was given) goes through the run-time dispatch where its value
carries a derivative (api/dynamic.py, which refuses one that writes into its arguments). A call
made for its effect, or whose value the output does not depend on, runs as it is: where it is
given a value that moves with the differentiated ones (or is a method of an object that does),
what it writes into its object or its arguments is a change srcgrad does not follow, and the
derivative of what is read from there later would be lost. `guard` puts a check before each
such call, `state_kept(acc.add, (0,), x)`, which refuses the call at the user's line, as the
code runs, where the function that arrives (a method or function of the user's, read by
`memory.summary_of`) may write into its object or an argument with or into a value that moves
(the positions, keywords and `"self"` the tuple names), or where it is a list's, dict's or
array's own method that writes (`push = s.items.append; push(v)`). A write of a value that does
not move into a value that does not move (a counter of calls, a log of strings) runs as it is.
"""

from __future__ import annotations

import collections
import functools
import inspect
import sys
import types

import gast

from ..errors import SrcgradError, UnsupportedSyntaxError
from ..front import fence, nodes, reading
from ..front.context import Context
from ..front.fence import is_append
from ..front.reading import MISSING, has_user_source
from ..normalize import normalize
from ..normalize.ir import Kind
from ..normalize.objects import MUTATING
from ..runtime.checks import calling_line
from ..runtime.containers import is_object
from .memory import summary_of

_ALL = "*"  # (a starred argument: any position may move)


def guard(ctx, body: list, ops: dict, varied: frozenset, active: set) -> None:
    """Put `state_kept(...)` before each call that runs as it is, is passed a value in
    `varied` and whose function srcgrad knows only as the code runs."""
    for k in reversed(range(len(body))):
        stmt = body[k]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:
                guard(ctx, inner, ops, varied, active)
        call = _run_as_it_is(ctx, stmt, ops, active)
        if call is None:
            continue
        moving = _moving(call, varied)
        if moving:
            check = ctx.support.name_for(state_kept, "state_kept")
            args = [nodes.copy(call.func), nodes.const(moving), *map(nodes.copy, call.args)]
            keywords = {k.arg: nodes.copy(k.value) for k in call.keywords if k.arg}
            made = nodes.call(nodes.load(check), args, keywords)
            body.insert(k, nodes.expr_stmt(made, ctx.origin(stmt)))


def _run_as_it_is(ctx, stmt: gast.stmt, ops: dict, active: set) -> gast.Call | None:
    """The call of a function known only as the code runs that `stmt` makes, where srcgrad
    runs it as it is (for its effect, or for a value the output does not depend on)."""
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and not is_append(stmt):
        call = stmt.value
    elif isinstance(stmt, gast.Assign) and id(stmt) in ops:
        op = ops[id(stmt)]
        if op.kind is not Kind.UNKNOWN or op.callee is None or op.target in active:
            return None
        call = stmt.value
    else:
        return None
    if not isinstance(call, gast.Call) or _element_method(ctx, call.func):
        return None
    callee = ctx.resolve(call.func)
    if callee is MISSING or isinstance(callee, types.MethodType) or is_object(callee):
        return call
    return None


def _element_method(ctx, func: gast.expr) -> bool:
    """`hist["loss"].append(v)`: a writing method of an element of the function's own
    container, which analyse/element_updates.py follows (a log nobody reads runs as it is)."""
    if not (isinstance(func, gast.Attribute) and func.attr in MUTATING):
        return False
    root = func.value
    if not isinstance(root, gast.Subscript):
        return False
    while isinstance(root, gast.Subscript):
        root = root.value
    return isinstance(root, gast.Name) and not ctx.is_global_reference(func.value)


def _moving(call: gast.Call, varied: frozenset) -> tuple:
    """The positions, keywords and (`"self"`) object of `call` whose values move."""
    moving: list = []
    root = call.func
    while isinstance(root, (gast.Attribute, gast.Subscript)):
        root = root.value
    if isinstance(root, gast.Name) and root.id in varied:
        moving.append("self")
    for k, arg in enumerate(call.args):
        if nodes.names_read(arg) & varied:
            moving.append(_ALL if isinstance(arg, gast.Starred) else k)
    for keyword in call.keywords:
        if nodes.names_read(keyword.value) & varied:
            moving.append(keyword.arg or _ALL)
    return tuple(moving)


def state_kept(fn, moving: tuple, *args, **kwargs) -> None:
    """Refuse, at the user's line, a call of `fn` on `args` that may write into its object or
    an argument with or into a value that moves (`moving`: positions, keywords, `"self"`)."""
    _kept(fn, moving, args, kwargs, frozenset())


def _kept(fn, moving: tuple, args: tuple | None, kwargs: dict, seen: frozenset) -> None:
    """`state_kept` of `fn`; `args` None: a call of it whose arguments are not known here
    (called by a function srcgrad runs as it is), every one of them moving."""
    given = len(args or ())
    fixed: tuple = ()
    while True:  # (what `fn` brings itself comes before the call's own arguments)
        if isinstance(fn, types.MethodType):
            fixed, fn = (*fixed, fn.__self__), fn.__func__
        elif isinstance(fn, functools.partial):
            fixed, kwargs, fn = (*fixed, *fn.args), {**fn.keywords, **kwargs}, fn.func
        elif is_object(fn):
            fixed, fn = (*fixed, fn), type(fn).__call__
        else:
            break
    if not has_user_source(fn) or reading.module_of(fn).split(".")[0] in sys.stdlib_module_names:
        _library_method(fn, moving)  # (a library's: `logger.debug(...)` keeps a string)
        return
    try:
        signature = inspect.signature(fn, follow_wrapped=False)
        if args is None:
            values = dict(zip(signature.parameters, fixed))
            names = list(signature.parameters)
        else:
            values = signature.bind(*fixed, *args, **kwargs).arguments
            names = list(values)
    except (TypeError, ValueError):
        return  # (the call itself raises)
    moves = _moves(moving, names, len(fixed) if args is not None else len(names), given)
    summary = summary_of(fn)
    sources = summary.written_from
    first = len(fixed)
    for name in sorted(summary.writes & set(names), key=lambda n: (names.index(n) >= first, n)):
        came = None if sources is None else sources.get(name)
        if moves and (name in moves or came is None or came & moves):
            _refuse(fn, name, summary)
    if moves and fn not in seen:
        _inner(fn, values, seen | {fn})


def _moves(moving: tuple, names: list, fixed: int, given: int) -> set:
    """The parameters bound to moving values: `fixed` of them bound by the function value."""
    moves = set()
    for m in moving:
        if m == _ALL or fixed >= len(names):
            moves |= set(names)
        elif m == "self":
            moves |= set(names[:fixed]) or set(names)
        elif isinstance(m, int) and fixed + m < len(names):
            moves.add(names[fixed + m])
        elif isinstance(m, str) and m in names:
            moves.add(m)
        else:
            moves |= set(names)  # (into `*args` or `**kwargs`)
    return moves


def _inner(fn, values: dict, seen: frozenset) -> None:
    """The calls `fn` makes of functions known only as the code runs, which its summary does
    not see into: `p.method(...)` of a parameter `p` is checked as a call that moves every
    value (the method is found on the value `p` has); any other is refused."""
    for param, attr, origin in _calls_inside(fn):
        value = values.get(param, _UNKNOWN)
        found = getattr(value, attr, _UNKNOWN) if attr is not None else value
        if found is _UNKNOWN or not callable(found):
            _refuse_inside(fn, origin)
        try:
            _kept(found, (_ALL,), None, {}, seen)
        except UnsupportedSyntaxError as exc:
            raise UnsupportedSyntaxError(
                f"{exc.bare_message} (called by '{_spelled(fn)}' at {origin.where()}: "
                f"{origin.text.strip()})",
                calling_line(),
                exc.hint,
            ) from None


_UNKNOWN = object()
_INSIDE: dict = {}


def _calls_inside(fn) -> list:
    """`(parameter, method or None, origin)` of each call in `fn`'s normalized code of a
    function srcgrad knows only as the code runs (`(None, None, origin)`: of no parameter)."""
    if fn in _INSIDE:
        return _INSIDE[fn]
    found = []
    try:
        parsed = reading.read(fn)
        fence.check(parsed)
        ctx = Context.of(parsed)
        normalize(ctx)
    except Exception:  # (unreadable: its summary says it may write anything)
        return []
    params = {a.id for a in parsed.tree.args.args + parsed.tree.args.kwonlyargs}
    for node in nodes.walk(ctx.parsed.tree):
        if not isinstance(node, gast.Call):
            continue
        callee = ctx.resolve(node.func)
        if not (callee is MISSING or isinstance(callee, types.MethodType) or is_object(callee)):
            continue
        func, origin = node.func, ctx.origin(node)
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            param = func.value.id if func.value.id in params else None
            found.append((param, func.attr, origin))
        elif isinstance(func, gast.Name) and func.id in params:
            found.append((func.id, None, origin))
        else:
            found.append((None, None, origin))
    _INSIDE[fn] = found
    return found


def _refuse_inside(fn, origin) -> None:
    raise UnsupportedSyntaxError(
        f"a call of '{_spelled(fn)}', which calls a function srcgrad knows only as the code "
        f"runs ({origin.where()}: {origin.text.strip()}), where a value that carries a "
        "derivative is passed to it or held by it, is not supported: srcgrad runs the call as "
        "it is and cannot tell what that function writes",
        calling_line(),
        "use the value the call returns, or call the inner function in the differentiated "
        "function itself",
    )


def _spelled(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "function")


def _library_method(fn, moving: tuple) -> None:
    """A list's, dict's, set's or array's own method that writes into it."""
    receiver = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if (
        moving
        and name in MUTATING
        and isinstance(receiver, (list, dict, set, bytearray, collections.deque))
    ):
        raise UnsupportedSyntaxError(
            f"a call of '.{name}()' of a {type(receiver).__name__} known only as the code "
            "runs, with a value that carries a derivative, is not supported: srcgrad does not "
            "follow what it writes",
            calling_line(),
            "call it on a name of the function (xs.append(v)) on a line of its own",
        )


def _refuse(fn, name: str, summary) -> None:
    spelled = _spelled(fn)
    where = summary.where.get(name)
    inside = _unfollowed(fn) or (
        f" ({where.where()}: {where.text.strip()})" if where is not None else ""
    )
    raise UnsupportedSyntaxError(
        f"a call of '{spelled}', which changes what its argument '{name}' holds{inside}, "
        "where a value that carries a derivative is passed to it or held by it, is not "
        "supported: srcgrad runs the call as it is and would lose the derivative of what is "
        "written",
        calling_line(),
        "have the method return the new value and use that (a new object made from it, "
        "or the value itself), instead of storing it in the object; build a list in a name "
        "of the function (xs = []; xs.append(v)) and pass it on",
    )


def _unfollowed(fn) -> str:
    """What in `fn` srcgrad cannot follow, and where, from reading it again ("" if nothing)."""
    try:
        parsed = reading.read(fn)
        fence.check(parsed)
        normalize(Context.of(parsed))
    except SrcgradError as exc:
        where = f"{exc.origin.where()}: {exc.origin.text.strip()}: " if exc.origin else ""
        return f" (in it, {where}{exc.bare_message})"
    except Exception:  # (unreadable: the summary says it may write anything)
        return ""
    return ""


state_kept.opaque = True
