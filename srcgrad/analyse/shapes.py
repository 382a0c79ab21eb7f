"""Analyse stage, shapes: the shape of every value, where the argument signature decides it.

Generated code is specialised per signature (Python scalar, or array of a given shape, per
argument). Where the shapes of an operation's operands and result are known, the reverse sweep
sums a broadcast adjoint back with the exact `np.sum(..., axis=...)`, or not at all; where they
are not (a shape that depends on values, an operation with no shape rule), the generated code
calls `unbroadcast` and decides at run time. A shape here is a tuple, or None for "unknown".
"""

from __future__ import annotations

import functools
import operator
import types
from dataclasses import dataclass

import gast
import numpy as np

from ..front import nodes
from ..normalize.ir import Kind, Operation
from ..rules.reductions import reduced_shape
from ..rules.registry import BROADCAST, SAME, STANDIN, Rule, reverse_rule
from ..runtime.arrays import is_other_array, known_shape
from ..runtime.containers import is_record
from ..runtime.markers import stop_gradient
from .leaves import may_hold_complex

_STANDIN_LIMIT = 1 << 16  # elements: bigger stand-ins would cost real time to compute on


# the dtypes of containers of arrays: a list or tuple, a dict, a record (a dataclass instance or
# a SimpleNamespace, whose fields are read as attributes)
TREES = ("tree", "dict", "record")
# (a functools.partial is made anew at each call, often: calls through it are dispatched as
# they run, api/dynamic.py, rather than generating code for each one)
_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, np.ufunc)


@dataclass(frozen=True, eq=False)
class Callee:
    """A function passed as an argument: generated code is specialised on which one it is (as
    on an array's shape), so its calls are differentiated as the calls of that function."""

    value: object

    def _identity(self) -> tuple:
        """Which function: the object, or for a method (made anew at each `obj.method`) its
        instance and function."""
        value = self.value
        if isinstance(value, types.MethodType):
            return (id(value.__self__), id(value.__func__))
        return (id(value),)

    def __eq__(self, other) -> bool:
        return isinstance(other, Callee) and other._identity() == self._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    @property
    def name(self) -> str:
        return "callable"


class Structured(str):
    """The dtype "tree" or "dict" of a container argument, which also says its structure (the
    lengths of its tuples and the keys of its dicts, nested; `.structure`, None where the
    container is large): a star or `**` that unpacks it is spread when the code is generated
    (normalize/starred.py), so code is made for one structure as for one shape. It equals its
    kind as a string. `.complex` says whether a leaf may be complex (analyse/leaves.py), so
    that code made for real leaves never serves complex ones (analyse/reals.py)."""

    LIMIT = 64  # containers and leaves: a larger container (a data set) has no structure

    @classmethod
    def of(cls, kind: str, value) -> Structured:
        budget = [cls.LIMIT]
        try:
            structure = _structure(value, budget)
        except OverflowError:
            structure = None
        made = super().__new__(cls, kind)
        made.structure = structure
        made.complex = may_hold_complex(value)
        return made

    def __eq__(self, other) -> bool:
        if not isinstance(other, str) or not str.__eq__(self, other):
            return False
        return (
            getattr(other, "structure", self.structure) == self.structure
            and getattr(other, "complex", self.complex) == self.complex
        )

    def __ne__(self, other) -> bool:
        return not self == other

    __hash__ = str.__hash__  # (equal to its kind as a string: the same hash)


_UNSET = object()
_LEAVES = {np.ndarray, float, int, bool, str, type(None)}  # (what is no container, quickly)


def _structure(value, budget: list):
    """`("tuple" | "list", parts)` or `("dict", ((key, part), ...))` of a container, each part
    the structure of a container in it or None; a list of arrays and numbers alone is
    `("list*", None)`, its length left out (code is made once for the sequences of every
    length); OverflowError past the budget."""
    budget[0] -= len(value) + 1
    if budget[0] < 0:
        raise OverflowError
    if isinstance(value, dict):
        if not all(type(k) in (str, int) for k in value):
            return None
        return "dict", tuple([(k, _part(v, budget)) for k, v in value.items()])
    parts = tuple([_part(v, budget) for v in value])
    if isinstance(value, tuple) or any(p is not None for p in parts):
        return "tuple" if isinstance(value, tuple) else "list", parts
    return "list*", None  # a list of arrays (a sequence): not its length


