"""Transform stage: the reverse sweep of a checkpointed loop, as a binomial schedule in code.

A loop marked `srcgrad.checkpointed(..., snapshots=s)` records nothing step by step. Its
forward sweep keeps snapshots of the state it carries from step to step (the names a step reads
before it assigns them), where the schedule wants them:

    _ck = checkpoints(s, len(range(n)))
    for t in range(n):
        snapshot(_ck, u, v)
        <the step, as the user wrote it>

and its reverse sweep goes back one step at a time. A step not on the tape is run again from
the latest snapshot: the steps before the taped stretch as plain code (keeping the snapshots
the schedule asks for), then a stretch of up to `s` steps with their pushes; each step's reverse
then pops what its run pushed:

    _i = len(range(n))
    for _k in reversed(range(len(range(n)))):
        if _k < _i:
            _j, _i, u, v = restored(_ck, _k)
            for t in range(n)[_j:_i]:
                snapshot(_ck, u, v)
                <the step>
            for t in range(n)[_i:_k + 1]:
                <the step, pushing what its reverse reads>
        t = range(n)[_k]
        <the step's reverse>

The tape holds at most `s` steps, and the snapshots at most `s` states (runtime/checkpoints.py:
Griewank's binomial schedule). A value the steps read that the code after the loop rebinds is
kept after the loop and given back before its reverse. Where a step may change a value in place
(an update at an index, `+=`, `out=`, a helper that writes into its arguments), the snapshots
hold copies (`kept`), taken in and given out, so that running steps again never changes one
(what the state is, a call's effects included: checkpoint_state.py). Refused at the line, since
a step run again would not do the same: a random draw (in a helper too), an append, a helper
that changes module-level memory, and a state that may be unbound before the loop.
"""

from __future__ import annotations

import copy
import types

import gast
import numpy as np

from ..analyse.liveness import read_before_written
from ..analyse.scan import walk_statements
from ..analyse.tape import Checkpointed
from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING
from ..normalize.checkpoints import snapshots_of
from ..normalize.ir import Kind
from ..runtime import checkpoints as schedule
from .checkpoint_state import state_of

__all__ = ["replay", "snapshots_of"]

# what a random draw is called, on a module or a generator (`rng.normal(...)`)
_RANDOM = {
    "rand", "randn", "randint", "random", "random_sample", "normal", "uniform", "choice",
    "shuffle", "permutation", "binomial", "poisson", "exponential", "gamma", "beta",
    "standard_normal", "integers", "multivariate_normal", "gauss", "randrange", "sample",
    "default_rng", "seed", "rvs", "bernoulli", "categorical", "dirichlet", "laplace",
    "logistic", "lognormal", "multinomial", "standard_t", "chisquare", "geometric",
}  # fmt: skip
_ADVICE = {
    "random": "draw the random numbers before the loop (one array for every step) and index "
    "them in it, or drop srcgrad.checkpointed: a step run again would draw other numbers",
    "append": "write the values into an array made before the loop (`out[t] = v`), or drop "
    "srcgrad.checkpointed: a step run again would append again",
}


def _draws(fn, seen: set) -> bool:
    """Whether a function of the user's may draw random numbers (its code names a draw)."""
    code = getattr(fn, "__code__", None)
    if code is None or id(code) in seen:
        return False
    seen.add(id(code))
    codes = [code]
    while codes:
        c = codes.pop()
        if set(c.co_names) & _RANDOM:
            return True
        codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    namespace = getattr(fn, "__globals__", {})
    return any(
        _draws(namespace[name], seen)
        for name in code.co_names
        if isinstance(namespace.get(name), types.FunctionType)
    )


def _refuse_steps_that_differ(ctx, loop, ops: dict) -> None:
    """A step run again must do what it did: no random draw, no append."""
    for stmt in walk_statements(loop.body):
        op = ops.get(id(stmt))
        if op is not None and op.kind is Kind.APPEND:
            raise UnsupportedSyntaxError(
                "an append inside a checkpointed loop", ctx.origin(stmt), _ADVICE["append"]
            )
        if op is not None and op.kind is Kind.USER and _draws(op.key, set()):
            raise UnsupportedSyntaxError(
                "a random draw inside a checkpointed loop", ctx.origin(stmt), _ADVICE["random"]
            )
        for node in nodes.walk(stmt):
            if not isinstance(node, gast.Call):
                continue
            called = ctx.resolve(node.func)
            module = getattr(called, "__module__", None) or ""
            name = node.func.attr if isinstance(node.func, gast.Attribute) else ""
            draws = (
                "random" in module.split(".")
                or module.startswith("numpy.random")
                or (called in (None, MISSING) and name in _RANDOM)
                or (isinstance(called, types.FunctionType) and _draws(called, set()))
            )
            if draws:
                raise UnsupportedSyntaxError(
                    "a random draw inside a checkpointed loop", ctx.origin(node), _ADVICE["random"]
                )


