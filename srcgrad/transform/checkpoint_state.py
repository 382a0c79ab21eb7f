"""Transform stage: the state a checkpointed loop's snapshots hold, everything a step changes.

A step changes a value where it assigns it (`u = ...`, `u[i] = v`, `u += v`), and where it
calls a function that may write into what it is given: one of the user's helpers that writes
into an argument (`bump(v, w)`, `advance(counter)`, `bump(xs[0], w)`: the name the argument
is read from), a call with `out=`, and a method of one of the function's own values
(`sim.advance(w)`, `k = counter.next()`), whose effects srcgrad does not see: the value and its
arguments. Each such name the step reads before it assigns it is state; where a step may change
a value in place, the snapshots hold copies (`runtime.checkpoints.kept`: arrays, lists, dicts and
the objects of the user's classes, all the way down), and the state before the loop is given
back into the objects that held it. A helper that changes memory no argument reaches (a
module-level array or list) would be changed again by each step run again in the reverse sweep:
refused at the call, with the way out. A helper that only appends to a module-level log
(`log(v)`, a record kept for the caller) is called once per step, as such an append in the step
itself is, where its call is a statement of its own; refused where its value is used.
"""

from __future__ import annotations

import inspect

import gast

from ..analyse import effects as memory_effects
from ..analyse import memory
from ..analyse.liveness import read_before_written
from ..analyse.scan import walk_statements
from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING
from ..normalize.ir import Kind, is_user_function

_UNBOUND = "give it a value before the loop: the state before the first step is a snapshot"


def state_of(sweep, loop) -> tuple[list[str], bool]:
    """The names a step reads before it assigns them, that steps assign or change in place
    (the state carried from step to step), and whether a step may change a value in place
    (then the snapshots hold copies)."""
    assigned: set[str] = set()
    changes = False
    for stmt in walk_statements(loop.body):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            assigned |= nodes.names_stored(target)
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                assigned.add(target.value.id)
                changes = True
            changes = changes or nodes.is_augmented(stmt)
        elif isinstance(stmt, gast.For):
            assigned |= nodes.names_stored(stmt.target)
        written = changed_by_call(sweep, stmt)
        if written is not None:
            assigned |= written
            changes = True
    variable = nodes.names_stored(loop.target) if isinstance(loop, gast.For) else set()
    state = sorted((read_before_written(loop.body) & assigned) - variable)
    bound = sweep.bound_at.get(id(loop), frozenset())
    for name in state:
        if name not in bound:
            raise UnsupportedSyntaxError(
                f"'{name}' is carried from one step of a checkpointed loop to the next, but may "
                "be unbound before the loop",
                sweep.ctx.origin(loop),
                _UNBOUND,
            )
    return state, changes


def changed_by_call(sweep, stmt: gast.stmt) -> set[str] | None:
    """The names whose values the statement's call may change in place (None: it calls
    nothing that may)."""
    ctx = sweep.ctx
    op = sweep.ops.get(id(stmt))
    if op is not None:
        if op.kind is Kind.USER:
            return _written(ctx, stmt, op.key, op.bindings)
        if op.kind is Kind.UNKNOWN or op.dynamic is not None:
            return _roots([*op.operands(), *([op.callee] if op.callee is not None else [])])
        if op.key in memory_effects.MUTATORS or "out" in op.keywords:
            return _roots(op.operands())
        return None
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    if not isinstance(call, gast.Call) or nodes.is_record(stmt):
        return None
    called = ctx.resolve(call.func)
    operands = [*call.args, *(k.value for k in call.keywords)]
    if is_user_function(called):
        try:
            bound = inspect.signature(called, follow_wrapped=False).bind(
                *call.args, **{k.arg: k.value for k in call.keywords}
            )
        except TypeError:
            return _roots(operands)
        return _written(ctx, stmt, called, bound.arguments)
    if called is MISSING:  # (a method of one of the function's values: it may change it)
        receiver = [call.func.value] if isinstance(call.func, gast.Attribute) else [call.func]
        return _roots([*operands, *receiver])
    return None


def _written(ctx, stmt: gast.stmt, fn, bindings: dict) -> set[str] | None:
    """The names of the arguments a call of the user's `fn` writes into; refused where it
    changes memory no argument reaches."""
    summary = memory.summary_of(fn)
    written = [node for param, node in bindings.items() if param in summary.writes]
    module_level = memory.module_level_writes(fn, summary)
    logs_only = all(logged for _, logged in module_level.values())
    if module_level and logs_only and isinstance(stmt, gast.Expr) and not written:
        nodes.mark_record(stmt)  # (`log(v)`: called once per step, as a record is: tape.py)
    elif module_level:
        _refuse_global(ctx, stmt, fn, module_level)
    return _roots(written) if written else None


def _roots(operands) -> set[str]:
    """The names the operands are read from: `xs` of `xs[0]`, `sim` of `sim.u[1:]`."""
    found: set[str] = set()
    for node in operands:
        while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
            node = node.value
        if isinstance(node, gast.Name):
            found.add(node.id)
        elif node is not None:
            found |= nodes.names_read(node)
    return found


def _refuse_global(ctx, stmt: gast.stmt, fn, written: dict) -> None:
    name = getattr(fn, "__name__", "the function")
    changed = sorted(written)[0]
    origin = written[changed][0]
    where = f" ({origin.filename.rsplit('/', 1)[-1]}:{origin.lineno}: {origin.text})"
    own = f"{changed.split('.')[-1].lower()}_own"
    raise UnsupportedSyntaxError(
        f"a call of '{name}', which changes the module-level '{changed}'{where}, inside a "
        "checkpointed loop: each step run again in the reverse sweep would change it again",
        ctx.origin(stmt),
        f"copy it into the function before the loop ({own} = np.copy({changed})), pass it to "
        f"'{name}' and have it return the new value ({own} = {name}({own}, ...)); or drop "
        "srcgrad.checkpointed",
    )