def _part(value, budget: list):
    if type(value) in _LEAVES or not isinstance(value, (list, tuple, dict)):
        return None
    return _structure(value, budget)


def of_value(value: object) -> tuple | None:
    """What srcgrad specialises on for one argument value: `(shape, dtype)`, or None.

    `dtype` is a NumPy dtype (fast to get and to hash: this runs at every call), or "float" /
    "int" / "complex" for Python numbers; `dtype_name` turns it into a name. An array of
    another library (dask, CuPy) is `(shape, dtype, type)`: code made for it is made for its
    type (the shape None where its library does not know it).
    """
    kind = type(value)
    if kind is float:
        return (), "float"
    if kind is np.ndarray:
        return value.shape, value.dtype
    if kind is int or kind is bool:
        return (), "int"
    if isinstance(value, (np.ndarray, np.generic)):
        return value.shape, value.dtype
    if isinstance(value, float):
        return (), "float"
    if isinstance(value, int):
        return (), "int"
    if isinstance(value, complex):  # (its dtype says complex numbers are about: analyse/reals)
        return (), "complex"
    if is_other_array(value):  # (a dask or CuPy array: code of its own, the same text)
        return known_shape(value), value.dtype, kind
    if isinstance(value, dict):  # a container of arrays: its gradient has the same structure
        return None, Structured.of("dict", value)
    if isinstance(value, (list, tuple)):
        return None, Structured.of("tree", value)
    if is_record(value) and not isinstance(value, types.SimpleNamespace):
        return None, record_of(value)  # (code is made for one class: its properties)
    if is_record(value) or isinstance(value, functools.partial):
        # (a closure's adjoint: those of the values it holds, by name)
        return None, record_of(value, None)
    if isinstance(value, _CALLABLES):
        return None, Callee(value)
    return None


def record_of(value, structure: object = _UNSET) -> Structured:
    """The dtype "record" of an object or a dataclass, which also says its class
    (`.structure`): code is made for one class, as for one shape (normalize/objects.py reads
    its properties); of a namespace or a `functools.partial` (`structure` None), none."""
    made = str.__new__(Structured, "record")  # (normalize/objects.py `class_of` reads it)
    made.structure = ("class", type(value)) if structure is _UNSET else structure
    made.complex = may_hold_complex(value)
    return made


def dtype_name(dtype) -> str:
    """ "float64", "float32", ... for a NumPy dtype; "float", "int", "tree", "dict", "record" as
    they are."""
    return dtype if isinstance(dtype, str) else dtype.name  # (a Callee's is "callable")


def is_floating(dtype) -> bool:
    name = dtype_name(dtype)
    return name == "float" or name.startswith("float")


def standin(shape: tuple) -> np.ndarray:
    """A read-only array of `shape` that occupies one element of memory."""
    return np.broadcast_to(np.zeros(()), shape)


class IndexArray:
    """An integer array argument: its values do not change the shape of `x[idx]`, so zeros
    of its shape stand in for it (a boolean mask's values would: masks are not these)."""

    def __init__(self, shape: tuple):
        self.shape = shape

    def standin(self) -> np.ndarray:
        return np.zeros(self.shape, dtype=np.intp)


