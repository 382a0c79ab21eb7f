"""Optimize stage, constants and trivial algebra: `-(2)` is `-2`, `1.0 * e` and `e * 1.0` are
`e`, `--e` is `e`, `x * -1.0` is `-x`. A product with 1.0 stays where it is the only thing that
makes a new array: a primal value, or a view of one, is never returned as a gradient by reference.
"""

from __future__ import annotations

import operator

import gast

from ..analyse.in_place import SHARING
from ..front import nodes

_FOLDABLE = {
    gast.Add: float.__add__,
    gast.Sub: float.__sub__,
    gast.Mult: float.__mul__,
    gast.Div: float.__truediv__,
}

_COMPARISONS = {
    gast.Eq: operator.eq,
    gast.NotEq: operator.ne,
    gast.Lt: operator.lt,
    gast.LtE: operator.le,
    gast.Gt: operator.gt,
    gast.GtE: operator.ge,
}


def is_number(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


class _Constants(gast.NodeTransformer):
    """`-(1.0)` is `-1.0`, `2 - 1` is `1`, `-1.0 / 5` is `-0.2`; `slice(1, None)` in an index
    is `1:`."""

    changed = False

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.expr:
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and is_number(node.operand):
            self.changed = True
            return nodes.const(-node.operand.value)
        return node

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        fold = _FOLDABLE.get(type(node.op))
        if fold and is_number(node.left) and is_number(node.right):
            left, right = node.left.value, node.right.value
            if isinstance(node.op, gast.Div) and right == 0:
                return node
            value = fold(float(left), float(right))
            if type(left) is int and type(right) is int and not isinstance(node.op, gast.Div):
                value = int(value)
            if len(repr(value)) > 8:
                return node  # `-1.0 / 6` says more than -0.16666666666666666
            self.changed = True
            return nodes.const(value)
        return node

    def visit_Compare(self, node: gast.Compare) -> gast.expr:
        """`2.0 == 0` (a rule's guard, with a constant for its operand) is `False`, as Python
        computes it (linters flag a comparison of two constants)."""
        self.generic_visit(node)
        if len(node.ops) == 1 and is_number(node.left) and is_number(node.comparators[0]):
            compare = _COMPARISONS.get(type(node.ops[0]))
            if compare is not None:
                self.changed = True
                return nodes.const(compare(node.left.value, node.comparators[0].value))
        return node

    def visit_Subscript(self, node: gast.Subscript) -> gast.expr:
        self.generic_visit(node)
        index = node.slice
        if (  # (a, b)[1] is b
            isinstance(node.value, gast.Tuple)
            and isinstance(index, gast.Constant)
            and type(index.value) is int
            and -len(node.value.elts) <= index.value < len(node.value.elts)
        ):
            self.changed = True
            return node.value.elts[index.value]
        index = node.slice
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        parts = [_as_slice(p) for p in parts]
        node.slice = nodes.tuple_(parts) if isinstance(index, gast.Tuple) else parts[0]
        return node


def _as_slice(node: gast.expr) -> gast.expr:
    """`slice(a, b, c)` (the builtin, by name) written as index syntax `a:b:c`."""
    if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
        return node
    if node.func.id != "slice" or node.keywords or not 1 <= len(node.args) <= 3:
        return node
    args = [None if isinstance(a, gast.Constant) and a.value is None else a for a in node.args]
    if len(args) == 1:
        args = [None, args[0]]
    args += [None] * (3 - len(args))
    return gast.Slice(lower=args[0], upper=args[1], step=args[2])


def fold_constants(fn) -> bool:
    folder = _Constants()
    folder.visit(fn)
    return folder.changed


class _Algebra(gast.NodeTransformer):
    def __init__(self, generated: set[str], floats=None, views=frozenset()):
        self.generated = generated
        self.views = views  # srcgrad's temporaries that hold a view of a primal array
        self.floats = floats  # names that hold floats (adjoints, tangents); None: any name
        self.changed = False
        self._path: list[gast.AST] = []  # the nodes from the root to the one visited

    def visit(self, node):
        self._path.append(node)
        try:
            return super().visit(node)
        finally:
            self._path.pop()

    def _operand_of_arithmetic(self) -> bool:
        """The node visited is an operand of an arithmetic operator, which makes a new array
        of its result whatever the operand is (`2 * (x ** 1)` may read `2 * x`)."""
        parent = self._path[-2] if len(self._path) > 1 else None
        return isinstance(parent, gast.BinOp) or (
            isinstance(parent, gast.UnaryOp) and isinstance(parent.op, (gast.USub, gast.UAdd))
        )

    def _may_drop(self, node: gast.expr) -> bool:
        """`node ** 1` (or `--node`) may read `node`: a new array is made anyway."""
        return self._operand_of_arithmetic() or self._keeps_fresh(node)

    def _may_drop_one(self, node: gast.expr) -> bool:
        """`1.0 * node` may read `node`: a new array is made anyway, and `node` is a float
        already (the product with 1.0 makes an integer array a float one)."""
        return self._keeps_fresh(node) or (self._operand_of_arithmetic() and self._float(node))

    def _float(self, node: gast.expr) -> bool:
        return self.floats is None or (isinstance(node, gast.Name) and node.id in self.floats)

    def _keeps_fresh(self, node: gast.expr) -> bool:
        """`node` alone is a new array, or one of srcgrad's own. `1.0 * x` makes a new array;
        `x` alone would hand out the caller's or a primal array, and `np.reshape(y, s)`,
        `y.T` or `y[1:]` a view of it, which the reverse sweep may change in place later."""
        if isinstance(node, gast.Name):
            return node.id in self.generated and node.id not in self.views
        if isinstance(node, gast.Attribute) and node.attr in ("T", "real", "imag"):
            return self._keeps_fresh(node.value)
        if isinstance(node, gast.Subscript):
            return self._keeps_fresh(node.value)
        if isinstance(node, gast.Call) and node.args and _views(node.func):
            return self._keeps_fresh(node.args[0])
        return True

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        if isinstance(node.op, gast.Mult):
            for one, other in ((node.left, node.right), (node.right, node.left)):
                if _is_one(one) and self._may_drop_one(other):
                    self.changed = True
                    return other
                if _is_minus_one(one) and self._float(other):  # -1.0 * e is -e (not for a
                    self.changed = True  # boolean e: -mask is an error)
                    return nodes.unary(gast.USub(), other)
        if isinstance(node.op, gast.Div) and _is_one(node.right) and self._may_drop_one(node.left):
            self.changed = True
            return node.left
        if isinstance(node.op, gast.Pow) and _is_one(node.right) and self._may_drop(node.left):
            self.changed = True
            return node.left
        right = node.right
        if isinstance(node.op, gast.Add) and _is_negation(right):  # a + -b is a - b
            self.changed = True
            return nodes.binop(node.left, gast.Sub(), right.operand)
        if isinstance(node.op, gast.Sub) and _is_negation(right):  # a - -b is a + b
            self.changed = True
            return nodes.binop(node.left, gast.Add(), right.operand)
        if isinstance(node.op, gast.Sub) and _flip_leading_negative(right):  # a - -0.5 * b
            self.changed = True
            return nodes.binop(node.left, gast.Add(), right)
        if isinstance(node.op, gast.Add) and (  # a + -b * c, a + -0.5 * b
            _strip_leading_negation(right) or _flip_leading_negative(right)
        ):
            self.changed = True
            return nodes.binop(node.left, gast.Sub(), right)
        if isinstance(node.op, gast.Mult):  # a * (1 / b) is a / b
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(b, gast.BinOp) and isinstance(b.op, gast.Div) and _is_one(b.left):
                    self.changed = True
                    return nodes.binop(a, gast.Div(), b.right)
        return node

    def visit_Assign(self, node: gast.Assign) -> gast.stmt:
        self.generic_visit(node)
        value = node.value
        if (  # `dx[::2] = 1.0 * w`: the update copies w into dx anyway
            isinstance(node.targets[0], gast.Subscript)
            and isinstance(value, gast.BinOp)
            and isinstance(value.op, gast.Mult)
        ):
            for one, other in ((value.left, value.right), (value.right, value.left)):
                if _is_one(one):
                    node.value = other
                    self.changed = True
                    break
        return node

    def visit_AugAssign(self, node: gast.AugAssign) -> gast.stmt:
        """`dx += -e` and `dx += -e * 2` are `dx -= e` and `dx -= e * 2`."""
        self.generic_visit(node)
        if isinstance(node.op, gast.Add) and _is_negation(node.value):
            node.op, node.value = gast.Sub(), node.value.operand
            self.changed = True
        elif isinstance(node.op, gast.Add) and (
            _strip_leading_negation(node.value) or _flip_leading_negative(node.value)
        ):
            node.op = gast.Sub()
            self.changed = True
        return node

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.expr:
        self.generic_visit(node)
        inner = node.operand
        if _is_negation(node) and _is_negation(inner) and self._may_drop(inner.operand):
            self.changed = True
            return inner.operand
        if isinstance(node.op, gast.USub) and _strip_leading_negation(inner):
            self.changed = True  # -(-a * b / c) is a * b / c
            return inner
        return node


# the names of the functions whose result may be a view of their first argument
_VIEWS = {function.__name__ for function in SHARING}


def _views(func: gast.expr) -> bool:
    name = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", None)
    return name in _VIEWS


def _strip_leading_negation(node: gast.expr) -> bool:
    """Remove the `-` of the leftmost factor of a product or quotient, if it has one."""
    parent = None
    while isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        parent, node = node, node.left
    if parent is None or not (isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)):
        return False
    parent.left = node.operand
    return True


