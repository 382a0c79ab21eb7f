"""What the optimizer knows of the arrays of a generated function, statement by statement of its
body: each name's shape, its kind of dtype (a float64 array, a Python number, a bool or integer
array, or not known), and whether only that name holds its array (`owned`: the function made it
and has not handed it on: to another name, a container, a view, a function that may keep it);
and of an expression, its shape and kind and whether it makes a new array.

The kinds follow from the arguments' dtypes through arithmetic, NumPy's elementwise functions,
reductions and products, by NumPy's rules: a float64 array with anything known stays float64,
a Python number never widens an array. `elision` asks; every statement is `record`ed in turn.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..front import nodes
from ..front.reading import MISSING

# what a value is, as far as in-place arithmetic cares: a float64 array (or NumPy scalar), a
# Python float or int (which never changes an array's dtype), a bool or integer array; None:
# anything else, or not known
F64, FLOAT, INT, BOOL, INTEGER = "float64", "float", "int", "bool", "integer"
# functions whose result is a new float64 array for float64 arrays, read elementwise
_ELEMENTWISE = (
    np.exp, np.log, np.sin, np.cos, np.tan, np.tanh, np.sinh, np.cosh, np.sqrt, np.log1p,
    np.expm1, np.log2, np.log10, np.exp2, np.abs, np.absolute, np.negative, np.square,
    np.reciprocal, np.arctan, np.arcsin, np.arccos, np.arcsinh, np.cbrt, np.fabs, np.maximum,
    np.minimum, runtime.sigmoid,
)  # fmt: skip
# functions that read an array and keep no reference to it (their result is new)
_READING = (*_ELEMENTWISE, np.sum, np.mean, np.max, np.min, np.prod, np.dot, np.vdot, np.matmul)
_READING_METHODS = {"sum", "mean", "max", "min", "prod"}
_READING_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
# reductions, and the kind of their result for each kind of array
_REDUCTIONS = (
    (np.sum, "sum"),
    (np.mean, "mean"),
    (np.max, "max"),
    (np.min, "min"),
    (np.prod, "prod"),
)
_REDUCED = {
    "sum": {F64: F64, BOOL: INTEGER, INTEGER: INTEGER},
    "prod": {F64: F64, BOOL: INTEGER, INTEGER: INTEGER},
    "max": {F64: F64, BOOL: BOOL, INTEGER: INTEGER},
    "min": {F64: F64, BOOL: BOOL, INTEGER: INTEGER},
    "mean": {F64: F64, BOOL: F64, INTEGER: F64},
}
# products and moved axes of float64 arrays: float64 (their number and string operands aside)
_PRODUCTS = (np.einsum, np.dot, np.vdot, np.matmul, np.outer, np.expand_dims)
_NUMBERS = {"size": INT, "ndim": INT}
_BLOCKS = (gast.If, gast.For, gast.While, gast.Try, gast.With, gast.FunctionDef, gast.Lambda)


class _Value:
    """What is known of a name's value: its shape, its kind, and whether it is an array that
    only this name holds (`owned`: the function made it and has not handed it on)."""

    __slots__ = ("kind", "owned", "shape")

    def __init__(self, shape, kind, owned=False):
        self.shape, self.kind, self.owned = shape, kind, owned


class Known:
    """What is known after the statements `record`ed so far (see the module's docstring)."""

    def __init__(self, fn: gast.FunctionDef, ctx):
        self.fn, self.ctx = fn, ctx
        self.parameters = {n.id for n in nodes.walk(fn.args) if isinstance(n, gast.Name)}
        self.values = self._arguments()  # name -> _Value, as the statements read so far leave it
        self.sizes: dict[str, int] = {}  # name -> elements of the array it holds, where known
        self.read: dict[int, set[str]] = {}  # id of a statement -> the names it reads
        self.resolved_nodes: dict[int, tuple] = {}  # id of a node -> (the node, what it names)
        # id of a node -> (the node, its kind or shape), while what is known stays the same
        self.kinds: dict[int, tuple] = {}
        self.shapes: dict[int, tuple] = {}

    def reads(self, stmt: gast.stmt) -> set[str]:
        found = self.read.get(id(stmt))
        if found is None:
            found = self.read[id(stmt)] = nodes.names_read(stmt)
        return found

    def _arguments(self) -> dict[str, _Value]:
        """The parameters, as their dtypes say; never owned (they are the caller's)."""
        values = {}
        for arg in nodes.walk(self.fn.args):
            if isinstance(arg, gast.Name):
                dtype = self.ctx.dtypes.get(arg.id)
                values[arg.id] = _Value(self.ctx.shapes.get(arg.id), _kind_of_dtype(dtype))
        return values

    def record(self, stmt: gast.stmt) -> None:
        """What `stmt` leaves known: the names it hands on are no longer owned; a name it binds
        is known from its expression (forgotten, where a block binds it)."""
        for name in self.handed_on(stmt):
            if name in self.values:
                self.values[name].owned = False
        if isinstance(stmt, gast.Assign) and is_single_name(stmt):
            target, value = stmt.targets[0].id, stmt.value
            shape = self.shape(value)
            if shape is None:
                shape = self.ctx.shapes.get(target)
            self.values[target] = _Value(shape, self.kind(value), self.fresh(value))
            if shape is not None:
                self.sizes[target] = max(self.sizes.get(target, 0), int(np.prod(shape)))
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            # `t += v` is `t = t + v` for what it makes, and keeps an array's owner
            target = stmt.target.id
            was = self.values.get(target)
            value = gast.BinOp(left=nodes.load(target), op=stmt.op, right=stmt.value)
            shape, kind = self.shape(value), self.kind(value)
            kept = was is not None and was.kind in (F64, BOOL, INTEGER) and was.shape == shape
            self.values[target] = _Value(shape, kind, kept and was.owned)
        else:
            for name in nodes.names_stored(stmt):
                self.values.pop(name, None)
        self.kinds.clear()
        self.shapes.clear()

    def handed_on(self, stmt: gast.stmt) -> set[str]:
        """Names `stmt` reads in a way that may keep their array: anywhere but as an operand of
        arithmetic or of a function that only reads it (every read in a block counts)."""
        handed = set()
        for parent in nodes.walk(stmt):
            if isinstance(parent, _BLOCKS):
                return self.reads(stmt)
            for child in gast.iter_child_nodes(parent):
                if (
                    isinstance(child, gast.Name)
                    and isinstance(child.ctx, gast.Load)
                    and not self._only_read(parent, child)
                ):
                    handed.add(child.id)
        return handed

    def _only_read(self, parent: gast.AST, child: gast.Name) -> bool:
        if isinstance(parent, (gast.BinOp, gast.UnaryOp, gast.Compare)):
            return True
        if isinstance(parent, gast.AugAssign):
            return parent.value is child
        if isinstance(parent, gast.Attribute):
            return parent.attr in _READING_ATTRIBUTES | _READING_METHODS
        if isinstance(parent, gast.Call):
            return child is not parent.func and not parent.keywords and self.calls(parent, _READING)
        return False

    def calls(self, call: gast.Call, functions: tuple) -> bool:
        if isinstance(call.func, gast.Attribute) and call.func.attr in _READING_METHODS:
            return functions is _READING  # (x.sum(): a reduction's method)
        found = self.resolved(call.func)
        return any(found is f for f in functions)

    def resolved(self, func: gast.expr) -> object:
        """What `func` names (None: not a module's object), once per node."""
        hit = self.resolved_nodes.get(id(func))
        if hit is None or hit[0] is not func:
            try:
                found = self.ctx.resolve(func)
            except Exception:  # (an attribute of something that is not a module)
                found = None
            hit = self.resolved_nodes[id(func)] = (func, found)
        return hit[1]

    def kind(self, node: gast.expr) -> str | None:
        hit = self.kinds.get(id(node))
        if hit is None or hit[0] is not node:
            hit = self.kinds[id(node)] = (node, self._kind_of(node))
        return hit[1]

    def _kind_of(self, node: gast.expr) -> str | None:
        if isinstance(node, gast.Name):
            value = self.values.get(node.id)
            return value.kind if value is not None else None
        if isinstance(node, gast.Constant):
            return {float: FLOAT, int: INT, bool: INT}.get(type(node.value))
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
            kind = self.kind(node.operand)
            return kind if kind in (F64, FLOAT, INT) else None
        if isinstance(node, gast.BinOp):
            return _arithmetic(node.op, self.kind(node.left), self.kind(node.right))
        if isinstance(node, gast.Compare):
            kinds = [self.kind(node.left), *(self.kind(c) for c in node.comparators)]
            return BOOL if None not in kinds and {F64, BOOL, INTEGER} & set(kinds) else None
        if isinstance(node, gast.Attribute):  # (x.T: a view, of x's dtype)
            return self.kind(node.value) if node.attr == "T" else _NUMBERS.get(node.attr)
        if isinstance(node, gast.Subscript) and _is_shape(node.value):
            return INT
        if isinstance(node, gast.Call):
            return self._call_kind(node)
        return None

    def _call_kind(self, node: gast.Call) -> str | None:
        if not node.keywords and self.calls(node, _ELEMENTWISE):
            kinds = {self.kind(a) for a in node.args}
            return F64 if F64 in kinds and kinds <= {F64, FLOAT, INT} else None
        if any(k.arg not in ("axis", "keepdims") for k in node.keywords):
            return None
        found = self.resolved(node.func)
        reduction = next((name for f, name in _REDUCTIONS if f is found), None)
        if reduction is not None and node.args:
            return _REDUCED[reduction].get(self.kind(node.args[0]))
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr in _REDUCED and found is MISSING:
            return _REDUCED[func.attr].get(self.kind(func.value))  # (a method: x.sum())
        if any(found is f for f in _PRODUCTS):
            operands = [a for a in node.args if not isinstance(a, gast.Constant)]
            return F64 if {self.kind(a) for a in operands} == {F64} else None
        return None

    def shape(self, node: gast.expr) -> tuple | None:
        hit = self.shapes.get(id(node))
        if hit is None or hit[0] is not node:
            hit = self.shapes[id(node)] = (node, self._shape_of(node))
        return hit[1]

    def _shape_of(self, node: gast.expr) -> tuple | None:
        if isinstance(node, gast.Name):
            value = self.values.get(node.id)
            return value.shape if value is not None else self.ctx.shapes.get(node.id)
        if isinstance(node, gast.Constant):
            return () if type(node.value) in (float, int, bool) else None
        if self.kind(node) in (INT, FLOAT):  # (x.shape[0], len(y): a number)
            return ()
        if isinstance(node, gast.Attribute) and node.attr == "T":
            shape = self.shape(node.value)
            return None if shape is None else shape[::-1]
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.MatMult):
            return _matmul_shape(self.shape(node.left), self.shape(node.right))
        if isinstance(node, gast.Call) and self._call_kind(node) is not None:
            reduced = self._reduced_shape(node)
            if reduced is not _NOT_A_REDUCTION:
                return reduced
            if not self.calls(node, _ELEMENTWISE):
                return self._product_shape(node)
        parts = _elementwise_operands(node)
        if parts is None or (isinstance(node, gast.Call) and not self.calls(node, _ELEMENTWISE)):
            return None
        shapes = [self.shape(p) for p in parts]
        if any(s is None for s in shapes):
            return None
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            return None

    def _reduced_shape(self, node: gast.Call):
        """The shape of a reduction's result (None where not known), or _NOT_A_REDUCTION."""
        func = node.func
        found = self.resolved(func)
        if any(found is f for f, _ in _REDUCTIONS):
            operand, rest = node.args[0], node.args[1:]
        elif isinstance(func, gast.Attribute) and func.attr in _REDUCED and found is MISSING:
            operand, rest = func.value, node.args
        else:
            return _NOT_A_REDUCTION
        spelled = {k.arg: k.value for k in node.keywords}
        axis = rest[0] if rest else spelled.get("axis", nodes.const(None))
        keepdims = spelled.get("keepdims", nodes.const(False))
        shape = self.shape(operand)
        if shape is None or not isinstance(axis, gast.Constant | gast.Tuple):
            return None
        if not isinstance(keepdims, gast.Constant):
            return None
        axes = axis.value if isinstance(axis, gast.Constant) else _constants(axis)
        return _reduced(shape, axes, keepdims.value)

    def _product_shape(self, node: gast.Call) -> tuple | None:
        """The shape of `np.einsum('ab,ab->a', x, y)` or `np.expand_dims(x, 1)`, where known."""
        found = self.resolved(node.func)
        args = node.args
        if found is np.expand_dims and len(args) == 2 and isinstance(args[1], gast.Constant):
            shape, axis = self.shape(args[0]), args[1].value
            if shape is None or type(axis) is not int or not -len(shape) - 1 <= axis <= len(shape):
                return None
            axis %= len(shape) + 1
            return (*shape[:axis], 1, *shape[axis:])
        if found is np.einsum and args and isinstance(args[0], gast.Constant):
            return _einsum_shape(args[0].value, [self.shape(a) for a in args[1:]])
        return None

    def fresh(self, node: gast.expr) -> bool:
        """`node` makes a new array (for operands that are arrays) that no name holds yet, or
        names an array only that name holds."""
        if isinstance(node, gast.Name):
            value = self.values.get(node.id)
            return value is not None and value.owned
        if isinstance(node, (gast.BinOp, gast.Compare)):
            return True
        if isinstance(node, gast.UnaryOp):
            return isinstance(node.op, (gast.USub, gast.UAdd))
        return isinstance(node, gast.Call) and not node.keywords and self.calls(node, _ELEMENTWISE)


