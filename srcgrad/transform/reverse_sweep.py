"""The reverse sweep's control flow: blocks last statement first, ifs and loops replayed.

Guarantees: a block's statements are reversed last first (`statements.StatementAdjoints`), each
after popping the values it reads that the forward sweep overwrote; an `if` becomes an `if` on
the recorded decision; a loop runs backwards (`reversed(range(...))`, or its recorded trip
count). Where the paths through an `if` or the steps of a loop leave an adjoint defined on some
paths only, it is set to zeros on the others: the table of adjoints is copied where control
flow splits and joined where it meets (`adjoint_state`).
"""

from __future__ import annotations

import operator

import gast

from .. import runtime
from ..analyse.scan import assignments
from ..analyse.tape import LOOPS, Plan
from ..front import nodes
from ..front.fence import is_append
from ..normalize.checkpoints import snapshots_of
from ..normalize.ir import Kind
from . import checkpoints
from .adjoint_state import AdjointTable, Array
from .adjoints import Adjoints
from .statements import StatementAdjoints


class ReverseSweep:
    def __init__(self, adjoints: Adjoints, ops: dict, plan: Plan):
        self.adjoints = adjoints
        self.ctx = adjoints.ctx
        self.ops = ops  # statement id -> Operation
        self.plan = plan
        self.loops: list = []  # the loops around the statement being reversed
        self.statements = StatementAdjoints(adjoints, plan, self.loops)
        self.replayed: set[str] = set()  # loop variables the reverse loops give back
        self.restored: set[str] = set()  # names popped by a later statement of this block
        self.restored_at_start: set[str] = set()  # of the block just reversed: its start's
        self.bound_before: dict[int, frozenset] = {}  # top statement -> names bound before it
        self.bound_at: dict[int, frozenset] = {}  # statement -> names certainly bound there
        self.wrt: list[str] = []

    def block(self, stmts: list, restored: frozenset = frozenset()) -> list[gast.stmt]:
        """The reverse of `stmts`, as a new list; the table of adjoints flows through.
        `restored`: names that hold their values from the end of `stmts` when it starts."""
        a = self.adjoints
        outer, a.out = a.out, []
        outer_restored, self.restored = self.restored, set(restored)
        for stmt in reverse_order(stmts, self.ops, self.plan.reassigned):
            if id(stmt) in self.bound_before:  # a statement at the top: names before it
                a.bound = set(self.bound_before[id(stmt)])
            if isinstance(stmt, gast.Assign) or is_append(stmt):
                self.assignment(stmt)
            elif isinstance(stmt, gast.If):
                a.out.extend(self.branch(stmt))
                self.restored = set()
            elif isinstance(stmt, LOOPS):
                a.out.extend(self.loop(stmt))
                self.restored = set()
        a.materialize_all()  # what leaves a block is an array
        inner, a.out = a.out, outer
        self.restored_at_start, self.restored = self.restored, outer_restored
        return inner

    def assignment(self, stmt: gast.Assign) -> None:
        """The statement's adjoint, after popping the values it reads that were overwritten."""
        out = self.adjoints.out
        start = len(out)
        op = self.ops[id(stmt)]
        self.statements.statement(stmt, op)
        emitted = out[start:]
        adjoints = self.ctx.names.adjoints_all()
        reads = set().union(*(_values_read(s) for s in emitted)) - adjoints
        saved = sorted(
            name
            for name in reads - self.replayed - self.restored
            if self.plan.overwritten_after(name, stmt, self.loops)
        )
        # popped here, these hold the right values for the statements just before this one
        self.restored |= set(saved)
        targets = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt
        self.restored -= nodes.names_stored(targets) | {op.target}
        again = {n: s for n in saved if (s := indexed_again(self, n)) is not None}
        saved = [n for n in saved if n not in again]  # (`_t4 = xs[t]`: indexed again)
        origin = nodes.origin_of(stmt)
        out[start:start] = [nodes.mark_adjoint(nodes.copy(again[n])) for n in sorted(again)]
        if saved:
            self.plan.saves[id(stmt)] = saved
            pops = [nodes.mark_adjoint(self.plan.pop(n, origin)) for n in reversed(saved)]
            out[start:start] = pops
        else:
            self.plan.saves.pop(id(stmt), None)

    def branch(self, stmt: gast.If) -> list[gast.stmt]:
        a = self.adjoints
        a.materialize_all()
        entry = a.table.copy()
        then = self.block(stmt.body)
        after_then, a.table = a.table, entry.copy()
        other = self.block(stmt.orelse)
        after_other = a.table
        defined = after_then.names() | after_other.names()
        a.table = _joined(entry, after_then, after_other)
        if not self.loops:  # (a mask's condition is bound again at every step of a loop)
            self._join_masks(defined, after_then, after_other, then, other)
        then_zeros = self._zeros(defined - after_then.names(), stmt)
        other_zeros = self._zeros(defined - after_other.names(), stmt)
        # the zeros are shaped like the values as the if found them: where the if or the code
        # after it rebinds those, they come back from the tape after the if, zeros after them
        restored = self._restored(stmt, then_zeros + other_zeros, self.plan.before)
        if not restored:
            then += then_zeros
            other += other_zeros
        if not then and not other and not restored:
            self.plan.conditions.discard(id(stmt))
            return []
        test = stmt.test
        out = []
        origin = nodes.origin_of(stmt)
        if self.plan.overwritten_after(test.id, stmt, self.loops):
            self.plan.conditions.add(id(stmt))
            out.append(nodes.mark_adjoint(self.plan.pop(test.id, origin)))
        else:
            self.plan.conditions.discard(id(stmt))
        replay = gast.If(test=nodes.load(test.id), body=then or [gast.Pass()], orelse=other)
        out.append(nodes.mark_adjoint(nodes.stamp(replay, origin)))
        if restored:
            zeros = gast.If(
                test=nodes.load(test.id), body=then_zeros or [gast.Pass()], orelse=other_zeros
            )
            out.extend([*restored, nodes.mark_adjoint(nodes.stamp(zeros, origin))])
        return out

    def _join_masks(self, defined, then_table, other_table, then: list, other: list) -> None:
        """An adjoint masked on one path at least (`np.where` chose there) stays masked after the
        if, under a mask of its own that each path sets: the condition where that path masked
        it, False where the path left it zero, True where it is an adjoint like any other. The
        zeros of the path that did not use a value then meet no nan of a derivative before it
        (0 * nan is nan)."""
        a = self.adjoints
        for name in sorted(defined):
            masks = [table.mask(name) for table in (then_table, other_table)]
            if masks[0] is None and masks[1] is None or masks[0] is masks[1]:
                continue  # (no mask, or the same on both paths: `_joined` kept it)
            held = self.ctx.names.temporary()
            for table, mask, body in zip((then_table, other_table), masks, (then, other)):
                if mask is not None:
                    condition, chosen = mask
                    value = nodes.copy(condition)
                    if not chosen:
                        value = nodes.call(self.ctx.numpy_name("logical_not"), [value])
                else:
                    value = nodes.const(name in table)
                body.append(nodes.mark_adjoint(nodes.assign(held, value)))
            a.table.set_mask(name, (nodes.load(held), True))

    def loop(self, stmt) -> list[gast.stmt]:
        """The loop replayed backwards; adjoints that a later iteration (earlier in reverse)
        may leave undefined start as zeros.

        A `for` over `range(...)` (after normalization, every `for`) runs over
        `reversed(range(...))`, which gives back its variable at no cost; a `while` loop runs
        its recorded trip count.
        """
        a = self.adjoints
        a.materialize_all()
        a.table.drop_masks()  # a mask describes one value of a name; a loop gives it many
        replays = self._replayed_variable(stmt)
        before = a.table.names()
        owned_before = a.table.owned_names()
        # adjoints zeroed in place inside the loop get an array of their own before it
        mutated = {
            self.ops[id(s)].target
            for s in assignments(stmt.body)
            if self.ops[id(s)].kind is Kind.SETITEM
        } & a.active
        self.loops.append(stmt)
        if replays:
            self.replayed.add(replays)
        body, entry, start_owned = self._loop_body(stmt, before, owned_before | mutated)
        self.loops.pop()
        self.replayed.discard(replays)
        end = a.table
        lost = entry - end.names()
        body += self._zeros(lost, stmt, like_adjoint=True)  # fresh arrays, srcgrad's own
        a.table = AdjointTable()
        for name in sorted(entry | end.names()):
            owned = (end.owned(name) or name in lost) and name in start_owned
            a.table.set_array(name, owned)
        out = self._zeros(entry - before, stmt)
        out[:0] = self._restored(stmt, out, self.plan.after)
        origin = nodes.origin_of(stmt)
        for name in sorted((start_owned & before) - owned_before):
            adjoint = nodes.load(self.ctx.names.adjoint(name))
            copy = nodes.call(self.ctx.numpy_name("copy"), [adjoint])
            out.append(nodes.mark_adjoint(nodes.assign(adjoint.id, copy, origin)))
        if not body:
            self.plan.counters.pop(id(stmt), None)
            self.plan.saves.pop(id(stmt), None)
            return []
        if snapshots_of(stmt) is not None:
            replay, given_back = checkpoints.replay(self, stmt, body, out)
            out.append(nodes.mark_adjoint(nodes.stamp(replay, origin)))
            return [*out, *given_back]
        if replays:
            replay = self._replay_range(stmt, body, out)
        else:
            replay = self._replay_count(stmt, body, out)
        out.append(nodes.mark_adjoint(nodes.stamp(replay, origin)))
        return out

    def _loop_body(self, stmt, before: set[str], owned_entry: set[str]):
        """The reversed body, reversed again until the adjoints defined at its start are the
        same at its end (a value made late in the body reaches the next step's start): the
        body, the names defined at its start, and those owned there."""
        a = self.adjoints
        entry = set(before)
        not_owned: set[str] = set()  # adjoints the body hands to other names: shared at start
        carried: frozenset = frozenset()  # names the last step back left as this one ends them
        assigned = self.plan.loop_assigns[id(stmt)]
        for _ in range(2 * len(a.active) + 8):
            # the zeros made before the loop are new arrays, srcgrad's own
            fresh = {n for n in entry - before if n not in a.lists and n not in a.trees}
            start_owned = (owned_entry | fresh) - not_owned
            a.table = AdjointTable({n: Array(n in start_owned) for n in entry})
            body = self.block(stmt.body, carried)
            end = a.table
            grown = end.names() - entry
            # (an adjoint the body used up gets fresh zeros at its end: its own array)
            shared = {n for n in start_owned if n in end and not end.owned(n)}
            # a value the step back popped to what it was at the step's start is, at the
            # next step back, the value the step before ended with: not kept again
            kept = frozenset(
                n
                for n in self.restored_at_start & assigned
                if not self.plan.overwritten_after_loop(n, stmt, self.loops[:-1])
            )
            if not grown and not shared and kept == carried:
                break
            entry |= grown
            not_owned |= shared
            carried = kept
        return body, entry, start_owned

    def _replayed_variable(self, stmt) -> str | None:
        """The variable of a `for` loop that the reverse loop can give back itself."""
        if not isinstance(stmt, gast.For) or not isinstance(stmt.target, gast.Name):
            return None
        name = stmt.target.id
        assigned_inside = set().union(set(), *(nodes.names_stored(s) for s in stmt.body))
        return None if name in assigned_inside or name in self.replayed else name

    def _replay_range(self, stmt: gast.For, body: list, out: list) -> gast.For:
        origin = nodes.origin_of(stmt)
        arguments = [a for a in stmt.iter.args if isinstance(a, gast.Name)]
        saved = sorted(
            {a.id for a in arguments if self.plan.overwritten_after(a.id, stmt, self.loops)}
        )
        if saved:
            self.plan.saves[id(stmt)] = saved
            out.extend(nodes.mark_adjoint(self.plan.pop(n, origin)) for n in reversed(saved))
        else:
            self.plan.saves.pop(id(stmt), None)
        backwards = nodes.call(self.ctx.builtin("reversed"), [nodes.copy(stmt.iter)])
        return gast.For(
            target=nodes.store(stmt.target.id),
            iter=backwards,
            body=body,
            orelse=[],
            type_comment=None,
        )

    def _replay_count(self, stmt, body: list, out: list) -> gast.For:
        origin = nodes.origin_of(stmt)
        pushed = bool(self.loops)  # a loop inside a loop: its trip count changes
        counter = self.plan.counters.get(id(stmt), (None,))[0] or self.ctx.names.fresh("_n")
        self.plan.counters[id(stmt)] = (counter, pushed)
        if pushed:
            out.append(nodes.mark_adjoint(self.plan.pop(counter, origin)))
        index = self.ctx.names.fresh("_")
        return gast.For(
            target=nodes.store(index),
            iter=nodes.call(self.ctx.builtin("range"), [nodes.load(counter)]),
            body=body,
            orelse=[],
            type_comment=None,
        )

    # ---- zeros ---------------------------------------------------------------------------

    def _zeros_of(self, shape: tuple) -> gast.expr:
        """`np.zeros((2, 3))` (in float32 where every differentiated input is float32)."""
        if shape == ():
            return nodes.const(0.0)
        size = nodes.tuple_([nodes.const(n) for n in shape])
        single = all(self.ctx.dtypes.get(w) == "float32" for w in self.wrt) and self.wrt
        dtype = [self.ctx.numpy_name("float32")] if single else []
        return nodes.call(self.ctx.numpy_name("zeros"), [size, *dtype])

    def _restored(self, stmt, zeros: list, held: dict) -> list[gast.stmt]:
        """Pops that give the names `zeros` read their values from around `stmt` (just after a
        loop, just before an if: `held` is the plan's table for that), where the code may
        rebind them, to values of other shapes."""
        reads = set().union(set(), *(nodes.names_read(z) for z in zeros))
        bound = self.bound_at.get(id(stmt), frozenset())
        names = sorted(  # (only names certainly bound there: the others cannot be pushed)
            n
            for n in (reads & bound) - self.ctx.names.adjoints_all()
            if n in self.plan.reassigned and self.plan.overwritten_after(n, stmt, self.loops)
        )
        if not names:
            held.pop(id(stmt), None)
            return []
        held[id(stmt)] = names
        origin = nodes.origin_of(stmt)
        return [nodes.mark_adjoint(self.plan.pop(n, origin)) for n in reversed(names)]

    def _updated_by_index(self) -> set[str]:
        """Names whose adjoints may be added to or set at an index (`dx[i] += g`): they must
        be arrays."""
        return {
            op.target if op.kind is Kind.SETITEM else op.args[0].id
            for op in self.ops.values()
            if op.kind is Kind.SETITEM
            or (op.key is operator.getitem and op.args and isinstance(op.args[0], gast.Name))
        }

    def _zeros(self, names: set[str], stmt, like_adjoint: bool = False) -> list[gast.stmt]:
        """`dx = np.zeros_like(x)`: the adjoint of a value no path after this point used."""
        a = self.adjoints
        out = []
        bound = self.bound_at.get(id(stmt), frozenset())
        for name in sorted(names):
            adjoint = self.ctx.names.adjoint(name)
            like = nodes.load(adjoint if like_adjoint else name)
            zeros = nodes.call(self.ctx.numpy_name("zeros_like"), [like])
            shape = a.shapes.get(name)
            if like_adjoint and shape is None and name not in self._updated_by_index():
                # (a loop's next step back may hold a value of another shape under the name:
                # the number 0.0, made an array of its shape where it is used, shaped_like)
                zeros = nodes.const(0.0)
            if not like_adjoint and name not in bound and shape is not None and self.ctx.floating:
                # a name no path may have bound yet (`continue` before it): zeros of its shape
                zeros = self._zeros_of(shape)
            elif not like_adjoint and name not in bound and name not in self._updated_by_index():
                # ... of a shape not known: the number 0.0, which every later sum broadcasts
                # (np.zeros_like of the unbound name raised UnboundLocalError)
                zeros = nodes.const(0.0)
            if name in a.lists:
                helper = self.ctx.support.name_for(runtime.list_adjoint, "list_adjoint")
                zeros = nodes.call(nodes.load(helper), [nodes.load(name)])
                if name not in bound:  # (no step of a loop may have bound it)
                    helper = self.ctx.support.name_for(
                        runtime.list_adjoint_if_bound, "list_adjoint_if_bound"
                    )
                    zeros = nodes.call(nodes.load(helper), [nodes.lambda_([], nodes.load(name))])
            if name in a.trees and name not in a.lists:
                zeros = nodes.const(None)  # add_item starts a container's adjoint from None
            out.append(nodes.mark_adjoint(nodes.assign(adjoint, zeros, nodes.origin_of(stmt))))
        return out


