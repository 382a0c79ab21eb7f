"""Random statements for the random-program tester: assignments, in-place updates, lists,
branches and loops, written one line at a time by `Statements`.

What the statements guarantee, on top of what expressions do:

* every loop trip runs: indices by loop counters are in range for every counter value;
* values stay bounded in loops: a value a loop carries keeps to a symmetric interval
  [-m, m] (m >= 1) fixed when the loop starts (`Frame.carried`). Updates keep to it: a value
  squashed into [-1, 1], `0.5 * v + 0.5 * t` and `v * t` with |t| <= 1, and, for an
  accumulator, one `v += t` per trip, its interval widened by the number of trips;
* nothing is updated in place but arrays the function made itself and nobody else refers to:
  never an argument, an alias, a view, or a value of a list. Beyond that, the programs keep to
  what srcgrad's alias check accepts (`Statements.may_update`): it versions names only in
  straight-line code, and sees a rebinding in a loop, an augmented assignment in a branch, and
  any binding after an early `return` as a possible alias of what the name held before;
* a list's length is known to lie in a range, so it is only read where it has elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from random_programs_expressions import (
    LIMIT,
    UNIT,
    Bounds,
    Expressions,
    Fit,
    Value,
    index_shape,
)

MAX_NESTING = 2  # compound statements inside compound statements


@dataclass
class Frame:
    """A block being written: the function body, a loop body or an arm of an `if`."""

    kind: str  # "function", "loop" or "branch"
    outer: frozenset[str]  # the names visible when the block starts
    carried: dict[str, Bounds] = field(default_factory=dict)  # loop: what the body may change
    accumulators: set[str] = field(default_factory=set)  # loop: carried names grown by += t
    accumulated: set[str] = field(default_factory=set)  # loop: accumulators grown so far
    trips: int = 1  # loop: most trips
    fewest: int = 1  # loop: fewest trips (0 once the body may break)
    jumps: bool = False  # branch: ends in break, continue or return


class Statements(Expressions):
    """Writes one function body, keeping `env` (name -> Value) true after every line."""

    def __init__(self, draw, budget: int, level: int):
        super().__init__(draw)
        self.budget = budget
        self.level = level  # 0 for f, 1 for a helper it calls, ...
        self.env: dict[str, Value] = {}
        self.frames: list[Frame] = []
        self.lines: list[str] = []
        self.counter = 0
        # what srcgrad's alias check sees (see may_update)
        self.updated: set[str] = set()  # names updated in place somewhere
        self.conflicts: set[str] = set()  # names srcgrad sees rebound by a possible alias
        self.shared: set[str] = set()  # names bound to a view or an alias somewhere
        self.top_bound: set[str] = set()  # names last bound in straight-line code at the top
        self.returned_early = False

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

    def leave(self, start: int) -> Frame:
        if len(self.lines) == start:
            self.emit("pass")
        return self.frames.pop()

    def innermost_loop(self) -> Frame | None:
        return next((f for f in reversed(self.frames) if f.kind == "loop"), None)

    def bind(self, name: str, value: Value, augmented: bool = False) -> None:
        """`name = value`: record the variable, and that `value` may alias its base."""
        if value.base is not None and value.base in self.env:
            self.disown(value.base)
        owned = value.owned and value.base is None
        self.note_binding(name, owned or value.shape == (), augmented)
        self.env[name] = replace(value, text=name, atom=True, owned=owned, base=None)

    def at_top(self) -> bool:
        return len(self.frames) == 1 and not self.returned_early

    def note_binding(self, name: str, owned: bool, augmented: bool) -> None:
        if not owned:
            self.shared.add(name)
        if self.at_top():
            self.top_bound.add(name)
        else:
            self.top_bound.discard(name)
        rebound = name in self.env
        if rebound and self.conflicting(name, augmented) or not (owned or self.at_top()):
            self.conflicts.add(name)

    def conflicting(self, name: str, augmented: bool) -> bool:
        """Whether srcgrad sees rebinding `name` here as a possible alias: in a loop, or (for
        `name op= t`) in a branch or after an early return."""
        if any(f.kind == "loop" for f in self.frames):
            return True
        return augmented and not self.at_top()

    def may_update(self, name: str) -> bool:
        """Whether srcgrad accepts `name[i] = t` here."""
        if name in self.conflicts or not self.env[name].owned:
            return False
        return name not in self.shared or name in self.top_bound

    def disown(self, name: str) -> None:
        if self.env[name].shape != () or not self.env[name].owned:
            self.env[name] = replace(self.env[name], owned=False)

    def limit_for(self, name: str) -> Bounds | None:
        """The interval a new value of `name` must keep to (None: any)."""
        for frame in reversed(self.frames):
            if name not in frame.outer:
                return None
            if frame.kind == "loop":
                return frame.carried[name]
        return None

    def changeable(self, name: str) -> bool:
        """Whether this block may change variable `name`: every loop it is carried through
        carries it (a list also must not be appended to in a branch: its length would differ
        by path)."""
        for frame in self.frames:
            if name not in frame.outer:
                continue
            if frame.kind == "loop" and name not in frame.carried:
                return False
            if frame.kind == "branch" and self.env[name].length is not None:
                return False
        return True

    def rebindable(self, augmented: bool = False) -> list[str]:
        return [
            n
            for n, v in self.env.items()
            if v.is_float
            and self.changeable(n)
            and not (n in self.updated and self.conflicting(n, augmented))
        ]

    def owned_arrays(self) -> list[str]:
        return [n for n in self.rebindable() if self.env[n].shape != () and self.may_update(n)]

    def appendable(self) -> list[str]:
        return [n for n, v in self.env.items() if v.length is not None and self.changeable(n)]

    def keeps_shape(self, name: str) -> bool:
        return any(name in f.outer and f.kind != "function" for f in self.frames)

    def fitted(self, name: str, value: Value) -> Value:
        """`value` made fit to be `name`'s new value inside the loops around: squashed if its
        bounds are too wide, and a new object if `name` is updated in place."""
        limit = self.limit_for(name)
        if limit is None:
            return value
        if not value.bounds.within(limit):
            value = self.unit(value)
        return self.fresh(value) if self.env[name].owned else value

    def can_accumulate(self, name: str) -> bool:
        """Whether `name += t` (|t| <= 1) keeps to the innermost loop's interval: `name` is its
        accumulator, not yet grown on this trip, and no other loop lies in between."""
        loop = self.innermost_loop()
        if loop is None or name not in loop.accumulators or name in loop.accumulated:
            return False
        inner = self.frames[self.frames.index(loop) + 1 :]
        return all(f.kind == "branch" for f in inner)

    def depth(self) -> int:
        return self.integer(1, 3)

    # ---------------------------------------------------------------- blocks

    def block(self, count: int) -> None:
        for _ in range(count):
            if self.budget <= 0 or self.frames[-1].jumps:
                break
            self.budget -= 1
            self.statement()

    def statement(self) -> None:
        nesting = len(self.frames) - 1
        compound = int(nesting < MAX_NESTING and self.budget > 0)
        top = self.frames[-1].kind == "function" and self.level == 0
        kind = self.weighted(
            [
                ("assign", 6),
                ("reassign", 3 * bool(self.rebindable())),
                ("augmented", 2 * bool(self.rebindable(augmented=True))),
                ("copy", 2),
                ("update", 3 * bool(self.owned_arrays())),
                ("branch", 3 * compound),
                ("early_return", compound * top),
                ("for", 3 * compound),
                ("while", compound),
                ("zeros_loop", 2 * compound),
                ("call", 2 * (self.level < 2)),
                ("new_list", 2),
                ("append", 3 * bool(self.appendable())),
                (
                    "jump",
                    4 * (self.innermost_loop() is not None and self.frames[-1].kind == "branch"),
                ),
            ]
        )
        getattr(self, f"_{kind}")()

    def _call(self) -> None:
        raise NotImplementedError  # calls to helpers: see random_programs.Builder

    # ---------------------------------------------------------------- assignments

    def _assign(self) -> None:
        name = self.new_name()
        value = self.expression(self.depth())
        self.emit(f"{name} = {value.text}")
        self.bind(name, value)

    def _reassign(self) -> None:
        name = self.choice(self.rebindable())
        if self.keeps_shape(name):
            value = self.fitted(name, self.reassigned(name))
        else:
            value = self.expression(self.depth())
        if name in self.updated and not self.at_top():
            value = self.fresh(value)
        self.emit(f"{name} = {value.text}")
        self.bind(name, value)

    def reassigned(self, name: str) -> Value:
        """A new value of `name`'s shape; in a loop, often made from its old value."""
        var = self.env[name]
        depth = self.depth()
        if self.limit_for(name) is not None and self.maybe(50):
            t = self.unit(self.expression(depth, Fit(var.shape)))
            if self.maybe(50):  # a convex step
                text = f"0.5 * {name} + 0.5 * {t.operand}"
                return Value(text, var.shape, var.bounds.scaled(0.5) + t.bounds.scaled(0.5), False)
            return Value(f"{name} * {t.operand}", var.shape, var.bounds * t.bounds, False)
        return self.exactly(var.shape, depth)

    def _augmented(self) -> None:
        name = self.choice(self.rebindable(augmented=True))
        var = self.env[name]
        limit = self.limit_for(name)
        t = self.expression(self.depth(), Fit(var.shape))
        if not var.owned:  # `x += t` would change an alias or an argument: rebind instead
            sum_ = Value(f"{name} + {t.operand}", var.shape, var.bounds + t.bounds, False)
            value = self.fitted(name, sum_) if limit is not None else sum_
            self.emit(f"{name} = {value.text}")
            self.bind(name, value)
            return
        self.note_binding(name, True, augmented=True)
        if limit is None:
            op = self.choice(["+=", "-=", "*="])
            grown = {"+=": var.bounds + t.bounds, "-=": var.bounds - t.bounds}
            self.emit(f"{name} {op} {t.operand}")
            self.env[name] = replace(var, bounds=grown.get(op, var.bounds * t.bounds))
            return
        t = self.unit(t)
        if self.can_accumulate(name):
            self.innermost_loop().accumulated.add(name)
            self.emit(f"{name} {self.choice(['+=', '-='])} {t.operand}")
        else:
            self.emit(f"{name} *= {t.operand}")
        self.env[name] = replace(var, bounds=limit)

    def _copy(self) -> None:
        arrays = self.variables(arrays=True)
        if not arrays:
            return self._assign()
        x = self.choice(arrays)
        name = self.new_name("y")
        how = self.choice(["{}.copy()", "np.copy({})"])
        self.emit(f"{name} = {how.format(x.text)}")
        self.note_binding(name, True, False)
        self.env[name] = replace(x, text=name, owned=True, base=None)

    # ---------------------------------------------------------------- in-place updates

    def _update(self) -> None:
        """y[i] = t, y[i, :] += t, y[1:] *= t ... on an array this function owns."""
        name = self.choice(self.owned_arrays())
        shape = self.env[name].shape
        for _ in range(3):
            text, index, last, fancy = self.index_for(shape)
            if fancy:  # y[[0, 0]] += t does not add twice in NumPy
                continue
            target = index_shape(shape, index)
            if target is not None and 0 not in target and index_shape(shape, last) == target:
                return self.write(name, text, target)
        return self._assign()

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
            op = self.choice(["=", "*="])
            if self.can_accumulate(name) and self.maybe(50):
                op = self.choice(["+=", "-="])
                self.innermost_loop().accumulated.add(name)
            bounds = limit
        self.emit(f"{name}[{index}] {op} {t.text if op == '=' else t.operand}")
        self.env[name] = replace(var, bounds=bounds)
        self.updated.add(name)

    # ---------------------------------------------------------------- lists

    def _new_list(self) -> None:
        shapes = sorted({v.shape for v in self.variables()}) or [()]
        name = self.new_name("items")
        self.emit(f"{name} = []")
        self.env[name] = Value(name, self.choice(shapes), UNIT.scaled(LIMIT), length=(0, 0))
        if self.maybe(70):
            self.append(name)

    def _append(self) -> None:
        self.append(self.choice(self.appendable()))

    def append(self, name: str) -> None:
        var = self.env[name]
        value = self.fresh(self.squashed(self.exactly(var.shape, self.depth())))
        self.emit(f"{name}.append({value.text})")
        fewest, most = var.length
        self.env[name] = replace(var, length=(fewest + 1, most + 1))

    # ---------------------------------------------------------------- branches

    def _branch(self) -> None:
        arms = self.weighted([(1, 2), (2, 4), (3, 1)])  # if / if-else / if-elif-else
        result = None
        if arms > 1 and self.maybe(50):  # a new value every arm defines
            shapes = sorted({v.shape for v in self.variables()}) or [()]
            result = (self.new_name("r"), self.choice(shapes))
        before = dict(self.env)
        ends = []
        for arm in range(arms):
            self.env = dict(before)
            if arm == 0:
                self.emit(f"if {self.condition()}:")
            elif arm < arms - 1:
                self.emit(f"elif {self.condition()}:")
            else:
                self.emit("else:")
            ends.append(self.arm(before, result))
        if arms == 1:
            ends.append(before)
        self.join(before, [end for end in ends if end is not None])

    def arm(self, before: dict, result) -> dict | None:
        """Write one arm of an `if`; the variables at its end (None if it jumps away)."""
        self.env = dict(before)
        start = len(self.lines)
        frame = self.enter("branch")
        self.block(self.integer(1, 2))
        if result is not None and not frame.jumps:
            name, shape = result
            value = self.exactly(shape, self.depth())
            self.emit(f"{name} = {value.text}")
            self.bind(name, value)
        self.leave(start)
        return None if frame.jumps else dict(self.env)

    def join(self, before: dict, ends: list[dict]) -> None:
        """The variables after an `if`: those every path defines, with the hull of bounds."""
        ends = ends or [before]  # every arm jumped: what follows is never run
        env = {}
        for name in ends[0]:
            values = [end.get(name) for end in ends]
            first = values[0]
            if any(
                v is None or v.shape != first.shape or v.integer != first.integer for v in values
            ):
                continue
            bounds = first.bounds
            for v in values[1:]:
                bounds = bounds.hull(v.bounds)
            length = None
            if first.length is not None:
                length = (min(v.length[0] for v in values), max(v.length[1] for v in values))
            env[name] = replace(
                first,
                bounds=bounds,
                owned=all(v.owned for v in values),
                python=all(v.python for v in values),
                length=length,
            )
        self.env = env

    def _early_return(self) -> None:
        before = dict(self.env)
        self.emit(f"if {self.condition()}:")
        self.enter("branch")
        self.block(self.integer(0, 1))
        self.emit(f"return {self.result().text}")
        self.frames.pop()
        self.env = before
        self.returned_early = True  # srcgrad puts the rest of the function in an `else:`

    def _jump(self) -> None:
        self.emit(self.choice(["break", "continue"]))
        self.innermost_loop().fewest = 0
        self.frames[-1].jumps = True

    def result(self) -> Value:
        """A scalar made from up to three variables, the latest one always among them."""
        found = self.variables()
        if not found:
            return self.reduce_all(self.expression(1))
        chosen = [found[-1]] + [self.choice(found) for _ in range(self.integer(0, 2))]
        terms = []
        for v in chosen:
            how = self.choice(["np.sum({})", "np.sum({} ** 2)", "np.mean(np.sin({}))", "{}"])
            if how == "{}" and v.shape != ():
                how = "np.sum({})"
            terms.append(how.format(v.operand))
        return Value(" + ".join(terms), (), UNIT, atom=False)

    # ---------------------------------------------------------------- loops

    def loop(self, header: str, trips: int, local: dict[str, Value], fewest: int | None = None):
        """Choose what a loop carries, write its header and enter its body."""
        carried, accumulators = {}, set()
        enclosing = self.innermost_loop()
        for name in self.rebindable():
            if not self.maybe(50):
                continue
            m = max(self.env[name].bounds.size, 1.0)
            if (enclosing is None or name not in enclosing.outer) and self.maybe(50):
                carried[name] = Bounds(-m - trips, m + trips)
                accumulators.add(name)
            else:
                carried[name] = Bounds(-m, m)
        for name in self.appendable():
            carried[name] = self.env[name].bounds
        self.emit(header)
        before = dict(self.env)
        for name, bounds in carried.items():
            self.env[name] = replace(self.env[name], bounds=bounds)
        frame = self.enter("loop", carried=carried, accumulators=accumulators, trips=trips)
        frame.fewest = trips if fewest is None else fewest
        self.env.update(local)
        return frame, before, len(self.lines)

    def end_loop(self, frame: Frame, before: dict, start: int) -> None:
        self.leave(start)
        after = dict(before)
        for name in before:
            var = self.env.get(name, before[name])
            if name in frame.carried and var.length is not None:
                first, last = before[name].length, var.length
                fewest = first[0] + frame.fewest * (last[0] - first[0])
                most = first[1] + frame.trips * (last[1] - first[1])
                after[name] = replace(before[name], length=(fewest, most))
            elif name in frame.carried:
                owned = before[name].owned and var.owned
                after[name] = replace(before[name], bounds=frame.carried[name], owned=owned)
            elif not var.owned:  # the body made a view of it
                after[name] = replace(before[name], owned=False)
        self.env = after

    def counter_value(self, name: str, low: int, high: int) -> Value:
        return Value(name, (), Bounds(low, high), python=True, integer=True)

    def rows_of(self, x: Value) -> Value:
        self.disown(x.text)
        return Value("", x.shape[1:], x.bounds, owned=False)

    def _for(self) -> None:
        kind = self.weighted(
            [("range", 3), ("rows", 2), ("enumerate", 2), ("zip", 2), ("list", 3), ("arg", 3)]
        )
        k = self.new_name("k")
        arrays = [v for v in self.variables(arrays=True) if v.shape[0] <= 4]
        lists = [n for n, v in self.env.items() if v.length is not None and v.length[1] <= 6]
        ints = [n for n, v in self.env.items() if v.integer and n == "n"]
        if kind in ("rows", "enumerate") and arrays:
            x = self.choice(arrays)
            row = self.new_name("row")
            local = {row: replace(self.rows_of(x), text=row)}
            header = f"for {row} in {x.text}:"
            if kind == "enumerate":
                local[k] = self.counter_value(k, 0, x.shape[0] - 1)
                header = f"for {k}, {row} in enumerate({x.text}):"
            frame, before, start = self.loop(header, x.shape[0], local)
        elif kind == "zip" and len(arrays) >= 2:
            x = self.choice(arrays)
            y = self.choice([v for v in arrays if v.shape[0] == x.shape[0]])
            a, b = self.new_name("row"), self.new_name("row")
            local = {a: replace(self.rows_of(x), text=a), b: replace(self.rows_of(y), text=b)}
            header = f"for {a}, {b} in zip({x.text}, {y.text}):"
            frame, before, start = self.loop(header, x.shape[0], local)
        elif kind == "list" and lists:
            name = self.choice(lists)
            var = self.env[name]
            item = self.new_name("item")
            local = {item: Value(item, var.shape, var.bounds, owned=False)}
            header = f"for {item} in {name}:"
            frame, before, start = self.loop(header, var.length[1], local, var.length[0])
            frame.carried.pop(name, None)  # never grow the list being walked
        elif kind == "arg" and ints:
            count = int(self.env["n"].bounds.hi)
            local = {k: self.counter_value(k, 0, count - 1)}
            frame, before, start = self.loop(f"for {k} in range(n):", count, local)
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
            local = {k: self.counter_value(k, low, high)}
            frame, before, start = self.loop(header, trips, local)
        self.block(self.integer(1, 3))
        self.end_loop(frame, before, start)

    def _while(self) -> None:
        i = self.new_name("i")
        trips = self.integer(1, 4)
        self.emit(f"{i} = 0")
        header, fewest = f"while {i} < {trips}:", trips
        if self.maybe(40):  # a trip count that depends on the data
            header, fewest = f"while {i} < {trips} and ({self.condition()}):", 0
        frame, before, start = self.loop(header, trips, {}, fewest)
        self.emit(self.choice([f"{i} += 1", f"{i} = {i} + 1"]))  # first: `continue` is safe
        self.env[i] = self.counter_value(i, 1, trips)
        self.block(self.integer(1, 3))
        self.end_loop(frame, before, start)

    def _zeros_loop(self) -> None:
        """out = np.zeros(...); for k in range(...): ...; out[k] = t"""
        trips = self.integer(1, 4)
        shapes = sorted({v.shape for v in self.variables() if len(v.shape) <= 1}) or [()]
        row = self.choice(shapes)
        out, k = self.new_name("out"), self.new_name("k")
        size = f"({trips}, {', '.join(map(str, row))})" if row else str(trips)
        self.emit(f"{out} = np.{self.choice(['zeros', 'ones'])}({size})")
        self.note_binding(out, True, False)
        self.env[out] = Value(out, (trips, *row), Bounds(0, 1))
        local = {k: self.counter_value(k, 0, trips - 1)}
        frame, before, start = self.loop(f"for {k} in range({trips}):", trips, local)
        frame.carried[out] = Bounds(-1.0, 1.0)
        frame.accumulators.discard(out)
        self.env[out] = replace(self.env[out], bounds=frame.carried[out])
        self.updated.add(out)  # before the body, so that the body does not rebind it
        self.block(self.integer(0, 2))
        self.write(out, k, row)
        self.end_loop(frame, before, start)
