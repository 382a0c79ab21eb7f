"""Reverse stage: the adjoint of a normalized function, statement by statement in reverse order.

Guarantees: the generated function runs the forward sweep (the user's code, plus the pushes the
saving plan asks for), seeds the output's adjoint with 1.0, then replays the statements last
first: an assignment through its derivative rule (`adjoints.py`), an `if` as an `if` on the
recorded decision, a loop as a loop over the recorded trip count. Where the paths through an
`if` or the iterations of a loop leave an adjoint defined on some paths only, it is set to
zeros on the others; straight-line code never creates a zero-filled array. Where complex values
meet differentiated ones (`analyse/reals.py`), a real value's adjoint is kept real
(`real_parts.py`), and a gradient of a complex output is refused.
"""

from __future__ import annotations

import math
from functools import partial

import gast

from .. import runtime
from ..analyse import memory
from ..analyse.containers import certain, lists, trees, tuples, unpackings
from ..analyse.in_place import argument_copies
from ..analyse.program import Program, analysed, bound_at, may_be_complex
from ..analyse.reals import COMPLEX, REAL
from ..analyse.scan import bind_user_call
from ..analyse.shapes import TREES
from ..analyse.tape import Plan, recorded
from ..errors import NonScalarOutputError, NoRuleError
from ..front import nodes
from ..front.context import Mode
from ..normalize.checkpoints import is_rerun
from ..normalize.ir import Kind, callee_name
from ..runtime.checks import origin_at
from ..runtime.real_parts import COMPLEX_OUTPUT_HINT
from . import checkpoints, dynamic
from .adjoints import Adjoints
from .real_parts import RealAdjoints, real_part
from .reverse_sweep import ReverseSweep


def reverse_mode(ctx, wrt: list[str], param_shapes: dict, mode: Mode) -> gast.FunctionDef:
    """The generated function of the normalized `ctx.parsed.tree` with respect to `wrt`.

    `mode` GRAD returns the gradient, VALUE_AND_GRAD the value too, VJP the value and a
    pullback function (the form in which differentiated code calls the user's functions).
    """
    tree = ctx.parsed.tree
    program = analysed(ctx, wrt, param_shapes)
    body, last, output = program.body, program.last, program.output
    _refuse_complex_second_derivatives(ctx, program)
    if ctx.tape_limit is not None:  # (the loops to checkpoint, and how)
        checkpoints.within_budget(ctx, body, program.shapes, ctx.tape_limit)
    sweep, copies, back = _sweep(ctx, program, wrt, set(param_shapes), mode)
    adjoints, plan = sweep.adjoints, sweep.plan
    seed = _seed(ctx, adjoints, program.ops, output, mode, last) if output in program.active else []
    backward = sweep.block(body)
    forward_sweep = [*copies, *recorded(body, plan), *back]
    if plan.used:
        start = nodes.assign(plan.tape, gast.List(elts=[], ctx=gast.Load()), ctx.origin(tree))
        forward_sweep.insert(0, start)
    result = _gradients(ctx, program, wrt, adjoints, forward_sweep)
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


def _refuse_complex_second_derivatives(ctx, program: Program) -> None:
    ctx.complex_values = (
        program.reals is not None
        or may_be_complex(ctx.parsed.tree, program.ops)
        or any(d.startswith("complex") for d in ctx.dtypes.values())
    )
    if ctx.complex_values and ctx.parsed.generated:
        raise NoRuleError(  # (|z|'s second derivative came out wrong, silently)
            "srcgrad does not make second derivatives through complex values yet (np.fft, "
            "complex arithmetic)",
            _users_line(ctx, program),
            "take the Hessian of a function without complex values in between",
        )


def _users_line(ctx, program: Program):
    """The user's line of the first statement of generated code read again where complex
    values meet differentiated ones (the function's own where none is known)."""
    mixing = program.reals.mixing if program.reals is not None else frozenset()
    for node in nodes.walk(ctx.parsed.tree):
        if id(node) in mixing:
            origin = ctx.origin(node)
            found = origin_at(origin.filename, origin.lineno)
            if found is not None:
                return found
    return ctx.origin(ctx.parsed.tree)


