"""Calls of a function known only when the code runs: `f(x)` for an `f` taken from a list or a
dict, a loop over functions, a method of an object (`layer.forward(x)`, `self.predict(x)`).

Reverse mode writes `y, f_back = call_vjp(f, active, x)` and, in the reverse sweep,
`dx = f_back(dy)`; forward mode writes `y, y_dot = call_jvp(f, active, (x_dot,), x)`.
`active` lists the positions and keywords of the arguments that carry a derivative; what the
function is, and how it is differentiated, is decided as the code runs (api/dynamic.py, through
`pipeline.Callees`), once per function.

A method of an object that carries a derivative, `q.log_prob(x)`, passes the object as one
more active argument (SELF, last): the callee is `(q, "log_prob")`, looked up as the code runs
(api/objects.py), and the object's adjoint is that of the attributes it holds.

A Hessian differentiates forward-mode code again, in reverse: there `call_jvp` becomes
`call_vjp_of_jvp`, the reverse of the forward code made for the function that arrives
(`bind_tangent_call`); a function value that holds differentiated values (HELD) is one more
active argument there, its tangent (a dict) one more tangent.

Refused at the user's line: a function value computed from differentiated values other than
one that holds them (its derivative through what made it would be lost), a method of a
differentiated array or library value, starred arguments, and, in code to be differentiated
again, a method of an object that holds values carrying a derivative (SELF).
"""

from __future__ import annotations

import gast

from ..errors import NoRuleError, UnsupportedSyntaxError
from ..front import nodes
from ..normalize.ir import Kind, Operation
from .operands import describe

HELD = "()"  # in `active`: the values the called function holds (a closure's) carry a derivative
# in `active`: the object whose method is called (`q.log_prob(x)`) carries a derivative; the
# function value is then `(q, "log_prob")`, the method looked up as the code runs
SELF = "(self)"


def bind(ctx, stmt: gast.Assign, op: Operation, active: set[str], read_again: bool) -> bool:
    """Make `op`, a call of a value with a differentiated argument, a call through the
    run-time dispatch: fills `op.bindings`, `op.active_params` and `op.dynamic`. False where
    no argument carries a derivative (nothing to do)."""
    callee = op.callee
    arguments = {f"_{k}": a for k, a in enumerate(op.args)}
    arguments.update(op.keywords)
    carried = [k for k, node in arguments.items() if nodes.names_read(node) & active]
    # a function value that carries a derivative itself (a closure over differentiated values,
    # passed in: `step(h, x)` inside `scan(step, ...)`): what it holds is differentiated too
    held = isinstance(callee, gast.Name) and callee.id in active
    held = held and callee.id not in ctx.made_by_calls
    method = isinstance(callee, gast.Attribute) and isinstance(callee.value, gast.Name)
    method = method and not _library_value(ctx, callee.value.id)
    if (not carried and not held and not (method and callee.value.id in active)) or (
        op.target not in active
    ):
        return False
    origin = ctx.origin(stmt)
    method = isinstance(callee, gast.Attribute) and isinstance(callee.value, gast.Name)
    # (a value known to be an array or a number, or a library's (made by a call of a library
    # function: a frozen distribution), has no methods of the user's)
    method = method and not _library_value(ctx, callee.value.id)
    if method and callee.value.id in active and (carried or op.target in active):
        arguments[SELF] = callee.value  # `q.log_prob(x)` of an object that carries a derivative
        carried.append(SELF)
    elif callee is None or (
        isinstance(callee, gast.Attribute) and nodes.names_read(callee.value) & active
    ):
        raise NoRuleError(
            f"no derivative rule for {describe(op)}",
            origin,
            "srcgrad differentiates the NumPy functions it has rules for",
        )
    if held and SELF not in carried:
        arguments[HELD] = callee
        carried.append(HELD)
    elif SELF not in carried and nodes.names_read(callee) & active:
        raise UnsupportedSyntaxError(
            f"a call of '{nodes.dotted_name(callee) or 'a function'}', a function made from "
            "values that carry a derivative, is not supported",
            origin,
            "pass those values to the function as arguments instead of building them in",
        )
    if any(isinstance(a, gast.Starred) for a in op.args) or None in op.keywords:
        raise UnsupportedSyntaxError(
            "a starred argument to a function known only as the code runs is not supported",
            origin,
            "pass the arguments one by one",
        )
    if read_again and SELF in carried:
        raise UnsupportedSyntaxError(
            "a second derivative through a method of an object that holds values carrying a "
            "derivative, known only as the code runs, is not supported yet",
            origin,
            "pass those values to the method as arguments",
        )
    if any(not isinstance(arguments[k], gast.Name) for k in carried):  # (flatten made atoms)
        raise NoRuleError(f"no derivative rule for {describe(op)}", origin)
    op.bindings = arguments
    op.active_params = carried
    op.dynamic = tuple(int(k[1:]) if k.startswith("_") and k[1:].isdigit() else k for k in carried)
    op.kind = Kind.USER
    return True


