"""Reverse stage: the adjoint of a normalized function, statement by statement in reverse order.

Guarantees: the generated function runs the forward sweep (the user's code, plus the pushes the
saving plan asks for), seeds the output's adjoint with 1.0, then replays the statements last
first: an assignment through its derivative rule (`adjoints.py`), an `if` as an `if` on the
recorded decision, a loop as a loop over the recorded trip count. Where the paths through an
`if` or the iterations of a loop leave an adjoint defined on some paths only, it is set to
zeros on the others; straight-line code never creates a zero-filled array.
"""

from __future__ import annotations

import operator

import gast

from ..analyse.containers import lists, trees, unpackings
from ..analyse.in_place import updated_in_place
from ..analyse.program import analysed, assignments, bind_user_call, bound_at, may_be_complex
from ..analyse.tape import LOOPS, Plan, forward
from ..errors import NonScalarOutputError, NoRuleError
from ..front import nodes
from ..front.context import Mode
from ..front.fence import is_append
from ..normalize.ir import Kind
from ..runtime import helpers as runtime
from .adjoints import StatementAdjoints


class _Reverse(StatementAdjoints):
    def __init__(self, ctx, active, shapes, bound, ops: dict, plan: Plan):
        super().__init__(ctx, active, shapes, bound)
        self.ops = ops  # statement id -> Operation
        self.plan = plan
        self.loops: list = []  # the loops around the statement being reversed
        self.replayed: set[str] = set()  # loop variables the reverse loops give back
        self.restored: set[str] = set()  # names popped by a later statement of this block
        self.bound_before: dict[int, frozenset] = {}
        self.bound_at: dict[int, frozenset] = {}  # statement -> names certainly bound there
        self.wrt: list[str] = []

    def block(self, stmts: list) -> list[gast.stmt]:
        """The reverse of `stmts`, as a new list; `self.defined` flows through."""
        outer, self.out = self.out, []
        outer_restored, self.restored = self.restored, set()
        order = _reverse_order(stmts, self.ops, self.plan.reassigned)
        for stmt in order:
            if id(stmt) in self.bound_before:  # a statement at the top: names before it
                self.bound = set(self.bound_before[id(stmt)])
            if isinstance(stmt, gast.Assign) or is_append(stmt):
                self.assignment(stmt)
            elif isinstance(stmt, gast.If):
                self.out.extend(self.branch(stmt))
                self.restored = set()
            elif isinstance(stmt, LOOPS):
                self.out.extend(self.loop(stmt))
                self.restored = set()
        self.materialize_all()  # what leaves a block is an array
        inner, self.out = self.out, outer
        self.restored = outer_restored
        return inner

    def assignment(self, stmt: gast.Assign) -> None:
        """The statement's adjoint, after popping the values it reads that were overwritten."""
        start = len(self.out)
        op = self.ops[id(stmt)]
        if op.kind is Kind.SETITEM:
            self.setitem(stmt)
        else:
            self.statement(stmt, op)
        emitted = self.out[start:]
        adjoints = self.ctx.names.adjoints_all()
        reads = set().union(*(nodes.names_read(s) for s in emitted)) - adjoints
        saved = sorted(
            name
            for name in reads - self.replayed - self.restored
            if self.plan.overwritten_after(name, stmt, self.loops)
        )
        # popped here, these hold the right values for the statements just before this one
        self.restored |= set(saved)
        targets = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt
        self.restored -= nodes.names_stored(targets) | {op.target}
        if saved:
            self.plan.saves[id(stmt)] = saved
            origin = nodes.origin_of(stmt)
            pops = [nodes.mark_adjoint(self.plan.pop(n, origin)) for n in reversed(saved)]
            self.out[start:start] = pops
        else:
            self.plan.saves.pop(id(stmt), None)

    def branch(self, stmt: gast.If) -> list[gast.stmt]:
        self.materialize_all()
        entry, owned = set(self.defined), set(self.owned)
        masks = dict(self.masks)
        then = self.block(stmt.body)
        after_then, self.defined = self.defined, set(entry)
        owned_then, self.owned = self.owned, owned
        masks_then, self.masks = self.masks, dict(masks)
        other = self.block(stmt.orelse)
        after_other = self.defined
        # an np.where mask holds after the if only where both paths left it as it was (a
        # mask made on one path reads a condition the other path never computed)
        self.masks = {
            name: mask
            for name, mask in masks.items()
            if masks_then.get(name) is mask and self.masks.get(name) is mask
        }
        self.defined = after_then | after_other
        self.owned &= owned_then
        then_zeros = self._zeros(self.defined - after_then, stmt)
        other_zeros = self._zeros(self.defined - after_other, stmt)
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
        if self.plan.overwritten_after(test.id, stmt, self.loops):
            self.plan.conditions.add(id(stmt))
            out.append(nodes.mark_adjoint(self.plan.pop(test.id, nodes.origin_of(stmt))))
        else:
            self.plan.conditions.discard(id(stmt))
        out.append(
            nodes.mark_adjoint(
                nodes.stamp(
                    gast.If(test=nodes.load(test.id), body=then or [gast.Pass()], orelse=other),
                    nodes.origin_of(stmt),
                )
            )
        )
        if restored:
            zeros = gast.If(
                test=nodes.load(test.id), body=then_zeros or [gast.Pass()], orelse=other_zeros
            )
            out.extend([*restored, nodes.mark_adjoint(nodes.stamp(zeros, nodes.origin_of(stmt)))])
        return out

    def loop(self, stmt) -> list[gast.stmt]:
        """The loop replayed backwards; adjoints that a later iteration (earlier in reverse)
        may leave undefined start as zeros.

        A `for` over `range(...)` (after normalization, every `for`) runs over
        `reversed(range(...))`, which gives back its variable at no cost; a `while` loop runs
        its recorded trip count.
        """
        origin = nodes.origin_of(stmt)
        self.materialize_all()
        # a mask describes one value of a name; in a loop the name takes a value per step
        self.masks = {}
        replays = self._replayed_variable(stmt)
        before = set(self.defined)
        entry = set(before)
        # adjoints zeroed in place inside the loop get an array of their own before it
        mutated = {
            self.ops[id(s)].target
            for s in assignments(stmt.body)
            if self.ops[id(s)].kind is Kind.SETITEM
        } & self.active
        owned_before = set(self.owned)
        owned_entry = self.owned | mutated
        self.loops.append(stmt)
        if replays:
            self.replayed.add(replays)
        not_owned: set = set()  # adjoints the body hands to other names: shared at its start
        for _ in range(2 * len(self.active) + 4):
            # the zeros made before the loop are new arrays, srcgrad's own
            fresh = {n for n in entry - before if n not in self.lists and n not in self.trees}
            start_owned = (owned_entry | fresh) - not_owned
            self.defined, self.owned = set(entry), set(start_owned)
            self.masks = {}  # (not the masks the previous pass over the body left behind)
            body = self.block(stmt.body)
            grown = self.defined - entry
            shared = start_owned - self.owned  # the next iteration starts from these
            if not grown and not shared:
                break
            entry |= grown
            not_owned |= shared
        self.loops.pop()
        self.masks = {}  # a mask made in the body is of one step's condition
        self.replayed.discard(replays)
        lost = entry - self.defined
        body += self._zeros(lost, stmt, like_adjoint=True)
        self.defined = entry | self.defined
        out = self._zeros(entry - before, stmt)
        out[:0] = self._restored(stmt, out, self.plan.after)
        for name in sorted((start_owned & before) - owned_before):
            adjoint = nodes.load(self.ctx.names.adjoint(name))
            copy = nodes.call(self.ctx.numpy_name("copy"), [adjoint])
            out.append(nodes.mark_adjoint(nodes.assign(adjoint.id, copy, origin)))
        self.owned = self.owned & start_owned
        if not body:
            self.plan.counters.pop(id(stmt), None)
            self.plan.saves.pop(id(stmt), None)
            return []
        if replays:
            replay = self._replay_range(stmt, body, out)
        else:
            replay = self._replay_count(stmt, body, out)
        out.append(nodes.mark_adjoint(nodes.stamp(replay, origin)))
        return out

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
        backwards = nodes.call(nodes.load("reversed"), [nodes.copy(stmt.iter)])
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
            iter=nodes.call(nodes.load("range"), [nodes.load(counter)]),
            body=body,
            orelse=[],
            type_comment=None,
        )

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
        out = []
        bound = self.bound_at.get(id(stmt), frozenset())
        for name in sorted(names):
            adjoint = self.ctx.names.adjoint(name)
            like = nodes.load(adjoint if like_adjoint else name)
            zeros = nodes.call(self.ctx.numpy_name("zeros_like"), [like])
            shape = self.shapes.get(name)
            if not like_adjoint and name not in bound and shape is not None and self.ctx.floating:
                # a name no path may have bound yet (`continue` before it): zeros of its shape
                zeros = self._zeros_of(shape)
            elif not like_adjoint and name not in bound and name not in self._updated_by_index():
                # ... of a shape not known: the number 0.0, which every later sum broadcasts
                # (np.zeros_like of the unbound name raised UnboundLocalError)
                zeros = nodes.const(0.0)
            if name in self.lists:
                helper = self.ctx.support.name_for(runtime.list_adjoint, "list_adjoint")
                zeros = nodes.call(nodes.load(helper), [nodes.load(name)])
            if name in self.trees:
                zeros = nodes.const(None)  # add_item starts a container's adjoint from None
            out.append(nodes.mark_adjoint(nodes.assign(adjoint, zeros, nodes.origin_of(stmt))))
        return out


