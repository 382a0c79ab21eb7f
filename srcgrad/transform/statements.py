"""The adjoint of one statement: a derivative rule applied to one `target = operation`.

Guarantees: for an assignment whose target's adjoint is not zero, `statement` emits each active
operand's contribution (`adjoints.Adjoints.contribute`), then the target's adjoint is used up:
an earlier assignment of the same name (in a loop) starts from zero. An operand that was
broadcast gets its contribution summed back to its shape: `unbroadcast(g, x)`, which the
optimizer makes an exact `.sum(axis=...)` where the shapes are known, and which is not written
at all where the shapes agree. `x[i] = v` puts back what it overwrote (from the tape), gives `v`
the adjoint at `i` and zeroes it there.
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from .. import runtime
from ..analyse import shapes as shape_analysis
from ..analyse.tape import Plan
from ..errors import NoRuleError
from ..front import nodes
from ..normalize.ir import Kind, Operation
from ..rules.registry import (
    BROADCAST,
    NO_RULE_ADVICE,
    SAME,
    Rule,
    choose_rule,
    is_nondifferentiable,
    reverse_rule,
)
from . import containers, uniform
from .adjoints import Adjoints
from .operands import bind_operands, describe


class StatementAdjoints:
    """Reverses single statements, reading and changing `adjoints`; `plan` records what the
    forward sweep must save for them, `loops` are the loops around the statement."""

    def __init__(self, adjoints: Adjoints, plan: Plan, loops: list):
        self.adjoints = adjoints
        self.plan = plan
        self.loops = loops
        self.spread = False  # the statement being reversed has a uniform adjoint

    def statement(self, stmt: gast.stmt, op: Operation) -> None:
        self.spread = False
        try:
            if op.kind is Kind.SETITEM:
                self.setitem(stmt)
            else:
                self._statement(stmt, op)
        finally:
            self.spread = False

    def _statement(self, stmt: gast.stmt, op: Operation) -> None:
        a = self.adjoints
        if op.kind is Kind.UNPACK:  # `a = t[k]`: a's adjoint waits for the statement that makes t
            parts = a.components.get(op.target)
            if parts is not None:  # `(a, b), c = t`: a's own parts give its adjoint now
                g = containers.tuple_adjoint(a, parts, op.target)
                if g is not None:
                    a.origin = nodes.origin_of(stmt)
                    a.contribute(op.target, g)
            return
        if op.kind is Kind.APPEND:
            containers.append(a, stmt, op)
            return
        found = self._result_adjoint(stmt, op)
        if found is None:
            return
        g, mask = found
        if not self._by_kind(op, g):
            self._by_rule(op, g, mask)

    def _result_adjoint(self, stmt: gast.stmt, op: Operation) -> tuple | None:
        """The target's adjoint, used up, and its mask; None where it is zero (or where a sum
        of a number gave its operand the same number)."""
        a = self.adjoints
        parts = a.components.get(op.target)
        if parts is not None:
            g = containers.tuple_adjoint(a, parts, op.target)
            if g is not None:
                a.origin = nodes.origin_of(stmt)
                g = containers.as_made(a, op, g), None
            return g
        if op.target not in a.table:
            return None
        a.origin = nodes.origin_of(stmt)
        if a.table.uniform(op.target) is not None and uniform.sum_of_number(a, op):
            # a sum whose result's adjoint is one number everywhere: so is its input's
            g = a.table.uniform(op.target)
            a.table.pop(op.target)
            a.contribute(op.args[0].id, g, True, ())
            return None
        if a.table.uniform(op.target) is not None and uniform.uniform_operands(a, op):
            mask = a.table.mask(op.target)
            g = a.table.uniform(op.target)  # a number: the operands' adjoints may stay so
            a.table.pop(op.target)
            self.spread = True
            return g, mask
        a.materialize(op.target)
        mask = a.table.mask(op.target)
        carried = op.target not in a.trees and op.target not in a.lists
        carried = carried and op.target not in a.ctx.names.generated
        if self.loops and carried and a.shapes.get(op.target) is None:
            # a name a loop rebinds to values of shapes not known: its adjoint may still be the
            # number the reverse loop reset it to (reverse_sweep._zeros)
            shaped = nodes.call(
                a.helper(runtime.shaped_like), [a.load(op.target), nodes.load(op.target)]
            )
            a.emit(nodes.assign(a.name(op.target), shaped))
        g = a.load(op.target)
        a.table.pop(op.target)
        if op.target in a.trees and op.kind in (Kind.CALL, Kind.USER):
            # a tuple result indexed part by part: zeros for the parts not used
            g = nodes.call(a.helper(runtime.as_gradient), [g, nodes.load(op.target)])
        return g, mask

    def _by_kind(self, op: Operation, g: gast.expr) -> bool:
        """The statements whose adjoint needs no derivative rule; False for the others."""
        a = self.adjoints
        if op.kind is Kind.TUPLE:
            containers.tuple_elements(a, op, g)
            return True
        if op.kind is Kind.LIST:
            containers.list_elements(a, op.args, g, nodes.load(op.target))
            return True
        if op.kind is Kind.DICT:
            containers.dict_values(a, op, g)
            return True
        getitem = op.kind is Kind.CALL and op.key is operator.getitem
        if getitem and a.is_list(op.args[0]):
            containers.list_element(a, op.args[0].id, op.args[1], g)
            return True
        if getitem and self._add_in_place(op, g):
            return True
        source = op.args[0] if op.args else None
        if isinstance(source, gast.Name) and source.id in a.trees and a.is_active(source):
            if op.kind is Kind.COPY:
                a.contribute(source.id, g)
                return True
            if getitem or (op.kind is Kind.CALL and op.key is getattr):  # params[k], params.W
                containers.tree_item(a, source.id, op.args[1], g)
                return True
        if op.kind is Kind.COPY:
            if a.is_active(op.args[0]):
                if op.target in a.trees and not self.spread:
                    # the name held a container elsewhere: its adjoint may be None (zero)
                    g = nodes.call(a.helper(runtime.as_gradient), [g, nodes.load(op.target)])
                if self.spread:
                    uniform.spread_contribution(a, op.args[0].id, g, a.shapes.get(op.target))
                else:
                    a.contribute(op.args[0].id, g)
            return True
        if op.kind is Kind.INERT or (op.kind is Kind.CALL and is_nondifferentiable(op.key)):
            return True
        if op.kind is Kind.USER and op.pullback is not None:
            self.through_pullback(op, g)
            return True
        # (a helper's result that no differentiated value made: a constant)
        return op.kind is Kind.USER and not any(a.has_active(arg) for arg in op.operands())

    def _by_rule(self, op: Operation, g: gast.expr, mask) -> None:
        general = reverse_rule(op.key) if op.kind is Kind.CALL else None
        if general is None:
            raise NoRuleError(
                f"no derivative rule for {describe(op)}",
                self.adjoints.origin,
                NO_RULE_ADVICE,
            )
        self.apply(general, op, g, mask)

    # ---- indexing ----------------------------------------------------------------------------

    def _add_in_place(self, op: Operation, g: gast.expr) -> bool:
        """`y = x[i]` when `dx` is an array srcgrad owns: `dx[i] += dy`, with no new array
        (`scatter_add` where the index may repeat elements)."""
        a = self.adjoints
        array, index = op.args
        name = getattr(array, "id", None)
        if not (
            a.ctx.floating
            and not a.ctx.other_arrays  # (a NumPy adjoint cannot hold a dask sum: a new array)
            and a.is_active(array)
            and name in a.table
            and a.table.owned(name)
            and name not in a.trees
        ):
            return False
        adjoint = a.name(name)
        a.shared(g)
        try:
            value = shape_analysis.constant_value(index, a.ctx.integers)
            basic = isinstance(value, (int, slice, tuple)) and not _has_list(index)
        except shape_analysis.NotConstant:
            basic = False
        if basic:
            target = nodes.subscript(nodes.load(adjoint), nodes.copy(index), store_ctx=True)
            a.emit(gast.AugAssign(target=target, op=gast.Add(), value=g))
        else:
            call = nodes.call(a.helper(runtime.scatter_add), [nodes.load(adjoint), index, g])
            a.emit(nodes.expr_stmt(call))
        a.table.contributed_in_place(name)
        return True

    def setitem(self, stmt: gast.Assign) -> None:
        """`x[i] = v`: put back what it overwrote, give `v` the adjoint at `i`, and zero the
        adjoint of the earlier `x` there (that value never reached the output)."""
        a = self.adjoints
        a.origin = nodes.origin_of(stmt)
        place = stmt.targets[0]
        array = place.value.id
        index = place.slice
        key = nodes.index_value(index)
        by_key = isinstance(key, gast.Constant) and isinstance(key.value, str)  # (a dict's)
        if array in a.containers or (by_key and not isinstance(a.shapes.get(array), tuple)):
            self._container_setitem(stmt, array, key)
            return
        if array in a.trees and array in a.table:  # (an array a helper returned, read by
            # index: its adjoint may be None or parts; made an array shaped like it)
            helper = a.helper(runtime.as_gradient)
            made = nodes.call(helper, [a.load(array), nodes.load(array)])
            a.emit(nodes.assign(a.name(array), made))
            a.table.set_array(array)
        a.materialize(array)

        def at_index(name: str, ctx=None) -> gast.Subscript:
            return nodes.subscript(nodes.load(name), nodes.copy(index), store_ctx=ctx)

        self.plan.undo[id(stmt)] = nodes.call(a.ctx.numpy_name("copy"), [at_index(array)])
        pop = nodes.call(nodes.attribute(nodes.load(self.plan.tape), "pop"))
        a.emit(nodes.assign(at_index(array, True), pop))
        if array not in a.table:
            return
        adjoint = a.name(array)
        value = stmt.value
        if a.shapes.get(array) == ():  # `y[()] = v` of a 0-d array: all of it
            return _whole_of_a_number(a, array, value)
        # (of a shape not known, the adjoint may be a NumPy number, which `dx[i] = 0.0` cannot
        # change: a 0-d view's, `np.cos(w)` of a 0-d array; zero_at copies it)
        in_place = a.table.owned(array) and a.shapes.get(array) is not None
        itself = isinstance(value, gast.Name) and value.id == array  # `y[:] = y`
        if a.is_active(value):
            part: gast.expr = at_index(adjoint)
            if a.shapes.get(array) is None:  # (a 0-d array's adjoint may be a number: `1.0`)
                whole = nodes.call(a.ctx.numpy_name("asarray"), [nodes.load(adjoint)])
                part = nodes.subscript(whole, nodes.copy(index))
            if in_place or itself:  # a slice is a view: keep its values before they are zeroed
                part = nodes.call(a.ctx.numpy_name("copy"), [part])
            if self._may_repeat(index):  # x[[0, 1, 1]] = v: only the last write arrives
                helper = a.helper(runtime.last_writes)
                part = nodes.call(helper, [part, nodes.load(adjoint), nodes.index_value(index)])
            unbroadcast = a.ctx.support.name_for(runtime.unbroadcast, "unbroadcast")
            share = nodes.call(nodes.load(unbroadcast), [part, value])
            if itself:  # the earlier y gets its share after its overwritten part is zeroed
                held = a.ctx.names.temporary()
                a.emit(nodes.assign(held, share))
                share = nodes.load(held)
            else:
                a.contribute(value.id, share)
        if in_place:
            a.emit(nodes.assign(at_index(adjoint, True), nodes.const(0.0)))
        else:
            zero_at = a.helper(runtime.zero_at)
            cleared = nodes.call(zero_at, [nodes.load(adjoint), nodes.index_value(index)])
            a.emit(nodes.assign(adjoint, cleared))
            a.table.set_owned(array)
        if a.is_active(value) and itself:
            a.contribute(value.id, share)

    def _container_setitem(self, stmt, container: str, key: gast.expr) -> None:
        """`d[key] = v` on a dict or list: put back the entry it overwrote (or take away the
        key it added), give `v` the entry's adjoint, and take that entry out of the
        container's adjoint."""
        a = self.adjoints
        self.plan.undo[id(stmt)] = nodes.call(
            a.helper(runtime.entry_of), [nodes.load(container), nodes.copy(key)]
        )
        pop = nodes.call(nodes.attribute(nodes.load(self.plan.tape), "pop"))
        restore = a.helper(runtime.restore_entry)
        a.emit(nodes.expr_stmt(nodes.call(restore, [nodes.load(container), nodes.copy(key), pop])))
        if container not in a.table:
            return
        value = stmt.value
        adjoint = a.load(container)
        if a.is_active(value):
            part = nodes.call(a.helper(runtime.part_adjoint), [adjoint, nodes.copy(key), value])
            a.contribute(value.id, part)
        cleared = nodes.call(a.helper(runtime.without_part), [nodes.copy(adjoint), nodes.copy(key)])
        a.emit(nodes.assign(adjoint.id, cleared))
        a.table.set_array(container)

    def _may_repeat(self, index: gast.expr) -> bool:
        """An index that may name one element twice: an integer array or list in it (not a
        number, a slice, a loop's integer, or a display of distinct numbers)."""
        a = self.adjoints
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        for part in parts:
            if isinstance(part, (gast.Constant, gast.Slice)):
                continue
            if isinstance(part, gast.Name):
                if part.id in a.ctx.integers or a.shapes.get(part.id) == ():
                    continue
                return True
            if isinstance(part, gast.List):
                numbers = [e.value for e in part.elts if isinstance(e, gast.Constant)]
                if len(numbers) == len(part.elts) and len(set(numbers)) == len(numbers):
                    continue
            return True
        return False

    # ---- calls -------------------------------------------------------------------------------

    def through_pullback(self, op: Operation, g: gast.expr) -> None:
        """`da, db = h_back(dy)`: the callee's own generated reverse sweep."""
        a = self.adjoints
        if op.rerun is not None:  # (srcgrad.checkpoint: run again, now with its tape)
            a.emit(nodes.copy(op.rerun))
        call = nodes.call(nodes.load(op.pullback), [g])
        names = [op.bindings[p].id for p in op.active_params]
        if len(set(names)) == len(names) and not set(names) & a.table.names():
            targets = [nodes.store(a.name(n)) for n in names]
            target = targets[0] if len(targets) == 1 else nodes.tuple_(targets, gast.Store())
            a.emit(nodes.assign(target, call))
            for name in names:
                a.table.set_array(name)
            return
        if len(names) == 1:
            a.contribute(names[0], call)
            return
        result = a.ctx.names.temporary()
        a.emit(nodes.assign(result, call))
        for k, name in enumerate(names):
            a.contribute(name, nodes.subscript(nodes.load(result), nodes.const(k)))

    def apply(self, general: Rule, op: Operation, g: gast.expr, mask) -> None:
        """`op`'s derivative rule (the variant the facts at this call choose), its adjoints
        given to the active operands."""
        a = self.adjoints
        bound = bind_operands(general, op, a.origin)
        given = {p: nodes.const(v) for p, v in general.defaults.items()}
        given.update(bound.arguments)
        rule, extra = choose_rule(op.key, a.facts(given))
        mapping = {p: nodes.const(v) for p, v in rule.defaults.items()}
        mapping.update(bound.arguments)
        mapping.update(extra)
        mapping["g"] = g
        mapping["ans"] = nodes.load(op.target)
        body, outputs = rule.instantiate(mapping, a.ctx, self._preferred(rule, bound))
        if uniform.spread_reduction(a, rule, op, bound.arguments):  # `np.sum(x)`: 1.0 everywhere
            shape = a.shapes[op.target]
            a.contribute(bound.arguments["a"].id, outputs[0].args[1], True, shape)
            return
        wanted = [
            (param, out)
            for param, out in zip(rule.differentiable, outputs)
            if out is not None and a.has_active(bound.arguments.get(param))
        ]
        if not wanted:
            return
        for stmt in body:
            a.emit(stmt)
        mask = mask if rule.shape in (SAME, BROADCAST) else None
        for param, value in wanted:
            self._give(rule, op, bound.arguments, param, value, mask)

    def _preferred(self, rule: Rule, bound) -> dict[str, str]:
        """A rule's local that is returned as an operand's first adjoint takes the adjoint's
        name."""
        a = self.adjoints
        preferred: dict[str, str] = {}
        for param, out in zip(rule.differentiable, rule.outputs):
            operand = bound.arguments.get(param)
            if (
                isinstance(out, gast.Name)
                and a.is_active(operand)
                and operand.id not in a.table
                and out.id not in preferred
            ):
                preferred[out.id] = a.name(operand.id)
        return preferred

    def _give(self, rule: Rule, op: Operation, arguments: dict, param: str, value, mask) -> None:
        """The rule's adjoint `value` for the operand bound to `param`."""
        a = self.adjoints
        operand = arguments[param]
        if mask is not None and isinstance(operand, gast.Name):
            value = masked(a, value, mask)
        if isinstance(operand, (gast.List, gast.Tuple)):
            containers.display_elements(a, operand, value)
            return
        if a.is_list(operand):  # np.stack(xs): one adjoint per element of the list
            containers.whole_list(a, operand.id, value)
            return
        whole = value
        if rule.broadcasting and not (rule.shape == BROADCAST and _only_operand(op, operand)):
            value = self._summed_to(value, operand, op.target)
        fresh = operand.id not in a.table
        if self.spread:
            uniform.spread_contribution(a, operand.id, value, a.shapes.get(op.target))
        else:
            a.contribute(operand.id, value)
        if fresh and op.key is operator.getitem:
            a.table.set_owned(operand.id)  # index_adjoint and its variants make a new array
        # (a mask is the result's shape: not after a sum; and not in a loop, where the
        # condition's name is bound again at every step: the statement before would read the
        # condition the tape holds for it, of the step before)
        if fresh and value is whole and not self.loops:
            if mask is not None:
                a.table.set_mask(operand.id, mask)
            if op.key is np.where and param in ("x", "y"):
                a.table.set_mask(operand.id, (arguments["condition"], param == "x"))

    def _summed_to(self, value: gast.expr, operand: gast.Name, result: str) -> gast.expr:
        """`value` (shaped like `result`) summed over the axes `operand` was broadcast along:
        `unbroadcast(value, operand)`, carrying both shapes where they are known (the optimizer
        writes the exact sum there, `optimize/broadcast.py`, and `x` is read for its shape
        alone); `value` itself where they agree."""
        a = self.adjoints
        have = a.shapes.get(result)
        want = a.shapes.get(operand.id)
        if have is not None and have == want:
            return value
        helper = a.ctx.support.name_for(runtime.unbroadcast, "unbroadcast")
        call = nodes.call(nodes.load(helper), [value, operand])
        if have is not None and want is not None and shape_analysis.broadcast_axes(have, want):
            nodes.mark_broadcast(call, have, want)
        return call


