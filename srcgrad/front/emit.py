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
from gast.ast3 import GAstToAst3 as gast_to_ast_converter

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


def unparse(node: gast.AST) -> str:
    try:
        tree = _converted(node)
    except _Unusual:  # (a function's header, an exception handler: gast's own conversion)
        tree = _prepared(gast.gast_to_ast(node))
    return ast.unparse(tree)


class _Unusual(Exception):
    """A node `_converted` leaves to gast_to_ast."""


# gast's classes that gast_to_ast converts field by field into ast's class of the same name
# (it has no visit_ method of its own for them, and they have the same fields)
_SAME = {
    gast_class: getattr(ast, name)
    for name, gast_class in vars(gast).items()
    if isinstance(gast_class, type)
    and issubclass(gast_class, gast.AST)
    and isinstance(getattr(ast, name, None), type)
    and gast_class._fields == getattr(ast, name)._fields
    and not hasattr(gast_to_ast_converter, f"visit_{name}")
}


def _converted(node: gast.AST) -> ast.AST:
    """`_prepared(gast.gast_to_ast(node))` (but for the positions ast.unparse does not read),
    three times as fast: the statements of generated code, one at a time, and headers but for
    a function's; _Unusual for a node it does not convert."""
    cls = node.__class__
    if cls is gast.Name:  # (as gast: its annotation and type comment are a parameter's)
        return ast.Name(node.id, _converted(node.ctx))
    if cls is gast.Constant and hasattr(node, "kind"):  # (ast.NodeVisitor's visit_Constant
        return _positive(ast.Constant(node.value, node.kind))  # changes nothing)
    if cls is gast.Assign:  # (as gast: no type comment)
        made = ast.Assign(_converted_value(node.targets), _converted(node.value))
    else:
        kind = _SAME.get(cls)
        if kind is None:
            raise _Unusual
        fields = node._fields
        made = kind(**{f: _converted_value(getattr(node, f)) for f in fields if hasattr(node, f)})
    if isinstance(made, ast.stmt):
        made.lineno = 1  # (what _prepared gives a statement)
    return made


def _converted_value(value: object) -> object:
    if isinstance(value, gast.AST):
        return _converted(value)
    if isinstance(value, list):
        return [_converted_value(item) for item in value]
    return value


def spelling(node: gast.expr) -> str:
    """`unparse(node).strip()`; a dotted name (`np.linalg.norm`), the common case, without
    printing a tree."""
    attributes = []
    part = node
    while isinstance(part, gast.Attribute):
        attributes.append(part.attr)
        part = part.value
    if isinstance(part, gast.Name):
        return ".".join([part.id, *reversed(attributes)])
    return unparse(node).strip()


def _positive(node: ast.AST) -> ast.AST:
    """-1.0 as `-1.0` written through unary minus, so that `(-1.0) ** 2` keeps its parentheses
    (ast.unparse writes a negative constant bare, and `-1.0 ** 2` is -1.0)."""
    if node.__class__ is not ast.Constant:
        return node
    value = node.value
    if type(value) in (int, float) and (value < 0 or (value == 0 and str(value)[0] == "-")):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    return node


def _prepared(tree: ast.AST) -> ast.AST:
    """`tree` (made by gast_to_ast: srcgrad's own) ready for ast.unparse: each negative number
    `_positive`, and a line number on each statement (ast.unparse reads it, for a type comment
    there is none of, and no other position: fix_missing_locations would give every node all
    four).

    One walk over the tree in place of a NodeTransformer and fix_missing_locations, two walks
    that cost more than the printing itself.
    """
    tree = _positive(tree)
    todo = [tree]
    for node in todo:
        if isinstance(node, ast.stmt) and not hasattr(node, "lineno"):
            node.lineno = 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                if value.__class__ is ast.Constant:
                    value = _positive(value)
                    setattr(node, name, value)
                todo.append(value)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        if item.__class__ is ast.Constant:
                            item = value[i] = _positive(item)
                        todo.append(item)
    return tree