def indexed_again(sweep: ReverseSweep, name: str) -> gast.Assign | None:
    """`_t4 = xs[t]`, the one assignment of `name` at the top of the loop being reversed, where
    nothing ever changes `xs` and what indexes it is the loop's variable (given back by the
    reverse loop) or never changes either: the reverse sweep indexes `xs` again rather than
    keep the element on the tape."""
    if not sweep.loops:
        return None
    loop, plan = sweep.loops[-1], sweep.plan
    found = [
        s
        for s in assignments(loop.body)
        if isinstance(s, gast.Assign)
        and isinstance(s.targets[0], gast.Name)
        and s.targets[0].id == name
    ]
    if len(found) != 1 or not any(s is found[0] for s in loop.body):
        return None
    op = sweep.ops[id(found[0])]
    if op.kind is not Kind.CALL or op.key is not operator.getitem:
        return None
    array = op.args[0]
    if not isinstance(array, gast.Name) or array.id not in sweep.ctx.array_arguments:
        return None
    changed = {o.target for o in sweep.ops.values() if o.kind is Kind.SETITEM}
    index = set().union(set(), *(nodes.names_read(a) for a in op.args[1:]))
    variable = loop.target.id if isinstance(loop, gast.For) else None
    steady = all(n == variable and n in sweep.replayed or n not in plan.reassigned for n in index)
    if array.id in changed | plan.reassigned or not steady:
        return None
    return found[0]