def _kind_of_dtype(dtype) -> str | None:
    if dtype in ("float", "float64"):
        return {"float": FLOAT, "float64": F64}[dtype]
    if dtype == "int":
        return INT
    if dtype == "bool":
        return BOOL
    if isinstance(dtype, str) and dtype.startswith(("int", "uint")):
        return INTEGER
    return None


def _arithmetic(op: gast.operator, left: str | None, right: str | None) -> str | None:
    """The kind of `left op right`: float64 wherever a float64 meets anything but an unknown
    (NumPy 2: a Python number never widens an array; bool and integer arrays become float64)."""
    kinds = {left, right}
    if None in kinds or isinstance(op, (gast.BitAnd, gast.BitOr, gast.BitXor, gast.LShift)):
        return None
    if isinstance(op, gast.MatMult):
        return F64 if kinds == {F64} else None
    if F64 in kinds:
        return F64
    if kinds <= {FLOAT, INT}:
        return FLOAT if FLOAT in kinds or isinstance(op, gast.Div) else INT
    if FLOAT in kinds or isinstance(op, gast.Div):  # (with a bool or integer array)
        return F64
    return None


def _elementwise_operands(node: gast.expr) -> list | None:
    """The operands of an elementwise expression (whose shape is theirs broadcast)."""
    if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
        return [node.left, node.right]
    if isinstance(node, gast.UnaryOp):
        return [node.operand]
    if isinstance(node, gast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, gast.Call) and node.args and not node.keywords:
        return list(node.args)
    return None


