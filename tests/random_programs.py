"""Random programs for srcgrad: a hypothesis strategy of modules with a function `f` to differentiate.

`programs(size)` draws a `Program`: the source of a module (`import numpy as np`, helper
functions, then `f`) and the arguments to call `f` with. The code is of the kinds README says
srcgrad differentiates: straight-line NumPy over scalars and arrays of broadcastable shapes,
reassignments, `if`/`elif`/`else` and conditional expressions on data, `for` (over `range`,
`reversed`, rows, `enumerate`, `zip`, lists) and `while` loops with loop-carried values,
`break` and `continue`, early `return`, helper functions (keyword and default arguments, tuple
results), in-place updates of arrays the function owns, and lists built with `append`.

What every program guarantees (see `random_programs_expressions` for expressions):

* it runs: indices are in range and shapes broadcast, also in every loop trip;
* its values stay bounded, also in loops: a value that a loop carries keeps to an interval
  fixed when the loop starts (`Frame.carried`): either [-m, m] (updates are squashed, or are
  `0.5 * v + ...`, `v * t` with |t| <= 1), or, for an accumulator, its start widened by one per
  trip (one `v += t` with |t| <= 1 per trip);
* it never updates an argument, an alias or a view in place, nor appends an alias to a list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import hypothesis.strategies as st
import numpy as np
from random_programs_expressions import (
    LIMIT,
    UNIT,
    Bounds,
    Expressions,
    Fit,
    Value,
)

MAX_NESTING = 2  # compound statements inside compound statements


@dataclass(frozen=True)
class Parameter:
    """An argument of `f`: "array", "float" (Python), "zero_d" (0-d array) or "int"."""

    name: str
    kind: str
    shape: tuple[int, ...] = ()
    low: float = -1.0
    high: float = 1.0

    def value(self, rng: np.random.Generator):
        if self.kind == "int":
            return int(self.low)
        drawn = rng.uniform(self.low, self.high, size=self.shape)
        if self.kind == "float":
            return float(drawn)
        return np.array(drawn)


@dataclass(frozen=True)
class Program:
    """A generated module: its source, `f`'s parameters and the seed of `f`'s arguments."""

    source: str
    parameters: tuple[Parameter, ...]
    seed: int

    def arguments(self) -> tuple:
        rng = np.random.default_rng(self.seed)
        return tuple(p.value(rng) for p in self.parameters)

    @property
    def wrt(self) -> tuple[int, ...]:
        return tuple(i for i, p in enumerate(self.parameters) if p.kind != "int")

    def __repr__(self) -> str:
        arguments = ", ".join(f"{p.name}={v!r}" for p, v in zip(self.parameters, self.arguments()))
        return f"\n{self.source}\n# f({arguments})\n"


@dataclass
class Frame:
    """A block being generated: the function body, a loop body or a branch."""

    kind: str  # "function", "loop" or "branch"
    outer: frozenset[str]  # the names visible when the block starts
    carried: dict[str, Bounds] = field(default_factory=dict)  # loop: what the body may rebind
    accumulators: set[str] = field(default_factory=set)  # loop: carried names grown by += t
    accumulated: set[str] = field(default_factory=set)  # loop: accumulators updated so far
    trips: int = 1  # loop: most trips
    returns: bool = False  # branch: ends in `return`


@dataclass
class Module:
    """What the functions of one generated module share."""

    helpers: list[str] = field(default_factory=list)  # helper sources, callees first
    signatures: list[Helper] = field(default_factory=list)


@dataclass(frozen=True)
class Helper:
    name: str
    parameters: tuple[Value, ...]  # text = the parameter's name
    default: float | None  # a last parameter `scale=default`, if any
    results: tuple[Value, ...]  # one value, or a tuple of two


# ================================================================ the builder


class Builder(Expressions):
    """Writes one function, statement by statement, keeping `env` (name -> Value) up to date."""

    def __init__(self, draw, module: Module, budget: int, level: int = 0):
        super().__init__(draw)
        self.module = module
        self.budget = budget
        self.level = level  # 0 for f, 1 for its helpers, ...
        self.env: dict[str, Value] = {}
        self.frames: list[Frame] = []
        self.lines: list[str] = []
        self.counter = 0

    # ---------------------------------------------------------------- bookkeeping

    def new_name(self, prefix: str = "v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, text: str) -> None:
        self.lines.append("    " * len(self.frames) + text)

    def enter(self, kind: str, **details) -> Frame:
        frame = Frame(kind, frozenset(self.env), **details)
        self.frames.append(frame)
        return frame

    def in_loop(self) -> Frame | None:
        return next((f for f in reversed(self.frames) if f.kind == "loop"), None)

    def bind(self, name: str, value: Value) -> None:
        """`name = value`: record the new variable (and that `value` aliases its base)."""
        if value.base is not None and value.base in self.env:
            self.env[value.base] = replace(self.env[value.base], owned=False)
        owned = value.owned and (value.base is None or value.shape == ())
        self.env[name] = replace(value, text=name, atom=True, owned=owned, base=None)

    def limit_for(self, name: str) -> Bounds | None:
        """The bounds a new value of outer variable `name` must keep to (None: any)."""
        limit = None
        for frame in reversed(self.frames):
            if name not in frame.outer:
                break
            if frame.kind == "loop":
                bounds = frame.carried[name]
                limit = bounds if limit is None or bounds.within(limit) else limit
        return limit

    def rebindable(self) -> list[str]:
        """Variables this block may assign: its own, and those the enclosing loops carry."""
        found = []
        for name, var in self.env.items():
            if not var.is_array or var.integer:
                continue
            frames = [f for f in self.frames if name in f.outer and f.kind == "loop"]
            if all(name in f.carried for f in frames):
                found.append(name)
        return found

    def must_keep_shape(self, name: str) -> bool:
        return any(name in f.outer and f.kind != "function" for f in self.frames)

    def fitted(self, name: str, value: Value) -> Value:
        """`value`, squashed if the loops around need it, as a new object if it is carried."""
        limit = self.limit_for(name)
        if limit is None:
            return value
        if not value.bounds.within(limit):
            value = self.unit(value)
        return self.fresh(value) if self.env[name].owned else value

    # ---------------------------------------------------------------- blocks

    def block(self, count: int) -> None:
        for _ in range(count):
            if self.budget <= 0:
                break
            self.budget -= 1
            self.statement()
            if self.frames[-1].returns:
                break

    def statement(self) -> None:
        nesting = len(self.frames) - 1
        compound = 1 if nesting < MAX_NESTING and self.budget > 0 else 0
        owned = [n for n in self.rebindable() if self.env[n].owned and self.env[n].shape != ()]
        lists = [n for n, v in self.env.items() if v.length is not None]
        loop = self.in_loop()
        kind = self.weighted(
            [
                ("assign", 6),
                ("reassign", 3 * bool(self.rebindable())),
                ("augmented", 2 * bool(self.rebindable())),
                ("copy", 2),
                ("update", 3 * bool(owned)),
                ("branch", 3 * compound),
                ("early_return", 1 * compound * (self.frames[-1].kind == "function")),
                ("for", 3 * compound),
                ("while", 1 * compound),
                ("zeros_loop", 2 * compound),
                ("call", 2 * (self.level < 2)),
                ("new_list", 1),
                ("append", 3 * bool(lists)),
                ("jump", 1 * (loop is not None and self.frames[-1].kind == "branch")),
            ]
        )
        getattr(self, f"_{kind}")()

    def depth(self) -> int:
        return self.integer(1, 3)

    # ---------------------------------------------------------------- simple statements

    def _assign(self) -> None:
        name = self.new_name()
        value = self.expression(self.depth())
        self.emit(f"{name} = {value.text}")
        self.bind(name, value)

    def _reassign(self) -> None:
        name = self.choice(self.rebindable())
        var = self.env[name]
        if self.must_keep_shape(name):
            value = self.fitted(name, self.reassigned(name))
        else:
            value = self.expression(self.depth())
        self.emit(f"{name} = {value.text}")
        self.bind(name, value)

    def reassigned(self, name: str) -> Value:
        """A new value for `name`, of its shape; in a loop, often made from its old value."""
        var = self.env[name]
        depth = self.depth()
        if self.limit_for(name) is not None and self.maybe(50):
            t = self.unit(self.expression(depth, Fit(var.shape)))
            if self.maybe(50):  # a convex step: stays in a symmetric invariant
                text = f"0.5 * {name} + 0.5 * {t.operand}"
                return Value(text, var.shape, var.bounds.scaled(0.5) + t.bounds.scaled(0.5), False)
            return Value(f"{name} * {t.operand}", var.shape, var.bounds * t.bounds, False)
        return self.exactly(var.shape, depth)

    def _augmented(self) -> None:
        name = self.choice(self.rebindable())
        var = self.env[name]
        loop = self.in_loop()
        limit = self.limit_for(name)
        t = self.expression(self.depth(), Fit(var.shape))
        if var.shape != () and not var.owned:  # x += t would update an alias in place
            self.emit(f"{name} = {name} + {t.operand}")
            self.bind(name, Value("", var.shape, var.bounds + t.bounds))
            return
        if limit is None:
            op = self.choice(["+=", "-=", "*="])
            bounds = {"+=": var.bounds + t.bounds, "-=": var.bounds - t.bounds}
            self.emit(f"{name} {op} {t.operand}")
            self.bind(name, replace(var, bounds=bounds.get(op, var.bounds * t.bounds)))
            return
        t = self.unit(t)
        if self.can_accumulate(name, loop):
            loop.accumulated.add(name)
            self.emit(f"{name} {self.choice(['+=', '-='])} {t.operand}")
        else:
            self.emit(f"{name} *= {t.operand}")
        self.bind(name, replace(var, bounds=limit))

    def can_accumulate(self, name: str, loop: Frame | None) -> bool:
        """Whether `name += t` (|t| <= 1) keeps to the loop's invariant: it is an accumulator
        of the innermost loop, not yet grown on this trip, and no other loop lies in between."""
        if loop is None or name not in loop.accumulators or name in loop.accumulated:
            return False
        inner = self.frames[self.frames.index(loop) + 1 :]
        return all(f.kind == "branch" for f in inner)

    def _copy(self) -> None:
        arrays = [v for v in self.variables(arrays=True)]
        if not arrays:
            return self._assign()
        x = self.choice(arrays)
        name = self.new_name("y")
        how = self.choice(["{}.copy()", "np.copy({})"])
        self.emit(f"{name} = {how.format(x.text)}")
        self.bind(name, replace(x, owned=True, base=None))

    def _update(self) -> None:
        """An in-place update of an array this function owns: y[i] = t, y[i, :] += t, ..."""
        names = [n for n in self.rebindable() if self.env[n].owned and self.env[n].shape != ()]
        name = self.choice(names)
        var = self.env[name]
        for _ in range(3):
            text, index, last, fancy = self.index_for(var.shape)
            if fancy:
                continue  # x[[0, 0]] += t does not accumulate in NumPy: not a useful test
            shape = np.empty(var.shape)[index].shape if self._valid(var.shape, index) else None
            if shape is not None and self._valid(var.shape, last):
                break
        else:
            return self._assign()
        self.write(name, text, shape)

    @staticmethod
    def _valid(shape, index) -> bool:
        try:
            np.empty(shape)[index]
        except (IndexError, ValueError, TypeError):
            return False
        return True

    def write(self, name: str, index: str, shape: tuple[int, ...]) -> None:
        var = self.env[name]
        limit = self.limit_for(name)
        t = self.expression(self.depth(), Fit(shape))
        if limit is None:
            op = self.choice(["=", "+=", "*=", "-="])
            grown = {"=": t.bounds, "+=": var.bounds + t.bounds, "-=": var.bounds - t.bounds}
            bounds = var.bounds.hull(grown.get(op, var.bounds * t.bounds))
        else:
            t = self.unit(t)
            loop = self.in_loop()
            op = self.choice(["=", "*="])
            if self.can_accumulate(name, loop) and self.maybe(50):
                op = self.choice(["+=", "-="])
                loop.accumulated.add(name)
            bounds = limit
        if op == "=" and limit is None and self.maybe(30):
            t = self.squashed(t)
        self.emit(f"{name}[{index}] {op} {t.operand if op != '=' else t.text}")
        self.env[name] = replace(var, bounds=bounds)

    def _new_list(self) -> None:
        shapes = sorted({v.shape for v in self.variables()}) or [()]
        name = self.new_name("items")
        self.emit(f"{name} = []")
        shape = self.choice(shapes)
        self.env[name] = Value(name, shape, UNIT.scaled(LIMIT), length=(0, 0))
        if self.maybe(70):
            self.append(name)

    def _append(self) -> None:
        lists = [n for n, v in self.env.items() if v.length is not None]
        self.append(self.choice(lists))

    def append(self, name: str) -> None:
        var = self.env[name]
        if any(name in f.outer and f.kind == "branch" for f in self.frames):
            value = self.exactly(var.shape, self.depth())  # lengths differ by path: read only
            self.emit(f"{self.new_name()} = {value.text}")
            return
        value = self.fresh(self.squashed(self.exactly(var.shape, self.depth())))
        self.emit(f"{name}.append({value.text})")
        fewest, most = var.length
        self.env[name] = replace(var, length=(fewest + 1, most + 1))

    # ---------------------------------------------------------------- branches

    def _branch(self) -> None:
        arms = self.weighted([(1, 2), (2, 4), (3, 1)])  # if / if-else / if-elif-else
        result = None
        if arms > 1 and self.maybe(50):  # a value every arm defines, used after the if
            shapes = sorted({v.shape for v in self.variables()}) or [()]
            result = (self.new_name("r"), self.choice(shapes))
        before = dict(self.env)
        ends = []
        for arm in range(arms):
            if arm == 0:
                self.emit(f"if {self.condition()}:")
            elif arm < arms - 1 or arms == 1:
                self.emit(f"elif {self.condition()}:")
            else:
                self.emit("else:")
            ends.append(self.arm(before, result))
        if arms == 1:
            ends.append(before)
        self.join(before, [end for end in ends if end is not None])

    def arm(self, before: dict, result) -> dict | None:
        """One arm of an if; the variables at its end (None if it returned)."""
        self.env = dict(before)
        frame = self.enter("branch")
        self.block(self.integer(1, 2))
        if result is not None and not frame.returns:
            name, shape = result
            value = self.exactly(shape, self.depth())
            self.emit(f"{name} = {value.text}")
            self.bind(name, value)
        if not any(True for _ in ()) and self.lines[-1].rstrip().endswith(":"):
            self.emit("pass")
        self.frames.pop()
        return None if frame.returns else dict(self.env)

    def join(self, before: dict, ends: list[dict]) -> None:
        """The variables after an if: those defined on every path, their bounds the hull."""
        if not ends:  # every arm returned (cannot happen: an if alone falls through)
            ends = [before]
        names = [n for n in ends[0] if all(n in end for end in ends)]
        env = {}
        for name in names:
            values = [end[name] for end in ends]
            first = values[0]
            if any(v.shape != first.shape or v.integer != first.integer for v in values):
                continue
            bounds = first.bounds
            for v in values[1:]:
                bounds = bounds.hull(v.bounds)
            owned = all(v.owned for v in values)
            length = None
            if first.length is not None:
                length = (min(v.length[0] for v in values), max(v.length[1] for v in values))
            python = all(v.python for v in values)
            env[name] = replace(first, bounds=bounds, owned=owned, length=length, python=python)
        self.env = env

    def _early_return(self) -> None:
        self.emit(f"if {self.condition()}:")
        before = dict(self.env)
        frame = self.enter("branch")
        self.block(self.integer(0, 1))
        self.emit(f"return {self.result().text}")
        frame.returns = False
        self.frames.pop()
        self.env = before

    def _jump(self) -> None:
        loop = self.in_loop()
        if loop.kind == "loop" and getattr(loop, "counting", False):
            self.emit("break")
        else:
            self.emit(self.choice(["break", "continue"]))
        loop.trips_fewest = 0
        self.frames[-1].returns = True

    # ---------------------------------------------------------------- loops

    def loop(self, header: str, trips: int, locals_: dict[str, Value], fewest: int | None = None):
        """A loop: choose what it carries, write the header and the body, then fix the bounds
        of what it carried and the lengths of the lists it grew."""
        total = trips * self.enclosing_trips()
        carried, accumulators = {}, set()
        enclosing = self.in_loop()
        for name in self.rebindable():
            var = self.env[name]
            if var.length is not None or not self.maybe(50):
                continue
            own = enclosing is None or name not in enclosing.outer
            if own and self.maybe(50):
                lo, hi = min(var.bounds.lo, -1.0), max(var.bounds.hi, 1.0)
                carried[name] = Bounds(lo - total, hi + total)
                accumulators.add(name)
            else:
                carried[name] = var.bounds.symmetric()
        for name in self.lists_appendable():
            carried[name] = self.env[name].bounds
        self.emit(header)
        before = dict(self.env)
        for name, bounds in carried.items():
            self.env[name] = replace(self.env[name], bounds=bounds)
        self.env.update(locals_)
        frame = self.enter("loop", carried=carried, accumulators=accumulators, trips=trips)
        frame.trips_fewest = trips if fewest is None else fewest
        frame.counting = header.startswith("while")
        return frame, before

    def end_loop(self, frame: Frame, before: dict) -> None:
        if self.lines[-1].rstrip().endswith(":"):
            self.emit("pass")
        self.frames.pop()
        after = dict(before)
        for name in frame.carried:
            var = self.env[name]
            if var.length is not None:
                first = before[name].length
                grown = (var.length[0] - first[0], var.length[1] - first[1])
                length = (
                    first[0] + frame.trips_fewest * grown[0],
                    first[1] + frame.trips * grown[1],
                )
                after[name] = replace(before[name], length=length)
            else:
                owned = before[name].owned and var.owned
                after[name] = replace(before[name], bounds=frame.carried[name], owned=owned)
        for name in before:  # views made in the body took ownership away
            if name in self.env and not self.env[name].owned and name not in frame.carried:
                after[name] = replace(after[name], owned=False)
        self.env = after

    def lists_appendable(self) -> list[str]:
        return [n for n, v in self.env.items() if v.length is not None]

    def enclosing_trips(self) -> int:
        return math.prod(f.trips for f in self.frames if f.kind == "loop")

    def body(self) -> None:
        self.block(self.integer(1, 3))

    def _for(self) -> None:
        kind = self.weighted(
            [("range", 4), ("rows", 2), ("enumerate", 1), ("zip", 1), ("list", 1), ("arg", 1)]
        )
        k = self.new_name("k")
        arrays = [v for v in self.variables(arrays=True) if v.shape[0] <= 4]
        lists = [n for n, v in self.env.items() if v.length is not None and v.length[1] <= 6]
        ints = [n for n, v in self.env.items() if v.integer and n.startswith("n")]
        if kind == "rows" and arrays:
            x = self.choice(arrays)
            row = self.new_name("row")
            self.bind(row, Value("", x.shape[1:], x.bounds, owned=False, base=x.text))
            del self.env[row]
            local = {row: Value(row, x.shape[1:], x.bounds, owned=False)}
            frame, before = self.loop(f"for {row} in {x.text}:", x.shape[0], local)
        elif kind == "enumerate" and arrays:
            x = self.choice(arrays)
            row = self.new_name("row")
            n = x.shape[0]
            local = {
                row: Value(row, x.shape[1:], x.bounds, owned=False),
                k: Value(k, (), Bounds(0, n - 1), python=True, integer=True),
            }
            self.env[x.text] = replace(self.env[x.text], owned=False)
            frame, before = self.loop(f"for {k}, {row} in enumerate({x.text}):", n, local)
        elif kind == "zip" and len(arrays) >= 2:
            x = self.choice(arrays)
            others = [v for v in arrays if v.shape[0] == x.shape[0]]
            y = self.choice(others)
            a, b = self.new_name("row"), self.new_name("row")
            local = {
                a: Value(a, x.shape[1:], x.bounds, owned=False),
                b: Value(b, y.shape[1:], y.bounds, owned=False),
            }
            for v in (x, y):
                self.env[v.text] = replace(self.env[v.text], owned=False)
            frame, before = self.loop(
                f"for {a}, {b} in zip({x.text}, {y.text}):", x.shape[0], local
            )
        elif kind == "list" and lists:
            name = self.choice(lists)
            var = self.env[name]
            item = self.new_name("item")
            local = {item: Value(item, var.shape, var.bounds, owned=False)}
            header = f"for {item} in {name}:"
            frame, before = self.loop(header, var.length[1], local, fewest=var.length[0])
            frame.carried.pop(name, None)  # never append to the list being walked
        elif kind == "arg" and ints:
            n = ints[0]
            count = int(self.env[n].bounds.hi)
            local = {k: Value(k, (), Bounds(0, count - 1), python=True, integer=True)}
            frame, before = self.loop(f"for {k} in range({n}):", count, local)
        else:
            trips = self.integer(1, 4)
            header, low, high = self.choice(
                [
                    (f"for {k} in range({trips}):", 0, trips - 1),
                    (f"for {k} in reversed(range({trips})):", 0, trips - 1),
                    (f"for {k} in range(1, {trips + 1}):", 1, trips),
                    (f"for {k} in range({trips - 1}, -1, -1):", 0, trips - 1),
                    (f"for {k} in range(0, {2 * trips}, 2):", 0, 2 * trips - 2),
                ]
            )
            local = {k: Value(k, (), Bounds(low, high), python=True, integer=True)}
            frame, before = self.loop(header, trips, local)
        self.body()
        self.end_loop(frame, before)

    def _while(self) -> None:
        i = self.new_name("i")
        trips = self.integer(1, 4)
        self.emit(f"{i} = 0")
        header = f"while {i} < {trips}:"
        fewest = trips
        if self.maybe(40):
            header = f"while {i} < {trips} and {self.condition()}:"
            fewest = 0
        frame, before = self.loop(header, trips, {}, fewest=fewest)
        self.emit(self.choice([f"{i} += 1", f"{i} = {i} + 1"]))
        self.env[i] = Value(i, (), Bounds(1, trips), python=True, integer=True)
        self.body()
        self.end_loop(frame, before)

    def _zeros_loop(self) -> None:
        """out = np.zeros(...); for k in range(n): ...; out[k] = t"""
        trips = self.integer(1, 4)
        shapes = sorted({v.shape for v in self.variables() if len(v.shape) <= 1}) or [()]
        row = self.choice(shapes)
        out, k = self.new_name("out"), self.new_name("k")
        size = f"({trips}, {', '.join(map(str, row))})" if row else str(trips)
        self.emit(f"{out} = np.{self.choice(['zeros', 'ones'])}({size})")
        self.env[out] = Value(out, (trips, *row), Bounds(0, 1))
        local = {k: Value(k, (), Bounds(0, trips - 1), python=True, integer=True)}
        frame, before = self.loop(f"for {k} in range({trips}):", trips, local)
        frame.carried.setdefault(out, Bounds(-LIMIT, LIMIT))
        self.env[out] = replace(self.env[out], bounds=frame.carried[out])
        self.block(self.integer(0, 2))
        if not frame.returns and out in self.env:
            self.write(out, k, row)
        self.end_loop(frame, before)

    # ---------------------------------------------------------------- calls

    def _call(self) -> None:
        reusable = [h for h in self.module.signatures if self.arguments_for(h) is not None]
        if reusable and self.maybe(50):
            helper = self.choice(reusable)
        else:
            helper = self.new_helper()
        chosen = self.arguments_for(helper)
        texts = [v.text for v in chosen]
        if len(texts) > 1 and self.maybe(30):
            texts[-1] = f"{helper.parameters[-1].text}={texts[-1]}"
        if helper.default is not None and self.maybe(50):
            texts.append(f"scale={self.choice([0.5, 0.75, 0.25])}")
        call = f"{helper.name}({', '.join(texts)})"
        names = [self.new_name() for _ in helper.results]
        self.emit(f"{', '.join(names)} = {call}")
        for name, result in zip(names, helper.results):
            value = replace(result, owned=True, base=None)
            self.bind(name, value)

    def arguments_for(self, helper: Helper) -> list[Value] | None:
        chosen = []
        for parameter in helper.parameters:
            options = [
                v
                for v in self.variables()
                if v.shape == parameter.shape and v.bounds.within(parameter.bounds)
            ]
            if not options:
                return None
            chosen.append(self.choice(options))
        return chosen

    def new_helper(self) -> Helper:
        candidates = self.variables()
        count = self.integer(1, min(3, len(candidates))) if candidates else 0
        parameters = []
        builder = Builder(self._draw, self.module, self.integer(1, 3), self.level + 1)
        for index in range(count):
            v = self.choice(candidates)
            name = "pqr"[index]
            parameters.append(Value(name, v.shape, v.bounds, python=v.python))
            builder.env[name] = Value(name, v.shape, v.bounds, python=v.python, owned=v.shape == ())
        if not parameters:
            parameters.append(Value("p", (), Bounds(0.5, 0.5), python=True))
            builder.env["p"] = parameters[0]
        default = 1.0 if self.maybe(30) else None
        if default is not None:
            builder.env["scale"] = Value("scale", (), Bounds(0.25, 1.0), python=True)
        name = f"helper{len(self.module.signatures) + 1}"
        builder.enter("function")
        builder.body()
        results = [builder.fresh(builder.expression(builder.depth()))]
        if self.maybe(30):
            results.append(builder.fresh(builder.expression(builder.depth())))
        signature = ", ".join(p.text for p in parameters)
        if default is not None:
            signature += f", scale={default}"
        lines = [f"def {name}({signature}):", *builder.lines]
        lines.append(f"    return {', '.join(r.text for r in results)}")
        self.module.helpers.append("\n".join(lines))
        helper = Helper(name, tuple(parameters), default, tuple(results))
        self.module.signatures.append(helper)
        return helper

    # ---------------------------------------------------------------- the result

    def result(self) -> Value:
        """A scalar made from up to three variables, the latest one always among them."""
        arrays = [v for v in self.variables()]
        if not arrays:
            return self.reduce_all(self.expression(1))
        chosen = [arrays[-1]] + [self.choice(arrays) for _ in range(self.integer(0, 2))]
        terms = []
        for v in chosen:
            how = self.choice(["np.sum({})", "np.sum({} ** 2)", "np.mean(np.sin({}))", "{}"])
            if how == "{}" and v.shape != ():
                how = "np.sum({})"
            terms.append(how.format(v.operand))
        return Value(" + ".join(terms), (), UNIT, atom=False)


# ================================================================ the strategy


def parameters(choose: Expressions) -> list[Parameter]:
    """`f`'s arguments: arrays of broadcastable shapes, Python floats, maybe a 0-d array, a
    square matrix and a Python int."""
    rows, columns = choose.integer(2, 4), choose.integer(2, 4)
    shapes = [(columns,), (rows, columns), (rows, 1), (1, columns), (rows,), (2, rows, columns)]
    found = []
    names = iter("xyzuvw")
    for _ in range(choose.integer(1, 3)):
        shape = choose.choice(shapes)
        low, high = choose.choice([(-1.0, 1.0), (0.5, 2.0)])
        found.append(Parameter(next(names), "array", shape, low, high))
    for name in ("s", "t")[: choose.integer(0, 2)]:
        low, high = choose.choice([(-1.0, 1.0), (0.5, 2.0)])
        found.append(Parameter(name, "float", (), low, high))
    if choose.maybe(10):
        found.append(Parameter("c", "zero_d", ()))
    if choose.maybe(30):
        found.append(Parameter("W", "array", (columns, columns)))
    if choose.maybe(20):
        count = choose.integer(1, 3)
        found.append(Parameter("n", "int", (), count, count))
    return found


@st.composite
def programs(draw, size: int = 6) -> Program:
    """A random module with a function `f` of at most about `size` statements."""
    module = Module()
    builder = Builder(draw, module, builder_budget := builder_size(draw, size))
    del builder_budget
    params = parameters(builder)
    for p in params:
        bounds = Bounds(p.low, p.high)
        if p.kind == "int":
            builder.env[p.name] = Value(p.name, (), bounds, python=True, integer=True)
        else:
            python = p.kind == "float"
            owned = python
            builder.env[p.name] = Value(p.name, p.shape, bounds, python=python, owned=owned)
    builder.enter("function")
    builder.block(builder.budget)
    result = builder.result()
    signature = ", ".join(p.name for p in params)
    lines = ["import numpy as np", "", *[h + "\n" for h in module.helpers], ""]
    lines += [f"def f({signature}):", *builder.lines, f"    return {result.text}", ""]
    source = "\n".join(lines).replace("\n\n\n\n", "\n\n\n")
    seed = draw(st.integers(0, 2**32 - 1))
    return Program(source, tuple(params), seed)


def builder_size(draw, size: int) -> int:
    return draw(st.integers(1, size))
