"""Uniform adjoints through a statement: one number over a shape stays one number where it can.

The adjoint of `np.sum(x)` is 1.0 at every element of x, and of `np.mean(x)` 1/n. Held as that
number (`adjoint_state.Uniform`), it passes through elementwise statements whose operands have
the result's shape (`y = a * b`: a's adjoint is the number times b, an array; `y = x + 1`:
x's adjoint is the number itself), and through a sum of a sum; the array is made
(`np.full_like`) only where something needs it. A contribution made from a uniform adjoint is
"full" when it reads a value of the result's shape, "uniform" when every value it reads is
smaller (it broadcasts as the adjoint it came from did), and "unknown" when a shape is not known
(then it is spread with `np.full_like`, which is right either way).
"""

from __future__ import annotations

import gast
import numpy as np

from ..front import nodes
from ..normalize.ir import Kind, Operation
from ..rules.registry import BROADCAST, SAME, Rule, reverse_rule


def uniform_operands(adjoints, op: Operation) -> bool:
    """`op` is elementwise and every active operand has the result's (known) shape: a uniform
    adjoint of the result gives its operands uniform or full adjoints, never one to be summed
    over a broadcast."""
    rule = reverse_rule(op.key) if op.kind is Kind.CALL else None
    if op.kind is not Kind.COPY and (rule is None or rule.shape not in (SAME, BROADCAST)):
        return False
    shapes = adjoints.shapes
    shape = shapes.get(op.target)
    if shape is None or op.keywords:
        return False
    for node in op.args:
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
            continue
        if not isinstance(node, gast.Name):
            return False
        if adjoints.is_active(node) and shapes.get(node.id) != shape:
            return False
        if not adjoints.is_active(node) and shapes.get(node.id) not in (shape, ()):
            return False
    return True


def sum_of_number(adjoints, op: Operation) -> bool:
    """`y = np.sum(x)` (any axes) whose uniform adjoint is a number: so is x's."""
    held = adjoints.table.uniform(op.target)
    shapes = adjoints.shapes
    return (
        op.kind is Kind.CALL
        and op.key is np.sum
        and len(op.args) == 1
        and set(op.keywords) <= {"axis", "keepdims"}
        and adjoints.is_active(op.args[0])
        and shapes.get(op.args[0].id) not in (None, ())
        and (isinstance(held, gast.Constant) or shapes.get(held.id) == ())
    )


def spread_reduction(adjoints, rule: Rule, op: Operation, arguments: dict) -> bool:
    """A sum or mean of an array the transform knows the shape of, whose result keeps the
    reduced axes (or is a number), and whose adjoint the rule spreads with `np.full_like`: the
    adjoint broadcasts as it is."""
    operand = arguments.get("a")
    shapes = adjoints.shapes
    shape = shapes.get(op.target)
    return (
        rule.name in ("sum_kept", "mean_kept")
        and adjoints.ctx.floating
        and adjoints.is_active(operand)
        and operand.id not in adjoints.trees
        and shapes.get(operand.id) not in (None, ())
        and shape is not None
        and len(shape) in (0, len(shapes[operand.id]))
    )


def spread_contribution(adjoints, name: str, value: gast.expr, full: tuple | None) -> None:
    """Contribute `value`, made from a uniform adjoint, to `name` (whose value has the result's
    shape `full`): as it is if full, as a uniform adjoint if it broadcasts, and spread to
    `name`'s shape where that cannot be told."""
    kind = _spread_kind(adjoints, value, full)
    if kind == "full":
        adjoints.contribute(name, value)
    elif kind == "uniform":
        adjoints.contribute(name, value, True, _uniform_shape(adjoints, value))
    else:
        adjoints.contribute(name, adjoints.filled(name, value))


def _spread_kind(adjoints, value: gast.expr, full: tuple | None) -> str:
    if full is None:
        return "unknown"
    functions = {
        id(n)
        for call in nodes.walk(value)
        if isinstance(call, gast.Call)
        for n in nodes.walk(call.func)
    }
    kind = "uniform"
    names = adjoints.ctx.names
    for node in nodes.walk(value):
        if not isinstance(node, gast.Name) or id(node) in functions:
            continue
        primal = names.primal_of(node.id) or node.id  # a number's adjoint: a number
        shape = adjoints.shapes.get(primal)
        if shape == full:
            return "full"
        if shape is None:
            kind = "unknown"
    return kind


def _uniform_shape(adjoints, value: gast.expr) -> tuple:
    """The shape of a uniform value: that of the largest name it reads (np.where of a number
    and numbers is a number)."""
    names = adjoints.ctx.names
    shapes = [adjoints.shapes.get(names.primal_of(n) or n) for n in nodes.names_read(value)]
    return max((s for s in shapes if s is not None), key=len, default=())
