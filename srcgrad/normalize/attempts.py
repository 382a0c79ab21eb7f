"""Each statement of a `try` body guarded: one that raises what the `try` catches lowers its flag.

After normalize/exceptions.py a `try` body is a *region*, `if ok: <body>`, marked. This pass, the
last, makes each core statement of a region an *attempt*, an `if` on the region's flag that
the analyses and transforms read as any other `if`:

    if _ok:
        S
    else:
        _ok = False
        _caught = None

In the forward code (`attempted`) it is `if _ok: try: S except (E,) as _error: _ok = False;
_caught = _error`. One core statement that raises has bound nothing and changed nothing, so a
call in which S raised went down the `else` path, as the `if` says; the flag, recorded after
the `if` where the code assigns it again, tells the reverse sweep which path that was, and the
sweep replays the statements of the body that ran to their end and no other. What the forward
sweep records after S (its pushes, or its tangents in forward mode) goes in the `try`'s `else`,
where an exception is not caught: the tape grows only for a statement that ran to its end.

An `if` or a loop inside a region runs under the flag, its statements guarded one by one; a
`while` loop stops when the flag falls. An update of an array element inside a region (which
the reverse sweep undoes from the tape) is refused.

>>> from srcgrad.normalize.example import show
>>> from srcgrad.normalize import exceptions
>>> def both(tree, ctx):
...     exceptions.run(tree, ctx)
...     run(tree, ctx)
>>> show(both, '''
... def f(w, x):
...     try:
...         y = w / x
...     except ZeroDivisionError:
...         y = w
...     return y
... ''')
def f(w, x):
    _ok = True
    _caught = None
    if _ok:
        y = w / x
    else:
        _ok = False
        _caught = None
    if _ok:
        pass
    else:
        y = w
    return y
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from ..errors import InternalError, SrcgradError, UnsupportedSyntaxError
from ..front import nodes
from .exceptions import Region, is_region


@dataclass(frozen=True)
class Attempt:
    """One statement of `region`: in the forward code, `held` is the exception the `except`
    clause binds; `reraised` names srcgrad's own errors where the region would catch them."""

    region: Region
    held: str
    reraised: gast.expr | None


@dataclass(frozen=True)
class _Under:
    """An `if` on a region's flag around statements that raise nothing, or an if or a loop."""

    flag: str


def is_attempt(stmt: gast.stmt) -> bool:
    return isinstance(stmt, gast.If) and isinstance(nodes.guard_of(stmt), Attempt)


def run(tree: gast.FunctionDef, ctx) -> None:
    if not any(is_region(node) for node in nodes.walk(tree)):
        return
    tree.body = _Guards(ctx).outside(tree.body)
    if any(is_region(node) for node in nodes.walk(tree)):  # (a pass rebuilt an `if`)
        raise InternalError("a 'try' block was left unguarded", ctx.origin(tree))


def attempted(stmt: gast.If) -> gast.If:
    """The forward code of an attempt whose body is its statement then what the sweep does
    after it: `if ok: try: S except E as e: ok = False; caught = e else: <the rest>`."""
    attempt: Attempt = nodes.guard_of(stmt)
    region, origin = attempt.region, nodes.origin_of(stmt)
    handlers = []
    if attempt.reraised is not None:  # srcgrad's own errors are not the user's to catch
        reraise = nodes.raise_(None, origin)
        handlers.append(nodes.except_handler(nodes.copy(attempt.reraised), None, [reraise]))
    types = [nodes.copy(t) for t in region.types]
    lowered = [
        nodes.assign(region.flag, nodes.const(False), origin),
        nodes.assign(region.caught, nodes.load(attempt.held), origin),
    ]
    caught = types[0] if len(types) == 1 else nodes.tuple_(types)
    handlers.append(nodes.except_handler(caught, attempt.held, lowered))
    made = nodes.try_(stmt.body[:1], handlers, stmt.body[1:], origin)
    return nodes.if_(nodes.load(region.flag), [made], (), origin)


