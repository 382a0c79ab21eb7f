"""Forward stage: after each statement of the normalized function, its tangent statement.

The tangent of `x` is `x_dot`: how `x` moves when the differentiated inputs move along the
tangents given for them. Control flow is kept as it is (an `if` decides once, for the value and
its tangent; a loop carries both), so nothing is saved and nothing is replayed.

Guarantees: every assignment of an active name also assigns its tangent, so wherever an active
value is bound its tangent is bound, with the value's exact shape (a term broadcast against a
larger operand is spread to the result's shape). The tangent of a statement is the sum of its
forward rule's terms for the operands that are active (a joint rule's one term, where the
tangent is one computation of them all); a value that no differentiated input reaches has the
tangent 0.0, or zeros of its shape. A call to the user's own function goes through that
function's generated forward code, `jvp_<name>`. An in-place update `x[i] = v` updates
`x_dot[i] = v_dot` in an array srcgrad made, copying the tangent once first where another name
(or the caller) may hold it. Where complex values meet differentiated ones, the tangent of a real
value made of complex ones (`r = np.abs(z)`) is its real part (`real_parts.py`).
"""

from __future__ import annotations

import inspect

import gast
import numpy as np

from .. import runtime
from ..analyse import memory
from ..analyse import shapes as shape_analysis
from ..analyse.containers import lists, trees
from ..analyse.in_place import argument_copies
from ..analyse.program import analysed, may_be_complex
from ..analyse.scan import assignments, bind_user_call
from ..analyse.shapes import Callee, of_value
from ..errors import NoRuleError, UnsupportedSyntaxError
from ..front import nodes
from ..front.context import Mode
from ..front.fence import is_append
from ..normalize.attempts import attempted, is_attempt
from ..normalize.checkpoints import snapshots_of
from ..normalize.ir import Kind, callee_name, has_user_source
from ..rules.registry import NO_RULE_ADVICE, is_nondifferentiable, reverse_rule, tangent_rule
from ..runtime.checkpoints import checkpointed
from . import dynamic
from .operands import bind_operands, describe
from .real_parts import real_part

# statements that make or change a container, or change an array at an index: the tangents
# of what they hold are real where they are made
_WHOLE = (Kind.APPEND, Kind.SETITEM, Kind.TUPLE, Kind.LIST, Kind.DICT)
_REAL_TANGENTS = (np.real, np.imag)  # (np.real(z_dot) is real already)


