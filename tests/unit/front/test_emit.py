"""front/emit.py's `unparse`: the text gast's conversion to `ast`, a negative number written
through unary minus and ast.unparse give, for statements, expressions and headers, whichever
of its two conversions (its own, or gast's for a function's header) it takes."""

from __future__ import annotations

import ast

import gast

from srcgrad.front import emit, nodes


class _Negatives(ast.NodeTransformer):
    def visit_Constant(self, node):
        value = node.value
        if type(value) in (int, float) and (value < 0 or (value == 0 and str(value)[0] == "-")):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
        return node


def reference(node: gast.AST) -> str:
    tree = _Negatives().visit(gast.gast_to_ast(node))
    return ast.unparse(ast.fix_missing_locations(tree))


SOURCE = """
def f(x, *args, k=-2, **kwargs):
    y = (-1.0) ** 2 + x[1:-1, None] @ np.exp(-x) - -0.0
    a, b = y, {"k": [i * -3 for i in range(3) if i], **kwargs}
    while a < 3 and not b:
        a = a - 1 if a else lambda u, w=-1: u
    for i in range(-5):
        del a
    try:
        raise ValueError(f"{y!r:>{k}}")
    except ValueError as error:
        pass
    return np.sum(y, axis=-1, keepdims=True)
"""


class _Negated(gast.NodeTransformer):
    """Every other number negative, as srcgrad's folding makes them (parsed source has none:
    `-1.0` is a unary minus applied to 1.0)."""

    def __init__(self):
        self.count = 0

    def visit_Constant(self, node):
        self.count += 1
        if type(node.value) in (int, float) and self.count % 2:
            return gast.Constant(value=-node.value if node.value else -0.0, kind=None)
        return node


def _parts():
    tree = _Negated().visit(gast.parse(SOURCE))
    return [n for n in gast.walk(tree) if isinstance(n, (gast.stmt, gast.expr))]


def test_unparse_is_gasts_conversion_printed():
    parts = _parts()
    assert len(parts) > 80
    for node in parts:
        assert emit.unparse(node) == reference(node)


def test_negative_numbers_keep_their_parentheses():
    power = nodes.binop(nodes.const(-1.0), gast.Pow(), nodes.const(2))
    assert emit.unparse(nodes.assign("y", power)) == "y = (-1.0) ** 2"
    power = nodes.binop(nodes.load("x"), gast.Pow(), nodes.const(-2))
    assert emit.unparse(power) == "x ** (-2)"
    assert emit.unparse(nodes.const(-0.0)) == "-0.0"


def test_spelling_of_a_dotted_name_is_its_unparsed_text():
    for source in ("np.linalg.norm", "f", "x[0].T", "(a + b).sum"):
        node = gast.parse(source).body[0].value
        assert emit.spelling(node) == reference(node).strip()