class _Guards:
    def __init__(self, ctx):
        self.ctx = ctx
        self.held: dict[str, Attempt] = {}  # a region's flag -> how its attempts catch

    def outside(self, stmts: list) -> list:
        out: list = []
        for stmt in stmts:
            if is_region(stmt):
                out.extend(self.inside(stmt.body, nodes.guard_of(stmt)))
                continue
            if not isinstance(stmt, gast.FunctionDef):
                for field in ("body", "orelse"):
                    if isinstance(getattr(stmt, field, None), list):
                        setattr(stmt, field, self.outside(getattr(stmt, field)))
            out.append(stmt)
        return out

    def inside(self, stmts: list, region: Region) -> list:
        """`stmts`, in `region`: each statement an attempt, or under the region's flag."""
        out: list = []
        for stmt in stmts:
            if is_region(stmt):  # a `try` inside: it catches all this one does
                self.under(out, region, self.inside(stmt.body, nodes.guard_of(stmt)), stmt)
            elif isinstance(stmt, gast.While):
                self.under(out, region, self.loop(stmt, region), stmt)
            elif isinstance(stmt, (gast.If, gast.For)):
                stmt.body = self.inside(stmt.body, region) or [gast.Pass()]
                stmt.orelse = self.inside(stmt.orelse, region)
                self.under(out, region, [stmt], stmt)
            elif isinstance(stmt, gast.Pass):
                continue
            elif isinstance(stmt, (gast.Raise, gast.FunctionDef)) or _quiet(stmt):
                self.under(out, region, [stmt], stmt)
            else:
                out.append(self.attempt(stmt, region))
        return out

    def under(self, out: list, region: Region, stmts: list, at: gast.stmt) -> None:
        """`if ok: stmts`, joined to the `if ok:` just before it where there is one. Where
        `stmts` may lower the flag (a loop of attempts), the `if` tests a copy of it: the
        reverse sweep reads an `if`'s test as it is after the `if`, which must be as before."""
        origin = nodes.origin_of(at)
        if any(region.flag in nodes.names_stored(s) for s in stmts):
            entered = self.ctx.names.fresh("_entered")
            self.ctx.names.generated.add(entered)
            out.append(nodes.assign(entered, nodes.load(region.flag), origin))
            out.append(nodes.if_(nodes.load(entered), stmts, (), origin))
            return
        last = nodes.guard_of(out[-1]) if out else None
        if isinstance(last, _Under) and last.flag == region.flag:
            out[-1].body.extend(stmts)
            return
        guarded = nodes.if_(nodes.load(region.flag), stmts, (), origin)
        out.append(nodes.mark_guard(guarded, _Under(region.flag)))

    def loop(self, stmt: gast.While, region: Region) -> list:
        """The loop, its statements guarded, stopping when the flag falls."""
        origin = nodes.origin_of(stmt)
        going = self.ctx.names.fresh("_going")
        self.ctx.names.generated.add(going)
        again = nodes.if_(
            nodes.load(region.flag),
            [nodes.assign(going, nodes.copy(stmt.test), origin)],
            [nodes.assign(going, nodes.const(False), origin)],
            origin,
        )
        stmt.body = [*self.inside(stmt.body, region), again]
        first = nodes.assign(going, stmt.test, origin)
        stmt.test = nodes.load(going)
        return [first, stmt]

    def attempt(self, stmt: gast.stmt, region: Region) -> gast.If:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            raise UnsupportedSyntaxError(
                "an update of an element (x[i] = v) inside a 'try' block is not supported",
                self.ctx.origin(stmt),
                "compute the new value inside the 'try' block and update the array after it",
            )
        origin = nodes.origin_of(stmt)
        lowered = [
            nodes.assign(region.flag, nodes.const(False), origin),
            nodes.assign(region.caught, nodes.const(None), origin),
        ]
        made = nodes.if_(nodes.load(region.flag), [stmt], lowered, origin)
        return nodes.mark_guard(made, self.catching(region))

    def catching(self, region: Region) -> Attempt:
        if region.flag not in self.held:
            held = self.ctx.names.fresh("_error")
            self.ctx.names.generated.add(held)
            reraised = None
            if any(_catches_srcgrad_errors(self.ctx.resolve(t)) for t in region.types):
                name = self.ctx.support.name_for(SrcgradError, "SrcgradError")
                reraised = nodes.load(name)
            self.held[region.flag] = Attempt(region, held, reraised)
        return self.held[region.flag]


def _quiet(stmt: gast.stmt) -> bool:
    """`flag = True`: an assignment of a constant, which raises nothing."""
    return (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Constant)
    )


def _catches_srcgrad_errors(cls: object) -> bool:
    """Whether `except cls:` would catch an error srcgrad raises on purpose."""
    errors, stack = [], [SrcgradError]
    while stack:
        errors.append(stack.pop())
        stack.extend(errors[-1].__subclasses__())
    return isinstance(cls, type) and any(issubclass(e, cls) for e in errors)