def bind_tangent_call(ctx, stmt: gast.Assign, op: Operation) -> None:
    """`y_pair = call_jvp(f, active, tangents, a)` in forward-mode code srcgrad reads again
    (a Hessian's reverse over forward) becomes `y_pair, f_back = call_vjp_of_jvp(f, active,
    tangents, a)`: the reverse of the function's own forward code, chosen as the code runs
    (pipeline.Callees.call_pullback_of_tangent); its adjoints go to the active arguments and
    to each tangent."""
    function, spec, tangents, *args = op.args
    spec = _constant_tuple(ctx, spec)
    if spec is None or SELF in spec:
        raise UnsupportedSyntaxError(
            "a second derivative through a method of an object that holds values carrying a "
            "derivative, known only as the code runs, is not supported yet",
            ctx.origin(stmt),
            "pass those values to the method as arguments",
        )
    bindings = {f"_{k}": args[k] for k in spec if isinstance(k, int)}
    bindings.update({k: op.keywords[k] for k in spec if isinstance(k, str) and k != HELD})
    if HELD in spec:  # (the function value: its adjoint is a dict of what it holds)
        bindings[HELD] = function
    parts = _display(ctx, tangents)
    if parts is None:
        raise NoRuleError(f"no derivative rule for {describe(op)}", ctx.origin(stmt))
    bindings.update({f"_tangent{k}": part for k, part in enumerate(parts)})
    if any(not isinstance(node, gast.Name) for node in bindings.values()):
        raise NoRuleError(f"no derivative rule for {describe(op)}", ctx.origin(stmt))
    op.bindings = bindings
    op.active_params = list(bindings)
    op.kind = Kind.USER
    op.pullback = back_name(ctx, op)
    helper = ctx.support.name_for(ctx.callees.call_pullback_of_tangent, "call_vjp_of_jvp")
    stmt.targets = [nodes.tuple_([nodes.store(op.target), nodes.store(op.pullback)], gast.Store())]
    stmt.value.func = nodes.load(helper)


def _display(ctx, node: gast.expr) -> list | None:
    """The elements of a tuple display (or of the one display a name was assigned)."""
    if isinstance(node, gast.Name):
        made = [
            s.value
            for s in gast.walk(ctx.parsed.tree)
            if isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id == node.id
        ]
        node = made[0] if len(made) == 1 else None
    return list(node.elts) if isinstance(node, gast.Tuple) else None


def _constant_tuple(ctx, node: gast.expr) -> tuple | None:
    """The value of a tuple display of constants (or of the name one was assigned to)."""
    parts = _display(ctx, node)
    if parts is None or not all(isinstance(e, gast.Constant) for e in parts):
        return None
    return tuple(e.value for e in parts)


def _library_value(ctx, name: str) -> bool:
    made = getattr(ctx, "made_by_calls", frozenset())
    return isinstance(ctx.shapes.get(name), tuple) or name in made


def back_name(ctx, op: Operation) -> str:
    """`forward_back` for `layer.forward(x)`, `f_back` for `f(x)`: the pullback's name."""
    spelled = (
        op.callee.attr if isinstance(op.callee, gast.Attribute) else getattr(op.callee, "id", "")
    )
    name = ctx.names.fresh(f"{spelled.strip('_') or 'call'}_back")
    ctx.names.generated.add(name)
    return name


def call(function: str, op: Operation, before: list[gast.expr]) -> gast.Call:
    """`function(f, active, *before, *args, **keywords)`."""
    spec = nodes.tuple_([nodes.const(a) for a in op.dynamic])
    keywords = {k: v for k, v in op.keywords.items()}
    called = op.callee
    if SELF in op.dynamic:  # `(q, "log_prob")`: the object, and its method's name
        called = nodes.tuple_([nodes.copy(op.callee.value), nodes.const(op.callee.attr)])
    return nodes.call(nodes.load(function), [called, spec, *before, *op.args], keywords)
