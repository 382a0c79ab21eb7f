"""The rule table: every registered derivative rule, called the way users call it, on its domain.

Each `Row` names the object whose rule it exercises (looked up by identity in
`srcgrad.rules.registry.REVERSE`), an expression template over the argument names, and one input
factory per argument. `tests/test_rules.py` turns each row into a real module, differentiates it
with respect to every `wrt` argument and compares with central finite differences.

Inputs respect each rule's domain: positive for logarithms and roots, |x| < 1 for arcsin and
arctanh, above 1 for arccosh, away from kinks (`abs`, `maximum`, `%`) and free of ties unless the
row is about ties (then exactly two-way ties, where a central difference gives the half-half
split srcgrad declares).
"""

from __future__ import annotations

import builtins
import math
import operator
from dataclasses import dataclass, field

import numpy as np

from srcgrad import runtime as srcgrad_runtime

# ---- input factories ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """Random input of one `kind`; `shape == ()` means a Python float."""

    kind: str
    shape: tuple[int, ...] = ()

    def __call__(self, rng: np.random.Generator):
        size = self.shape or None
        if self.kind == "normal":
            value = rng.standard_normal(size)
        elif self.kind == "positive":
            value = rng.uniform(0.5, 2.0, size)
        elif self.kind == "unit":  # inside (-1, 1), away from the ends
            value = rng.uniform(-0.8, 0.8, size)
        elif self.kind == "above_one":
            value = rng.uniform(1.2, 3.0, size)
        elif self.kind == "nonzero":  # away from 0, where abs/relu/1/x have a kink or a pole
            value = rng.choice([-1.0, 1.0], size) * rng.uniform(0.3, 2.0, size)
        else:
            raise ValueError(self.kind)
        return float(value) if not self.shape else value

    @property
    def label(self) -> str:
        return "x".join(map(str, self.shape)) if self.shape else "float"


@dataclass(frozen=True)
class Fixed:
    """A given value (ties, hand-placed points), copied on each call."""

    value: object
    why: str = "fixed"

    def __call__(self, rng: np.random.Generator):
        return np.array(self.value, dtype=float) if np.ndim(self.value) else float(self.value)

    @property
    def label(self) -> str:
        return self.why


@dataclass(frozen=True)
class Const:
    """A value passed to the function but not differentiated (index arrays, masks, weights)."""

    value: object

    def __call__(self, rng: np.random.Generator):
        return np.array(self.value)

    label = "const"


def normal(*shape):
    return Draw("normal", shape)


def positive(*shape):
    return Draw("positive", shape)


def unit(*shape):
    return Draw("unit", shape)


def above_one(*shape):
    return Draw("above_one", shape)


def nonzero(*shape):
    return Draw("nonzero", shape)


# ---- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    obj: object  # the object whose rule this row exercises
    expr: str  # Python expression over the argument names, as a user writes it
    wrt: dict[str, object]  # differentiated arguments -> factories, in order
    const: dict[str, object] = field(default_factory=dict)  # arguments not differentiated

    @property
    def id(self) -> str:
        args = [f"{name}:{factory.label}" for name, factory in {**self.wrt, **self.const}.items()]
        return f"{self.expr} [{' '.join(args)}]"


ROWS: list[Row] = []


def row(obj, expr, const=None, **wrt):
    ROWS.append(Row(obj, expr, wrt, const or {}))


# Shape pairs for binary broadcasting rules: equal, (3,1)x(1,4), trailing, float with array.
PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((4, 3), (3,)),
    ((2, 1, 4), (3, 1)),
    ((), (3, 4)),
    ((2, 3), ()),
    ((), ()),
]
FEW_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (4,))]

# ---- arithmetic operators and ufuncs ----------------------------------------------------------

for sx, sy in PAIRS:
    row(operator.add, "x + y", x=normal(*sx), y=normal(*sy))
    row(operator.sub, "x - y", x=normal(*sx), y=normal(*sy))
    row(operator.mul, "x * y", x=normal(*sx), y=normal(*sy))
    row(operator.truediv, "x / y", x=normal(*sx), y=nonzero(*sy))
    row(operator.pow, "x ** y", x=positive(*sx), y=normal(*sy))
