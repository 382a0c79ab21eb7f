"""Optimize stage: simplify generated straight-line code without changing any result.

Passes, run to a fixed point: fold `-(constant)`; forward the seed `1.0` and copies between
generated names; drop `1.0 * e`, `e * 1.0`, `--e`; remove assignments nobody reads; fold a
temporary that is read exactly once back into the statement that reads it (it is then computed
once, where it is used, exactly as before). User-named values are never renamed away, and a
primal value is never returned as a gradient by reference (it stays behind a new array).
"""

from __future__ import annotations

from collections import Counter

import gast

from . import nodes


def optimize(fn: gast.FunctionDef, generated: set[str], adjoints: set[str]) -> gast.FunctionDef:
    """`generated`: every name srcgrad made up; `adjoints`: those that hold adjoints."""
    temporaries = generated - adjoints
    changed = True
    while changed:
        changed = False
        changed |= _fold_constants(fn)
        changed |= _forward_copies(fn, generated)
        changed |= _algebra(fn, generated)
        changed |= _dead_code(fn)
        changed |= _fold_temporaries(fn, temporaries)
    return fn


def _assignments(fn: gast.FunctionDef) -> Counter:
    return Counter(
        s.targets[0].id
        for s in fn.body
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
    ) + Counter(nodes.names_stored(fn.args))


def _reads(fn: gast.FunctionDef) -> Counter:
    counts: Counter = Counter()
    for stmt in fn.body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                counts[n.id] += 1
    return counts


class _Constants(gast.NodeTransformer):
    changed = False

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.expr:
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.Constant):
            if isinstance(node.operand.value, (int, float)):
                self.changed = True
                return nodes.const(-node.operand.value)
        return node


def _fold_constants(fn) -> bool:
    folder = _Constants()
    folder.visit(fn)
    return folder.changed


def _forward_copies(fn: gast.FunctionDef, generated: set[str]) -> bool:
    """`dy = 1.0` or `d_t1 = dd` (both names assigned once): read the right side directly."""
    counts = _assignments(fn)
    for i, stmt in enumerate(fn.body):
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
            continue
        name, value = stmt.targets[0].id, stmt.value
        if name not in generated or counts[name] != 1:
            continue
        is_seed = isinstance(value, gast.Constant) and value.value == 1.0
        is_copy = isinstance(value, gast.Name) and counts[value.id] <= 1
        if is_seed or is_copy:
            mapping = {name: value}
            rest = fn.body[i + 1 :]
            fn.body[i + 1 :] = [nodes.substitute(s, mapping) for s in rest]
            return True
    return False


class _Algebra(gast.NodeTransformer):
    def __init__(self, generated: set[str]):
        self.generated = generated
        self.changed = False

    def _keeps_fresh(self, node: gast.expr) -> bool:
        # `1.0 * x` makes a new array; `x` alone would hand out the caller's or a primal array
        return not isinstance(node, gast.Name) or node.id in self.generated

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        if isinstance(node.op, gast.Mult):
            for one, other in ((node.left, node.right), (node.right, node.left)):
                if _is_one(one) and self._keeps_fresh(other):
                    self.changed = True
                    return other
        if isinstance(node.op, gast.Div) and _is_one(node.right) and self._keeps_fresh(node.left):
            self.changed = True
            return node.left
        return node

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.expr:
        self.generic_visit(node)
        inner = node.operand
        if isinstance(node.op, gast.USub) and isinstance(inner, gast.UnaryOp):
            if isinstance(inner.op, gast.USub) and self._keeps_fresh(inner.operand):
                self.changed = True
                return inner.operand
        return node


def _is_one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == 1


def _algebra(fn, generated) -> bool:
    algebra = _Algebra(generated)
    algebra.visit(fn)
    return algebra.changed


def _dead_code(fn: gast.FunctionDef) -> bool:
    reads = _reads(fn)
    before = len(fn.body)
    fn.body = [
        s
        for s in fn.body
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                and reads[s.targets[0].id] == 0)
    ]
    return len(fn.body) != before


def _fold_temporaries(fn: gast.FunctionDef, temporaries: set[str]) -> bool:
    """`_t1 = w * x` read once, later: put `w * x` where `_t1` is read."""
    counts = _assignments(fn)
    reads = _reads(fn)
    for i, stmt in enumerate(fn.body):
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
            continue
        name = stmt.targets[0].id
        if name not in temporaries or counts[name] != 1 or reads[name] != 1:
            continue
        for j in range(i + 1, len(fn.body)):
            if name in nodes.names_read(fn.body[j]):
                fn.body[j] = nodes.substitute(fn.body[j], {name: stmt.value})
                del fn.body[i]
                return True
    return False