def _plain(body: list) -> list:
    """The step as the user wrote it, to run again: a copy the tape plan knows nothing of."""
    return copy.deepcopy(body)


def _for(target: gast.expr, iterated: gast.expr, body: list, origin) -> gast.For:
    loop = gast.For(target=target, iter=iterated, body=body, orelse=[], type_comment=None)
    return nodes.stamp(loop, origin)


def replay(sweep, loop, body: list, out: list) -> tuple[gast.For, list]:
    """The checkpointed reverse loop of `loop`, whose reversed step is `body`, and what goes
    after it (the state given back into the objects it was in before the loop, where a step
    may change one in place); the pops it needs before it go on `out`. Registers on the plan
    what the forward sweep writes."""
    ctx, plan = sweep.ctx, sweep.plan
    _refuse_steps_that_differ(ctx, loop, sweep.ops)
    origin = nodes.origin_of(loop)
    state, changes = state_of(sweep, loop)
    ck = ctx.names.fresh("_ck")
    step, start = ctx.names.fresh("_k"), ctx.names.fresh("_j")

    def helper(fn) -> gast.Name:
        return nodes.load(ctx.support.name_for(fn, fn.__name__))

    def kept(name: str) -> gast.expr:
        value = nodes.load(name)
        return nodes.call(helper(schedule.kept), [value]) if changes else value

    def keep() -> gast.stmt:
        call = nodes.call(helper(schedule.snapshot), [nodes.load(ck), *map(kept, state)])
        return nodes.expr_stmt(call, origin)

    if isinstance(loop, gast.For):
        steps = nodes.call(ctx.builtin("len"), [nodes.copy(loop.iter)])
        sweep._replay_range(loop, [], out)  # (the range's bounds, where they are rebound)
        count = nodes.copy(steps)
    else:
        steps = None
        counted = sweep._replay_count(loop, [], out)
        count = counted.iter.args[0]
    # values the steps read that the code after the loop rebinds: kept after it, given back
    read = set().union(set(), *(nodes.names_read(s) for s in loop.body))
    assigned = set().union(set(), *(nodes.names_stored(s) for s in walk_statements(loop.body)))
    invariants = sorted(
        n
        for n in read - assigned - set(state) - ctx.names.adjoints_all()
        if n in sweep.bound_at.get(id(loop), ()) and plan.overwritten_after(n, loop, sweep.loops)
    )
    held = [*invariants, ck] if sweep.loops else invariants  # (`_ck` of each outer step)
    if held:
        plan.after.setdefault(id(loop), []).extend(held)
        out[:0] = [nodes.mark_adjoint(plan.pop(n, origin)) for n in reversed(held)]

    taped_from = ctx.names.fresh("_i")
    restore = nodes.assign(
        nodes.tuple_([nodes.store(n) for n in [start, taped_from, *state]], gast.Store()),
        nodes.call(helper(schedule.restored), [nodes.load(ck), nodes.load(step)]),
        origin,
    )
    copies = [nodes.assign(n, kept(n), origin) for n in state] if changes else []
    through = nodes.add(nodes.load(step), nodes.const(1))
    if isinstance(loop, gast.For):

        def steps_from(first, last):
            return nodes.subscript(nodes.copy(loop.iter), nodes.slice_(first, last))

        again_target, taped_target = nodes.copy(loop.target), nodes.copy(loop.target)
        at_step = nodes.subscript(nodes.copy(loop.iter), nodes.load(step))
        now = [nodes.assign(nodes.copy(loop.target), at_step, origin)]
    else:

        def steps_from(first, last):
            return nodes.call(ctx.builtin("range"), [first, last])

        again_target = nodes.store(ctx.names.fresh("_"))
        taped_target = nodes.store(again_target.id)
        now = []
    again = _for(
        again_target,
        steps_from(nodes.load(start), nodes.load(taped_from)),
        [keep(), *_plain(loop.body)],
        origin,
    )
    taped = _for(taped_target, steps_from(nodes.load(taped_from), through), [], origin)
    off_tape = nodes.compare(nodes.load(step), gast.Lt(), nodes.load(taped_from))
    rerun = nodes.stamp(
        gast.If(test=off_tape, body=[restore, *copies, again, taped], orelse=[]), origin
    )
    nodes.mark_note(rerun, "a step not on the tape: run again from the latest snapshot")
    nodes.mark_note(again, "the steps before the tape, keeping the snapshots asked for")
    nodes.mark_note(taped, "the steps up to this one, with their tape")
    backwards = nodes.call(ctx.builtin("reversed"), [nodes.call(ctx.builtin("range"), [count])])
    out.append(nodes.mark_adjoint(nodes.assign(taped_from, nodes.copy(count), origin)))
    reverse_loop = _for(nodes.store(step), backwards, [rerun, *now, *body], origin)
    reverse_loop.snapshots = snapshots_of(loop)  # (the optimizer keeps it one step at a time)
    gives_back = changes and bool(state)
    held = {"held": nodes.tuple_(map(nodes.load, state))} if gives_back else {}
    made = nodes.call(
        helper(schedule.checkpoints),
        [nodes.copy(snapshots_of(loop)), *([steps] if steps else [])],
        held,
    )
    given_back = []
    if gives_back:  # (the objects the state is in: a step run again changes copies of them)
        back = nodes.call(helper(schedule.given_back), [nodes.load(ck), *map(nodes.load, state)])
        stored = (
            nodes.tuple_([nodes.store(n) for n in state], gast.Store())
            if len(state) > 1
            else nodes.store(state[0])  # (given back as the one value)
        )
        given_back.append(nodes.mark_adjoint(nodes.assign(stored, back, origin)))
        nodes.mark_note(given_back[0], "the state before the loop, in the objects it was in")
    setup = nodes.assign(ck, made, origin)
    nodes.mark_note(setup, "binomial checkpointing: snapshots of the state before some steps")
    plan.checkpointed[id(loop)] = Checkpointed(
        setup=setup,
        forward=[keep(), *_plain(loop.body)],
        again=again,
        taped=taped,
    )
    return reverse_loop, given_back