def infer(
    ops: list[Operation],
    params: dict[str, tuple | None],
    integers: frozenset = frozenset(),
    index_arrays: frozenset = frozenset(),
    values_out: dict | None = None,
) -> dict[str, tuple | None]:
    """Shapes by name. A name assigned more than once (in a loop, in both branches of an if)
    has a shape only if every assignment gives it the same one, in a round of evaluation that
    starts from the shapes the previous round agreed on (so that loop-carried values settle).
    `index_arrays`: parameters holding integer arrays (never assigned). `values_out`, if given,
    receives the numbers and tuples the signature decides (`n = x.shape[0]`: n)."""
    shapes: dict = dict(params)
    assigned = {op.target for op in ops}
    values: dict = {}  # integers and tuples known from the shapes: `n = x.shape[0]`
    standing = {
        name: IndexArray(params[name])
        for name in index_arrays
        if params.get(name) is not None and name not in assigned
    }
    standing.update(_dict_displays(ops))
    counts: dict = {}
    for op in ops:
        counts[op.target] = counts.get(op.target, 0) + 1
    # a name assigned more than once is read as what all its assignments agree on (from the
    # previous round), never as whichever assignment happens to come last in the text
    multi = {name for name, n in counts.items() if n > 1 or name in params}
    for round_number in range(5):
        current, known = dict(shapes), {**standing, **values}
        joined: dict = {}
        agreed: dict = {}
        for op in ops:
            shape = _shape(op, current, integers, known)
            value = _value(op, current, known)
            if shape is None and type(value) in (int, float):  # `n = x.shape[0]`: a number
                shape = ()
            first = joined.get(op.target, params.get(op.target, _UNSET))
            joined[op.target] = shape if first is _UNSET or first == shape else None
            seen = agreed.get(op.target, _UNSET if op.target not in params else None)
            agreed[op.target] = value if seen is _UNSET or seen == value else None
            if op.target not in multi or round_number == 0:
                current[op.target] = shape
                known[op.target] = standing.get(op.target, value)
        result = {**shapes, **params, **joined}
        values = {k: v for k, v in agreed.items() if v is not None}
        if result == shapes and round_number > 0:
            if values_out is not None:
                values_out.update(values)
            return shapes
        shapes = result
    return dict(params)  # no agreement: every computed shape unknown


class DictDisplay(dict):
    """`d = {"w": w, "b": b}`, bound once and never changed: `d["w"]` has `w`'s shape."""


def _dict_displays(ops: list[Operation]) -> dict:
    counts: dict = {}
    for op in ops:
        counts[op.target] = counts.get(op.target, 0) + 1
    return {
        op.target: DictDisplay(zip(op.keys, op.args))
        for op in ops
        if op.kind is Kind.DICT and counts[op.target] == 1
    }


def _value(op: Operation, shapes: dict, values: dict):
    """The value of a statement's target when the signature decides it (`x.shape[0]`, `len(x)`,
    `n - 1`), else None."""
    if op.kind is Kind.COPY:
        return _known(op.args[0], values)
    source = op.args[0] if op.args else None
    shape = operand_shape(source, shapes) if source is not None else None
    if op.description in (".shape", ".ndim", ".size"):
        if shape is None:
            return None
        return {".shape": shape, ".ndim": len(shape), ".size": int(np.prod(shape))}[op.description]
    if op.kind is not Kind.CALL:
        return None
    if op.key in (len, np.shape, np.ndim, np.size) and shape is not None:
        if op.key is len:
            return shape[0] if shape else None
        return {np.shape: shape, np.ndim: len(shape), np.size: int(np.prod(shape))}[op.key]
    arguments = [_known(a, values) for a in op.args]
    if any(a is None for a in arguments) or op.keywords:
        return None
    if op.key is operator.getitem and isinstance(arguments[0], tuple):
        held, index = arguments
        # (an index past the end: `x.shape[2]` in a branch taken only for other shapes)
        return held[index] if isinstance(index, int) and -len(held) <= index < len(held) else None
    if op.key in _INTEGER_ARITHMETIC and all(type(a) is int for a in arguments):
        return op.key(*arguments)
    return None


_INTEGER_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.floordiv}
_CONSTRUCTORS = {np.zeros, np.ones, np.empty, np.full}  # the first argument is the shape
_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}


def _known(node: gast.expr, values: dict):
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, gast.Name):
        return values.get(node.id)
    if isinstance(node, (gast.Tuple, gast.List)):
        parts = [_known(e, values) for e in node.elts]
        return None if any(p is None for p in parts) else tuple(parts)
    return None