def _reverse_order(stmts: list, ops: dict, reassigned: set[str]) -> list:
    """Statements last first, but within one user line, left operands before right ones.

    `d = w3 * b + w4 * c` becomes `_t1 = w3 * b; _t2 = w4 * c; d = _t1 + _t2`; any order that
    visits `d` before `_t1` and `_t2` is a valid reverse sweep, and the reader expects `_t1`'s
    adjoints (dw3, db) first. A line that reads or writes a name assigned more than once keeps
    the exact reverse order: its values may be on the tape, which pops in that order only.
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
        if touched & reassigned:
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


def reverse(ctx, wrt: list[str], param_shapes: dict, mode: Mode) -> gast.FunctionDef:
    """The generated function of the normalized `ctx.parsed.tree` with respect to `wrt`.

    `mode` GRAD returns the gradient, VALUE_AND_GRAD the value too, VJP the value and a
    pullback function (the form in which differentiated code calls the user's functions).
    """
    tree = ctx.parsed.tree
    program = analysed(ctx, wrt, param_shapes)
    body, last, output = program.body, program.last, program.output
    assigns, ops, active, shapes = program.assigns, program.ops, program.active, program.shapes
    ctx.complex_values = may_be_complex(tree, ops) or any(
        d.startswith("complex") for d in ctx.dtypes.values()
    )
    origin = ctx.origin(tree)
    if ctx.complex_values and origin.filename.startswith("<srcgrad:"):
        raise NoRuleError(  # (|z|'s second derivative came out wrong, silently)
            "srcgrad does not make second derivatives through complex values yet (np.fft, "
            "complex arithmetic)",
            origin,
            "take the Hessian of a function without complex values in between",
        )
    components = unpackings(ctx, assigns, ops)
    for stmt in assigns:
        _through_pullback(ctx, stmt, ops[id(stmt)], active)
    copies = updated_in_place(ctx, assigns, ops, set(param_shapes), body)
    plan = Plan.of(body, ctx.names.fresh("_tape"), set(param_shapes))
    bound_before, bound = {}, set(param_shapes)
    for stmt in body:  # what a statement at the top may read as bound: what came before it
        bound_before[id(stmt)] = frozenset(bound)
        if isinstance(stmt, gast.Assign):
            bound |= nodes.names_stored(stmt.targets[0])
    sweep = _Reverse(ctx, active, shapes, bound, ops, plan)
    sweep.bound_before = bound_before
    sweep.bound_at = bound_at(body, frozenset(param_shapes))
    sweep.wrt = list(wrt)
    sweep.components = components
    sweep.lists = lists(ops)
    sweep.trees = trees(ctx, ops)
    sweep.open_tuples = mode is Mode.VJP
    sweep.origin = ctx.origin(last)
    seed = _seed(ctx, sweep, output, mode, last) if output in active else []
    backward = sweep.block(body)
    forward_sweep = [*copies, *forward(body, plan)]
    if plan.used:
        start = nodes.assign(plan.tape, gast.List(elts=[], ctx=gast.Load()), ctx.origin(tree))
        forward_sweep.insert(0, start)
    # an argument rebound in a branch or loop keeps its name: its gradient's zeros and
    # structure come from the value it was called with, kept under a name of its own
    rebound = set().union(set(), *(nodes.names_stored(s) for s in body))
    originals: dict[str, str] = {}

    def argument(name: str) -> gast.Name:
        if name not in rebound:
            return nodes.load(name)
        if name not in originals:
            originals[name] = ctx.names.fresh(f"{name}_arg")
        return nodes.load(originals[name])

    grads = [_final_gradient(ctx, name, sweep, argument) for name in wrt]
    for name, kept in sorted(originals.items(), reverse=True):
        forward_sweep.insert(0, nodes.assign(kept, nodes.load(name), ctx.origin(tree)))
    if may_be_complex(tree, ops):
        # complex values in between: a real input's gradient is the real part
        grads = [
            g
            if ctx.dtypes.get(w) in ("tree", "complex128")
            else nodes.call(ctx.numpy_name("real"), [g])
            for g, w in zip(grads, wrt)
        ]
    result = grads[0] if len(grads) == 1 and not ctx.wrt_is_tuple else nodes.tuple_(grads)
    value = output
    if mode is not Mode.GRAD and output in plan.reassigned:
        value = ctx.names.fresh("value")  # the reverse sweep gives `output` its earlier values
        forward_sweep.append(nodes.assign(value, nodes.load(output), ctx.origin(last)))
    if mode is Mode.VJP:
        body_out = [*forward_sweep, *_pullback(ctx, output, [*seed, *backward], result, last)]
    else:
        if mode is Mode.VALUE_AND_GRAD:
            result = nodes.tuple_([nodes.load(value), result])
        body_out = [*forward_sweep, *seed, *backward, nodes.ret(result, ctx.origin(last))]
    prefix = "vjp" if mode is Mode.VJP else "grad"
    fn = nodes.function_def(ctx.names.fresh(f"{prefix}_{ctx.parsed.name}"), [], body_out)
    fn.args = nodes.copy(tree.args)
    for arg in [*fn.args.args, *fn.args.posonlyargs, *fn.args.kwonlyargs]:
        arg.annotation = None
    return fn


def _seed(ctx, sweep, output: str, mode: Mode, last) -> list:
    """The output's adjoint: 1.0 for a gradient (of a scalar), the pullback's argument for a vjp."""
    if mode is Mode.VJP:
        sweep.defined.add(output)  # the pullback's parameter is named as its adjoint
        return []
    out = []
    output_shape = sweep.shapes.get(output)
    made_by = [op for op in sweep.ops.values() if op.target == output]
    if any(op.kind is Kind.TUPLE for op in made_by):
        count = len(made_by[0].args)
        raise NonScalarOutputError(
            f"grad needs a scalar output, but '{ctx.parsed.name}' returns a tuple of {count} "
            "values",
            ctx.origin(last),
            "return the value to differentiate alone (differentiate the others separately), "
            "or use srcgrad.vjp with a tuple of seed gradients",
        )
    if output_shape not in (None, ()):
        raise NonScalarOutputError(
            f"grad needs a scalar output, but '{ctx.parsed.name}' returns an array of "
            f"shape {output_shape}",
            ctx.origin(last),
            "reduce it to a scalar (np.sum, np.mean) or use srcgrad.vjp with a seed gradient "
            "of that shape (PyTorch's backward(gradient=...)).",
        )
    if output_shape is None:
        check = ctx.support.name_for(runtime.check_scalar, "check_scalar")
        where = ctx.origin(last)
        call = nodes.call(
            nodes.load(check),
            [nodes.load(output), nodes.const(where.where()), nodes.const(ctx.parsed.name)],
        )
        out.append(nodes.expr_stmt(call, where))
    sweep.contribute(output, nodes.const(1.0))
    out.extend(sweep.out)
    sweep.out = []
    return out


def _pullback(ctx, output: str, backward: list, result: gast.expr, last) -> list:
    """`def f_back(dy): <reverse sweep>; return grads` and `return y, f_back`.

    The reverse sweep restores primal values as it goes back (it pops them from the tape), so
    those names are `nonlocal`: the pullback can be called once.
    """
    name = ctx.names.fresh(f"{ctx.parsed.name}_back")
    adjoint = ctx.names.adjoint(output)
    inner = nodes.function_def(name, [adjoint], [*backward, nodes.ret(result, ctx.origin(last))])
    nodes.mark_adjoint(nodes.stamp(inner, ctx.origin(last)))
    pair = nodes.tuple_([nodes.load(output), nodes.load(name)])
    return [inner, nodes.ret(pair, ctx.origin(last))]


def _through_pullback(ctx, stmt: gast.Assign, op, active: set[str]) -> None:
    """`y = h(a, b)` with an active argument becomes `y, h_back = vjp_h(a, b)`."""
    if op.kind is not Kind.USER:
        return
    bind_user_call(ctx, stmt, op, active)
    if not op.active_params or op.target not in active:
        return
    # the transform of the callee (its code is made when it is first called)
    transform = ctx.callees.pullback(op.key, tuple(op.active_params), ctx.check_finite)
    function = ctx.support.name_for(transform, f"vjp_{op.key.__name__}")
    op.pullback = ctx.names.fresh(f"{op.key.__name__}_back")
    ctx.names.generated.add(op.pullback)
    stmt.targets = [nodes.tuple_([nodes.store(op.target), nodes.store(op.pullback)], gast.Store())]
    stmt.value.func = nodes.load(function)


def _final_gradient(ctx, name: str, sweep, argument) -> gast.expr:
    """`argument(name)`: the value the argument was called with."""
    if ctx.dtypes.get(name) == "tree":  # same structure as the argument, zeros where unused
        helper = ctx.support.name_for(runtime.as_gradient, "as_gradient")
        adjoint = (
            nodes.load(ctx.names.adjoint(name)) if name in sweep.defined else nodes.const(None)
        )
        return nodes.call(nodes.load(helper), [adjoint, argument(name)])
    if name not in sweep.defined:
        helper = ctx.support.name_for(runtime.zero_gradient, "zero_gradient")
        return nodes.call(nodes.load(helper), [argument(name)])
    gradient = nodes.load(ctx.names.adjoint(name))
    dtype = ctx.dtypes.get(name, "")
    if dtype.startswith("float") and dtype not in ("float", "float64"):
        # a float32 input gets a float32 gradient even where float64 constants promoted it
        single = ctx.numpy_name(dtype)
        if sweep.shapes.get(name) == ():
            return nodes.call(single, [gradient])
        method = nodes.attribute(gradient, "astype")
        return nodes.call(method, [single], {"copy": nodes.const(False)})
    return gradient
