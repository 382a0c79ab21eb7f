"""The core language, read: each normalized statement as one `Operation` on named operands.

`operation(stmt, ctx)` tells what a statement `target = <one operation>` computes: the object
whose derivative rule applies (`operator.mul` for `*`, `numpy.exp` for `np.exp(...)`, looked up
by identity), its positional and keyword operands, and whether it is a copy, a non-differentiable
operation, or something with no rule at all.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from enum import Enum

import gast
import numpy as np

from ..front import nodes
from ..front.emit import spelling
from ..front.reading import MISSING, has_user_source
from ..rules.registry import definition, is_nondifferentiable, reverse_rule
from .objects import is_user_class

BINARY = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.Pow: operator.pow,
    gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv,
    gast.Mod: operator.mod,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_}
# attributes of an array that carry no derivative
INERT_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}


class Kind(Enum):
    """What a normalized statement does, which decides how it is differentiated."""

    COPY = "copy"  # target = name or constant
    CALL = "call"  # target = a function of the operands, with a rule looked up by `key`
    INERT = "inert"  # comparisons, .shape and friends: no derivative, by nature
    UNKNOWN = "unknown"  # a call or attribute srcgrad cannot resolve to an object
    USER = "user"  # a call to the user's own Python function: through its generated pullback
    SETITEM = "setitem"  # x[index] = v: the array x changes in place
    TUPLE = "tuple"  # t = (a, b): its adjoint is the tuple of theirs
    LIST = "list"  # xs = [a, b] (often []): a Python list; its adjoint is a list of adjoints
    APPEND = "append"  # xs.append(v): the list grows
    UNPACK = "unpack"  # a = t[k] of `a, b = t`: t's adjoint is built from theirs, where t is made
    DICT = "dict"  # d = {"w": a, "b": b}: its adjoint is a dict of theirs (built with add_item)


@dataclass
class Operation:
    target: str
    kind: Kind
    key: object = None
    args: list[gast.expr] = field(default_factory=list)
    keywords: dict[str, gast.expr] = field(default_factory=dict)
    description: str = ""
    # a USER call that has active arguments: its pullback's name, and the callee's parameters
    # whose arguments are active, with the operands they are bound to
    pullback: str | None = None
    active_params: list[str] = field(default_factory=list)
    bindings: dict[str, gast.expr] = field(default_factory=dict)
    callee: gast.expr | None = None  # an UNKNOWN call of one of the function's own values
    keys: list = field(default_factory=list)  # a DICT's constant keys, one per argument
    # a call of a function known only at run time (transform/dynamic.py): the positions and
    # keywords of its arguments that carry a derivative
    dynamic: tuple | None = None
    # a USER call marked srcgrad.checkpoint: the statement that makes its pullback in the
    # reverse sweep (its forward sweep calls the function as it is)
    rerun: gast.Assign | None = None

    def operands(self) -> list[gast.expr]:
        return [*self.args, *self.keywords.values()]

    def names(self) -> set[str]:
        found: set[str] = set()
        for node in self.operands():
            found |= nodes.names_read(node)
        if self.callee is not None:  # `_t4 = _t3()` of `x.item()`: the value called
            found |= nodes.names_read(self.callee)
        return found


def operation(stmt: gast.stmt, ctx) -> Operation:
    if isinstance(stmt, gast.Expr):  # xs.append(v) (the fence let no other through)
        method = stmt.value.func
        return Operation(
            method.value.id, Kind.APPEND, None, [nodes.load(method.value.id), stmt.value.args[0]]
        )
    if isinstance(stmt.targets[0], gast.Subscript):
        place = stmt.targets[0]
        array = nodes.load(place.value.id)
        index = nodes.index_value(place.slice)
        return Operation(place.value.id, Kind.SETITEM, None, [array, index, stmt.value])
    target = stmt.targets[0].id
    value = stmt.value
    if isinstance(value, (gast.Name, gast.Constant)) or (
        isinstance(value, gast.Attribute) and ctx.is_global_reference(value)
    ):
        return Operation(target, Kind.COPY, args=[value])
    if isinstance(value, gast.BinOp):
        return Operation(target, Kind.CALL, BINARY[type(value.op)], [value.left, value.right])
    if isinstance(value, gast.UnaryOp):
        key = UNARY[type(value.op)]
        kind = Kind.INERT if key is operator.not_ else Kind.CALL
        return Operation(target, kind, key, [value.operand])
    if isinstance(value, gast.Subscript):
        index = nodes.index_value(value.slice)
        return Operation(target, Kind.CALL, operator.getitem, [value.value, index])
    if isinstance(value, gast.Compare):
        return Operation(
            target, Kind.INERT, args=[value.left, *value.comparators], description="comparison"
        )
    if isinstance(value, gast.Attribute):
        kind = Kind.INERT if value.attr in INERT_ATTRIBUTES else Kind.UNKNOWN
        return Operation(target, kind, args=[value.value], description=f".{value.attr}")
    if isinstance(value, gast.Tuple):
        return Operation(target, Kind.TUPLE, args=list(value.elts), description="a tuple")
    if isinstance(value, gast.List):
        return Operation(target, Kind.LIST, args=list(value.elts), description="a list")
    if isinstance(value, gast.Dict):
        keys = [k.value for k in value.keys]
        return Operation(
            target, Kind.DICT, args=list(value.values), description="a dict", keys=keys
        )
    if isinstance(value, gast.Call):
        key = ctx.resolve(value.func)
        keywords = {kw.arg: kw.value for kw in value.keywords}
        spelled = spelling(value.func)
        if key is MISSING or is_user_class(key) or is_transform(key):
            # (an object: made through api/dynamic.py; a srcgrad.grad(g) made outside: its
            # code, differentiated again, chosen as the code runs)
            made = Operation(target, Kind.UNKNOWN, None, list(value.args), keywords, spelled)
            made.callee = value.func
            return made
        defined = definition(key) if reverse_rule(key) is None else None
        if defined is not None:  # a library function differentiated through its definition
            key = defined
        kind = Kind.USER if is_user_function(key) else Kind.CALL
        if kind is Kind.CALL and _integer_result(key, value, ctx):
            kind = Kind.INERT  # np.array(x, dtype=int): truncated, its derivative is 0
        return Operation(target, kind, key, list(value.args), keywords, spelled)
    return Operation(target, Kind.UNKNOWN, description=type(value).__name__)


_DTYPE_SECOND = {np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray}


def _integer_result(key, call: gast.Call, ctx) -> bool:
    """A NumPy call told to make integers or booleans (`dtype=int`, `np.array(x, 'int32')`):
    its values are truncated, so nothing flows through it."""
    given = next((k.value for k in call.keywords if k.arg == "dtype"), None)
    if given is None and _in(key, _DTYPE_SECOND) and len(call.args) > 1:
        given = call.args[1]
    if given is None:
        return False
    if isinstance(given, gast.Constant):
        dtype = given.value
    else:
        dtype = ctx.resolve(given)
        if dtype is MISSING:
            return False
    try:
        return np.dtype(dtype).kind in "biu"
    except TypeError:
        return False


def _in(key, table) -> bool:
    try:
        return key in table
    except TypeError:
        return False


def is_transform(obj: object) -> bool:
    """A function srcgrad made (`srcgrad.grad(g)`, a partial of one), called in the code: it is
    differentiated through its generated code, made for the arguments that arrive
    (api/dynamic.py)."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return callable(getattr(obj, "nested", None)) and hasattr(obj, "tangent_function")


def is_user_function(obj: object) -> bool:
    """A Python function of the user's, differentiated through its own generated code."""
    if reverse_rule(obj) is not None or is_nondifferentiable(obj):
        return False
    return has_user_source(obj)


def callee_name(op: Operation) -> str:
    """A name for generated code to call the user's function by (`vjp_<name>`): its own, or,
    for a lambda (`<lambda>`), the name the call spells."""
    name = getattr(op.key, "__name__", "")
    if name.isidentifier():
        return name
    spelled = op.description.rsplit(".", 1)[-1]
    return spelled if spelled.isidentifier() else "function"