def _constructed_shape(op: Operation, shapes: dict, values: dict) -> tuple | None:
    """The shape of `np.zeros(n)`, `np.ones((n, m))`, `np.zeros_like(x)` where it is known."""
    if op.key in _CONSTRUCTORS and op.args:
        size = _known(op.args[0], values)
        if type(size) is int:
            return (size,)
        if isinstance(size, tuple) and all(type(n) is int for n in size):
            return size
        return None
    if op.key in _LIKE and op.args and "shape" not in op.keywords:
        return operand_shape(op.args[0], shapes)
    return None


def operand_shape(node: gast.expr, shapes: dict) -> tuple | None:
    if isinstance(node, gast.Name):
        return shapes.get(node.id)
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float, complex)):
        return ()
    if isinstance(node, gast.Attribute):
        return shapes.get(_dotted(node))
    return None


def _dotted(node: gast.expr) -> str | None:
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def global_numbers(tree: gast.AST, ctx) -> dict[str, tuple]:
    """Module constants and closure variables that hold Python numbers: shape `()`.

    Only numbers: an array constant could be rebound to another shape between calls, and the
    generated code, cached per argument signature, would not notice.
    """
    found = {}
    for node in nodes.walk(tree):
        if isinstance(node, (gast.Name, gast.Attribute)) and isinstance(
            getattr(node, "ctx", None), gast.Load
        ):
            value = ctx.resolve(node)
            if type(value) in (float, int, bool, complex):
                name = _dotted(node)
                if name is not None:
                    found[name] = ()
    return found


def _shape(op: Operation, shapes: dict, integers: frozenset, values: dict) -> tuple | None:
    if op.kind in (Kind.COPY, Kind.SETITEM):  # x[i] = v leaves x its shape
        return operand_shape(op.args[0], shapes)
    if op.kind is Kind.CALL and op.key is operator.getitem and isinstance(op.args[0], gast.Name):
        display = values.get(op.args[0].id)
        key = op.args[1]
        if isinstance(display, DictDisplay) and isinstance(key, gast.Constant):
            entry = display.get(key.value)
            return None if entry is None else operand_shape(entry, shapes)
    if op.kind is Kind.CALL and (op.key in _CONSTRUCTORS or op.key in _LIKE):
        return _constructed_shape(op, shapes, values)
    if op.description == "comparison":
        operands = [operand_shape(node, shapes) for node in op.args]
        return None if None in operands else tuple(np.broadcast_shapes(*operands))
    if op.kind is not Kind.CALL:
        return None
    if op.key is stop_gradient:
        return operand_shape(op.args[0], shapes)
    rule = reverse_rule(op.key)
    if rule is None or rule.shape is None:
        return None
    try:
        bound = rule.signature().bind(*op.args, **op.keywords)
    except TypeError:
        return None
    try:
        return _apply(rule, op, bound.arguments, shapes, integers, values)
    except Exception:  # a shape rule that cannot decide: unknown, never wrong
        return None


