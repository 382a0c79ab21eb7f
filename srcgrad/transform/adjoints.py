"""Adjoints of single statements: a derivative rule applied to one `target = operation`.

Guarantees: `statement` emits, for an assignment whose target's adjoint is live, each active
operand's contribution; the first contribution to an adjoint assigns it and later ones add to
it. A broadcast operand's adjoint is summed back to its shape: with the exact `np.sum` where
the shapes are known, with `unbroadcast` where they are not, and not at all where they agree.
Afterwards the target's adjoint is consumed: an earlier assignment of the same name (in a loop)
starts from nothing.
"""

from __future__ import annotations

import contextlib
import operator

import gast
import numpy as np

from ..analyse import shapes as shape_analysis
from ..errors import NoRuleError, Origin, UnsupportedSyntaxError
from ..front import nodes
from ..normalize.ir import Kind, Operation
from ..rules.registry import (
    BROADCAST,
    SAME,
    Facts,
    Rule,
    choose_rule,
    is_nondifferentiable,
    reverse_rule,
)
from ..runtime import helpers as runtime


class StatementAdjoints:
    def __init__(self, ctx, active: set[str], shapes: dict, bound: set[str]):
        """`bound`: names certainly bound where the reverse sweep now is (parameters, names
        assigned by statements outside ifs and loops before this one): shape donors."""
        self.ctx = ctx
        self.active = active
        self.shapes = shapes
        self.out: list[gast.stmt] = []
        self.defined: set[str] = set()
        self.owned: set[str] = set()  # adjoints holding an array no other name shares
        self.components: dict[str, list[str]] = {}  # t of `a, b = t` -> [a, b]
        self.lists: set[str] = set()  # names that hold Python lists
        self.trees: set[str] = set()  # names that may hold containers of arrays (arguments)
        # adjoints that are exactly zero outside np.where's chosen positions: name -> (the
        # condition, whether the name was chosen where it holds); see `masked`
        self.masks: dict[str, tuple[gast.expr, bool]] = {}
        self.origin: Origin | None = None
        self.bound = set(bound)
        self.open_tuples = False  # a pullback: the tuples' adjoints come from a caller
        # adjoints that are one number repeated over their value's shape (the adjoint of
        # `np.sum(x)` is 1.0 everywhere): kept as that number, `np.full_like` made only
        # where something needs the array; name -> the number's expression
        self.uniform: dict[str, gast.expr] = {}
        self.spread = False  # the statement being reversed has a uniform adjoint

    def donors(self) -> dict[tuple, str]:
        """Shape -> an active value of that shape bound here, the user's own names first."""
        found: dict[tuple, str] = {}
        generated = self.ctx.names.generated
        usable = self.bound & self.active
        # in the order values were computed, the user's own names before temporaries
        for name in sorted((n for n in self.shapes if n in usable), key=lambda n: n in generated):
            shape = self.shapes[name]
            if shape is not None:
                found.setdefault(shape, name)
        return found

    def emit(self, stmt: gast.stmt) -> None:
        self.out.append(nodes.mark_adjoint(nodes.stamp(stmt, self.origin)))

    def contribute(
        self, name: str, value: gast.expr, uniform: bool = False, shape: tuple = ()
    ) -> None:
        """Add `value` to `name`'s adjoint; `uniform`: `value` (of `shape`, a number or an
        array with ones where `name` has more) stands for its broadcast to `name`'s shape."""
        self.masks.pop(name, None)  # a new or a second contribution: no longer known zero
        if self.shapes.get(name) == ():
            uniform = False  # a number's adjoint is that number itself
        if uniform and name not in self.defined and name not in self.trees:
            if not isinstance(value, gast.Constant):  # held by a name no one reassigns
                held = self.ctx.names.temporary()
                self.emit(nodes.assign(held, value))
                self.shapes[held] = shape
                value = nodes.load(held)
            self.uniform[name] = value
            self.defined.add(name)
            return
        if uniform and (name not in self.defined or name in self.uniform or name in self.trees):
            value = self._filled(name, value)  # (added to a full adjoint, it broadcasts)
        self.materialize(name)
        adjoint = self.ctx.names.adjoint(name)
        if name not in self.defined and isinstance(value, gast.Name) and value.id == adjoint:
            self.defined.add(name)  # a rule already built it under its own name
            self.owned.add(name)
            return
        self._shared(value)
        if name in self.defined and name in self.trees:  # containers add element by element
            value = nodes.call(self._helper(runtime.add_adjoints), [nodes.load(adjoint), value])
            self.owned.discard(name)
        elif name in self.defined and name in self.owned and self.ctx.floating:
            # an array srcgrad made and no other name holds: add in place, no new array
            self.emit(
                nodes.stamp(
                    gast.AugAssign(target=nodes.store(adjoint), op=gast.Add(), value=value),
                    self.origin,
                )
            )
            nodes.mark_adjoint(self.out[-1])
            return
        elif name in self.defined:
            value = nodes.add(nodes.load(adjoint), value)
            self.owned.add(name)  # `dx + c` is a new array, no one else's
        else:
            self.owned.discard(name)  # a rule's result may be a view of another adjoint
        self.defined.add(name)
        self.emit(nodes.assign(adjoint, value))

    def _filled(self, name: str, value: gast.expr) -> gast.expr:
        return nodes.call(self.ctx.numpy_name("full_like"), [nodes.load(name), value])

    def materialize(self, name: str) -> None:
        """A uniform adjoint made an array: `dx = np.full_like(x, 1.0)`."""
        value = self.uniform.pop(name, None)
        if value is not None:
            adjoint = self.ctx.names.adjoint(name)
            self.emit(nodes.assign(adjoint, self._filled(name, value)))
            self.owned.add(name)

    def materialize_all(self) -> None:
        for name in sorted(self.uniform):
            self.materialize(name)

    def _uniform_operands(self, op: Operation) -> bool:
        """`op` is elementwise and every active operand has the result's (known) shape: a
        uniform adjoint of the result gives its operands uniform or full adjoints, never one
        to be summed over a broadcast."""
        rule = reverse_rule(op.key) if op.kind is Kind.CALL else None
        if op.kind is not Kind.COPY and (rule is None or rule.shape not in (SAME, BROADCAST)):
            return False
        shape = self.shapes.get(op.target)
        if shape is None or op.keywords:
            return False
        for node in op.args:
            if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
                continue
            if not isinstance(node, gast.Name):
                return False
            if self._is_active(node) and self.shapes.get(node.id) != shape:
                return False
            if not self._is_active(node) and self.shapes.get(node.id) not in (shape, ()):
                return False
        return True

    def _sum_of_number(self, op: Operation) -> bool:
        held = self.uniform.get(op.target)
        return (
            op.kind is Kind.CALL
            and op.key is np.sum
            and len(op.args) == 1
            and set(op.keywords) <= {"axis", "keepdims"}
            and self._is_active(op.args[0])
            and self.shapes.get(op.args[0].id) not in (None, ())
            and (isinstance(held, gast.Constant) or self.shapes.get(held.id) == ())
        )

    def _spread_kind(self, value: gast.expr, full: tuple | None) -> str:
        """What a contribution made from a uniform adjoint is: "full" if it reads a value of
        the result's shape `full` (an operand, the result); "uniform" if every value it reads
        is smaller (numbers, a kept-axes reduction's adjoint), so that it broadcasts as the
        adjoint it came from did; "unknown" where some shape is not known."""
        if full is None:
            return "unknown"
        functions = {
            id(n)
            for call in gast.walk(value)
            if isinstance(call, gast.Call)
            for n in gast.walk(call.func)
        }
        kind = "uniform"
        for node in gast.walk(value):
            if not isinstance(node, gast.Name) or id(node) in functions:
                continue
            primal = self.ctx.names.primal_of(node.id) or node.id  # a number's adjoint: a number
            shape = self.shapes.get(primal)
            if shape == full:
                return "full"
            if shape is None:
                kind = "unknown"
        return kind

    def _spread_contribution(self, name: str, value: gast.expr, full: tuple | None) -> None:
        """Contribute `value`, made from a uniform adjoint, to `name` (whose value has the
        result's shape): as it is if full, as a uniform adjoint if it broadcasts, and spread
        to `name`'s shape where that cannot be told (np.full_like is right either way)."""
        kind = self._spread_kind(value, full)
        if kind == "full":
            self.contribute(name, value)
        elif kind == "uniform":
            self.contribute(name, value, True, self._uniform_shape(value))
        else:
            self.contribute(name, self._filled(name, value))

    def _uniform_shape(self, value: gast.expr) -> tuple:
        """The shape of a uniform value: that of the largest name it reads (np.where of a
        number and numbers is a number)."""
        shapes = [
            self.shapes.get(self.ctx.names.primal_of(n) or n) for n in nodes.names_read(value)
        ]
        return max((s for s in shapes if s is not None), key=len, default=())

    def _shared(self, value: gast.expr) -> None:
        """An adjoint handed on as it is (`dx = dy`) is no longer its name's alone."""
        if isinstance(value, gast.Name):
            primal = self.ctx.names.primal_of(value.id)
            if primal is not None:
                self.owned.discard(primal)

    def setitem(self, stmt: gast.Assign) -> None:
        """`x[i] = v`: put back what it overwrote, give `v` the adjoint at `i`, and zero the
        adjoint of the earlier `x` there (that value never reached the output)."""
        self.origin = nodes.origin_of(stmt)
        place = stmt.targets[0]
        array = place.value.id
        index = place.slice
        self.materialize(array)

        def at_index(name: str, ctx=None) -> gast.Subscript:
            return nodes.subscript(nodes.load(name), nodes.copy(index), store_ctx=ctx)

        self.plan.undo[id(stmt)] = nodes.call(self.ctx.numpy_name("copy"), [at_index(array)])
        self.emit(
            nodes.assign(
                at_index(array, True),
                nodes.call(nodes.attribute(nodes.load(self.plan.tape), "pop")),
            )
        )
        if array not in self.defined:
            return
        adjoint = self.ctx.names.adjoint(array)
        value = stmt.value
        in_place = array in self.owned
        itself = isinstance(value, gast.Name) and value.id == array  # `y[:] = y`
        if self._is_active(value):
            part: gast.expr = at_index(adjoint)
            if in_place or itself:  # a slice is a view: keep its values before they are zeroed
                part = nodes.call(self.ctx.numpy_name("copy"), [part])
            if self._may_repeat(index):  # x[[0, 1, 1]] = v: only the last write arrives
                helper = self._helper(runtime.last_writes)
                part = nodes.call(helper, [part, nodes.load(adjoint), nodes.index_value(index)])
            helper = self.ctx.support.name_for(runtime.unbroadcast, "unbroadcast")
            share = nodes.call(nodes.load(helper), [part, value])
            if itself:  # the earlier y gets its share after its overwritten part is zeroed
                held = self.ctx.names.temporary()
                self.emit(nodes.assign(held, share))
                share = nodes.load(held)
            else:
                self.contribute(value.id, share)
        if in_place:
            self.emit(nodes.assign(at_index(adjoint, True), nodes.const(0.0)))
        else:
            zero_at = self.ctx.support.name_for(runtime.zero_at, "zero_at")
            self.emit(
                nodes.assign(
                    adjoint,
                    nodes.call(
                        nodes.load(zero_at), [nodes.load(adjoint), nodes.index_value(index)]
                    ),
                )
            )
            self.owned.add(array)
        if self._is_active(value) and itself:
            self.contribute(value.id, share)

    def _may_repeat(self, index: gast.expr) -> bool:
        """An index that may name one element twice: an integer array or list in it (not a
        number, a slice, a loop's integer, or a display of distinct numbers)."""
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        for part in parts:
            if isinstance(part, (gast.Constant, gast.Slice)):
                continue
            if isinstance(part, gast.Name):
                if part.id in self.ctx.integers or self.shapes.get(part.id) == ():
                    continue
                return True
            if isinstance(part, gast.List):
                numbers = [e.value for e in part.elts if isinstance(e, gast.Constant)]
                if len(numbers) == len(part.elts) and len(set(numbers)) == len(numbers):
                    continue
            return True
        return False

    def statement(self, stmt: gast.stmt, op: Operation) -> None:
        self.spread = False
        try:
            self._statement(stmt, op)
        finally:
            self.spread = False

    def _statement(self, stmt: gast.stmt, op: Operation) -> None:
        if op.kind is Kind.UNPACK:  # `a = t[k]`: a's adjoint waits for the statement that makes t
            parts = self.components.get(op.target)
            if parts is not None:  # `(a, b), c = t`: a's own parts give its adjoint now
                g = self._tuple_adjoint(parts, op.target)
                if g is not None:
                    self.origin = nodes.origin_of(stmt)
                    self.contribute(op.target, g)
            return
        if op.kind is Kind.APPEND:
            self.append(stmt, op)
            return
        parts = self.components.get(op.target)
        if parts is not None:
            g = self._tuple_adjoint(parts, op.target)
            if g is None:
                return
            self.origin = nodes.origin_of(stmt)
        elif op.target not in self.defined:
            return
        elif op.target in self.uniform and self._sum_of_number(op):
            # a sum whose result's adjoint is one number everywhere: so is its input's
            self.origin = nodes.origin_of(stmt)
            g = self.uniform.pop(op.target)
            self.defined.discard(op.target)
            self.contribute(op.args[0].id, g, True, ())
            return
        elif op.target in self.uniform and self._uniform_operands(op):
            self.origin = nodes.origin_of(stmt)
            g = self.uniform.pop(op.target)  # a number: the operands' adjoints may stay so
            self.defined.discard(op.target)
            self.spread = True
        else:
            self.origin = nodes.origin_of(stmt)
            self.materialize(op.target)
            g = nodes.load(self.ctx.names.adjoint(op.target))
            self.defined.discard(op.target)
            if op.target in self.trees and op.kind in (Kind.CALL, Kind.USER):
                # a tuple result indexed part by part: zeros for the parts not used
                helper = self._helper(runtime.as_gradient)
                g = nodes.call(helper, [g, nodes.load(op.target)])
        if op.kind is Kind.TUPLE:
            for k, element in enumerate(op.args):
                if self._is_active(element):
                    part = nodes.subscript(g, nodes.const(k))
                    if self.open_tuples or op.target in self.trees:  # None: a part unused
                        part = nodes.call(self._helper(runtime.as_gradient), [part, element])
                    self.contribute(element.id, part)
            return
        if op.kind is Kind.LIST:
            self._list_elements(op.args, g, nodes.load(op.target))
            return
        if op.kind is Kind.DICT:
            for key, value in zip(op.keys, op.args):
                if self._is_active(value):
                    helper = self._helper(runtime.entry_adjoint)
                    part = nodes.call(helper, [nodes.copy(g), nodes.const(key), value])
                    self.contribute(value.id, part)
            return
        if op.kind is Kind.CALL and op.key is operator.getitem and self._is_list(op.args[0]):
            self.list_element(op.args[0].id, op.args[1], g)
            return
        if op.kind is Kind.CALL and op.key is operator.getitem and self._add_in_place(op, g):
            return
        source = op.args[0] if op.args else None
        if isinstance(source, gast.Name) and source.id in self.trees and self._is_active(source):
            if op.kind is Kind.COPY:
                self.contribute(source.id, g)
                return
            if op.key is operator.getitem:
                self.tree_item(source.id, op.args[1], g)
                return
        if op.kind is Kind.COPY:
            if self._is_active(op.args[0]):
                if op.target in self.trees and not self.spread:
                    # the name held a container elsewhere: its adjoint may be None (zero)
                    g = nodes.call(self._helper(runtime.as_gradient), [g, nodes.load(op.target)])
                if self.spread:
                    self._spread_contribution(op.args[0].id, g, self.shapes.get(op.target))
                else:
                    self.contribute(op.args[0].id, g)
            return
        if op.kind is Kind.INERT or (op.kind is Kind.CALL and is_nondifferentiable(op.key)):
            return
        if op.kind is Kind.USER and op.pullback is not None:
            self.through_pullback(op, g)
            return
        general = reverse_rule(op.key) if op.kind is Kind.CALL else None
        if general is None:
            raise NoRuleError(
                f"no derivative rule for {describe(op)}",
                self.origin,
                "srcgrad differentiates the NumPy functions it has rules for; compute this "
                "value outside the differentiated function if it does not depend on the "
                "inputs you differentiate with respect to",
            )
        self.apply(general, op, g)

    def _add_in_place(self, op: Operation, g: gast.expr) -> bool:
        """`y = x[i]` when `dx` is an array srcgrad owns: `dx[i] += dy`, with no new array
        (`scatter_add` where the index may repeat elements)."""
        array, index = op.args
        name = getattr(array, "id", None)
        if not (
            self.ctx.floating
            and self._is_active(array)
            and name in self.defined
            and name in self.owned
            and name not in self.trees
        ):
            return False
        adjoint = self.ctx.names.adjoint(name)
        self._shared(g)
        try:
            basic = isinstance(
                shape_analysis.constant_value(index, self.ctx.integers), (int, slice, tuple)
            ) and not _has_list(index)
        except shape_analysis.NotConstant:
            basic = False
        if basic:
            target = nodes.subscript(nodes.load(adjoint), nodes.copy(index), store_ctx=True)
            self.emit(gast.AugAssign(target=target, op=gast.Add(), value=g))
        else:
            call = nodes.call(self._helper(runtime.scatter_add), [nodes.load(adjoint), index, g])
            self.emit(nodes.expr_stmt(call))
        return True

    def _helper(self, function) -> gast.Name:
        return nodes.load(self.ctx.support.name_for(function, function.__name__))

    def _is_list(self, node: gast.expr) -> bool:
        return isinstance(node, gast.Name) and node.id in self.lists

    def list_element(self, name: str, index: gast.expr, g: gast.expr) -> None:
        """`y = xs[k]`: add `dy` to element k of the list of adjoints of `xs`."""
        if not self._is_active(nodes.load(name)):
            return
        adjoint = self.ctx.names.adjoint(name)
        if name not in self.defined:
            start = nodes.call(self._helper(runtime.list_adjoint), [nodes.load(name)])
            self.emit(nodes.assign(adjoint, start))
            self.defined.add(name)
        self.emit(
            nodes.expr_stmt(
                nodes.call(self._helper(runtime.add_at), [nodes.load(adjoint), index, g])
            )
        )

    def tree_item(self, name: str, index: gast.expr, g: gast.expr) -> None:
        """`y = params[k]` for a container argument: `dparams = add_item(dparams, ...)`."""
        adjoint = self.ctx.names.adjoint(name)
        current = nodes.load(adjoint) if name in self.defined else nodes.const(None)
        call = nodes.call(self._helper(runtime.add_item), [current, nodes.load(name), index, g])
        self.emit(nodes.assign(adjoint, call))
        self.defined.add(name)
        self.owned.discard(name)

    def append(self, stmt: gast.Expr, op: Operation) -> None:
        """`xs.append(v)`: shorten `xs` again; `v`'s adjoint is the last of `xs`'s adjoints."""
        self.origin = nodes.origin_of(stmt)
        name, value = op.target, op.args[1]
        pop = nodes.call(nodes.attribute(nodes.load(name), "pop"))
        self.emit(nodes.expr_stmt(pop))
        if name not in self.defined or not self._is_active(value):
            if name in self.defined:  # keep the list of adjoints as long as the list
                self.emit(
                    nodes.expr_stmt(
                        nodes.call(nodes.attribute(nodes.load(self.ctx.names.adjoint(name)), "pop"))
                    )
                )
            return
        part = self.ctx.names.temporary()
        helper = self._helper(runtime.pop_adjoint)
        adjoints = nodes.load(self.ctx.names.adjoint(name))
        self.emit(nodes.assign(part, nodes.call(helper, [adjoints, value])))
        self.contribute(value.id, nodes.load(part))

    def _tuple_adjoint(self, parts: list[str], whole: str) -> gast.expr | None:
        """`(da, db)` for `a, b = t`, zeros for a part no path used; None if none was used."""
        if not any(p in self.defined for p in parts):
            return None
        for part in parts:
            self.materialize(part)
        elements = []
        for k, part in enumerate(parts):
            # zeros for a part no path used, shaped like the part as the tuple holds it (the
            # part's own name may be rebound later, or never bound if nothing reads it)
            held = nodes.subscript(nodes.load(whole), nodes.const(k))
            if part in self.defined:
                elements.append(nodes.load(self.ctx.names.adjoint(part)))
            elif part in self.components:  # a tuple itself: zeros of its structure
                helper = self._helper(runtime.zero_tangent)
                elements.append(nodes.call(helper, [held]))
            else:
                zeros = nodes.call(self.ctx.numpy_name("zeros_like"), [held])
                elements.append(zeros)
        self.defined -= set(parts)
        return nodes.tuple_(elements)

    def through_pullback(self, op: Operation, g: gast.expr) -> None:
        """`da, db = h_back(dy)`: the callee's own generated reverse sweep."""
        call = nodes.call(nodes.load(op.pullback), [g])
        operands = [op.bindings[p] for p in op.active_params]
        names = [o.id for o in operands]
        if len(set(names)) == len(names) and not set(names) & self.defined:
            targets = [nodes.store(self.ctx.names.adjoint(n)) for n in names]
            target = targets[0] if len(targets) == 1 else nodes.tuple_(targets, gast.Store())
            self.emit(nodes.assign(target, call))
            self.defined |= set(names)
            return
        if len(names) == 1:
            self.contribute(names[0], call)
            return
        result = self.ctx.names.temporary()
        self.emit(nodes.assign(result, call))
        for k, name in enumerate(names):
            self.contribute(name, nodes.subscript(nodes.load(result), nodes.const(k)))

    def apply(self, general: Rule, op: Operation, g: gast.expr) -> None:
        bound = bind_operands(general, op, self.origin)
        given = {p: nodes.const(v) for p, v in general.defaults.items()}
        given.update(bound.arguments)
        rule, extra = choose_rule(op.key, self.facts(given))
        mapping = {p: nodes.const(v) for p, v in rule.defaults.items()}
        mapping.update(bound.arguments)
        mapping.update(extra)
        mapping["g"] = g
        mapping["ans"] = nodes.load(op.target)
        # a rule's local that is returned as an operand's first adjoint takes the adjoint's name
        preferred = {}
        for param, out in zip(rule.differentiable, rule.outputs):
            operand = bound.arguments.get(param)
            if (
                isinstance(out, gast.Name)
                and self._is_active(operand)
                and operand.id not in self.defined
                and out.id not in preferred
            ):
                preferred[out.id] = self.ctx.names.adjoint(operand.id)
        body, outputs = rule.instantiate(mapping, self.ctx, preferred)
        if self._spread_reduction(rule, op, bound.arguments):  # `np.sum(x)`: 1.0 everywhere
            shape = self.shapes[op.target]
            self.contribute(bound.arguments["a"].id, outputs[0].args[1], True, shape)
            return
        wanted = [
            (param, out)
            for param, out in zip(rule.differentiable, outputs)
            if out is not None and self._has_active(bound.arguments.get(param))
        ]
        if not wanted:
            return
        for stmt in body:
            self.emit(stmt)
        mask = self.masks.get(op.target) if rule.shape in (SAME, BROADCAST) else None
        for param, value in wanted:
            operand = bound.arguments[param]
            if mask is not None and isinstance(operand, gast.Name):
                value = self.masked(value, mask)
            if isinstance(operand, (gast.List, gast.Tuple)):
                self._contribute_elements(operand, value)
                continue
            if self._is_list(operand):  # np.stack(xs): one adjoint per element of the list
                adjoint = nodes.load(self.ctx.names.adjoint(operand.id))
                if operand.id in self.defined:
                    value = nodes.call(self._helper(runtime.add_all), [adjoint, value])
                else:
                    value = nodes.call(nodes.load("list"), [value])
                self.defined.add(operand.id)
                self.emit(nodes.assign(adjoint.id, value))
                continue
            whole = value
            if rule.broadcasting and not (rule.shape == BROADCAST and _only_operand(op, operand)):
                value = self.sum_to_shape(value, operand, op.target)
            fresh = operand.id not in self.defined
            if self.spread:
                self._spread_contribution(operand.id, value, self.shapes.get(op.target))
            else:
                self.contribute(operand.id, value)
            if fresh and op.key is operator.getitem:
                self.owned.add(operand.id)  # index_adjoint and its variants make a new array
            # (a mask is the result's shape: not after a sum; and not in a loop, where the
            # condition's name is bound again at every step: the statement before would read
            # the condition the tape holds for it, of the step before)
            if fresh and value is whole and not getattr(self, "loops", None):
                if mask is not None:
                    self.masks[operand.id] = mask
                if op.key is np.where and param in ("x", "y"):
                    self.masks[operand.id] = (bound.arguments["condition"], param == "x")

    def _spread_reduction(self, rule: Rule, op: Operation, arguments: dict) -> bool:
        """A sum or mean of an array the transform knows the shape of, whose result keeps
        the reduced axes (or is a number), and whose adjoint the rule spreads with
        `np.full_like`: the adjoint broadcasts as it is."""
        operand = arguments.get("a")
        shape = self.shapes.get(op.target)
        return (
            rule.name in ("sum_kept", "mean_kept")
            and self.ctx.floating
            and self._is_active(operand)
            and operand.id not in self.trees
            and self.shapes.get(operand.id) not in (None, ())
            and shape is not None
            and len(shape) in (0, len(self.shapes[operand.id]))
        )

    def masked(self, value: gast.expr, mask: tuple[gast.expr, bool]) -> gast.expr:
        """`value` where np.where chose this branch, exactly 0.0 elsewhere.

        `np.where(x > 0, np.sqrt(x), 0.0)` reads sqrt at negative x too; its derivative there is
        nan, and nan * 0 is nan. Keeping the zeros of the branch not taken through the elementwise
        steps before it gives the finite gradient the user means (the classic NaN trap).
        """
        condition, chosen = mask
        zero = nodes.const(0.0)
        parts = [value, zero] if chosen else [zero, value]
        return nodes.call(self.ctx.numpy_name("where"), [nodes.copy(condition), *parts])

    def _has_active(self, node: gast.expr | None) -> bool:
        if isinstance(node, (gast.List, gast.Tuple)):
            return any(self._has_active(e) for e in node.elts)
        return self._is_active(node)

    def _list_elements(self, elements: list, g: gast.expr, held: gast.expr) -> None:
        """The adjoints of a list display's elements from the list's adjoint `g` (a list of
        adjoints, or an array), nested displays element by element: `[[a, b], [c, d]]`.
        `held`: the list as it was made (zeros of an element's shape where nothing flowed)."""
        helper = self._helper(runtime.element_adjoint)
        for k, element in enumerate(elements):
            like = nodes.subscript(nodes.copy(held), nodes.const(k))
            if isinstance(element, (gast.List, gast.Tuple)) and self._has_active(element):
                part = self.ctx.names.temporary()
                self.emit(
                    nodes.assign(part, nodes.call(helper, [nodes.copy(g), nodes.const(k), like]))
                )
                self._list_elements(element.elts, nodes.load(part), like)
            elif self._is_active(element):
                part = nodes.call(helper, [nodes.copy(g), nodes.const(k), element])
                self.contribute(element.id, part)

    def _contribute_elements(self, display: gast.expr, value: gast.expr) -> None:
        """`np.stack([a, b])`: the rule gives one adjoint per element of the list."""
        parts = self.ctx.names.temporary()
        self.emit(nodes.assign(parts, value))
        for k, element in enumerate(display.elts):
            part = nodes.subscript(nodes.load(parts), nodes.const(k))
            if isinstance(element, (gast.List, gast.Tuple)) and self._has_active(element):
                self._contribute_elements(element, part)  # [[x, y], [z, 1.0]]
            elif self._is_active(element):
                self.contribute(element.id, part)

    def facts(self, arguments: dict[str, gast.expr]) -> Facts:
        shapes, constants = {}, {}
        for param, node in arguments.items():
            shapes[param] = shape_analysis.operand_shape(node, self.shapes)
            with contextlib.suppress(shape_analysis.NotConstant):
                constants[param] = shape_analysis.constant_value(node, self.ctx.integers)
        return Facts(
            self.ctx.floating,
            shapes,
            constants,
            self.donors(),
            arguments,
            self.ctx.index_arrays,
            self.ctx.array_arguments,
        )

    def _is_active(self, node: gast.expr | None) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    def sum_to_shape(self, value: gast.expr, operand: gast.Name, result: str) -> gast.expr:
        """`value` (shaped like `result`) summed over the axes `operand` was broadcast along."""
        have = self.shapes.get(result)
        want = self.shapes.get(operand.id)
        if have is not None and want is not None:
            if have == want:
                return value
            lead = len(have) - len(want)
            kept = [lead + i for i, n in enumerate(want) if n == 1 and have[lead + i] != 1]
            axes = list(range(lead))
            inner, outer = self._constant_factors(value, want, have)
            pair = self._product_of_two(inner, have)
            # a sum of products, at large sizes: np.einsum makes no product array
            letters = "abcdef"[: len(have)]
            einsum = pair is not None and len(have) <= 6 and _size(have) >= _EINSUM_FROM
            if want == ():
                if pair is not None:  # sum(a * b): one BLAS dot, no product array
                    summed = nodes.call(self.ctx.numpy_name("vdot"), list(pair))
                else:  # (an array's own method: half np.sum's call overhead)
                    summed = nodes.call(nodes.attribute(inner, "sum"))
                return _apply_factors(summed, outer)
            if not kept:
                if einsum:
                    spec = f"{letters},{letters}->{letters[lead:]}"
                    product = nodes.call(self.ctx.numpy_name("einsum"), [nodes.const(spec), *pair])
                    return _apply_factors(product, outer)
                return _apply_factors(self._sum(inner, axes, keepdims=False), outer)
            if not axes:
                if einsum:
                    left = "".join(c for i, c in enumerate(letters) if i not in kept)
                    product = nodes.call(
                        self.ctx.numpy_name("einsum"),
                        [nodes.const(f"{letters},{letters}->{left}"), *pair],
                    )
                    axis = kept[0] if len(kept) == 1 else nodes.tuple_(map(nodes.const, kept))
                    axis = nodes.const(axis) if isinstance(axis, int) else axis
                    product = nodes.call(self.ctx.numpy_name("expand_dims"), [product, axis])
                    return _apply_factors(product, outer)
                return _apply_factors(self._sum(inner, kept, keepdims=True), outer)
        helper = self.ctx.support.name_for(runtime.unbroadcast, "unbroadcast")
        return nodes.call(nodes.load(helper), [value, operand])

    def _product_of_two(self, node: gast.expr, have: tuple):
        """`a * b` of two real arrays of exactly the shape `have`, or None."""
        if not (
            self.ctx.floating
            and not self.ctx.complex_values
            and isinstance(node, gast.BinOp)
            and isinstance(node.op, gast.Mult)
        ):
            return None
        pair = (node.left, node.right)
        if all(isinstance(n, gast.Name) and self._shape_of(n) == have for n in pair):
            return tuple(nodes.copy(n) for n in pair)
        return None

    def _constant_factors(self, value: gast.expr, want: tuple, have: tuple):
        """`-g * ans / y` summed to y's shape is `-(g * ans).sum(...) / y`: factors already
        of the summed shape (or numbers) are the same along the summed axes, so they move
        out of the sum, which then reads fewer full arrays. Returns (inner, [(op, factor)])."""
        outer: list = []
        node = value
        negated = False
        while True:
            if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
                negated, node = not negated, node.operand
                continue
            if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
                if isinstance(node.left, gast.UnaryOp) and isinstance(node.left.op, gast.USub):
                    negated = not negated  # (-a) * b is -(a * b)
                    node = nodes.binop(node.left.operand, node.op.__class__(), node.right)
                    continue
                right = node.right
                if self._shape_of(right) in (want, ()) and want != have:
                    outer.append((node.op, right))
                    node = node.left
                    continue
                left = node.left
                if isinstance(node.op, gast.Mult) and self._shape_of(left) in (want, ()):
                    outer.append((node.op, left))
                    node = right
                    continue
            break
        if not outer and not negated:
            return value, []
        if negated:
            outer.append((None, None))  # the sign, outermost
        return node, outer

    def _shape_of(self, node: gast.expr):
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
            return ()
        if isinstance(node, gast.Name):
            return self.shapes.get(self.ctx.names.primal_of(node.id) or node.id)
        return None

    def _sum(self, value: gast.expr, axes: list[int], keepdims: bool) -> gast.expr:
        keywords = {}
        if len(axes) == 1:
            keywords["axis"] = nodes.const(axes[0])
        else:
            keywords["axis"] = nodes.tuple_(nodes.const(a) for a in axes)
        if keepdims:
            keywords["keepdims"] = nodes.const(True)
        return nodes.call(nodes.attribute(value, "sum"), [], keywords)