def masked(adjoints, value: gast.expr, mask: tuple[gast.expr, bool]) -> gast.expr:
    """`value` where np.where chose this branch, exactly 0.0 elsewhere.

    `np.where(x > 0, np.sqrt(x), 0.0)` reads sqrt at negative x too; its derivative there is
    nan, and nan * 0 is nan. Keeping the zeros of the branch not taken through the elementwise
    steps before it gives the finite gradient the user means (the classic NaN trap).
    """
    condition, chosen = mask
    zero = nodes.const(0.0)
    parts = [value, zero] if chosen else [zero, value]
    return nodes.call(adjoints.ctx.numpy_name("where"), [nodes.copy(condition), *parts])


def _only_operand(op: Operation, operand: gast.Name) -> bool:
    """`y * y` or `x + 1.0`: the result has this operand's shape, nothing was broadcast."""
    return all(
        (isinstance(a, gast.Name) and a.id == operand.id)
        or (isinstance(a, gast.Constant) and isinstance(a.value, (int, float)))
        for a in op.args
    )


def _has_list(index: gast.expr) -> bool:
    """An index with a list in it (`x[[0, 0]]`) may name an element twice."""
    return any(isinstance(n, gast.List) for n in nodes.walk(index))


def _whole_of_a_number(a, array: str, value: gast.expr) -> None:
    """`y[()] = v` (`y[...] = v`) of a 0-d array: `v` gets y's adjoint, which is zero before
    (`y[...] = y` changes nothing)."""
    if isinstance(value, gast.Name) and value.id == array:
        return
    if a.is_active(value):
        a.contribute(value.id, a.load(array))
    a.emit(nodes.assign(a.name(array), nodes.const(0.0)))
    a.table.set_owned(array)
