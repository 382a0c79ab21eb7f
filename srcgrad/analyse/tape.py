"""Analyse stage, saving: which values the reverse sweep must find on the tape.

A value is saved only when the reverse sweep reads it and the forward sweep may overwrite it
before the reverse sweep gets there: a name assigned inside a loop (the next iteration
overwrites it) or assigned again later. Straight-line code, in single-assignment form, saves
nothing; a loop that only reads an array saves none of it. Branch decisions and trip counts
are recorded the same way, and only when they would otherwise be lost.

The forward sweep pushes on one list, `_tape`, and the reverse sweep pops in exactly the
opposite order, so each pop finds the value its push saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from ..front import nodes
from ..normalize.attempts import attempted, is_attempt

LOOPS = (gast.For, gast.While)


@dataclass
class Checkpointed:
    """What the forward sweep writes for a checkpointed loop (transform/checkpoints.py): the
    schedule made before it, its steps as plain code that keeps snapshots, and the two loops of
    the reverse sweep that run steps again: from a snapshot as plain code, then with the
    tape."""

    setup: gast.stmt
    forward: list
    again: gast.For
    taped: gast.For


@dataclass
class Plan:
    """What the forward sweep records, decided while the reverse sweep is generated."""

    tape: str
    order: dict[int, int] = field(default_factory=dict)  # statement id -> program position
    last_assignment: dict[str, int] = field(default_factory=dict)
    reassigned: set[str] = field(default_factory=set)  # names with more than one assignment
    loop_assigns: dict[int, set[str]] = field(default_factory=dict)
    saves: dict[int, list[str]] = field(default_factory=dict)  # after statement id: push these
    conditions: set[int] = field(default_factory=set)  # ifs whose test is pushed
    counters: dict[int, tuple[str, bool]] = field(default_factory=dict)  # loop -> (name, push)
    undo: dict[int, gast.expr] = field(default_factory=dict)  # x[i] = v -> what it overwrites
    # a loop -> names whose values just after it the reverse sweep reads there (the shapes of
    # zeros for adjoints that only some paths define), pushed after it; an if -> the same
    # for its values just before it, pushed before it
    after: dict[int, list[str]] = field(default_factory=dict)
    before: dict[int, list[str]] = field(default_factory=dict)
    checkpointed: dict[int, Checkpointed] = field(default_factory=dict)  # loop -> its schedule

    @classmethod
    def of(cls, body: list, tape: str, params: set[str] = frozenset()) -> Plan:
        """`params`: the function's parameters, bound before the body (an assignment in the
        body overwrites them)."""
        plan = cls(tape)
        counts: dict[str, int] = dict.fromkeys(params, 1)
        for position, stmt in enumerate(_statements(body)):
            plan.order[id(stmt)] = position
            stored = _assigned_here(stmt)
            for name in stored:
                plan.last_assignment[name] = position
                counts[name] = counts.get(name, 0) + 1
            if isinstance(stmt, LOOPS):
                plan.loop_assigns[id(stmt)] = nodes.names_stored(stmt)
                plan.reassigned |= plan.loop_assigns[id(stmt)]
        plan.reassigned |= {n for n, c in counts.items() if c > 1}
        return plan

    def overwritten_after_loop(self, name: str, loop, outer: list) -> bool:
        """Whether `name` may be assigned after `loop` ends (in a loop around it, or later)
        and before the reverse sweep comes back to it."""
        if any(name in self.loop_assigns[id(o)] for o in outer):
            return True
        end = max((self.order[id(s)] for s in _statements(loop.body)), default=-1)
        return self.last_assignment.get(name, -1) > max(end, self.order[id(loop)])

    def overwritten_after(self, name: str, stmt: gast.stmt, loops: list) -> bool:
        """Whether `name` may be assigned after `stmt` runs and before the reverse sweep
        comes back to it."""
        if name not in self.reassigned:
            return False
        if any(name in self.loop_assigns[id(loop)] for loop in loops):
            return True
        return self.last_assignment.get(name, -1) > self.order[id(stmt)]

    @property
    def used(self) -> bool:
        pushes_counter = any(p for _, p in self.counters.values())
        held = self.after or self.before
        return bool(self.saves or self.conditions or self.undo or held or pushes_counter)

    def push_value(self, value: gast.expr, origin) -> gast.stmt:
        call = nodes.call(nodes.attribute(nodes.load(self.tape), "append"), [value])
        return nodes.expr_stmt(call, origin)

    def push(self, name: str, origin) -> gast.stmt:
        call = nodes.call(nodes.attribute(nodes.load(self.tape), "append"), [nodes.load(name)])
        return nodes.expr_stmt(call, origin)

    def pop(self, name: str, origin) -> gast.stmt:
        call = nodes.call(nodes.attribute(nodes.load(self.tape), "pop"))
        return nodes.assign(name, call, origin)


def _statements(body: list):
    for stmt in body:
        yield stmt
        for field_name in ("body", "orelse"):
            yield from _statements(getattr(stmt, field_name, None) or [])


def _assigned_here(stmt: gast.stmt) -> set[str]:
    if isinstance(stmt, gast.Assign):
        return nodes.names_stored(stmt.targets[0])
    if isinstance(stmt, gast.For):
        return nodes.names_stored(stmt.target)
    return set()


def _unrecorded(stmts: list) -> list:
    """`stmts` without the records kept for the caller (`LOG.append(v)`): steps run again
    in a checkpointed loop's reverse sweep add nothing to them."""
    out = []
    for stmt in stmts:
        if nodes.is_record(stmt):
            continue
        for field_name in ("body", "orelse"):
            inner = getattr(stmt, field_name, None)
            if inner:
                setattr(stmt, field_name, _unrecorded(inner) or [gast.Pass()])
        out.append(stmt)
    return out