for sx, sy in FEW_PAIRS:
    row(np.add, "np.add(x, y)", x=normal(*sx), y=normal(*sy))
    row(np.subtract, "np.subtract(x, y)", x=normal(*sx), y=normal(*sy))
    row(np.multiply, "np.multiply(x, y)", x=normal(*sx), y=normal(*sy))
    row(np.divide, "np.divide(x, y)", x=normal(*sx), y=nonzero(*sy))
    row(np.power, "np.power(x, y)", x=positive(*sx), y=normal(*sy))
    row(np.arctan2, "np.arctan2(x, y)", x=normal(*sx), y=nonzero(*sy))
row(np.true_divide, "np.true_divide(x, y)", x=normal(3, 4), y=nonzero(4))
row(np.arctan2, "np.arctan2(x, y)", x=normal(), y=nonzero())

# One operand a constant: only the other side's adjoint is emitted.
row(operator.add, "x + 1.5", x=normal(3, 4))
row(operator.sub, "2.0 - x", x=normal(3, 4))
row(operator.mul, "3.0 * x", x=normal(3, 4))
row(operator.mul, "x * w", x=normal(3, 4), const={"w": Const(np.linspace(-1, 1, 4))})
row(operator.truediv, "1.0 / x", x=nonzero(3, 4))
row(operator.truediv, "x / 4.0", x=normal())
row(operator.pow, "x ** 3", x=normal(3, 4))
row(operator.pow, "x ** 2", x=normal())
row(operator.pow, "x ** 0.5", x=positive(3, 4))
row(operator.pow, "2.0 ** x", x=normal(3, 4))
row(np.power, "np.power(x, 3)", x=normal(5))

# x % y: stay inside one branch of floor(x / y); the points are placed by hand.
_MOD_Y = np.linspace(1.1, 1.9, 12).reshape(3, 4)
_MOD_X = _MOD_Y * (
    np.array([-2, -1, 0, 1, 2, 3] * 2).reshape(3, 4) + np.linspace(0.2, 0.8, 12).reshape(3, 4)
)
row(operator.mod, "x % y", x=Fixed(_MOD_X, "3x4"), y=Fixed(_MOD_Y, "3x4"))
row(operator.mod, "x % y", x=Fixed(_MOD_X, "3x4"), y=Fixed(_MOD_Y[0], "4"))
row(operator.mod, "x % 1.5", x=Fixed(_MOD_X, "3x4"))
row(operator.mod, "x % y", x=Fixed(5.3), y=Fixed(1.7))
row(np.mod, "np.mod(x, y)", x=Fixed(_MOD_X, "3x4"), y=Fixed(_MOD_Y, "3x4"))
row(np.remainder, "np.remainder(x, y)", x=Fixed(_MOD_X[:, :1], "3x1"), y=Fixed(_MOD_Y[:1], "1x4"))

# maximum / minimum: distinct values, broadcasting, relu, and exact two-way ties.
_TIE_X = [[1.0, -2.0, 0.5], [3.0, 3.0, -1.0]]
_TIE_Y = [[1.0, 0.0, 0.5], [2.0, 3.0, -1.5]]
for fn, name in [
    (np.maximum, "maximum"),
    (np.fmax, "fmax"),
    (np.minimum, "minimum"),
    (np.fmin, "fmin"),
]:
    row(fn, f"np.{name}(x, y)", x=normal(3, 4), y=normal(3, 4))
    row(fn, f"np.{name}(x, y)", x=normal(3, 1), y=normal(1, 4))
    row(fn, f"np.{name}(x, y)", x=Fixed(_TIE_X, "ties"), y=Fixed(_TIE_Y, "ties"))
    row(fn, f"np.{name}(x, 0.0)", x=nonzero(3, 4))
row(np.maximum, "np.maximum(x, y)", x=normal(), y=normal())

# where: the condition picks per element, broadcasting x and y against it; clip: both bounds,
# one bound (None), bounds as arrays that are differentiated too.
_MASK = Const([[True, False, True, False], [False, False, True, True], [True, True, False, True]])
row(np.where, "np.where(c, x, y)", x=normal(3, 4), y=normal(3, 4), const={"c": _MASK})
row(np.where, "np.where(c, x, y)", x=normal(3, 1), y=normal(4), const={"c": _MASK})
row(np.where, "np.where(x > 0, x, 0.1 * x)", x=nonzero(3, 4))
row(np.where, "np.where(c, x, 0.0)", x=normal(), const={"c": Const(True)})
row(np.clip, "np.clip(x, -0.5, 0.5)", x=Fixed([-1.0, -0.2, 0.3, 0.9], "inside-and-out"))
row(np.clip, "np.clip(x, None, 0.5)", x=Fixed([-1.0, -0.2, 0.3, 0.9], "upper-only"))
row(
    np.clip,
    "np.clip(x, lo, hi)",
    x=Fixed([-1.0, -0.2, 0.3, 0.9], "xs"),
    lo=Fixed([-0.5, -0.5, 0.5, -0.5], "lo"),
    hi=Fixed([0.5, 0.5, 0.6, 0.8], "hi"),
)
row(np.clip, "x.clip(0.0, 1.0)", x=Fixed([[-0.3, 0.2], [0.7, 1.4]], "2x2"))