def _values_read(stmt: gast.stmt) -> set[str]:
    """The names whose values `stmt` reads: not `x` of an `unbroadcast(g, x)` that carries
    both shapes (the optimizer writes it as a sum of g alone)."""
    found = nodes.walk(stmt)
    skipped = {
        id(node.args[1])
        for node in found
        if isinstance(node, gast.Call) and nodes.broadcast_of(node) is not None
    }
    return {
        node.id
        for node in found
        if isinstance(node, gast.Name)
        and isinstance(node.ctx, gast.Load)
        and id(node) not in skipped
    }


def _joined(entry: AdjointTable, then: AdjointTable, other: AdjointTable) -> AdjointTable:
    """The adjoints after an if whose branches left `then` and `other`: defined where either
    path defined them (the other path adds zeros, a new array of srcgrad's own), owned where
    both paths own them, and masked only where both kept the mask the if found."""
    joined = AdjointTable()
    for name in sorted(then.names() | other.names()):
        owned = (name not in then or then.owned(name)) and (name not in other or other.owned(name))
        joined.set_array(name, owned)
        mask = entry.mask(name)
        if mask is not None and then.mask(name) is mask and other.mask(name) is mask:
            joined.set_mask(name, mask)
    return joined


def reverse_order(stmts: list, ops: dict, reassigned: set[str]) -> list:
    """Statements last first, but within one user line, left operands before right ones.

    `d = w3 * b + w4 * c` becomes `_t1 = w3 * b; _t2 = w4 * c; d = _t1 + _t2`; any order that
    visits `d` before `_t1` and `_t2` is a valid reverse sweep, and the reader expects `_t1`'s
    adjoints (dw3, db) first. A line that reads or writes a name assigned more than once keeps
    the exact reverse order: its values may be on the tape, which pops in that order only. So
    does a line that writes into an array, list or dict (`d.update({...})`): a read of it must
    stay on the side of the write it was on.
    """
    order: list = []
    i = len(stmts)
    while i > 0:
        j = i - 1
        if not isinstance(stmts[j], gast.Assign):
            order.append(stmts[j])
            i = j
            continue
        origin = nodes.origin_of(stmts[j])
        while (
            j > 0
            and isinstance(stmts[j - 1], gast.Assign)
            and nodes.origin_of(stmts[j - 1]) == origin
        ):
            j -= 1
        pending = list(range(j, i))  # one user statement's operations, in forward order
        touched = set().union(
            *({ops[id(stmts[k])].target} | ops[id(stmts[k])].names() for k in pending)
        )
        writes = any(ops[id(stmts[k])].kind in (Kind.SETITEM, Kind.APPEND) for k in pending)
        if touched & reassigned or writes:
            order.extend(stmts[k] for k in reversed(pending))
            pending = []
        while pending:
            first = next(
                k
                for k in pending
                if not any(
                    ops[id(stmts[k])].target in ops[id(stmts[m])].names() for m in pending if m > k
                )
            )
            order.append(stmts[first])
            pending.remove(first)
        i = j
    return order