def _sweep(ctx, program: Program, wrt: list[str], params: set[str], mode: Mode):
    """The reverse sweep, ready to run, and the copies of the arguments updated in place that
    the forward sweep starts with."""
    body, assigns, ops = program.body, program.assigns, program.ops
    components = unpackings(ctx, assigns, ops)
    for stmt in assigns:
        _through_pullback(ctx, stmt, ops[id(stmt)], program.active, mode.read_again)
    copies, back = argument_copies(ctx, program.copies, frozenset(wrt))
    plan = Plan.of(body, ctx.names.fresh("_tape"), params)
    bound_before, bound = {}, set(params)
    for stmt in body:  # what a statement at the top may read as bound: what came before it
        bound_before[id(stmt)] = frozenset(bound)
        if isinstance(stmt, gast.Assign):
            bound |= nodes.names_stored(stmt.targets[0])
    if program.reals is None:
        adjoints = Adjoints(ctx, program.active, program.shapes, bound)
    else:  # (complex values meet active ones: real values' adjoints kept real)
        adjoints = RealAdjoints(ctx, program.active, program.shapes, bound)
        adjoints.reals = program.reals
    adjoints.components = components
    adjoints.lists = lists(ops)
    adjoints.tuples = tuples(ops)
    adjoints.trees = trees(ctx, ops)
    adjoints.containers = certain(ctx, ops)
    adjoints.open_tuples = mode is Mode.VJP
    adjoints.origin = ctx.origin(program.last)
    sweep = ReverseSweep(adjoints, ops, plan)
    sweep.bound_before = bound_before
    sweep.bound_at = bound_at(body, frozenset(params))
    sweep.wrt = list(wrt)
    return sweep, copies, back


def _gradients(ctx, program: Program, wrt: list[str], adjoints: Adjoints, forward_sweep: list):
    """What the function returns: the gradient of each `wrt` argument (a tuple of them where
    `wrt` is one). An argument rebound in a branch or loop keeps its name: its gradient's zeros
    and structure come from the value it was called with, kept under a name of its own at the
    start of `forward_sweep`."""
    tree = ctx.parsed.tree
    rebound = set().union(set(), *(nodes.names_stored(s) for s in program.body))
    originals: dict[str, str] = {}

    def argument(name: str) -> gast.Name:
        if name not in rebound:
            return nodes.load(name)
        if name not in originals:
            originals[name] = ctx.names.fresh(f"{name}_arg")
        return nodes.load(originals[name])

    real = program.reals is not None  # (complex values in between: real inputs' are real)
    grads = [_final_gradient(ctx, name, adjoints, argument, real) for name in wrt]
    for name, kept in sorted(originals.items(), reverse=True):
        forward_sweep.insert(0, nodes.assign(kept, nodes.load(name), ctx.origin(tree)))
    return grads[0] if len(grads) == 1 and not ctx.wrt_is_tuple else nodes.tuple_(grads)


def _seed(ctx, adjoints: Adjoints, ops: dict, output: str, mode: Mode, last) -> list:
    """The output's adjoint: 1.0 for a gradient (of a scalar), the pullback's argument for a vjp."""
    if mode is Mode.VJP:
        adjoints.table.set_array(output)  # the pullback's parameter is named as its adjoint
        return []
    out = []
    output_shape = adjoints.shapes.get(output)
    made_by = [op for op in ops.values() if op.target == output]
    if any(op.kind is Kind.TUPLE for op in made_by):
        count = len(made_by[0].args)
        raise NonScalarOutputError(
            f"grad needs a scalar output, but '{ctx.parsed.name}' returns a tuple of {count} "
            "values",
            ctx.origin(last),
            "return the value to differentiate alone (differentiate the others separately), "
            "or use srcgrad.vjp with a tuple of seed gradients",
        )
    if output_shape is not None and math.prod(output_shape) != 1:  # (size 1 counts as a number)
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
    if isinstance(adjoints, RealAdjoints) and adjoints.reals.kind(output) != REAL:
        out.append(_checked_real(ctx, output, last, adjoints.reals.kind(output) == COMPLEX))
    adjoints.contribute(output, nodes.const(1.0))
    out.extend(adjoints.out)
    adjoints.out = []
    return out


def _checked_real(ctx, output: str, last, certainly: bool) -> gast.stmt:
    """`check_real(output, ...)`: a gradient is of a real output; one that is `certainly`
    complex is refused now."""
    where = ctx.origin(last)
    if certainly:
        raise NonScalarOutputError(
            f"grad needs a real output, but '{ctx.parsed.name}' returns a complex number",
            where,
            COMPLEX_OUTPUT_HINT,
        )
    check = ctx.support.name_for(runtime.check_real, "check_real")
    arguments = [nodes.load(output), nodes.const(where.where()), nodes.const(ctx.parsed.name)]
    return nodes.expr_stmt(nodes.call(nodes.load(check), arguments), where)


