"""Emit stage: generated code as text, each adjoint block under a comment with the user's line.

Output is deterministic (the same function and options give the same text), so it is tested
as text. Code is printed by the standard library's `ast.unparse`.
"""

from __future__ import annotations

import ast
import os

import gast

from . import nodes


def emit(fn: gast.FunctionDef) -> str:
    body = fn.body
    fn.body = []
    header = unparse(fn).splitlines()[0]
    fn.body = body
    lines = [header]
    previous = None
    for stmt in body:
        origin = nodes.origin_of(stmt)
        if nodes.is_adjoint(stmt) and origin is not None and origin != previous:
            name = os.path.basename(origin.filename)
            lines.append(f"    # {name}:{origin.lineno}  {origin.text}")
        if nodes.is_adjoint(stmt):
            previous = origin
        lines.extend("    " + line for line in unparse(stmt).splitlines())
    return "\n".join(lines) + "\n"


def unparse(node: gast.AST) -> str:
    tree = gast.gast_to_ast(node)
    if isinstance(tree, ast.FunctionDef) and not tree.body:
        tree.body = [ast.Pass()]
    return ast.unparse(ast.fix_missing_locations(tree))