class _Forward:
    def __init__(self, ctx, active: set[str], shapes: dict, ops: dict):
        self.ctx = ctx
        self.active = active
        self.shapes = shapes
        self.ops = ops
        self.owned: set[str] = set()  # tangents holding an array srcgrad made, no one else's
        self.containers: set[str] = set()  # names that may hold lists or dicts
        self.origin = None
        self.plain = False  # calls the user's functions' generated code directly
        self.reals = None  # where complex values meet active ones (analyse/reals.py)

    # ---- names and small expressions ----------------------------------------------------

    def dot(self, name: str) -> str:
        return self.ctx.names.tangent(name)

    def _helper(self, function) -> gast.Name:
        return nodes.load(self.ctx.support.name_for(function, function.__name__))

    def _is_active(self, node) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    def _has_active(self, node) -> bool:
        if isinstance(node, (gast.List, gast.Tuple)):
            return any(self._has_active(e) for e in node.elts)
        if isinstance(node, gast.Starred):  # `f(*a)`: (then bind_operands refuses it)
            return self._has_active(node.value)
        return self._is_active(node)

    def zero(self, node: gast.expr) -> gast.expr:
        """The tangent of a value no differentiated input reaches."""
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
            return nodes.const(0.0)
        if isinstance(node, gast.Name) and self.shapes.get(node.id) == ():
            return nodes.const(0.0)
        return nodes.call(self._helper(runtime.zero_tangent), [nodes.copy(node)])

    def of(self, node: gast.expr) -> gast.expr:
        """The tangent of an operand: a name's tangent, zeros, or a display of tangents."""
        if isinstance(node, (gast.List, gast.Tuple)):
            made = nodes.copy(node)
            made.elts = [self.of(e) for e in node.elts]
            return made
        if self._is_active(node):
            return nodes.load(self.dot(node.id))
        return self.zero(node)

    def emit(self, stmt: gast.stmt) -> gast.stmt:
        return nodes.mark_adjoint(nodes.stamp(stmt, self.origin))

    # ---- blocks -------------------------------------------------------------------------

    def block(self, stmts: list) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) or is_append(stmt):
                made = self.assignment(stmt)
                for s in made:  # a line's statements and tangents under its comment
                    if nodes.origin_of(s) is not None:
                        nodes.mark_titled(s)
                out.extend(made)
            elif isinstance(stmt, gast.If):
                if is_attempt(stmt):  # (a statement of a `try` block)
                    self._refuse_caught_tangents(stmt.body[0])
                owned = set(self.owned)
                stmt.body = self.block(stmt.body) or [gast.Pass()]
                after_body, self.owned = self.owned, owned
                stmt.orelse = self.block(stmt.orelse)
                self.owned &= after_body
                out.append(attempted(stmt) if is_attempt(stmt) else stmt)
            elif isinstance(stmt, (gast.For, gast.While)):
                out.extend(self.loop(stmt))
            else:
                out.append(stmt)
        return out

    def _refuse_caught_tangents(self, stmt: gast.stmt) -> None:
        """A call of the user's function in a `try` block computes its tangents with its value,
        where the `try` would catch an exception that only the tangents raise."""
        op = self.ops.get(id(stmt))
        if op is None or op.kind is not Kind.USER or op.target not in self.active:
            return
        if any(self._is_active(n) for n in op.bindings.values()):
            raise UnsupportedSyntaxError(
                f"forward mode through a call of '{callee_name(op)}' inside a 'try' block is "
                "not supported",
                self.ctx.origin(stmt),
                "call it before the 'try' block, or use reverse mode (srcgrad.grad, vjp)",
            )

    def loop(self, stmt) -> list[gast.stmt]:
        """The loop with its body's tangents. A tangent updated in place in the loop, and not
        otherwise assigned there, is made srcgrad's own once before it."""
        inner = assignments(stmt.body)
        assigned = {
            self.ops[id(s)].target for s in inner if self.ops[id(s)].kind is not Kind.SETITEM
        }
        if isinstance(stmt, gast.For):
            assigned |= nodes.names_stored(stmt.target)
        updated = {self.ops[id(s)].target for s in inner if self.ops[id(s)].kind is Kind.SETITEM}
        before = []
        self.origin = nodes.origin_of(stmt)
        for name in sorted((updated & self.active) - assigned - self.owned):
            before.append(self.emit(self._own(name)))
            self.owned.add(name)
        self.owned -= assigned
        entry = set(self.owned)
        stmt.body = self.block(stmt.body)
        self.owned &= entry
        if self.plain and snapshots_of(stmt) is not None:  # (its reverse checkpoints it too)
            self._mark_checkpointed(stmt)
        return [*before, stmt]

    def _mark_checkpointed(self, loop) -> None:
        """Code read again keeps a loop's marker: the reverse pass over it (a Hessian's)
        checkpoints the loop, the tangents in its snapshots."""
        field = "iter" if isinstance(loop, gast.For) else "test"
        marker = self.ctx.support.name_for(checkpointed, "checkpointed")
        count = {"snapshots": nodes.copy(snapshots_of(loop))}
        setattr(loop, field, nodes.call(nodes.load(marker), [getattr(loop, field)], count))

    def _own(self, name: str) -> gast.Assign:
        tangent = self.dot(name)
        # a list or dict of tangents: copies all the way down; a dask or CuPy array: its own
        # copy (NumPy's would compute a dask array)
        if name in self.containers or self.ctx.other_arrays:
            copy = nodes.call(self._helper(runtime.copied), [nodes.load(tangent)])
        else:
            copy = nodes.call(self.ctx.numpy_name("copy"), [nodes.load(tangent)])
        return nodes.assign(tangent, copy)

    # ---- statements ---------------------------------------------------------------------

    def assignment(self, stmt) -> list[gast.stmt]:
        made = self._assignment(stmt)
        op = self.ops[id(stmt)]
        if self.reals is None or op.target not in self.active or op.kind in _WHOLE:
            return made
        real = self.reals.real_tangent(stmt, op.target)  # (complex values in between)
        real = real and not any(op.key is f for f in _REAL_TANGENTS)
        if real and op.target not in self.containers:
            tangent = real_part(self.ctx, "real", nodes.load(self.dot(op.target)), op.target)
            made.append(self.emit(nodes.assign(self.dot(op.target), tangent)))
        return made

    def _assignment(self, stmt) -> list[gast.stmt]:
        op = self.ops[id(stmt)]
        self.origin = nodes.origin_of(stmt)
        if op.kind is Kind.SETITEM:
            return self.setitem(stmt, op)
        if op.kind is Kind.APPEND:
            if op.target not in self.active:
                return [stmt]
            method = nodes.attribute(nodes.load(self.dot(op.target)), "append")
            return [stmt, self.emit(nodes.expr_stmt(nodes.call(method, [self.of(op.args[1])])))]
        target = op.target
        if target not in self.active:
            if op.kind is Kind.USER:  # (run as it is: a helper writing into an argument)
                memory.given_copies(self.ctx, stmt, op.key)
            return [stmt]
        if op.kind is Kind.USER and any(self._is_active(n) for n in op.bindings.values()):
            return [self.user_call(stmt, op)]
        if target in op.names():  # `x = f(x)`: the tangent reads the x from before
            held = self.ctx.names.temporary()
            first = nodes.stamp(nodes.assign(held, stmt.value), self.origin)
            prelude, value = self.tangent(op, stmt.value, held)
            last = nodes.stamp(nodes.assign(target, nodes.load(held)), self.origin)
            return [first, *prelude, self.emit(nodes.assign(self.dot(target), value)), last]
        prelude, value = self.tangent(op, stmt.value, target)
        if self._is_fresh_zeros(value) or op.kind in (Kind.DICT, Kind.LIST):
            self.owned.add(target)  # (a new array, or a new dict or list of tangents)
        return [stmt, *prelude, self.emit(nodes.assign(self.dot(target), value))]

    def _is_fresh_zeros(self, value: gast.expr) -> bool:
        """`zero_tangent(x)`: a new array (or a number), no other name's."""
        helper = self.ctx.support.name_for(runtime.zero_tangent, "zero_tangent")
        return isinstance(value, gast.Call) and getattr(value.func, "id", None) == helper

    def tangent(self, op, expression: gast.expr, ans: str) -> tuple[list, gast.expr]:
        """Statements and the expression of the tangent of `ans = expression`."""
        target = op.target
        self.owned.discard(target)
        if op.kind is Kind.COPY:
            source = op.args[0]
            if self._is_active(source):
                self.owned.discard(source.id)  # both names hold the same tangent now
                return [], nodes.load(self.dot(source.id))
            return [], self.zero(nodes.load(ans))
        if op.kind is Kind.DICT:
            return [], nodes.dict_(op.keys, [self.of(a) for a in op.args])
        if op.kind in (Kind.TUPLE, Kind.LIST):
            made = nodes.tuple_([self.of(a) for a in op.args])
            if op.kind is Kind.LIST:
                made = gast.List(elts=made.elts, ctx=gast.Load())
            return [], made
        named = len(op.args) == 2 and isinstance(op.args[1], gast.Constant)
        if op.kind is Kind.CALL and op.key is getattr and named and self._is_active(op.args[0]):
            # `params.W` of a parameter tree (analyse/containers.py `fields`): the tangent
            # tree's own field, `params_dot.W` (checked to be a field, not a property)
            source = op.args[0].id
            read = [nodes.load(self.dot(source)), nodes.load(source), op.args[1]]
            return [], nodes.call(self._helper(runtime.field_tangent), read)
        passes = op.kind is Kind.CALL and not is_nondifferentiable(op.key)
        if op.kind is Kind.INERT or not passes and op.kind is Kind.CALL:
            return [], self.zero(nodes.load(ans))
        if not any(self._has_active(a) for a in op.operands()):
            return [], self.zero(nodes.load(ans))
        if op.kind is not Kind.CALL:
            raise NoRuleError(
                f"no derivative rule for '{op.description or 'this operation'}'",
                self.origin,
                "srcgrad differentiates the NumPy functions it has rules for",
            )
        return self.call(op, expression, ans)

    def call(self, op, expression: gast.expr, ans: str) -> tuple[list, gast.expr]:
        rule = tangent_rule(op.key)
        name = getattr(op.key, "__name__", None) or repr(op.key)
        if rule is None:
            if reverse_rule(op.key) is not None:
                raise NoRuleError(
                    f"'{op.description or name}' has a reverse rule but no forward rule yet",
                    self.origin,
                    "use srcgrad.grad or srcgrad.vjp for this function, or register a forward "
                    "rule (srcgrad.register_jvp)",
                )
            raise NoRuleError(
                f"no derivative rule for '{op.description or name}'",
                self.origin,
                NO_RULE_ADVICE,
            )
        out = op.keywords.get("out")
        if out is not None and not (isinstance(out, gast.Constant) and out.value is None):
            raise UnsupportedSyntaxError(
                f"'{op.description or name}(..., out=...)' writes into another array, whose "
                "tangent would not follow",
                self.origin,
                "assign the result instead: y = f(...)",
            )
        bound = bind_operands(rule, op, self.origin)
        slots = [p for p in rule.differentiable if self._has_active(bound.arguments.get(p))]
        if not slots:
            return [], self.zero(nodes.load(ans))
        if rule.linear:
            terms = [
                nodes.copy_replacing(expression, bound.arguments[p], self.of(bound.arguments[p]))
                for p in slots
            ]
            return [], _sum(terms)
        mapping = {p: nodes.const(v) for p, v in rule.defaults.items()}
        mapping.update(bound.arguments)
        mapping["ans"] = nodes.load(ans)
        for p in rule.differentiable:  # a body may read an inactive operand's zeros too
            if p in bound.arguments and (p in slots or not rule.joint):
                mapping[f"{p}_dot"] = self.of(bound.arguments[p])
            else:  # (a joint rule reads None: that operand carries no derivative)
                mapping[f"{p}_dot"] = nodes.const(None if rule.joint else 0.0)
        body, terms = rule.instantiate(mapping, self.ctx)
        if rule.joint:  # one term: the result's tangent
            return [self.emit(s) for s in body], terms[0]
        # a None term: that operand moves the result nowhere (a shape, an integer order)
        wanted = [
            (p, t) for p, t in zip(rule.differentiable, terms) if p in slots and t is not None
        ]
        if not wanted:
            return [self.emit(s) for s in body], self.zero(nodes.load(ans))
        total = _sum([t for _, t in wanted])
        if rule.broadcasting:
            total = self.spread(total, [bound.arguments[p] for p, _ in wanted], op, ans)
        return [self.emit(s) for s in body], total

    def spread(self, total: gast.expr, operands: list, op, ans: str) -> gast.expr:
        """`total` at the shape of the result: a broadcast operand's terms may be smaller."""
        have = self.shapes.get(op.target)
        mine = [shape_analysis.operand_shape(o, self.shapes) for o in operands]
        if have is not None and have in mine:
            return total  # one term has the result's shape: so has the sum
        if have is not None and all(s is not None for s in mine):
            return self._broadcast(total, have)
        return nodes.call(self._helper(runtime.tangent_like), [total, nodes.load(ans)])

    def _broadcast(self, total: gast.expr, shape: tuple) -> gast.expr:
        if shape == ():
            return total
        size = nodes.tuple_([nodes.const(n) for n in shape])
        return nodes.call(self.ctx.numpy_name("broadcast_to"), [total, size])

    def setitem(self, stmt, op) -> list[gast.stmt]:
        """`x[i] = v`, then `x_dot[i] = v_dot` in a tangent srcgrad owns."""
        array, index, value = op.args
        name = array.id
        if name not in self.active:
            return [stmt]
        out = [stmt]
        if name not in self.owned:
            out.append(self.emit(self._own(name)))
            self.owned.add(name)
        place = nodes.subscript(nodes.load(self.dot(name)), nodes.copy(stmt.targets[0].slice), True)
        out.append(self.emit(nodes.assign(place, self.of(value))))
        return out

    def _functions_passed(self, op) -> tuple:
        """`(parameter, function)` for each argument of the call that is a function known here
        (a global, or a function argument of this code): the plain code is specialised on it."""
        found = []
        parameters = inspect.signature(op.key, follow_wrapped=False).parameters
        for param, given in parameters.items():
            node = op.bindings.get(param)
            if node is None:
                obj = given.default  # (not passed: its default)
            elif isinstance(node, (gast.Name, gast.Attribute)):
                obj = self.ctx.resolve(node)
            else:
                continue
            if isinstance((of_value(obj) or (None, None))[1], Callee):
                found.append((param, obj))
        return tuple(found)

    def user_call(self, stmt, op) -> gast.stmt:
        """`y = h(a, b)` becomes `y, y_dot = jvp_h((a_dot,), a, b)`; in code that will be
        transformed again, `y, y_dot = jvp_h(a, b, a_dot=a_dot)`, a plain generated function
        (for any argument shapes) that the next transformation reads like the user's own."""
        tangents = [self.of(op.bindings[p]) for p in op.active_params]
        if op.dynamic is not None:  # a function known only at run time
            function = self.ctx.support.name_for(self.ctx.callees.call_tangent, "call_jvp")
            stmt.value = dynamic.call(function, op, [nodes.tuple_(tangents)])
        elif self.plain:
            made = self.ctx.callees.plain_tangent(
                op.key, tuple(op.active_params), self.origin, self._functions_passed(op)
            )
            function = self.ctx.support.name_for(made.function, f"jvp_{callee_name(op)}")
            stmt.value.keywords = [
                *stmt.value.keywords,
                *(nodes.keyword(name, t) for name, t in zip(made.tangents, tangents)),
            ]
        else:
            transform = self.ctx.callees.tangent(op.key, tuple(op.active_params))
            function = self.ctx.support.name_for(transform, f"jvp_{callee_name(op)}")
            stmt.value.args = [nodes.tuple_(tangents), *stmt.value.args]
        if op.dynamic is None:
            stmt.value.func = nodes.load(function)
        target = op.target
        stmt.targets = [
            nodes.tuple_([nodes.store(target), nodes.store(self.dot(target))], gast.Store())
        ]
        self.owned.discard(target)
        return nodes.mark_adjoint(stmt)