def _pullback(ctx, output: str, backward: list, result: gast.expr, last) -> list:
    """`def f_back(dy): <reverse sweep>; return grads` and `return y, f_back`.

    The reverse sweep restores primal values as it goes back (it pops them from the tape), so
    those names are `nonlocal`: the pullback can be called once.
    """
    name = ctx.names.fresh(f"{ctx.parsed.name}_back")
    adjoint = ctx.names.adjoint(output)
    inner = nodes.function_def(name, [adjoint], [*backward, nodes.ret(result, ctx.origin(last))])
    nodes.mark_adjoint(nodes.stamp(inner, ctx.origin(last)))
    value = nodes.load(output)
    if ctx.output_updated:  # (the pullback puts back memory the value shares: a copy of it)
        value = nodes.call(nodes.load(ctx.support.name_for(runtime.copied, "copied")), [value])
    pair = nodes.tuple_([value, nodes.load(name)])
    return [inner, nodes.ret(pair, ctx.origin(last))]


def _through_pullback(ctx, stmt: gast.Assign, op, active: set[str], read_again: bool) -> None:
    """`y = h(a, b)` with an active argument becomes `y, h_back = vjp_h(a, b)`; a call of a
    function known only at run time, `y, f_back = call_vjp(f, active, a, b)`."""
    if op.kind is Kind.CALL and op.key == getattr(ctx.callees, "call_tangent", None):
        dynamic.bind_tangent_call(ctx, stmt, op)  # (forward code read again: a Hessian)
        return
    if op.kind is Kind.UNKNOWN and dynamic.bind(ctx, stmt, op, active, read_again):
        checked = partial(ctx.callees.call_pullback, check_finite=True)
        helper = checked if ctx.check_finite else ctx.callees.call_pullback
        function = ctx.support.name_for(
            helper, "call_vjp_checked" if ctx.check_finite else "call_vjp"
        )
        op.pullback = dynamic.back_name(ctx, op)
        stmt.targets = [
            nodes.tuple_([nodes.store(op.target), nodes.store(op.pullback)], gast.Store())
        ]
        stmt.value = dynamic.call(function, op, [])
        return
    if op.kind is not Kind.USER:
        return
    bind_user_call(ctx, stmt, op, active)
    if not op.active_params or op.target not in active:
        memory.given_copies(ctx, stmt, op.key)  # (run as it is)
        return
    # the transform of the callee (its code is made when it is first called)
    transform = ctx.callees.pullback(op.key, tuple(op.active_params), ctx.check_finite)
    function = ctx.support.name_for(transform, f"vjp_{callee_name(op)}")
    op.pullback = ctx.names.fresh(f"{callee_name(op)}_back")
    ctx.names.generated.add(op.pullback)
    if is_rerun(stmt.value):  # srcgrad.checkpoint: the reverse sweep runs it again
        again = nodes.copy(stmt.value)
        again.func = nodes.load(function)
        made = [nodes.store(ctx.names.temporary()), nodes.store(op.pullback)]
        op.rerun = nodes.assign(nodes.tuple_(made, gast.Store()), again, ctx.origin(stmt))
        return
    stmt.targets = [nodes.tuple_([nodes.store(op.target), nodes.store(op.pullback)], gast.Store())]
    stmt.value.func = nodes.load(function)


def _final_gradient(ctx, name: str, adjoints: Adjoints, argument, real: bool) -> gast.expr:
    """`argument(name)`: the value the argument was called with. `real`: complex values in
    between, whose imaginary parts a real argument's gradient does not keep."""
    dtype = ctx.dtypes.get(name, "")
    if dtype in TREES:  # same structure as the argument, zeros where unused
        helper = ctx.support.name_for(runtime.as_gradient, "as_gradient")
        adjoint = (
            nodes.load(ctx.names.adjoint(name)) if name in adjoints.table else nodes.const(None)
        )
        made = nodes.call(nodes.load(helper), [adjoint, argument(name)])
        return real_part(ctx, "either" if real else None, made, argument(name).id)
    if name not in adjoints.table:
        helper = ctx.support.name_for(runtime.zero_gradient, "zero_gradient")
        return nodes.call(nodes.load(helper), [argument(name)])
    gradient = nodes.load(ctx.names.adjoint(name))
    if real and not dtype:  # (a value the signature does not say: real where it is; a real
        # argument's adjoint is real already, its contributions made so, transform/real_parts)
        gradient = real_part(ctx, "either", gradient, argument(name).id)
    if dtype.startswith("float") and dtype not in ("float", "float64"):
        # a float32 input gets a float32 gradient even where float64 constants promoted it
        single = ctx.numpy_name(dtype)
        if adjoints.shapes.get(name) == ():
            return nodes.call(single, [gradient])
        method = nodes.attribute(gradient, "astype")
        return nodes.call(method, [single], {"copy": nodes.const(False)})
    return gradient