def _is_negation(node: gast.expr) -> bool:
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _flip_leading_negative(node: gast.expr) -> bool:
    """`-0.5 * b / c` becomes `0.5 * b / c` (in place): True if it was led by a negative
    number, a factor of the whole (`-1.0 / 4096 * b`: the leftmost operand of products and
    quotients is always in the numerator)."""
    while isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        first = node.left
        if is_number(first) and first.value < 0:
            node.left = nodes.const(-first.value)
            return True
        node = first
    return False


def _is_minus_one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == -1


def _is_one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == 1


def trivial_algebra(fn, generated, floats=frozenset(), views=frozenset()) -> bool:
    algebra = _Algebra(generated, floats, views)
    algebra.visit(fn)
    return algebra.changed


class _Everything:
    """Every name: in a formula shown to the reader, `1.0 * x` is `x` whatever `x` is."""

    def __contains__(self, name: str) -> bool:
        return True


def simplified(expression: gast.expr) -> gast.expr:
    """An expression with constants folded and trivial algebra done (for formulas shown)."""
    holder = gast.Expr(value=nodes.copy(expression))
    for _ in range(8):
        constants, algebra = _Constants(), _Algebra(_Everything(), None)
        constants.visit(holder)
        algebra.visit(holder)
        if not (constants.changed or algebra.changed):
            break
    return holder.value