# Unary operators and abs.
row(operator.neg, "-x", x=normal(3, 4))
row(operator.neg, "-x", x=normal())
row(np.negative, "np.negative(x)", x=normal(3, 4))
row(operator.pos, "+x", x=normal(3, 4))
row(operator.pos, "+x", x=normal())
row(np.positive, "np.positive(x)", x=normal(3, 4))
row(builtins.abs, "abs(x)", x=nonzero(3, 4))
row(builtins.abs, "abs(x)", x=nonzero())
row(np.abs, "np.abs(x)", x=nonzero(3, 4))
row(np.absolute, "np.absolute(x)", x=nonzero(2, 3, 2))
row(np.reciprocal, "np.reciprocal(x)", x=nonzero(3, 4))
row(np.reciprocal, "np.reciprocal(x)", x=nonzero())

# ---- unary elementwise ufuncs ------------------------------------------------------------------

UNARY = [
    (np.exp, normal), (np.exp2, normal), (np.expm1, normal),
    (np.log, positive), (np.log2, positive), (np.log10, positive), (np.log1p, positive),
    (np.sqrt, positive), (np.cbrt, nonzero), (np.square, normal),
    (np.sin, normal), (np.cos, normal), (np.tan, unit),
    (np.arcsin, unit), (np.arccos, unit), (np.arctan, normal),
    (np.sinh, normal), (np.cosh, normal), (np.tanh, normal),
    (np.arcsinh, normal), (np.arccosh, above_one), (np.arctanh, unit),
]  # fmt: skip
for fn, domain in UNARY:
    row(fn, f"np.{fn.__name__}(x)", x=domain(3, 4))
    row(fn, f"np.{fn.__name__}(x)", x=domain())

# ---- the math module, on Python floats ---------------------------------------------------------

MATH_UNARY = [
    (math.exp, normal), (math.expm1, normal), (math.log1p, positive),
    (math.log2, positive), (math.log10, positive), (math.log, positive), (math.sqrt, positive),
    (math.sin, normal), (math.cos, normal), (math.tan, unit),
    (math.asin, unit), (math.acos, unit), (math.atan, normal),
    (math.sinh, normal), (math.cosh, normal), (math.tanh, normal),
    (math.asinh, normal), (math.acosh, above_one), (math.atanh, unit),
    (math.erf, normal), (math.erfc, normal),
]  # fmt: skip
for fn, domain in MATH_UNARY:
    row(fn, f"math.{fn.__name__}(x)", x=domain())
row(math.log, "math.log(x, 2.0)", x=positive())
row(math.log, "math.log(x, 10)", x=positive())
row(math.fabs, "math.fabs(x)", x=Fixed(-1.3, "negative"))
row(math.fabs, "math.fabs(x)", x=Fixed(0.7, "positive"))
row(math.pow, "math.pow(x, y)", x=positive(), y=normal())
row(math.pow, "math.pow(x, 3.0)", x=Fixed(-1.3, "negative"))
row(math.atan2, "math.atan2(x, y)", x=normal(), y=nonzero())
row(math.atan2, "math.atan2(x, y)", x=Fixed(0.4, "positive"), y=Fixed(-1.1, "negative"))
row(math.hypot, "math.hypot(x, y)", x=normal(), y=nonzero())
row(math.copysign, "math.copysign(x, y)", x=nonzero(), y=nonzero())
row(math.copysign, "math.copysign(x, -2.0)", x=nonzero())

# ---- reductions --------------------------------------------------------------------------------