def recorded(body: list, plan: Plan) -> list:
    """The forward sweep: `body` with the plan's pushes and trip counters put in."""
    out: list = []
    for stmt in body:
        origin = nodes.origin_of(stmt)
        if isinstance(stmt, gast.If):
            out.extend(plan.push(name, origin) for name in plan.before.get(id(stmt), ()))
            stmt.body = recorded(stmt.body, plan) or [gast.Pass()]
            stmt.orelse = recorded(stmt.orelse, plan)
            out.append(attempted(stmt) if is_attempt(stmt) else stmt)  # (a `try` block's)
            if id(stmt) in plan.conditions:
                out.append(plan.push(stmt.test.id, origin))
        elif isinstance(stmt, LOOPS):
            body_out = recorded(stmt.body, plan)
            schedule = plan.checkpointed.get(id(stmt))
            if schedule is not None:  # the step with its pushes runs in the reverse sweep
                schedule.taped.body = _unrecorded(body_out)  # (a record is kept once)
                body_out = recorded(schedule.forward, plan)
                schedule.again.body = _unrecorded(recorded(schedule.again.body, plan))
                out.append(schedule.setup)
            counter = plan.counters.get(id(stmt))
            if counter is not None:
                name, pushed = counter
                out.append(nodes.assign(name, nodes.const(0), origin))
                body_out.insert(
                    0, nodes.assign(name, nodes.add(nodes.load(name), nodes.const(1)), origin)
                )
            stmt.body = body_out or [gast.Pass()]
            out.append(stmt)
            if counter is not None and counter[1]:
                out.append(plan.push(counter[0], origin))
            for name in plan.saves.get(id(stmt), ()):  # range bounds the reverse loop needs
                out.append(plan.push(name, origin))
            out.extend(plan.push(name, origin) for name in plan.after.get(id(stmt), ()))
        else:
            if id(stmt) in plan.undo:  # x[i] = v: keep what it overwrites, to put it back
                out.append(plan.push_value(nodes.copy(plan.undo[id(stmt)]), origin))
            out.append(stmt)
            for name in plan.saves.get(id(stmt), ()):
                out.append(plan.push(name, origin))
    return out