# ---- a budget: the loops to checkpoint, and with how many snapshots --------------------------


def _bytes(shapes: dict, names) -> int | None:
    """What values of these names hold, in bytes, where their shapes are known (8 per number;
    None where a shape is not known)."""
    total = 0
    for name in names:
        shape = shapes.get(name)
        if shape is None:
            return None
        total += 8 * int(np.prod(shape, dtype=np.int64))
    return total


def _trips(loop) -> int | None:
    """A `for` loop's number of steps where its range's bounds are constants."""
    if not isinstance(loop, gast.For) or not isinstance(loop.iter, gast.Call):
        return None
    bounds = loop.iter.args
    if not all(isinstance(b, gast.Constant) and isinstance(b.value, int) for b in bounds):
        return None
    return len(range(*(b.value for b in bounds)))


def _step_bytes(shapes: dict, stmts: list) -> int | None:
    """An upper bound of what one run of `stmts` (a loop's step) may put on the tape: every
    value they assign (an inner loop's, once per inner step); None where it is not known."""
    total = 0
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While)):
            inner, trips = _step_bytes(shapes, stmt.body), _trips(stmt)
            size = None if inner is None or trips is None else inner * trips
        elif isinstance(stmt, gast.If):
            size = _step_bytes(shapes, [*stmt.body, *stmt.orelse])
        else:
            size = _bytes(shapes, nodes.names_stored(stmt))
        if size is None:
            return None
        total += size
    return total


def _outer_loops(body: list):
    for stmt in body:
        if isinstance(stmt, (gast.For, gast.While)):
            yield stmt
        elif isinstance(stmt, gast.If):
            yield from _outer_loops([*stmt.body, *stmt.orelse])


def within_budget(ctx, body: list, shapes: dict, limit: int) -> None:
    """Mark the loops to checkpoint so that the tape stays within `limit` bytes: each outer
    loop that may put values on the tape gets an equal share; one whose tape fits its share
    (a known number of steps) is left as it is, the others keep as many snapshots (and taped
    steps) as the share holds. Refused where a step alone does not fit, or where the shapes do
    not say what a step keeps."""
    loops = [loop for loop in _outer_loops(body) if snapshots_of(loop) is None]
    if not loops:
        return
    share = limit // len(loops)
    for loop in loops:
        step = _step_bytes(shapes, loop.body)
        if step is None:
            raise UnsupportedSyntaxError(
                "tape_limit: what a step of this loop keeps on the tape is not known from the "
                "argument shapes",
                ctx.origin(loop),
                "mark the loop `srcgrad.checkpointed(..., snapshots=s)` with a number you choose",
            )
        trips = _trips(loop)
        if step == 0 or (trips is not None and trips * step <= share):
            continue
        carried = read_before_written(loop.body) & set().union(
            set(), *(nodes.names_stored(s) for s in walk_statements(loop.body))
        )
        state = _bytes(shapes, carried) or 0
        snapshots = share // (state + step)
        if snapshots < 1:
            raise UnsupportedSyntaxError(
                f"tape_limit: one step of this loop keeps up to {(state + step) / 1e6:.3g} MB, "
                f"more than its share of the budget ({share / 1e6:.3g} MB)",
                ctx.origin(loop),
                "raise tape_limit, or checkpoint the calls inside the step "
                "(srcgrad.checkpoint(f)(...))",
            )
        loop.snapshots = nodes.const(int(min(snapshots, trips or snapshots)))
