"""`try` statements: a flag says whether the body ran to its end, an `if` runs the handlers.

A `try` becomes `ok = True; caught = None`, its body under `if ok:` marked as a *region*
(normalize/attempts.py later guards each of the region's statements: one that raises an
exception the region catches sets `ok = False` and `caught` to the exception, and every
statement after it is skipped), then `if ok: <else block> else: <the handlers>`, where each
handler is chosen by `isinstance(caught, ...)` in order and `except E as e` binds `e = caught`.
The reverse sweep then replays the path the call took as it does for any `if`: the statements
of the body that ran, and the handler that ran.

A `raise` inside a region goes to its handlers (`caught = exception; ok = False`) when they
catch it; a bare `raise` in a handler raises `caught` again. A region also catches what the
`try` statements around it catch: its handlers raise again what none of them catches, into the
region around it. `finally` is a region that catches everything, its block, then the exception
raised again. A `return`, `break` or `continue` that would leave a `try` with a `finally` block
is refused, as are exception types that are not classes named at module level.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(K, I):
...     try:
...         L = np.linalg.cholesky(K)
...     except np.linalg.LinAlgError as e:
...         L = np.linalg.cholesky(K + I)
...     return L
... ''')
def f(K, I):
    _ok = True
    _caught = None
    if _ok:
        L = np.linalg.cholesky(K)
    if _ok:
        pass
    else:
        e = _caught
        L = np.linalg.cholesky(K + I)
    return L
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..runtime.markers import no_grad


@dataclass(frozen=True)
class Region:
    """The body of a `try` statement: `flag` is True until a statement of it raises one of
    `types` (expressions of exception classes), which `caught` then holds."""

    flag: str
    caught: str
    types: tuple


@dataclass(frozen=True)
class _Scope:
    region: Region | None = None  # the innermost region around the code
    types: tuple = ()  # what the regions around the code catch (expressions)
    current: str | None = None  # the exception a bare `raise` raises again, in a handler


def is_region(stmt: gast.stmt) -> bool:
    return isinstance(stmt, gast.If) and isinstance(nodes.guard_of(stmt), Region)


def run(tree: gast.FunctionDef, ctx) -> None:
    if any(isinstance(node, gast.Try) for node in nodes.walk(tree)):
        tree.body = _Tries(ctx).block(tree.body, _Scope())


class _Tries:
    def __init__(self, ctx):
        self.ctx = ctx

    def block(self, stmts: list, scope: _Scope) -> list:
        out: list = []
        for stmt in stmts:
            out.extend(self.statement(stmt, scope))
        return out

    def statement(self, stmt: gast.stmt, scope: _Scope) -> list:
        if isinstance(stmt, gast.Try):
            return self.try_(stmt, scope)
        if isinstance(stmt, gast.Raise):
            return self.raise_(stmt, scope)
        if isinstance(stmt, gast.FunctionDef):  # its own function: its own tries
            stmt.body = self.block(stmt.body, _Scope())
            return [stmt]
        if isinstance(stmt, gast.With) and scope.region is not None and not _no_grad(self, stmt):
            _refuse(  # (normalize/contexts.py calls its exit only where the block ends)
                self.ctx,
                stmt,
                "a 'with' statement inside a 'try' block",
                "put the 'try' statement inside the 'with' block",
            )
        for field in ("body", "orelse"):  # ifs, loops, `with` blocks
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field), scope))
        return [stmt]

    def try_(self, stmt: gast.Try, scope: _Scope) -> list:
        if stmt.finalbody:
            return self.finally_(stmt, scope)
        origin = nodes.origin_of(stmt)
        own = [self.types(h) for h in stmt.handlers]
        types = _union(scope.types, *own)
        region = self.region(types)
        inside = _Scope(region, types, scope.current)
        body = self.block(stmt.body, inside) or [gast.Pass()]
        orelse = self.block(stmt.orelse, scope) or [gast.Pass()]
        # (what the handlers do not catch, a region around them does: it is raised again)
        chosen = None  # the last handler catches all that its region catches, but ...
        if scope.types:  # ... what the handlers do not catch, a region around them does
            chosen = self.raise_(nodes.raise_(nodes.load(region.caught), origin), scope)
        for handler, caught_by in reversed(list(zip(stmt.handlers, own))):
            body_of = self.handler(handler, region, scope)
            if chosen is None:
                chosen = body_of
                continue
            test = nodes.call(
                self.ctx.builtin("isinstance"), [nodes.load(region.caught), caught_by]
            )
            chosen = [nodes.if_(test, body_of, chosen, nodes.origin_of(handler))]
        dispatch = nodes.if_(nodes.load(region.flag), orelse, chosen, origin)
        return [*self.start(region, origin), _region_if(region, body, origin), dispatch]

    def finally_(self, stmt: gast.Try, scope: _Scope) -> list:
        """`try: ... finally: F`: a region that catches everything, F, the exception again."""
        origin = nodes.origin_of(stmt)
        for block in (stmt.body, stmt.orelse, *(h.body for h in stmt.handlers), stmt.finalbody):
            _refuse_leaving(self.ctx, block)
        everything = (nodes.load(self.ctx.support.name_for(BaseException, "BaseException")),)
        region = self.region(everything)
        inside = _Scope(region, everything, scope.current)
        final = self.block(stmt.finalbody, scope)
        if stmt.handlers:
            stmt.finalbody = []
            body = self.try_(stmt, inside)
        else:
            body = self.block(stmt.body, inside)
        again = self.raise_(nodes.raise_(nodes.load(region.caught), origin), scope)
        ended = nodes.if_(nodes.load(region.flag), [gast.Pass()], again, origin)
        guarded = _region_if(region, body or [gast.Pass()], origin)
        return [*self.start(region, origin), guarded, *final, ended]

    def handler(self, handler: gast.ExceptHandler, region: Region, scope: _Scope) -> list:
        origin = nodes.origin_of(handler)
        bound = []
        if handler.name is not None:
            bound = [nodes.assign(handler.name.id, nodes.load(region.caught), origin)]
        inside = _Scope(scope.region, scope.types, region.caught)
        return [*bound, *self.block(handler.body, inside)] or [gast.Pass()]

    def raise_(self, stmt: gast.Raise, scope: _Scope) -> list:
        """`raise E`: into the handlers of the region around it where they catch it."""
        origin = nodes.origin_of(stmt)
        if stmt.exc is None:
            if scope.current is None:
                _refuse(
                    self.ctx,
                    stmt,
                    "a bare 'raise' outside an 'except' block",
                    "name the exception to raise",
                )
            stmt.exc = nodes.load(scope.current)
        if scope.region is None:
            return [stmt]
        if stmt.cause is not None:
            _refuse(
                self.ctx,
                stmt,
                "'raise ... from ...' inside a 'try' block",
                "raise the exception without 'from'",
            )
        exception, start = stmt.exc, []
        if isinstance(self.ctx.resolve(exception), type):  # `raise ValueError`: an instance
            exception = nodes.call(exception, [])
        if isinstance(exception, gast.Name):
            held = exception.id
        else:
            held = self.ctx.names.fresh("_raised")
            self.ctx.names.generated.add(held)
            start = [nodes.assign(held, exception, origin)]
        region = scope.region
        types = _copies(region.types)
        caught_by = types[0] if len(types) == 1 else nodes.tuple_(types)
        test = nodes.call(self.ctx.builtin("isinstance"), [nodes.load(held), caught_by])
        thrown = [
            nodes.assign(region.caught, nodes.load(held), origin),
            nodes.assign(region.flag, nodes.const(False), origin),
        ]
        again = nodes.raise_(nodes.load(held), origin)
        return [*start, nodes.if_(test, thrown, [again], origin)]

    def types(self, handler: gast.ExceptHandler) -> gast.expr:
        """The classes `handler` catches, as an expression (a tuple for several)."""
        if handler.type is None:  # a bare `except:`
            return nodes.load(self.ctx.support.name_for(BaseException, "BaseException"))
        parts = handler.type.elts if isinstance(handler.type, gast.Tuple) else [handler.type]
        for part in parts:
            found = self.ctx.resolve(part)
            if not (isinstance(found, type) and issubclass(found, BaseException)):
                _refuse(
                    self.ctx,
                    handler,
                    "an 'except' clause whose exception type is not a class named at module level",
                    "name the exception classes themselves: except (ValueError, KeyError):",
                )
        return nodes.copy(handler.type)

    def region(self, types: tuple) -> Region:
        names = self.ctx.names
        flag, caught = names.fresh("_ok"), names.fresh("_caught")
        names.generated |= {flag, caught}
        return Region(flag, caught, types)

    def start(self, region: Region, origin) -> list:
        return [
            nodes.assign(region.flag, nodes.const(True), origin),
            nodes.assign(region.caught, nodes.const(None), origin),
        ]


def _no_grad(tries: _Tries, stmt: gast.With) -> bool:
    manager = stmt.items[0].context_expr
    return isinstance(manager, gast.Call) and tries.ctx.resolve(manager.func) is no_grad


def _region_if(region: Region, body: list, origin) -> gast.If:
    return nodes.mark_guard(nodes.if_(nodes.load(region.flag), body, (), origin), region)


def _union(*groups) -> tuple:
    """The exception types of several groups (expressions, tuples spread), each once."""
    out: list = []
    for group in groups:
        items = group if isinstance(group, tuple) else (group,)
        for item in items:
            parts = item.elts if isinstance(item, gast.Tuple) else [item]
            for part in parts:
                if all(nodes.dotted_name(part) != nodes.dotted_name(seen) for seen in out):
                    out.append(part)
    return tuple(out)


def _copies(types: tuple) -> list:
    return [nodes.copy(t) for t in types]


_LEAVING = {gast.Return: "return", gast.Break: "break", gast.Continue: "continue"}


def _refuse_leaving(ctx, block: list, in_loop: bool = False) -> None:
    """A `return`, `break` or `continue` that would leave a `try` with a `finally` block
    (a `break` or `continue` of a loop inside it stays inside it)."""
    for stmt in block:
        if isinstance(stmt, gast.Return) or (
            isinstance(stmt, (gast.Break, gast.Continue)) and not in_loop
        ):
            _refuse(
                ctx,
                stmt,
                f"'{_LEAVING[type(stmt)]}' inside a 'try' statement with a 'finally' block",
                "set a variable, and return or leave the loop after the 'try' statement",
            )
        if isinstance(stmt, gast.FunctionDef):
            continue
        loop = isinstance(stmt, (gast.For, gast.While))  # (its `else` is outside it)
        _refuse_leaving(ctx, getattr(stmt, "body", None) or [], in_loop or loop)
        for field in ("orelse", "finalbody"):
            _refuse_leaving(ctx, getattr(stmt, field, None) or [], in_loop)
        for handler in getattr(stmt, "handlers", None) or []:
            _refuse_leaving(ctx, handler.body, in_loop)


def _refuse(ctx, node: gast.AST, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(f"{what} is not supported", ctx.origin(node), hint)