REDUCE = [
    ("", (3, 4)),
    ("", (5,)),
    (", axis=0", (3, 4)),
    (", axis=1, keepdims=True", (3, 4)),
    (", keepdims=True", (3, 4)),
    (", axis=-1", (2, 3, 4)),
    (", axis=(0, 2)", (2, 3, 4)),
    (", axis=(0, 2), keepdims=True", (2, 3, 4)),
]
for args, shape in REDUCE:
    row(np.sum, f"np.sum(x{args})", x=normal(*shape))
    row(np.mean, f"np.mean(x{args})", x=normal(*shape))
    row(np.prod, f"np.prod(x{args})", x=nonzero(*shape))
    row(np.max, f"np.max(x{args})", x=normal(*shape))
    row(np.min, f"np.min(x{args})", x=normal(*shape))
row(np.sum, "np.sum(x, 1)", x=normal(3, 4))
row(np.sum, "x.sum(axis=0)", x=normal(3, 4))
row(np.mean, "x.mean()", x=normal(3, 4))
row(np.sum, "np.sum(x) * y", x=normal(), y=normal())  # a Python float: the adjoint is g
row(np.mean, "np.mean(x * y)", x=normal(), y=normal())
row(np.prod, "x.prod(axis=1)", x=nonzero(3, 4))
row(np.max, "x.max(axis=0)", x=normal(3, 4))
row(np.min, "x.min()", x=normal(3, 4))
row(np.amax, "np.amax(x, axis=1)", x=normal(3, 4))
row(np.amax, "np.amax(x, axis=1, keepdims=True)", x=normal(3, 4))
row(np.amin, "np.amin(x, axis=0, keepdims=True)", x=normal(3, 4))
for fn, name in [(np.max, "max"), (np.amax, "amax"), (np.min, "min"), (np.amin, "amin")]:
    row(fn, f"np.{name}(x * y)", x=normal(), y=normal())  # Python floats: not arrays

# prod with zeros: the adjoint of a zero entry is the product of the others.
_ZEROS = [[0.0, 1.5, -0.7, 1.2], [0.9, 0.0, 0.0, 1.1], [1.3, -0.8, 0.6, 1.4]]
row(np.prod, "np.prod(x, axis=1)", x=Fixed(_ZEROS, "zeros"))
row(np.prod, "np.prod(x, axis=0)", x=Fixed(_ZEROS, "zeros"))
row(np.prod, "np.prod(x)", x=Fixed([0.5, 0.0, -2.0, 1.5], "zero"))

# max/min with two-way ties: the tied elements share the adjoint half and half.
_TIES = [[1.0, 3.0, 3.0, 0.0], [2.0, -1.0, 2.0, 0.5], [0.0, -4.0, -4.0, 0.0]]
for fn, name in [(np.max, "max"), (np.min, "min")]:
    row(fn, f"np.{name}(x, axis=1)", x=Fixed(_TIES, "ties"))
    row(fn, f"np.{name}(x)", x=Fixed(_TIES, "ties"))
    row(fn, f"np.{name}(x, axis=0, keepdims=True)", x=Fixed(_TIES, "ties"))

# ---- indexing and shapes -----------------------------------------------------------------------

for expr, shape in [
    ("x[1]", (4, 5)),
    ("x[-1, 2]", (4, 5)),
    ("x[2]", (5,)),
    ("x[1:3]", (4, 5)),
    ("x[:, ::2]", (4, 5)),
    ("x[::-1, 1:4]", (4, 5)),
    ("x[[0, 0, 2], 1:]", (4, 5)),
    ("x[[0, 2, 0], [1, 3, 1]]", (4, 5)),
    ("x[..., 0]", (2, 3, 4)),
    ("x[:, None, 1]", (4, 5)),
    ("x[x > 0]", (4, 5)),
]:
    row(operator.getitem, expr, x=normal(*shape))
row(operator.getitem, "(2.0 * x)[1:3, ::2]", x=normal(4, 5))  # a computed array, not an argument
row(operator.getitem, "x[idx]", x=normal(4, 5), const={"idx": Const([3, 0, 3, 1])})
row(operator.getitem, "x[idx]", x=normal(6), const={"idx": Const([3, 0, 3, 1, -1, 5])})
row(operator.getitem, "x[mask]", x=normal(4, 5), const={"mask": Const([True, False, True, True])})
row(operator.getitem, "x[:, idx] * y", x=normal(4, 5), y=normal(2), const={"idx": Const([4, 4])})

