"""Analyse stage, scans of the normalized statements: the ones that compute, every statement in
blocks, and a call of the user's function bound to the callee's parameters."""

from __future__ import annotations

import inspect

import gast

from ..errors import NoRuleError, UnsupportedSyntaxError
from ..front import nodes
from ..front.fence import is_append


def assignments(body: list) -> list[gast.stmt]:
    """The statements that compute: assignments, and `xs.append(v)`."""
    return [n for n in walk_statements(body) if isinstance(n, gast.Assign) or is_append(n)]


def walk_statements(body: list):
    for stmt in body:
        yield stmt
        for field_name in ("body", "orelse"):
            yield from walk_statements(getattr(stmt, field_name, None) or [])


def bind_user_call(ctx, stmt: gast.Assign, op, active: set[str]) -> None:
    """Bind a call to the user's function to its parameters (`op.bindings`) and find those
    bound to active values (`op.active_params`)."""
    starred = [i for i, a in enumerate(op.args) if isinstance(a, gast.Starred)]
    try:
        if starred:  # f(x, *rest): only the arguments before the star are bound by name
            leading = op.args[: starred[0]]
            bound = inspect.signature(op.key, follow_wrapped=False).bind_partial(
                *leading, **op.keywords
            )
        else:
            bound = inspect.signature(op.key, follow_wrapped=False).bind(*op.args, **op.keywords)
    except TypeError as exc:
        raise NoRuleError(
            f"cannot call '{op.description}' with these arguments ({exc})", ctx.origin(stmt)
        ) from None
    op.bindings = dict(bound.arguments)
    passed = (
        set().union(*(nodes.names_read(a) for a in op.args[starred[0] :])) if starred else set()
    )
    if passed & active:
        raise UnsupportedSyntaxError(
            "a differentiated value passed to your function after '*' is not supported",
            ctx.origin(stmt),
            "pass the values to differentiate by name or before the star",
        )
    op.active_params = [
        p for p, node in op.bindings.items() if isinstance(node, gast.Name) and node.id in active
    ]
