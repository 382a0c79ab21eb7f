"""Random programs for srcgrad: a hypothesis strategy of modules with a function `f` to differentiate.

`programs(size)` draws a `Program`: the source of a module (`import numpy as np`, helper
functions, then `f`) and the arguments to call `f` with. The code is of the kinds README says
srcgrad differentiates: straight-line NumPy over scalars and arrays of broadcastable shapes,
reassignments, `if`/`elif`/`else` and conditional expressions on data, `for` loops (over
`range`, `reversed`, rows, `enumerate`, `zip`, lists) and `while` loops with loop-carried
values, `break`, `continue` and early `return`, helper functions (keyword and default arguments,
tuple results, helpers calling helpers), in-place updates of arrays the function made, and
lists built with `append`. `random_programs_expressions` and `random_programs_statements` say
what keeps every program valid and smooth where it is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import hypothesis.strategies as st
import numpy as np
from random_programs_expressions import Bounds, Value
from random_programs_statements import Statements


@dataclass(frozen=True)
class Parameter:
    """An argument of `f`: "array", "float" (Python), "zero_d" (0-d array) or "int" (its value
    is `low`), with every element drawn from [low, high]."""

    name: str
    kind: str
    shape: tuple[int, ...] = ()
    low: float = -1.0
    high: float = 1.0

    def value(self, rng: np.random.Generator):
        if self.kind == "int":
            return int(self.low)
        drawn = rng.uniform(self.low, self.high, size=self.shape)
        return float(drawn) if self.kind == "float" else np.array(drawn)

    def variable(self) -> Value:
        bounds = Bounds(self.low, self.high)
        if self.kind == "int":
            return Value(self.name, (), bounds, python=True, integer=True)
        python = self.kind == "float"
        return Value(self.name, self.shape, bounds, python=python, owned=python)


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
        """Every float argument."""
        return tuple(i for i, p in enumerate(self.parameters) if p.kind != "int")

    def __repr__(self) -> str:
        with np.printoptions(precision=17):
            values = ", ".join(f"{p.name}={v!r}" for p, v in zip(self.parameters, self.arguments()))
        return f"\n{self.source}\n# arguments: {values}\n"


@dataclass(frozen=True)
class Helper:
    name: str
    parameters: tuple[Value, ...]  # each with the parameter's name as its text
    default: float | None  # a last parameter `scale=default`, if any
    results: tuple[Value, ...]  # one value, or two (returned as a tuple)


@dataclass
class Module:
    """What the functions of one generated module share."""

    sources: list[str] = field(default_factory=list)  # helpers, callees first
    helpers: list[Helper] = field(default_factory=list)


class Builder(Statements):
    """Statements, and calls to helper functions that it writes into the same module."""

    def __init__(self, draw, module: Module, budget: int, level: int = 0):
        super().__init__(draw, budget, level)
        self.module = module

    def _call(self) -> None:
        reusable = [h for h in self.module.helpers if self.arguments_for(h) is not None]
        helper = self.choice(reusable) if reusable and self.maybe(50) else self.new_helper()
        texts = [v.text for v in self.arguments_for(helper)]
        if len(texts) > 1 and self.maybe(30):
            texts[-1] = f"{helper.parameters[-1].text}={texts[-1]}"
        if helper.default is not None and self.maybe(50):
            texts.append(f"scale={self.choice([0.5, 0.75, 0.25])}")
        names = [self.new_name() for _ in helper.results]
        self.emit(f"{', '.join(names)} = {helper.name}({', '.join(texts)})")
        for name, result in zip(names, helper.results):  # srcgrad cannot see it is a new array
            self.bind(name, replace(result, owned=result.shape == (), base=None))

    def arguments_for(self, helper: Helper) -> list[Value] | None:
        chosen = []
        for parameter in helper.parameters:
            options = [
                v
                for v in self.variables()
                if v.shape == parameter.shape
                and v.bounds.within(parameter.bounds)
                and (v.python or not parameter.owned)
            ]
            if not options:
                return None
            chosen.append(self.choice(options))
        return chosen

    def new_helper(self) -> Helper:
        """Write a helper taking some of the variables in scope (by shape and bounds)."""
        candidates = self.variables()
        callee = Builder(self._draw, self.module, self.integer(1, 3), self.level + 1)
        parameters = []
        for name in "pqr"[: self.integer(1, 3)]:
            v = self.choice(candidates) if candidates else Value("", (), Bounds(0.5, 0.5))
            # a Python float is immutable: `p *= t` rebinds it (a 0-d array would change)
            parameter = Value(name, v.shape, v.bounds, python=v.python, owned=v.python)
            parameters.append(parameter)
            callee.env[name] = parameter
            callee.shared.add(name)  # the caller's array
        default = 1.0 if self.maybe(30) else None
        if default is not None:
            callee.env["scale"] = Value("scale", (), Bounds(0.25, 1.0), python=True)
        callee.enter("function")
        callee.block(callee.budget)
        results = [callee.fresh(callee.expression(callee.depth()))]
        if self.maybe(30):
            results.append(callee.fresh(callee.expression(callee.depth())))
        name = f"helper{len(self.module.helpers) + 1}"
        signature = ", ".join(p.text for p in parameters)
        if default is not None:
            signature += f", scale={default}"
        returned = ", ".join(r.text for r in results)
        lines = [f"def {name}({signature}):", *callee.lines, f"    return {returned}"]
        self.module.sources.append("\n".join(lines))
        helper = Helper(name, tuple(parameters), default, tuple(results))
        self.module.helpers.append(helper)
        return helper


def parameters(choose: Builder) -> list[Parameter]:
    """`f`'s parameters: 1-3 arrays of broadcastable shapes, up to two Python floats, maybe a
    0-d array, a square matrix and a Python int."""
    rows, columns = choose.integer(2, 4), choose.integer(2, 4)
    shapes = [(columns,), (rows, columns), (rows, 1), (1, columns), (rows,), (2, rows, columns)]
    ranges = [(-1.0, 1.0), (0.5, 2.0)]
    found = []
    for name in "xyz"[: choose.integer(1, 3)]:
        found.append(Parameter(name, "array", choose.choice(shapes), *choose.choice(ranges)))
    for name in "st"[: choose.integer(0, 2)]:
        found.append(Parameter(name, "float", (), *choose.choice(ranges)))
    if choose.maybe(10):
        found.append(Parameter("c", "zero_d"))
    if choose.maybe(30):
        found.append(Parameter("W", "array", (columns, columns)))
    if choose.maybe(20):
        count = choose.integer(1, 3)
        found.append(Parameter("n", "int", (), count, count))
    return found


@st.composite
def programs(draw, size: int = 6) -> Program:
    """A random module whose function `f` has at most `size` statements (not counting the
    statements inside compound ones, nor its helpers')."""
    module = Module()
    builder = Builder(draw, module, draw(st.integers(1, size)))
    params = parameters(builder)
    for p in params:
        builder.env[p.name] = p.variable()
        builder.shared.add(p.name)  # the caller's array
    builder.enter("function")
    builder.block(builder.budget)
    result = builder.result()
    helpers = "".join(f"{source}\n\n\n" for source in module.sources)
    signature = ", ".join(p.name for p in params)
    body = "\n".join(builder.lines)
    source = f"import numpy as np\n\n\n{helpers}def f({signature}):\n{body}\n"
    source += f"    return {result.text}\n"
    source = source.replace(":\n\n", ":\n")
    seed = draw(st.integers(0, 2**32 - 1))
    return Program(source, tuple(params), seed)