row(np.reshape, "np.reshape(x, (4, 3))", x=normal(3, 4))
row(np.reshape, "np.reshape(x, (2, -1, 2))", x=normal(3, 4))
row(np.reshape, "np.reshape(x, -1)", x=normal(2, 3, 2))
row(np.reshape, "np.reshape(x, (4, 3), order='F')", x=normal(3, 4))
row(np.reshape, "x.reshape(6, 2)", x=normal(3, 4))
row(np.reshape, "x.reshape((2, 6))", x=normal(3, 4))
row(np.ravel, "np.ravel(x)", x=normal(3, 4))
row(np.ravel, "np.ravel(x, order='F')", x=normal(2, 3, 2))
row(np.ravel, "x.ravel()", x=normal(3, 4))
row(np.transpose, "np.transpose(x)", x=normal(3, 4))
row(np.transpose, "np.transpose(x)", x=normal(2, 3, 4))
row(np.transpose, "np.transpose(x, (1, 2, 0))", x=normal(2, 3, 4))
row(np.transpose, "np.transpose(x, axes=(2, 0, 1))", x=normal(2, 3, 4))
row(np.transpose, "x.T", x=normal(3, 4))
row(np.transpose, "x.transpose(1, 0)", x=normal(3, 4))
row(np.squeeze, "np.squeeze(x)", x=normal(3, 1, 4))
row(np.squeeze, "np.squeeze(x, axis=1)", x=normal(3, 1, 4))
row(np.squeeze, "np.squeeze(x, 0)", x=normal(1, 3))
row(np.squeeze, "x.squeeze()", x=normal(1, 3, 1))
row(np.expand_dims, "np.expand_dims(x, 0)", x=normal(3, 4))
row(np.expand_dims, "np.expand_dims(x, axis=-1)", x=normal(3, 4))
row(np.expand_dims, "np.expand_dims(x, (0, 2))", x=normal(3, 4))
row(np.copy, "np.copy(x)", x=normal(3, 4))
row(np.copy, "x.copy()", x=normal(3, 4))

# ---- products ----------------------------------------------------------------------------------

MATMUL = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
]
for sx, sy in MATMUL:
    row(operator.matmul, "x @ y", x=normal(*sx), y=normal(*sy))
