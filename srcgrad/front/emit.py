"""Emit stage: generated code as text, each adjoint block under a comment with the user's line.

Output is deterministic (the same function and options give the same text), so it is tested
as text. Code is printed by the standard library's `ast.unparse`, one statement at a time so
that comments can go between them, inside loops and branches too.
"""

from __future__ import annotations

import ast
import copy
import os

import gast

from . import nodes

_COMPOUND = (gast.If, gast.For, gast.While, gast.FunctionDef)


def emit(fn: gast.FunctionDef, origins: dict | None = None) -> str:
    """The text of `fn`; `origins`, if given, gets the user's line each generated line came
    from (generated line number -> Origin), for errors raised as the code runs."""
    lines = [_header(fn)]
    _block(fn.body, "    ", lines, {} if origins is None else origins)
    return "\n".join(lines) + "\n"


def _block(stmts: list, indent: str, lines: list[str], origins: dict) -> None:
    previous = None
    for stmt in stmts:
        origin = nodes.origin_of(stmt)
        if nodes.is_titled(stmt):
            if origin is not None and origin != previous:
                name = os.path.basename(origin.filename)
                lines.append(f"{indent}# {name}:{origin.lineno}  {origin.text}")
            previous = origin
        if nodes.note_of(stmt):
            lines.append(f"{indent}# {nodes.note_of(stmt)}")
        if isinstance(stmt, _COMPOUND):
            lines.append(indent + _header(stmt))
            _note(origins, len(lines), origin)
            _block(stmt.body, indent + "    ", lines, origins)
            if getattr(stmt, "orelse", None):
                lines.append(indent + "else:")
                _block(stmt.orelse, indent + "    ", lines, origins)
        else:
            for line in _statement(stmt).splitlines():
                lines.append(indent + line)
                _note(origins, len(lines), origin)


def _note(origins: dict, lineno: int, origin) -> None:
    if origin is not None:
        origins[lineno] = origin


def _statement(stmt: gast.stmt) -> str:
    """One simple statement; `a, b = ...` without parentheses on every Python version."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Tuple):
        names = ", ".join(unparse(e) for e in stmt.targets[0].elts)
        return f"{names} = {unparse(stmt.value)}"
    return unparse(stmt)


def _header(stmt: gast.stmt) -> str:
    """The first line of a compound statement (`def f(x):`, `for i in range(n):`)."""
    shallow = copy.copy(stmt)
    shallow.body = [gast.Pass()]
    if hasattr(shallow, "orelse"):
        shallow.orelse = []
    return unparse(shallow).splitlines()[0]


class _Negatives(ast.NodeTransformer):
    """-1.0 as `-1.0` written through unary minus, so that `(-1.0) ** 2` keeps its parentheses
    (ast.unparse writes a negative constant bare, and `-1.0 ** 2` is -1.0)."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if type(value) in (int, float) and (value < 0 or (value == 0 and str(value)[0] == "-")):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
        return node


def unparse(node: gast.AST) -> str:
    tree = _Negatives().visit(gast.gast_to_ast(node))
    return ast.unparse(ast.fix_missing_locations(tree))