def _apply(
    rule: Rule, op: Operation, arguments: dict, shapes: dict, integers: frozenset, values: dict
) -> tuple | None:
    given = [p for p in rule.differentiable if p in arguments]
    arrays = [_operand_shapes(arguments[p], shapes) for p in given]
    if any(s is None for s in arrays):
        if rule.shape is reduced_shape:  # a whole reduction is a scalar, whatever it reduces
            axis, keepdims = arguments.get("axis"), arguments.get("keepdims")
            whole = axis is None or (isinstance(axis, gast.Constant) and axis.value is None)
            kept = keepdims is not None and not (
                isinstance(keepdims, gast.Constant) and keepdims.value is False
            )
            return () if whole and not kept else None
        return None
    displays = any(isinstance(s, list) for s in arrays)
    if displays and rule.shape != STANDIN:  # a list display: only stand-ins know its shape
        return None
    if rule.shape == SAME:
        return arrays[0]
    if rule.shape == BROADCAST:  # every operand that is an array or a number broadcasts
        operands = [
            operand_shape(node, shapes)
            for node in arguments.values()
            if not (isinstance(node, gast.Constant) and node.value is None)
        ]
        return None if None in operands else tuple(np.broadcast_shapes(*operands))
    constants = {}
    for name, node in arguments.items():
        if name in rule.differentiable:
            continue
        held = values.get(node.id) if isinstance(node, gast.Name) else None
        if isinstance(held, IndexArray) and op.key is operator.getitem:  # x[idx] only
            constants[name] = held.standin()
            continue
        # (a loop's integer stands for 0 in an index only: as an axis, its value matters)
        indexing = op.key is operator.getitem and name == "index"
        constants[name] = constant_value(node, integers if indexing else frozenset())
    if callable(rule.shape):
        return rule.shape(*arrays, **constants)
    if rule.shape == STANDIN:
        if op.key is operator.getitem:
            return _indexed_shape(arrays[0], constants.get("index"))
        if sum(_size(s) for s in arrays) > _STANDIN_LIMIT:
            return None
        values = dict(zip(given, (_standins(s) for s in arrays)))
        positional, keywords, gap = [], {}, False
        for name in rule.params:
            if name not in values and name not in constants:
                gap = True
            elif gap:
                keywords[name] = constants.get(name, values.get(name))
            else:
                positional.append(values[name] if name in values else constants[name])
        return tuple(np.shape(op.key(*positional, **keywords)))
    return None


def _indexed_shape(shape, index) -> tuple | None:
    """The shape of `x[index]` for `x` of `shape`, without making an array of that size:
    basic indices on a zero-stride stand-in (a view), one integer array by the rule."""
    if isinstance(shape, list):
        return None
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu":
        return (*index.shape, *shape[1:]) if shape else None
    parts = index if isinstance(index, tuple) else (index,)
    arrays = any(isinstance(p, (np.ndarray, list)) for p in parts)
    if arrays and sum(_size(np.shape(p)) for p in parts) + _size(shape) > _STANDIN_LIMIT:
        return None
    return tuple(np.shape(standin(shape)[index]))


def _operand_shapes(node: gast.expr, shapes: dict):
    """An operand's shape; for a list or tuple display, the list of its elements' shapes."""
    if isinstance(node, (gast.List, gast.Tuple)):
        parts = [_operand_shapes(e, shapes) for e in node.elts]
        return None if any(p is None for p in parts) else parts
    return operand_shape(node, shapes)


def broadcast_axes(have: tuple, want: tuple) -> tuple[list[int], list[int]] | None:
    """How a value of shape `have` sums back to the shape `want` it was broadcast from, in one
    `.sum`: the leading axes it gained, and the axes where `want` has a 1 (summed, kept); None
    where that takes two sums (both kinds of axes at once)."""
    lead = len(have) - len(want)
    kept = [lead + i for i, n in enumerate(want) if n == 1 and have[lead + i] != 1]
    axes = list(range(lead))
    if want != () and kept and axes:
        return None
    return axes, kept


def _size(shape) -> int:
    if isinstance(shape, list):
        return sum(_size(s) for s in shape)
    return int(np.prod(shape))


def _standins(shape):
    if isinstance(shape, list):
        return [_standins(s) for s in shape]
    return standin(shape)


class NotConstant(Exception):
    pass


def constant_value(node: gast.expr, integers: frozenset = frozenset()) -> object:
    """The value of a literal operand (numbers, None, tuples, `slice(...)`), else NotConstant.

    A name in `integers` (a `range` loop's variable) stands for 0 where it is a whole index or
    one element of an index tuple: any integer there gives a result of the same shape. Inside
    a slice its value would matter, so there it is not constant.
    """
    if isinstance(node, gast.Name) and node.id in integers:
        return 0
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.Tuple):
        return tuple(constant_value(e, integers) for e in node.elts)
    if isinstance(node, gast.List):
        return [constant_value(e) for e in node.elts]
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return -constant_value(node.operand)
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id == "slice":
        return slice(*(constant_value(a) for a in node.args))
    raise NotConstant(node)
