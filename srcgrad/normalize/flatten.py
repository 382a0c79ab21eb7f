"""One operation per statement: nested expressions are computed into temporaries `_t1, _t2, ...`.

Operands become names or constants (or references to module-level objects such as `np.pi`);
a statement that already is one operation keeps the user's target name. A `return` of anything
but a name assigns the value first. Tuple assignment of a tuple display becomes one assignment
per name, through temporaries when a target is also read on the right.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(w, x):
...     d = w * x + np.exp(-x[1:, 0])
...     a, b = d, -1
...     return np.sum(a * b)
... ''')
def f(w, x):
    _t1 = w * x
    _t2 = x[1:, 0]
    _t3 = -_t2
    _t4 = np.exp(_t3)
    d = _t1 + _t4
    a = d
    b = -1
    _t5 = a * b
    _out = np.sum(_t5)
    return _out
"""

from __future__ import annotations

import gast

from .. import nodes


class _Flatten:
    def __init__(self, ctx):
        self.ctx = ctx
        self.out: list[gast.stmt] = []
        self.origin = None

    def statement(self, stmt: gast.stmt) -> None:
        self.origin = nodes.origin_of(stmt)
        if isinstance(stmt, gast.Assign):
            self.assignment(stmt.targets[0], stmt.value)
        elif isinstance(stmt, gast.Return):
            value = stmt.value if stmt.value is not None else nodes.const(None)
            if not isinstance(value, gast.Name):
                name = self.ctx.names.fresh("_out")
                self.ctx.names.generated.add(name)
                self.emit(name, self.operation(value))
                value = nodes.load(name)
            self.out.append(nodes.ret(value, self.origin))
        else:
            self.out.append(stmt)

    def assignment(self, target: gast.expr, value: gast.expr) -> None:
        if isinstance(target, gast.Name):
            self.emit(target.id, self.operation(value))
            return
        # tuple target with a tuple display of the same length (the fence checked that)
        targets = [t.id for t in target.elts]
        values = value.elts
        reads = set().union(*(nodes.names_read(v) for v in values))
        if reads & set(targets):
            values = [self.atom(v, force=True) for v in values]
        for name, element in zip(targets, values):
            self.emit(name, self.operation(element))

    def emit(self, name: str, value: gast.expr) -> None:
        self.out.append(nodes.assign(name, value, self.origin))

    def atom(self, node: gast.expr, force: bool = False) -> gast.expr:
        """`node` as an operand: itself if atomic, else a new temporary holding its value."""
        node = self._fold(node)
        if not force and (nodes.is_atom(node) or self._global(node)):
            return node
        if isinstance(node, (gast.Tuple, gast.List)) and not force:
            node.elts = [self.atom(e) for e in node.elts]
            return node
        value = self.operation(node)
        name = self.ctx.names.temporary()
        self.emit(name, value)
        return nodes.load(name)

    def _global(self, node: gast.expr) -> bool:
        return isinstance(node, gast.Attribute) and self.ctx.is_global_reference(node)

    def operation(self, node: gast.expr) -> gast.expr:
        """`node` with every operand made atomic."""
        if isinstance(node, gast.BinOp):
            node.left, node.right = self.atom(node.left), self.atom(node.right)
        elif isinstance(node, gast.UnaryOp):
            if isinstance(node.operand, gast.Constant) and isinstance(node.op, gast.USub):
                return nodes.const(-node.operand.value)
            node.operand = self.atom(node.operand)
        elif isinstance(node, gast.Call):
            if not self._global(node.func) and not isinstance(node.func, gast.Name):
                node.func = self.atom(node.func)
            node.args = [self.atom(a) for a in node.args]
            for kw in node.keywords:
                kw.value = self.atom(kw.value)
        elif isinstance(node, gast.Subscript):
            node.value = self.atom(node.value)
            node.slice = self.index(node.slice)
        elif isinstance(node, gast.Attribute) and not self._global(node):
            node.value = self.atom(node.value)
        elif isinstance(node, gast.Compare):
            node.left = self.atom(node.left)
            node.comparators = [self.atom(c) for c in node.comparators]
        elif isinstance(node, (gast.Tuple, gast.List)):
            node.elts = [self.atom(e) for e in node.elts]
        return node

    def index(self, node: gast.expr) -> gast.expr:
        if isinstance(node, gast.Slice):
            for part in ("lower", "upper", "step"):
                value = getattr(node, part)
                if value is not None:
                    setattr(node, part, self.atom(self._fold(value)))
            return node
        if isinstance(node, gast.Tuple):
            node.elts = [self.index(e) for e in node.elts]
            return node
        return self.atom(self._fold(node))

    def _fold(self, node: gast.expr) -> gast.expr:
        if (
            isinstance(node, gast.UnaryOp)
            and isinstance(node.op, gast.USub)
            and isinstance(node.operand, gast.Constant)
        ):
            return nodes.const(-node.operand.value)
        return node


def run(tree: gast.FunctionDef, ctx) -> None:
    flat = _Flatten(ctx)
    for stmt in tree.body:
        flat.statement(stmt)
    tree.body = flat.out