def _sum(terms: list[gast.expr]) -> gast.expr:
    total = terms[0]
    for term in terms[1:]:
        total = nodes.add(total, term)
    return total


def forward_mode(
    ctx, wrt: list[str], param_shapes: dict, mode: Mode
) -> tuple[gast.FunctionDef, list]:
    """The forward-mode function of the normalized `ctx.parsed.tree` with respect to `wrt`,
    and the names of its tangent parameters (keyword-only, one per `wrt` name, in order).

    `mode` JVP returns `(value, tangent)`; TANGENT the output's tangent alone, with each
    tangent parameter 1.0 by default: for a scalar input, the derivative itself, as a function
    of the same arguments (what `grad(grad(f))` differentiates again).
    """
    tree = ctx.parsed.tree
    program = analysed(ctx, wrt, param_shapes)
    body, last, output = program.body, program.last, program.output
    assigns, ops, active, shapes = program.assigns, program.ops, program.active, program.shapes
    for stmt in assigns:
        op = ops[id(stmt)]
        # the user's function: its own forward rule if it has one (custom_jvp), else its source
        if op.kind is Kind.USER and tangent_rule(op.key) is not None:
            op.kind = Kind.CALL
        elif op.kind is Kind.CALL and tangent_rule(op.key) is None and has_user_source(op.key):
            op.kind = Kind.USER
        if op.kind is Kind.USER:
            bind_user_call(ctx, stmt, op, active)
        unknown = op.kind is Kind.UNKNOWN and op.target in active and op.names() & active
        if unknown and not dynamic.bind(ctx, stmt, op, active, mode.read_again):
            raise NoRuleError(
                f"no derivative rule for {describe(op)}",
                ctx.origin(stmt),
                "srcgrad differentiates the NumPy functions it has rules for",
            )
    copies, back = argument_copies(ctx, program.copies, frozenset(wrt))
    if mode.read_again:  # (code srcgrad differentiates again leaves the caller's alone)
        back = []
    sweep = _Forward(ctx, active, shapes, ops)
    sweep.containers = trees(ctx, ops) | lists(ops)
    sweep.plain = mode.read_again
    sweep.reals = program.reals
    tangents = [sweep.dot(name) for name in wrt]  # named first: `x_dot` unless the code has one
    origin = ctx.origin(tree)
    sweep.origin = origin
    start = []
    params = set(param_shapes)
    for name in sorted((active & params) - set(wrt)):  # an argument the code adds to
        start.append(sweep.emit(nodes.assign(sweep.dot(name), sweep.zero(nodes.load(name)))))
        sweep.owned.add(name)
    code = sweep.block(body)
    sweep.origin = ctx.origin(last)
    if output in active:
        result = nodes.load(sweep.dot(output))
        if may_be_complex(tree, ops) or program.reals is not None:
            result = nodes.call(sweep._helper(runtime.real_tangent), [result, nodes.load(output)])
    else:
        result = sweep.zero(nodes.load(output))
    if mode in (Mode.JVP, Mode.JVP_PLAIN):
        result = nodes.tuple_([nodes.load(output), result])
    body_out = [*copies, *start, *code, *back, nodes.ret(result, ctx.origin(last))]
    fn = nodes.function_def(ctx.names.fresh(f"jvp_{ctx.parsed.name}"), [], body_out)
    fn.args = nodes.copy(tree.args)
    for arg in [*fn.args.args, *fn.args.posonlyargs, *fn.args.kwonlyargs]:
        arg.annotation = None
    fn.args.kwonlyargs = [*fn.args.kwonlyargs, *(nodes.param(t) for t in tangents)]
    default = nodes.const(1.0) if mode is Mode.TANGENT else None
    fn.args.kw_defaults = [*fn.args.kw_defaults, *([default] * len(tangents))]
    return fn, tangents