def _is_shape(node: gast.expr) -> bool:
    return isinstance(node, gast.Attribute) and node.attr == "shape"


def _constants(node: gast.Tuple) -> tuple | None:
    if all(isinstance(e, gast.Constant) and type(e.value) is int for e in node.elts):
        return tuple(e.value for e in node.elts)
    return None


def _reduced(shape: tuple, axes, keepdims) -> tuple | None:
    """The shape of a reduction of an array of `shape` over `axes` (None: all of them)."""
    if axes is None:
        return tuple(1 for _ in shape) if keepdims else ()
    axes = axes if isinstance(axes, tuple) else (axes,)
    if not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes):
        return None
    axes = {a % len(shape) for a in axes}
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _matmul_shape(left: tuple | None, right: tuple | None) -> tuple | None:
    if left is None or right is None or not left or not right:
        return None
    a, b = (1, *left) if len(left) == 1 else left, (*right, 1) if len(right) == 1 else right
    if a[-1] != b[-2]:
        return None
    try:
        batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        return None
    return batch + a[-2:-1] * (len(left) > 1) + b[-1:] * (len(right) > 1)


def _einsum_shape(subscripts, shapes: list) -> tuple | None:
    """The shape of `np.einsum(subscripts, *operands)` written with letters and `->` only."""
    if not isinstance(subscripts, str) or "->" not in subscripts or None in shapes:
        return None
    inputs, output = subscripts.replace(" ", "").split("->")
    sizes: dict[str, int] = {}
    for letters, shape in zip(inputs.split(","), shapes):
        if not letters.isalpha() or len(letters) != len(shape):
            return None
        for letter, size in zip(letters, shape):
            if sizes.setdefault(letter, size) != size and 1 not in (size, sizes[letter]):
                return None
            sizes[letter] = max(sizes[letter], size)
    if len(inputs.split(",")) != len(shapes) or not set(output) <= set(sizes):
        return None
    return tuple(sizes[letter] for letter in output)


_NOT_A_REDUCTION = object()


def is_single_name(stmt: gast.Assign) -> bool:
    """`name = value`: one target, a name."""
    return len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