_EINSUM_FROM = 1 << 16  # elements: below this, einsum's own overhead costs more than it saves


def _size(shape: tuple) -> int:
    return int(np.prod(shape)) if shape else 1


def _apply_factors(summed: gast.expr, outer: list) -> gast.expr:
    """The factors `_constant_factors` took out, put back around the sum."""
    for op, factor in reversed(outer):  # innermost first
        if op is None:
            summed = nodes.unary(gast.USub(), summed)
        else:
            summed = nodes.binop(summed, op.__class__(), factor)
    return summed


def _only_operand(op: Operation, operand: gast.Name) -> bool:
    """`y * y` or `x + 1.0`: the result has this operand's shape, nothing was broadcast."""
    return all(
        (isinstance(a, gast.Name) and a.id == operand.id)
        or (isinstance(a, gast.Constant) and isinstance(a.value, (int, float)))
        for a in op.args
    )


def _has_list(index: gast.expr) -> bool:
    """An index with a list in it (`x[[0, 0]]`) may name an element twice."""
    return any(isinstance(n, gast.List) for n in gast.walk(index))


def bind_operands(rule, op: Operation, origin: Origin | None):
    """The operands of `op` bound to the parameters of `rule` (a reverse or a forward rule),
    or a SrcgradError at the user's line saying why they cannot be."""
    if any(isinstance(a, gast.Starred) for a in op.args):
        raise UnsupportedSyntaxError(
            f"a starred argument (*args) to {describe(op)}, whose derivative is needed, is "
            "not supported",
            origin,
            "pass the arguments one by one",
        )
    try:
        return rule.signature().bind(*op.args, **op.keywords)
    except TypeError as exc:
        raise NoRuleError(
            f"the derivative rule for {describe(op)} does not accept these arguments ({exc})",
            origin,
        ) from None


def describe(op: Operation) -> str:
    """How an error names the operation: `'np.foo' (numpy.foo)`, `the method '.tolist'`."""
    if op.kind is Kind.CALL:
        name = getattr(op.key, "__name__", None) or repr(op.key)
        module = getattr(op.key, "__module__", None)
        if op.description:
            return f"'{op.description}' ({module + '.' if module else ''}{name})"
        return f"'{name}'"
    if isinstance(op.callee, gast.Attribute):
        return f"the method '.{op.callee.attr}'"
    return f"'{op.description}'" if op.description else "this operation"