for sx, sy in [
    ((3, 4), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((4,), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
]:
    row(np.matmul, "np.matmul(x, y)", x=normal(*sx), y=normal(*sy))
row(
    operator.matmul, "x @ w", x=normal(3, 4), const={"w": Const(np.arange(20.0).reshape(4, 5) / 10)}
)
row(operator.matmul, "w @ y", y=normal(4), const={"w": Const(np.arange(12.0).reshape(3, 4) / 10)})

DOT = [
    ((3, 4), (4, 5)),
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((), (3, 4)),
    ((3, 4), ()),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
    ((4,), (5, 4, 2)),
    ((2, 3, 4), (4,)),
]
for sx, sy in DOT:
    row(np.dot, "np.dot(x, y)", x=normal(*sx), y=normal(*sy))
row(np.dot, "x.dot(y)", x=normal(3, 4), y=normal(4, 2))

row(np.outer, "np.outer(x, y)", x=normal(3), y=normal(4))
row(np.outer, "np.outer(x, y)", x=normal(2, 3), y=normal(4))
row(np.vdot, "np.vdot(x, y)", x=normal(3, 4), y=normal(3, 4))
row(np.vdot, "np.vdot(x, y)", x=normal(5), y=normal(5))

# Python's own max, min and pow of two numbers
row(builtins.max, "max(x, y)", x=Fixed(0.3), y=Fixed(-0.2))
row(builtins.min, "min(x, y) * x", x=Fixed(0.3), y=Fixed(-0.2))
row(builtins.pow, "pow(x, y)", x=positive(), y=normal())

# ... and of one iterable: a 1-D array or a list of numbers, distinct values (or an exact two-way
# tie, which shares the adjoint half and half as np.max does)
_DISTINCT = Fixed([0.4, -1.3, 2.1, 0.9, -0.2], "distinct")
row(builtins.max, "max(x)", x=_DISTINCT)
row(builtins.min, "min(x)", x=_DISTINCT)
row(builtins.max, "max(x) - min(x)", x=_DISTINCT)
row(builtins.max, "max([x, y * 2.0, z])", x=Fixed(0.3), y=Fixed(0.7), z=Fixed(-0.5))
row(builtins.min, "min([x, y, 1.5]) * y", x=Fixed(0.3), y=Fixed(-0.6))
row(builtins.min, "min((x, y, z))", x=Fixed(0.3), y=Fixed(-0.6), z=Fixed(0.1))
row(builtins.max, "max([x, y, z])", x=Fixed(1.2), y=Fixed(-0.4), z=Fixed(1.2))
row(builtins.max, "max(x * y)", x=Fixed([0.5, -1.5, 1.0], "distinct"), y=normal())

# conversions that keep the value
row(builtins.float, "float(np.sum(x))", x=normal(3))
row(np.float64, "np.float64(x) * x", x=normal())
row(np.asarray, "np.asarray(x) * x", x=normal(2, 3))
row(srcgrad_runtime.astype, "(x * 2).astype(np.float64)", x=normal(3))
row(srcgrad_runtime.item, "x.item() * y", x=normal(1, 1), y=normal(3))
row(np.cov, "np.cov(x)", x=normal(3, 5))
row(np.cov, "np.cov(x, rowvar=False, bias=True)", x=normal(5, 2))
row(np.cov, "np.cov(x, ddof=0) * y", x=normal(6), y=normal())
row(np.cov, "np.cov(x, rowvar=False)", x=normal(7))  # one variable: a 1-d array is not flipped
# a dict's views and `for k in d` (normalize/method_calls.py, normalize/loops.py)
row(srcgrad_runtime.dict_values, "sum({'a': x, 'b': x * y}.values())", x=normal(3), y=normal(3))
row(
    srcgrad_runtime.dict_items,
    "np.stack([v * len(k) for k, v in {'a': x, 'bc': y}.items()])",
    x=normal(3),
    y=normal(3),
)
row(srcgrad_runtime.iterated, "srcgrad_runtime.iterated(x) * y", x=normal(3), y=normal(3))
row(srcgrad_runtime.sigmoid, "1 / (1 + np.exp(-x))", x=normal(3, 4))  # (normalize/idioms.py)
row(srcgrad_runtime.sigmoid, "1.0 / (np.exp(-(x * y)) + 1.0)", x=normal(3, 1), y=normal(4))
row(srcgrad_runtime.item, "np.sum(x * x).item() * y", x=normal(3), y=normal())

# srcgrad's own helpers that generated forward code calls (differentiated again for Hessians)
row(
    srcgrad_runtime.tangent_like,
    "srcgrad_runtime.tangent_like(x * 2.0, y)",
    const={"y": Const(np.zeros((2, 3)))},
    x=normal(3),
)
row(
    srcgrad_runtime.real_tangent,
    "srcgrad_runtime.real_tangent(x * 3.0, y)",
    const={"y": Const(np.zeros(3))},
    x=normal(3),
)
row(
    srcgrad_runtime.choose_adjoint,
    "srcgrad_runtime.choose_adjoint(g, np.max(a), a)",
    const={"a": Const([[1.0, 3.0], [3.0, 0.5]])},
    g=normal(),
)
row(
    srcgrad_runtime.choose_adjoint,
    "srcgrad_runtime.choose_adjoint(g, np.max(a, axis=0), a, 0)",
    const={"a": Const([[1.0, 3.0, 2.0], [1.0, 0.5, 4.0]])},
    g=normal(3),
)

row(
    srcgrad_runtime.permuted,
    "srcgrad_runtime.permuted(x, [2, 0, 1])",
    x=normal(3),
)
row(
    srcgrad_runtime.permuted,
    "srcgrad_runtime.permuted([x, y * 2.0], [1, 0])[0]",
    x=normal(),
    y=normal(),
)

# builtins.sum over a Python list of active values (and a start value)
row(builtins.sum, "sum([x, y * 2.0])", x=normal(3), y=normal(3))
row(builtins.sum, "sum([x * x, x], y)", x=normal(2, 3), y=normal(2, 3))
row(operator.mul, "x * x", x=normal(3, 4))
row(np.multiply, "np.multiply(x, x)", x=normal(3))
row(operator.mul, "x * x * y", x=normal(3, 1), y=normal(4))


# ---- rows kept in their own files, one per family of rules ------------------------------------
# (imported last: they use `row` and the input factories above)
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import rows_elementwise  # noqa: E402, F401
import rows_linalg  # noqa: E402, F401
import rows_shaping  # noqa: E402, F401
