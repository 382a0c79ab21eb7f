"""NaN tracing (`check_finite=True`): a check after every adjoint the generated code computes.

The first adjoint that holds a nan or an infinity raises `NonFiniteError` naming the user's
line whose derivative produced it, with the values that went into it. Source transformation
knows exactly which line that is; a tracing tool only knows which operation.

The checks go in before the optimizer runs (`add_checks`), which keeps them as the effects they
are: an adjoint folded into another expression is still checked where it was computed. After it,
`prune` drops the checks the folding made pointless: of a constant, or of the value the check
just before it checked.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..front import nodes

_COMPOUND = (gast.If, gast.For, gast.While, gast.FunctionDef)


def add_checks(fn: gast.FunctionDef, ctx) -> None:
    _block(fn.body, ctx, adjoints=ctx.names.adjoints_all())


def prune(fn: gast.FunctionDef, ctx) -> None:
    helper = ctx.support.name_for(runtime.check_finite, "check_finite")
    _prune(fn.body, helper)


def _prune(stmts: list, helper: str) -> None:
    kept: list = []
    previous = None  # the value the statement just before checked
    for stmt in stmts:
        if isinstance(stmt, _COMPOUND):
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    _prune(getattr(stmt, field), helper)
        checked = _checked(stmt, helper)
        if checked is not None and (
            isinstance(checked, gast.Constant)
            or (previous is not None and _same_name(checked, previous))
        ):
            continue
        previous = checked
        kept.append(stmt)
    stmts[:] = kept


def _checked(stmt: gast.stmt, helper: str) -> gast.expr | None:
    """The value a check statement checks (None for any other statement)."""
    if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)):
        return None
    call = stmt.value
    if not (isinstance(call.func, gast.Name) and call.func.id == helper and call.args):
        return None
    return call.args[0]


def _same_name(a: gast.expr, b: gast.expr) -> bool:
    return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id


def _block(stmts: list, ctx, adjoints: set[str]) -> None:
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        if isinstance(stmt, _COMPOUND):
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if inner:
                    _block(inner, ctx, adjoints)
        elif _is_adjoint_assignment(stmt, adjoints):
            stmts.insert(i + 1, _check(stmt, ctx, adjoints))
            i += 1
        i += 1


def _target(stmt: gast.stmt) -> gast.expr | None:
    if isinstance(stmt, gast.Assign):
        return stmt.targets[0]
    return stmt.target if isinstance(stmt, gast.AugAssign) else None


def _is_adjoint_assignment(stmt: gast.stmt, adjoints: set[str]) -> bool:
    target = _target(stmt)
    return nodes.is_adjoint(stmt) and isinstance(target, gast.Name) and target.id in adjoints


def _check(stmt: gast.stmt, ctx, adjoints: set[str]) -> gast.stmt:
    name = _target(stmt).id
    origin = nodes.origin_of(stmt)
    local = (ctx.local_names | adjoints) - set(ctx.support.injected)
    reads = nodes.names_read(stmt.value) | ({name} if isinstance(stmt, gast.AugAssign) else set())
    involved = sorted(reads & local)
    values = gast.Dict(
        keys=[nodes.const(n) for n in involved], values=[nodes.load(n) for n in involved]
    )
    helper = ctx.support.name_for(runtime.check_finite, "check_finite")
    where = origin.where() if origin else ""
    text = origin.text if origin else ""
    call = nodes.call(
        nodes.load(helper),
        [nodes.load(name), nodes.const(name), nodes.const(where), nodes.const(text), values],
    )
    return nodes.mark_adjoint(nodes.expr_stmt(call, origin))
