"""Analyse stage, the program: what both modes start from.

`analysed` reads the normalized function once: its body and final `return name`, each
assignment's `Operation`, the active names, the shapes of values, the names that only ever
hold a range loop's integers, and which names may hold views; it leaves the facts every later
stage reads on the context. The other scans here answer questions about the program's
statements (which names are certainly bound where, which calls of the user's functions pass
active values).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import gast
import numpy as np

from .. import runtime
from ..errors import InternalError, NonScalarOutputError, UnsupportedSyntaxError
from ..front import nodes, reading
from ..normalize.ir import Kind, Operation, operation
from . import memory, object_state
from . import shapes as shape_analysis
from .activity import active_names, varied_names
from .containers import fields, refuse_tuple_arithmetic
from .in_place import SHARING
from .invariance import invariant_extremes
from .reals import Reals, real_values
from .scan import assignments, bind_user_call, walk_statements
from .tape import LOOPS


@dataclass
class Program:
    """The normalized function as both modes read it."""

    body: list[gast.stmt]  # every statement but the last
    last: gast.Return  # `return output`
    output: str
    assigns: list[gast.stmt]  # the statements that compute, in program order, blocks included
    ops: dict[int, Operation]  # statement id -> what it computes
    active: set[str]  # the names that get an adjoint (or a tangent)
    shapes: dict[str, tuple | None]  # the shapes known when the code is generated
    # the arguments updated in place (copied first: the caller's arrays never change), each
    # with its first update
    copies: dict[str, gast.stmt]
    reals: Reals | None = None  # where complex values meet active ones (None: nowhere)


def _refuse_none_output(ctx, output: str, ops: dict) -> None:
    """A function whose every path returns None (no `return`, or a bare one) has no derivative;
    JAX and autograd refuse it too. (A path that falls off the end while another returns a
    number is caught when the code runs: `check_scalar`.)"""
    makers = [op for op in ops.values() if op.target == output]
    if makers and all(
        op.kind is Kind.COPY and isinstance(op.args[0], gast.Constant) and op.args[0].value is None
        for op in makers
    ):
        raise NonScalarOutputError(
            f"'{ctx.parsed.name}' returns None, so it has no derivative",
            ctx.parsed.definition,
            "end the function with `return` and the value to differentiate",
        )


def analysed(ctx, wrt: list[str], param_shapes: dict) -> Program:
    """What both modes start from (the shapes are also left on `ctx`, with the loop integers,
    the integer-array arguments and the names that may hold views)."""
    tree = ctx.parsed.tree
    *body, last = tree.body
    if not isinstance(last, gast.Return) or not isinstance(last.value, gast.Name):
        raise InternalError("normalized function does not end in 'return name'", ctx.origin(last))
    output = last.value.id
    assigns = assignments(body)
    ops = {id(s): operation(s, ctx) for s in assigns}
    fields(ctx, ops)  # (`params.W` of a parameter tree: a read of one of its parts)
    _refuse_none_output(ctx, output, ops)
    integers = loop_integers(body, assigns)
    ctx.integers = integers
    known = {**shape_analysis.global_numbers(tree, ctx), **param_shapes}
    known.update(dict.fromkeys(integers, ()))
    indices = frozenset(p for p, d in ctx.dtypes.items() if d.startswith(("int", "uint")))
    values: dict = {}
    shapes = shape_analysis.infer(list(ops.values()), known, integers, indices, values)
    ctx.counts = frozenset(n for n, v in values.items() if type(v) is int and v > 0)
    constant = invariant_extremes(tree, ops, output, shapes)  # (a maximum subtracted)
    active = active_names(list(ops.values()), wrt, output, constant)
    targets = {op.target for op in ops.values()}
    ctx.index_arrays = frozenset(  # integer-array arguments that keep their value throughout
        p for p in indices if ctx.dtypes[p] != "int" and p not in targets
    )
    ctx.array_arguments = frozenset(  # NumPy arrays and scalars: they have .shape and .dtype
        p
        for p, d in ctx.dtypes.items()
        if d not in ("float", "int", "complex", *shape_analysis.TREES) and p not in targets
    )
    ctx.shapes = shapes
    ctx.views = frozenset(  # names that may hold a view of another array (or the array itself)
        op.target
        for op in ops.values()
        if op.kind is Kind.COPY or (op.kind is Kind.CALL and op.key in SHARING)
    )
    refuse_tuple_arithmetic(ctx, assigns, ops, active)
    _unpacked_lengths(ctx, assigns, ops, shapes)
    _closures_that_carry(ctx, assigns, ops, active)
    for stmt in assigns:  # (a call of the user's function, bound to the callee's parameters)
        if ops[id(stmt)].kind is Kind.USER:
            bind_user_call(ctx, stmt, ops[id(stmt)], active)
    params = [p for p in param_shapes]
    varied = frozenset(varied_names(list(ops.values()), wrt))
    object_state.guard(ctx, body, ops, varied, active)  # (calls run as they are)
    tree.body[:-1] = body
    copies = memory.check(ctx, body, output, ops, params, varied)
    reals = real_values(ctx, ops, params, active)
    return Program(body, last, output, assigns, ops, active, shapes, copies, reals)


def _unpacked_lengths(ctx, assigns: list, ops: dict, shapes: dict) -> None:
    """`a, b = xs` where xs certainly holds another number of values (a list or tuple display,
    an array of known shape): plain Python raises ValueError there; the code made would take
    the first two and go on."""
    made = {ops[id(stmt)].target: stmt for stmt in assigns}
    for whole, size in ctx.unpacked.items():
        stmt, length = made.get(whole), None
        name = whole
        while length is None and name in made:
            op = ops[id(made[name])]
            shape = shapes.get(name)
            if op.kind in (Kind.LIST, Kind.TUPLE):
                length = len(op.args)
            elif isinstance(shape, tuple) and shape:
                length = shape[0]
            elif op.kind is Kind.COPY and isinstance(op.args[0], gast.Name):
                name = op.args[0].id
                continue
            break
        if length is None and isinstance(shapes.get(name), tuple) and shapes[name]:
            length = shapes[name][0]  # (an array argument)
        if length is not None and length != size and stmt is not None:
            raise UnsupportedSyntaxError(
                f"unpacking {length} values into {size} names: plain Python raises ValueError here",
                ctx.origin(stmt),
                f"give as many names as there are values ({length})",
            )


def _spelled(name: str) -> str:
    """How a refusal names a nested function (a lambda passed on was named by closures.py)."""
    return "the lambda" if name.startswith("_lambda") else f"the nested function '{name}'"


def _closures_that_carry(ctx, assigns: list, ops: dict, active: set[str]) -> None:
    """A nested function used as a value (`closure(step, W=W)`, normalize/closures.py) that
    reads values carrying a derivative: a container of those values, as a dict of them by
    name is (its adjoint and tangent are dicts of theirs). A function of the user's it is
    passed to calls it through the run-time dispatch, which differentiates what it holds too
    (api/dynamic.py, HELD)."""
    for stmt in assigns:
        op = ops[id(stmt)]
        if op.kind is not Kind.CALL:
            continue
        if op.key is functools.partial and any(nodes.names_read(a) & active for a in op.args):
            raise UnsupportedSyntaxError(
                "a functools.partial that holds a function or a positional argument that "
                "carries a derivative is not supported where it is used as a value",
                ctx.origin(stmt),
                "pass those values by keyword (partial(f, name=value)), or define a nested "
                "function (def) that reads them and use it instead",
            )
        if op.key in (runtime.closure, functools.partial) and op.names() & active:
            # (a closure, or a partial's keywords: a dict of what it holds, by name)
            op.kind, op.key = Kind.DICT, None
            op.keys, op.args = list(op.keywords), list(op.keywords.values())
            op.keywords = {}
    # (a function value some other call made: what it holds is not followed,
    # transform/dynamic.py refuses calling it where that carries a derivative)
    # (a part of a container or an object, `layers[k]`, `self.fc1`, is followed: what it
    # holds is its own parts, checked as the code runs)
    ctx.made_by_calls = frozenset(
        op.target
        for op in ops.values()
        if op.kind is Kind.CALL and op.key not in (operator.getitem, getattr)
    )


def bound_at(body: list, bound: frozenset, found: dict | None = None) -> dict:
    """Statement id -> the names certainly bound when it starts: assigned before it on every
    path (a loop's body may not run; an if binds what both of its branches bind)."""
    found = {} if found is None else found
    _bind_block(body, set(bound), found)
    return found


def _bind_block(body: list, bound: set, found: dict) -> set:
    for stmt in body:
        found[id(stmt)] = frozenset(bound)
        if isinstance(stmt, gast.If):
            then = _bind_block(stmt.body, set(bound), found)
            other = _bind_block(stmt.orelse, set(bound), found)
            bound |= then & other
        elif isinstance(stmt, LOOPS):
            inner = set(bound)
            if isinstance(stmt, gast.For):
                inner |= nodes.names_stored(stmt.target)
            _bind_block(stmt.body, inner, found)
        elif isinstance(stmt, gast.Assign):
            bound |= nodes.names_stored(stmt.targets[0])
    return bound


def loop_integers(body: list, assigns: list) -> frozenset:
    """Names only ever assigned as the variable of a `for ... in range(...)` loop."""
    targets = set()
    for stmt in walk_statements(body):
        if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
            targets.add(stmt.target.id)
    assigned = {
        s.targets[0].id
        for s in assigns
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
    }
    integers = targets - assigned
    # and names only ever assigned integer arithmetic on those (`j = i + 1`): any integer
    # there gives an index result of the same shape
    values: dict[str, list] = {}
    for s in assigns:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            values.setdefault(s.targets[0].id, []).append(s.value)
        elif isinstance(s, gast.Assign):  # x[...] = v changes no integer name
            continue
    for name in assigned & targets:
        values.pop(name, None)  # a loop variable also assigned: not an integer for sure
    # (`k = _t1[_k]` of `_t1 = range(n)`: how `for k in reversed(range(n))` is written)
    ranges = {
        name
        for name, made in values.items()
        if all(
            isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and v.func.id == "range"
            for v in made
        )
    }
    grown = True
    while grown:
        grown = False
        for name, made in values.items():
            if name not in integers and all(
                _integer_arithmetic(v, integers)
                or (
                    isinstance(v, gast.Subscript)
                    and getattr(v.value, "id", None) in ranges
                    and _integer_arithmetic(v.slice, integers)
                )
                for v in made
            ):
                integers.add(name)
                grown = True
    return frozenset(integers)


def _integer_arithmetic(node: gast.expr, integers: set) -> bool:
    if isinstance(node, gast.Name):
        return node.id in integers
    if isinstance(node, gast.Constant):
        return type(node.value) is int
    if isinstance(node, gast.BinOp) and isinstance(
        node.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)
    ):
        return _integer_arithmetic(node.left, integers) and _integer_arithmetic(
            node.right, integers
        )
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return _integer_arithmetic(node.operand, integers)
    return False


def may_be_complex(tree: gast.FunctionDef, ops: dict) -> bool:
    """Complex values in between (an FFT, np.linalg.eig, a complex literal)?"""
    for op in ops.values():
        module = reading.module_of(op.key)
        if module.startswith("numpy.fft") or op.key in (np.linalg.eig, np.linalg.eigvals):
            return True
    return any(
        isinstance(n, gast.Constant) and isinstance(n.value, complex) for n in nodes.walk(tree)
    )
