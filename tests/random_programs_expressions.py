"""Random NumPy expressions over typed variables, for the random-program tester.

Every expression made here is valid where it is evaluated, and smooth enough there for central
finite differences to be a reference:

* its shape is known (NumPy itself computes it for broadcasting, indexing, reductions, `@`);
* `Bounds` holds an interval that every element of its value lies in, whatever the inputs are
  (each input lies in a known interval): `log`, `sqrt` and divisors only see values >= 0.3,
  `exp` never sees more than 2, and a value that could exceed `LIMIT` in magnitude is squashed
  with `np.tanh` before it is used. Kinks (`maximum`, `where`) are left in; the tester rejects
  the rare program that lands on one.

Choices are drawn through `Chooser`, whose simplest answer is always the first option or zero,
so that hypothesis shrinks towards short programs made of the plainest constructs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import hypothesis.strategies as st
import numpy as np

LIMIT = 4.0  # largest magnitude a value may reach before it is squashed
MAX_SIZE = 64  # largest number of elements a broadcast may create
CONSTANTS = (0.5, 2.0, 1.5, -1.0, 0.25, 3.0, -0.5, 0.75)


# ================================================================ intervals and values


@dataclass(frozen=True)
class Bounds:
    """Every element of a value lies in [lo, hi]."""

    lo: float
    hi: float

    def __add__(self, other: Bounds) -> Bounds:
        return Bounds(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Bounds) -> Bounds:
        return Bounds(self.lo - other.hi, self.hi - other.lo)

    def __mul__(self, other: Bounds) -> Bounds:
        products = [a * b for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Bounds(min(products), max(products))

    def scaled(self, factor: float) -> Bounds:
        return self * Bounds(factor, factor)

    def hull(self, other: Bounds) -> Bounds:
        return Bounds(min(self.lo, other.lo), max(self.hi, other.hi))

    def within(self, other: Bounds) -> bool:
        return other.lo <= self.lo and self.hi <= other.hi

    def mapped(self, increasing) -> Bounds:
        return Bounds(float(increasing(self.lo)), float(increasing(self.hi)))

    @property
    def size(self) -> float:
        return max(abs(self.lo), abs(self.hi))

    def symmetric(self) -> Bounds:
        """The smallest [-m, m] (m >= 1) holding these bounds: a loop invariant that `v * t` and
        `0.5 * v + 0.5 * t` keep for any t in [-1, 1]."""
        m = max(self.size, 1.0)
        return Bounds(-m, m)


UNIT = Bounds(-1.0, 1.0)


@dataclass(frozen=True)
class Value:
    """An expression, or a variable, of the generated code.

    `owned`: a new object nobody else refers to, which may be updated in place (a view, an alias
    or an argument is not; Python floats and NumPy scalars are immutable, so always owned).
    `base`: the variable this expression's array shares memory with, if any.
    `integer`: a Python int (a loop counter), read but never differentiated.
    `length`: for a list, (fewest, most) elements; `shape` and `bounds` are its elements'.
    """

    text: str
    shape: tuple[int, ...]
    bounds: Bounds
    atom: bool = True
    python: bool = False
    owned: bool = True
    base: str | None = None
    integer: bool = False
    length: tuple[int, int] | None = None

    @property
    def operand(self) -> str:
        return self.text if self.atom else f"({self.text})"

    @property
    def is_float(self) -> bool:
        return self.length is None and not self.integer


def constant(c: float) -> Value:
    return Value(repr(c), (), Bounds(c, c), atom=c >= 0, python=True)


@dataclass(frozen=True)
class Fit:
    """The shapes an expression may have: broadcastable with every shape in `alongside`, and,
    when `into` is given, broadcasting into `into` without making it bigger."""

    into: tuple[int, ...] | None = None
    alongside: tuple[tuple[int, ...], ...] = ()

    def allows(self, shape: tuple[int, ...]) -> bool:
        try:
            joint = np.broadcast_shapes(shape, *self.alongside)
            if self.into is not None:
                return np.broadcast_shapes(joint, self.into) == self.into
        except ValueError:
            return False
        return len(joint) <= 3 and 0 < math.prod(joint) <= MAX_SIZE

    def beside(self, shape: tuple[int, ...]) -> Fit:
        return Fit(self.into, (*self.alongside, shape))


ANY = Fit()


# ================================================================ choices


class Chooser:
    """Hypothesis draws, each shrinking towards its first option (or zero, or False)."""

    def __init__(self, draw):
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def choice(self, options):
        options = list(options)
        return options[self.integer(0, len(options) - 1)]

    def weighted(self, table):
        """One of the options of [(option, weight), ...] with weight > 0."""
        table = [(option, weight) for option, weight in table if weight > 0]
        point = self.integer(0, sum(weight for _, weight in table) - 1)
        for option, weight in table:
            if point < weight:
                return option
            point -= weight
        raise AssertionError("unreachable")

    def maybe(self, percent: int) -> bool:
        return self.integer(0, 99) >= 100 - percent


# ================================================================ expressions


def _call(function: str, *arguments: Value, shape, bounds, **flags) -> Value:
    text = f"{function}({', '.join(a.text for a in arguments)})"
    return Value(text, shape, bounds, **flags)


def _broadcast(*values: Value) -> tuple[int, ...]:
    return np.broadcast_shapes(*(v.shape for v in values))


def index_shape(shape: tuple[int, ...], index) -> tuple[int, ...] | None:
    try:
        return np.zeros(shape)[index].shape
    except (IndexError, ValueError, TypeError):
        return None


class Expressions(Chooser):
    """Builds expressions from the variables in `self.env` (name -> Value)."""

    env: dict[str, Value]

    # ---------------------------------------------------------------- leaves

    def variables(self, fit: Fit = ANY, *, arrays: bool = False) -> list[Value]:
        found = []
        for name, var in self.env.items():
            if not var.is_float or not fit.allows(var.shape):
                continue
            if arrays and var.shape == ():
                continue
            found.append(self.read(name))
        return found

    def read(self, name: str) -> Value:
        """The expression that reads variable `name`: an alias of it, unless it is a scalar."""
        var = self.env[name]
        if var.shape == ():
            return replace(var, text=name, atom=True, base=None)
        return replace(var, text=name, atom=True, owned=False, base=name)

    def list_reads(self, fit: Fit) -> list[Value]:
        found = []
        for name, var in self.env.items():
            if var.length is None or var.length[0] == 0 or not fit.allows(var.shape):
                continue
            for position in (0, var.length[0] - 1, -1):
                found.append(Value(f"{name}[{position}]", var.shape, var.bounds, owned=False))
            for counter in self.counters():
                if counter.bounds.lo >= 0 and counter.bounds.hi < var.length[0]:
                    text = f"{name}[{counter.text}]"
                    found.append(Value(text, var.shape, var.bounds, owned=False))
        return found

    def counters(self) -> list[Value]:
        """Loop counters that index: Python ints with known bounds."""
        return [replace(v, text=name) for name, v in self.env.items() if v.integer and v.atom]

    def leaf(self, fit: Fit) -> Value:
        options = self.variables(fit) + self.list_reads(fit)
        if options and not self.maybe(10):
            return self.choice(options)
        if self.maybe(50):
            everything = self.variables(ANY, arrays=True)
            if everything:
                return self.reduce_all(self.choice(everything))
        return constant(self.choice(CONSTANTS))

    # ---------------------------------------------------------------- guards

    def squashed(self, value: Value, limit: float = LIMIT) -> Value:
        if value.bounds.size <= limit:
            return value
        return _call("np.tanh", value, shape=value.shape, bounds=value.bounds.mapped(np.tanh))

    def unit(self, value: Value) -> Value:
        """The value, squashed into [-1, 1]."""
        return self.squashed(value, 1.0)

    def fresh(self, value: Value) -> Value:
        """The value as a new object (no alias or view of anything)."""
        if value.owned:
            return value
        how = self.choice(["np.tanh", "np.sin", "scale"])
        if how == "scale":
            return Value(f"0.5 * {value.operand}", value.shape, value.bounds.scaled(0.5), False)
        m = min(value.bounds.size, 1.0)  # |tanh(x)| and |sin(x)| are at most min(|x|, 1)
        return _call(how, value, shape=value.shape, bounds=Bounds(-m, m))

    def positive(self, value: Value) -> Value:
        """A value >= 0.3 made from `value`."""
        if value.bounds.lo >= 0.3 and value.bounds.hi <= 2 * LIMIT:
            return value
        value = self.squashed(value)
        shape, b = value.shape, value.bounds
        how = self.weighted([("square", 2), ("sin", 2), ("tanh", 2), ("exp", 2 * (b.size <= 1.2))])
        if how == "square":
            high = 1.0 + b.size**2
            return Value(f"1.0 + {value.operand} ** 2", shape, Bounds(1.0, high), atom=False)
        if how == "sin":
            return Value(f"2.0 + np.sin({value.text})", shape, Bounds(1.0, 3.0), atom=False)
        if how == "tanh":
            return Value(f"1.5 + np.tanh({value.text})", shape, Bounds(0.5, 2.5), atom=False)
        return _call("np.exp", value, shape=shape, bounds=b.mapped(math.exp))

    # ---------------------------------------------------------------- the expression builder

    def expression(self, depth: int, fit: Fit = ANY) -> Value:
        """A random expression of at most `depth` nested operations whose shape `fit` allows."""
        if depth <= 0:
            return self.leaf(fit)
        kind = self.weighted(
            [
                ("leaf", 2),
                ("unary", 4),
                ("binary", 5),
                ("reduce", 2),
                ("index", 3),
                ("divide", 1),
                ("extremum", 1),
                ("where", 1),
                ("matmul", 1),
                ("conditional", 1),
            ]
        )
        made = getattr(self, f"_{kind}")(depth - 1, fit)
        if made is None:
            made = self.leaf(fit)
        assert fit.allows(made.shape), (made, fit)
        return self.squashed(made)

    def _leaf(self, depth: int, fit: Fit) -> Value:
        return self.leaf(fit)

    def _unary(self, depth: int, fit: Fit) -> Value:
        x = self.expression(depth, fit)
        how = self.choice(["tanh", "sin", "exp", "log", "sqrt", "square", "negative", "cos"])
        shape, b = x.shape, x.bounds
        if how == "tanh":
            return _call("np.tanh", x, shape=shape, bounds=b.mapped(np.tanh))
        if how in ("sin", "cos"):
            return _call(f"np.{how}", x, shape=shape, bounds=UNIT)
        if how == "exp":
            x = self.squashed(x, 2.0)
            return _call("np.exp", x, shape=shape, bounds=x.bounds.mapped(math.exp))
        if how in ("log", "sqrt"):
            p = self.positive(x)
            return _call(f"np.{how}", p, shape=shape, bounds=p.bounds.mapped(getattr(math, how)))
        if how == "square":
            low = 0.0 if b.lo <= 0.0 <= b.hi else min(b.lo**2, b.hi**2)
            return Value(f"{x.operand} ** 2", shape, Bounds(low, b.size**2), False, x.python)
        return Value(f"-{x.operand}", shape, Bounds(-b.hi, -b.lo), False, x.python)

    def _binary(self, depth: int, fit: Fit) -> Value:
        x = self.expression(depth, fit)
        y = self.expression(depth, fit.beside(x.shape))
        counters = self.counters()
        if counters and self.maybe(15):  # scale by a loop counter: (k + 1) * x
            k = self.choice(counters)
            y = Value(f"{k.text} + 1", (), k.bounds + Bounds(1, 1), False, True)
        op = self.choice(["+", "*", "-"])
        bounds = {"+": x.bounds + y.bounds, "-": x.bounds - y.bounds, "*": x.bounds * y.bounds}
        python = x.python and y.python
        return Value(f"{x.operand} {op} {y.operand}", _broadcast(x, y), bounds[op], False, python)

    def _divide(self, depth: int, fit: Fit) -> Value:
        x = self.expression(depth, fit)
        p = self.positive(self.expression(depth, fit.beside(x.shape)))
        b = x.bounds * Bounds(1.0 / p.bounds.hi, 1.0 / p.bounds.lo)
        python = x.python and p.python
        return Value(f"{x.operand} / {p.operand}", _broadcast(x, p), b, False, python)

    def _extremum(self, depth: int, fit: Fit) -> Value:
        x = self.expression(depth, fit)
        y = self.expression(depth, fit.beside(x.shape))
        how = self.choice(["maximum", "minimum"])
        pick = max if how == "maximum" else min
        b = Bounds(pick(x.bounds.lo, y.bounds.lo), pick(x.bounds.hi, y.bounds.hi))
        return _call(f"np.{how}", x, y, shape=_broadcast(x, y), bounds=b)

    def _where(self, depth: int, fit: Fit) -> Value:
        left = self.leaf(fit)
        right = self.leaf(fit.beside(left.shape))
        fit = fit.beside(left.shape).beside(right.shape)
        x = self.expression(depth, fit)
        y = self.expression(depth, fit.beside(x.shape))
        shape = _broadcast(left, right, x, y)
        if shape == ():  # np.where of scalars makes a 0-d array: keep to real arrays
            return None
        test = Value(f"{left.operand} > {right.operand}", (), UNIT, False)
        return _call("np.where", test, x, y, shape=shape, bounds=x.bounds.hull(y.bounds))

    def _conditional(self, depth: int, fit: Fit) -> Value:
        # `a if t else b` may alias a or b, which srcgrad's alias analysis does not see
        x = self.fresh(self.expression(depth, fit))
        y = self.fresh(self.exactly(x.shape, depth))
        test = self.condition()
        text = f"{x.operand} if {test} else {y.operand}"
        return Value(text, x.shape, x.bounds.hull(y.bounds), False, x.python and y.python)

    def reduce_all(self, x: Value) -> Value:
        how = self.choice(["sum", "mean", "max"])
        b = x.bounds.scaled(math.prod(x.shape)) if how == "sum" else x.bounds
        b = b.hull(x.bounds) if how == "sum" else b
        return _call(f"np.{how}", x, shape=(), bounds=b)

    def _reduce(self, depth: int, fit: Fit) -> Value | None:
        x = self.expression(depth)
        if x.shape == ():
            return None
        ndim = len(x.shape)
        axes = list(range(-ndim, ndim)) + ([(0, 1)] if ndim >= 2 else [])
        options = [None]
        for axis in axes:
            for keepdims in (False, True):
                shape = np.sum(np.zeros(x.shape), axis=axis, keepdims=keepdims).shape
                if fit.allows(shape):
                    options.append((axis, keepdims, shape))
        chosen = self.choice(options)
        if chosen is None:
            return self.reduce_all(x) if fit.allows(()) else None
        axis, keepdims, shape = chosen
        how = self.choice(["sum", "mean", "max"])
        count = math.prod(x.shape) // max(1, math.prod(shape))
        b = x.bounds.scaled(count).hull(x.bounds) if how == "sum" else x.bounds
        arguments = f"axis={axis}" + (", keepdims=True" if keepdims else "")
        if x.atom and self.maybe(40):  # the method spelling: x.sum(axis=0)
            return Value(f"{x.text}.{how}({arguments})", shape, b)
        return Value(f"np.{how}({x.text}, {arguments})", shape, b)

    def _index(self, depth: int, fit: Fit) -> Value | None:
        arrays = self.variables(arrays=True)
        if not arrays:
            return None
        x = self.choice(arrays)
        if self.maybe(15):  # an index of an expression: (x * 2.0)[0]
            x = self._unary(0, Fit(x.shape))
            if x.shape == ():
                return None
        for _ in range(3):
            text, index, last, fancy = self.index_for(x.shape)
            shape = index_shape(x.shape, index)
            valid = index_shape(x.shape, last) == shape
            if shape is not None and valid and fit.allows(shape):
                # NumPy copies for a fancy index, but srcgrad takes every index for a view;
                # x[1] of a vector is a number, x[..., 1] a 0-d view of x
                owned = shape == () and "..." not in text and "None" not in text
                base = None if owned or fancy else x.base
                return Value(f"{x.operand}[{text}]", shape, x.bounds, owned=owned, base=base)
        return None

    def index_for(self, shape: tuple[int, ...]) -> tuple[str, tuple, tuple, bool]:
        """An index into an array of `shape`: its text, the index itself at the first and at the
        last value of the loop counters it reads, and whether it is fancy (makes a copy)."""
        texts, parts, lasts, fancy = [], [], [], False
        if self.maybe(10):
            texts.append("...")
            parts.append(Ellipsis)
            lasts.append(Ellipsis)
            axes = [len(shape) - 1]
        else:
            axes = range(self.integer(1, len(shape)))
        for axis in axes:
            n = shape[axis]
            kind = self.weighted([("int", 4), ("slice", 3), ("list", 2 * (not fancy)), ("new", 1)])
            if kind == "int":
                i = self.integer(-n, n - 1)
                counters = [k for k in self.counters() if -n <= k.bounds.lo and k.bounds.hi < n]
                if counters and self.maybe(40):
                    k = self.choice(counters)
                    texts.append(k.text)
                    parts.append(int(k.bounds.lo))
                    lasts.append(int(k.bounds.hi))
                    continue
                texts.append(str(i))
                parts.append(i)
            elif kind == "slice":
                start, stop, step = self.choice(
                    [
                        (None, None, None),
                        (1, None, None),
                        (None, -1, None),
                        (None, None, 2),
                        (None, None, -1),
                        (0, 2, None),
                        (1, 3, None),
                    ]
                )
                text = ":".join("" if p is None else str(p) for p in (start, stop))
                texts.append(text + ("" if step is None else f":{step}"))
                parts.append(slice(start, stop, step))
            elif kind == "list":
                positions = [self.integer(0, n - 1) for _ in range(self.integer(1, 3))]
                texts.append(str(positions))
                parts.append(positions)
                fancy = True
            else:
                texts.append("None")
                parts.append(None)
            lasts.append(parts[-1])
        return ", ".join(texts), tuple(parts), tuple(lasts), fancy

    def _matmul(self, depth: int, fit: Fit) -> Value | None:
        pairs = []
        arrays = self.variables(arrays=True)
        arrays = [a for a in arrays if len(a.shape) <= 2]  # np.dot differs from @ past 2-d
        for a in arrays:
            for b in arrays:
                for left in (a, Value(f"{a.text}.T", a.shape[::-1], a.bounds, owned=False)):
                    try:
                        shape = np.matmul(np.zeros(left.shape), np.zeros(b.shape)).shape
                    except ValueError:
                        continue
                    if fit.allows(shape):
                        pairs.append((left, b, shape))
        if not pairs:
            return None
        left, right, shape = self.choice(pairs)
        if self.maybe(30):
            left = _call("np.tanh", left, shape=left.shape, bounds=left.bounds.mapped(np.tanh))
        terms = left.shape[-1]
        b = Bounds(-1, 1).scaled(terms * left.bounds.size * right.bounds.size)
        how = self.choice(["@", "np.matmul", "np.dot"])
        if how == "@":
            return Value(f"{left.operand} @ {right.operand}", shape, b, atom=False)
        return _call(how, left, right, shape=shape, bounds=b)

    # ---------------------------------------------------------------- shapes on demand

    def exactly(self, shape: tuple[int, ...], depth: int) -> Value:
        """An expression of exactly this shape."""
        x = self.expression(depth, Fit(shape))
        if x.shape == shape:
            return x
        same = [v for v in self.variables(Fit(shape)) if v.shape == shape]
        ones = Value(f"np.ones({shape!r})", shape, Bounds(1, 1))
        base = self.choice(same) if same else ones
        op = self.choice(["+", "*", "-"])
        bounds = {"+": base.bounds + x.bounds, "-": base.bounds - x.bounds}
        b = bounds.get(op, base.bounds * x.bounds)
        return self.squashed(Value(f"{base.operand} {op} {x.operand}", shape, b, False))

    def scalar(self) -> Value:
        """A scalar to test in a branch."""
        scalars = self.variables(Fit(()))
        scalars = [v for v in scalars if v.shape == ()]
        arrays = self.variables(arrays=True)
        kind = self.weighted([("scalar", 3 * bool(scalars)), ("reduce", 3), ("element", 2)])
        if kind == "scalar":
            return self.choice(scalars)
        if kind == "element" and arrays:
            x = self.choice(arrays)
            index = tuple(self.integer(0, n - 1) for n in x.shape)
            text = ", ".join(map(str, index))
            return Value(f"{x.text}[{text}]", (), x.bounds)
        if arrays:
            return self.reduce_all(self.choice(arrays))
        return self.reduce_all(self.expression(1))

    def threshold(self, bounds: Bounds) -> float:
        fraction = self.choice([0.5, 0.3, 0.7, 0.1, 0.9])
        return round(bounds.lo + fraction * (bounds.hi - bounds.lo), 3)

    def comparison(self) -> str:
        counters = self.counters()
        if counters and self.maybe(25):
            k = self.choice(counters)
            return self.choice([f"{k.text} % 2 == 0", f"{k.text} == 1", f"{k.text} > 0"])
        s = self.scalar()
        c = self.threshold(s.bounds)
        form = self.choice(["<", ">", "chain", ">=", "<="])
        if form == "chain":
            return f"{self.threshold(Bounds(s.bounds.lo - 1, c))} < {s.text} < {c}"
        return f"{s.operand} {form} {c}"

    def condition(self) -> str:
        first = self.comparison()
        how = self.weighted([("one", 8), ("and", 1), ("or", 1), ("not", 1)])
        if how == "not":
            return f"not {first}"
        if how == "one":
            return first
        return f"{first} {how} {self.comparison()}"
