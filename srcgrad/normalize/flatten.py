"""One operation per statement: nested expressions are computed into temporaries `_t1, _t2, ...`.

Operands become names or constants (or references to module-level objects such as `np.pi`);
a statement that already is one operation keeps the user's target name. A `return` of anything
but a name assigns the value first. An `if` never assigns the name it tests. Tuple assignment of a tuple display becomes one assignment
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

from ..front import nodes
from ..front.fence import is_append
from ..front.reading import MISSING
from .ir import definition, has_user_source, reverse_rule


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
        elif isinstance(stmt, gast.If):
            stmt.test = self.atom(stmt.test)
            stmt.body, stmt.orelse = self.block(stmt.body), self.block(stmt.orelse)
            self.out.append(stmt)
        elif isinstance(stmt, gast.For):
            stmt.iter = self.operation(stmt.iter)
            stmt.body = self.block(stmt.body)
            self.out.append(stmt)
        elif isinstance(stmt, gast.While):
            # the test is computed before the loop and again at the end of every iteration
            test = stmt.test
            stmt.test = self.atom(nodes.copy(test), force=not isinstance(test, gast.Name))
            again = (
                self.block([nodes.assign(nodes.store(stmt.test.id), nodes.copy(test), self.origin)])
                if not isinstance(test, gast.Name)
                else []
            )
            stmt.body = self.block(stmt.body) + again
            self.out.append(stmt)
        elif is_append(stmt):
            stmt.value.args[0] = self.atom(stmt.value.args[0])
            self.out.append(stmt)
        elif isinstance(stmt, gast.Assert):
            stmt.test = self.atom(stmt.test)
            self.out.append(stmt)
        else:
            self.out.append(stmt)

    def block(self, stmts: list) -> list:
        """`stmts` flattened into a list of their own (the body of an if or a loop)."""
        outer, self.out = self.out, []
        for stmt in stmts:
            self.statement(stmt)
        inner, self.out = self.out, outer
        return inner

    def assignment(self, target: gast.expr, value: gast.expr) -> None:
        if isinstance(target, gast.Name):
            self.emit(target.id, self.operation(value))
            return
        if isinstance(target, gast.Subscript):  # x[index] = v, with the index and v atomic
            value = self.atom(value)
            target.slice = self.index(target.slice)
            self.out.append(nodes.assign(target, value, self.origin))
            return
        if not all(isinstance(t, gast.Name) for t in target.elts):
            self.into_elements(target.elts, value)
            return
        targets = [t.id for t in target.elts]
        if not isinstance(value, gast.Tuple):  # a, b = f(x): unpack the value by indexing
            whole = self.atom(value, force=True)
            self.ctx.unpacked[whole.id] = len(targets)
            for k, name in enumerate(targets):
                self.emit(name, nodes.subscript(nodes.load(whole.id), nodes.const(k)))
            return
        # a tuple display of the same length (the fence checked that)
        values = value.elts
        reads = set().union(*(nodes.names_read(v) for v in values))
        if reads & set(targets):
            values = [self.atom(v, force=True) for v in values]
        for name, element in zip(targets, values):
            self.emit(name, self.operation(element))

    def into_elements(self, targets: list, value: gast.expr) -> None:
        """`a[i], a[j] = a[j], a[i]`: every value first, as Python computes them, then each
        target assigned in turn, left to right."""
        if isinstance(value, gast.Tuple):
            values = [self.atom(v, force=True) for v in value.elts]
        else:
            whole = self.atom(value, force=True)
            self.ctx.unpacked[whole.id] = len(targets)
            values = [
                nodes.subscript(nodes.load(whole.id), nodes.const(k)) for k in range(len(targets))
            ]
            values = [self.atom(v, force=True) for v in values]
        for target, held in zip(targets, values):
            self.assignment(target, held)

    def emit(self, name: str, value: gast.expr) -> None:
        self.out.append(nodes.assign(name, value, self.origin))

    def atom(self, node: gast.expr, force: bool = False) -> gast.expr:
        """`node` as an operand: itself if atomic, else a new temporary holding its value."""
        node = self._fold(node)
        if isinstance(node, gast.Starred):  # f(*args) of unknown length (normalize/starred.py)
            node.value = self.atom(node.value)
            return node
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
            if isinstance(node.func, gast.Attribute) and not self._global(node.func):
                node.func.value = self.atom(node.func.value)  # `_t2.tolist()`, one operation
            elif not self._global(node.func) and not isinstance(node.func, gast.Name):
                node.func = self.atom(node.func)
            # a display passed to a function of the user's gets a name: its adjoint is the
            # container the callee's pullback returns (a library function's rule takes the
            # display itself, `np.stack([a, b])`)
            named = self._user_call(node)
            node.args = [self.atom(a, force=named and _display(a)) for a in node.args]
            for kw in node.keywords:
                kw.value = self.atom(kw.value, force=named and _display(kw.value))
        elif isinstance(node, gast.Subscript):
            node.value = self.atom(node.value)
            node.slice = self.index(node.slice)
        elif isinstance(node, gast.Attribute) and not self._global(node):
            node.value = self.atom(node.value)
        elif isinstance(node, gast.Compare):
            if len(node.ops) > 1:  # a < b < c is a < b and b < c, b computed once
                operands = [self.atom(node.left), *(self.atom(c) for c in node.comparators)]
                pairs = [
                    gast.Compare(left=operands[i], ops=[op], comparators=[operands[i + 1]])
                    for i, op in enumerate(node.ops)
                ]
                return self.operation(gast.BoolOp(op=gast.And(), values=pairs))
            node.left = self.atom(node.left)
            node.comparators = [self.atom(c) for c in node.comparators]
        elif isinstance(node, gast.IfExp):
            return self.conditional(node.test, node.body, node.orelse)
        elif isinstance(node, gast.BoolOp):
            return self.short_circuit(node)
        elif isinstance(node, gast.Tuple):  # a tuple in a tuple gets a name: ((a, b), c)
            node.elts = [self.atom(e, force=isinstance(e, gast.Tuple)) for e in node.elts]
        elif isinstance(node, gast.List):
            node.elts = [self.atom(e) for e in node.elts]
        elif isinstance(node, gast.Dict):  # (a display in a dict gets a name: {"w": [a, b]})
            node.values = [self.atom(v, force=_display(v)) for v in node.values]
        return node

    def _user_call(self, call: gast.Call) -> bool:
        """A call of a function of the user's, of a library function differentiated through a
        definition of srcgrad's (read like the user's: `cho_solve((c, lower), b)`), or of one
        known only at run time."""
        key = self.ctx.resolve(call.func)
        if key is MISSING or has_user_source(key):
            return True
        return reverse_rule(key) is None and definition(key) is not None

    def conditional(self, test, body, orelse) -> gast.expr:
        """`body if test else orelse` as an if statement assigning a new temporary."""
        name = self.ctx.names.temporary()
        test = self.atom(test)
        then = self.block([nodes.assign(name, body, self.origin)])
        other = self.block([nodes.assign(name, orelse, self.origin)])
        self.out.append(nodes.stamp(gast.If(test=test, body=then, orelse=other), self.origin))
        return nodes.load(name)

    def short_circuit(self, node: gast.BoolOp) -> gast.expr:
        """`a and b` is `a`, unless `a` is true, then `b`; `a or b` is `a`, unless `a` is
        false: `b` is evaluated only where Python evaluates it (and the if tests a name its
        branch does not assign)."""
        first, *rest = node.values
        decided = self.atom(self.operation(first))
        if not rest:
            return decided
        remaining = rest[0] if len(rest) == 1 else gast.BoolOp(op=node.op, values=rest)
        name = self.ctx.names.temporary()
        self.out.append(nodes.assign(name, nodes.copy(decided), self.origin))
        then = self.block([nodes.assign(name, remaining, self.origin)])
        if isinstance(node.op, gast.Or):
            decision = gast.If(test=decided, body=[gast.Pass()], orelse=then)
        else:
            decision = gast.If(test=decided, body=then, orelse=[])
        self.out.append(nodes.stamp(decision, self.origin))
        return nodes.load(name)

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
    tree.body = _decisions_kept(flat.out, ctx)


def _decisions_kept(stmts: list, ctx) -> list:
    """An if whose branches assign the name it tests (`if flag: flag = False`, or `c or x`)
    tests a copy taken before it: the reverse sweep replays the decision the if made, which
    the name no longer holds after it."""
    out: list = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                setattr(stmt, field, _decisions_kept(getattr(stmt, field), ctx))
        if isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name):
            inside = gast.Module(body=[*stmt.body, *stmt.orelse], type_ignores=[])
            if stmt.test.id in nodes.names_stored(inside):
                kept = ctx.names.temporary()
                out.append(nodes.assign(kept, nodes.load(stmt.test.id), nodes.origin_of(stmt)))
                stmt.test = nodes.load(kept)
        out.append(stmt)
    return out


def _display(node: gast.expr) -> bool:
    return isinstance(node, (gast.Tuple, gast.List, gast.Dict))
