"""Every construct srcgrad refuses (README's list of refusals) is refused at the user's line with
advice, and the advice works: each case is a program srcgrad refuses, the line its refusal must
name, what the advice must say, and the program written as the advice says, which srcgrad must
differentiate right (its value, gradient and tangent against central finite differences; for a
refused second derivative, its Hessian).

A case's `refused` and `advised` are module sources (with `import numpy as np`), each defining
the function `f` that is differentiated with respect to `wrt`.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import finite_differences
import numpy as np
import pytest
from passes import define

import srcgrad

X = np.array([0.5, -1.0, 2.0])


@dataclass(frozen=True)
class Refusal:
    refused: str
    line: str  # (a part of) the text of the line the refusal names
    advice: str  # what the refusal says to do (in its advice, or its message)
    advised: str
    args: Callable = lambda: (X,)  # the advised program's (a function: a fresh list each call)
    wrt: int | tuple = 0
    refused_args: Callable | None = None  # the refused program's, where they differ
    refused_wrt: int | tuple | None = None
    hessian: bool = False  # the refusal is of a second derivative
    names: dict = field(default_factory=dict)  # module-level names the sources read


CASES: dict[str, Refusal] = {}


def case(name: str, refused: str, line: str, advice: str, advised: str, **options) -> None:
    CASES[name] = Refusal(
        textwrap.dedent(refused), line, advice, textwrap.dedent(advised), **options
    )


# ---- syntax the fence refuses ------------------------------------------------------------------

case(
    "an async function inside the function",
    """
    def f(x):
        async def later():
            return x
        return np.sum(x ** 2)
    """,
    "async def later():",
    "await the async code outside it",
    """
    def f(x):
        return np.sum(x ** 2)
    """,
)
case(
    "a global declaration",
    """
    SCALE = 2.0

    def f(x):
        global SCALE
        SCALE = 3.0
        return np.sum(np.sin(x) * SCALE)
    """,
    "global SCALE",
    "pass the value as an argument",
    """
    def f(x, scale):
        return np.sum(np.sin(x) * scale)
    """,
    args=lambda: (X, 3.0),
    refused_args=lambda: (X,),
)
case(
    "a del statement",
    """
    def f(x):
        y = x * 2.0
        z = np.sin(y)
        del y
        return np.sum(z ** 2)
    """,
    "del y",
    "leave the name",
    """
    def f(x):
        y = x * 2.0
        z = np.sin(y)
        return np.sum(z ** 2)
    """,
)
case(
    "an import inside the function",
    """
    def f(x):
        import math
        return np.sum(x ** 2) * math.pi
    """,
    "import math",
    "import at module level",
    """
    import math

    def f(x):
        return np.sum(x ** 2) * math.pi
    """,
)
case(
    "a class definition inside the function",
    """
    def f(x):
        class Scale:
            factor = 2.0
        return np.sum(np.cos(x)) * Scale.factor
    """,
    "class Scale",
    "define it at module level",
    """
    class Scale:
        factor = 2.0

    def f(x):
        return np.sum(np.cos(x)) * Scale.factor
    """,
)
case(
    "a set comprehension",
    """
    def f(x):
        orders = {int(v) for v in [1.0, 2.0, 1.0]}
        return np.sum(x ** 2) * len(orders)
    """,
    "orders = {int(v) for v in [1.0, 2.0, 1.0]}",
    "build a list comprehension instead",
    """
    def f(x):
        orders = [int(v) for v in [1.0, 2.0, 1.0]]
        return np.sum(x ** 2) * len(set(orders))
    """,
)
case(
    "a dict comprehension",
    """
    def f(x):
        d = {k: x * k for k in [1.0, 2.0]}
        return np.sum(d[1.0] * np.sin(d[2.0]))
    """,
    "d = {k: x * k for k in [1.0, 2.0]}",
    "write the dict with constant keys",
    """
    def f(x):
        d = {"one": x * 1.0, "two": x * 2.0}
        return np.sum(d["one"] * np.sin(d["two"]))
    """,
)
case(
    "a dict display with a computed key",
    """
    def f(x):
        name = "w"
        d = {name: x * 2.0}
        return np.sum(d["w"] ** 2)
    """,
    "d = {name: x * 2.0}",
    "write each key as a string or number",
    """
    def f(x):
        d = {"w": x * 2.0}
        return np.sum(d["w"] ** 2)
    """,
)
case(
    "yield in the differentiated function",
    """
    def f(x):
        for k in range(3):
            yield np.sum(np.sin(x * k))
    """,
    "yield np.sum(np.sin(x * k))",
    "return sum(f(...))",
    """
    def steps(x):
        for k in range(3):
            yield np.sum(np.sin(x * k))

    def f(x):
        return sum(steps(x))
    """,
)
if sys.version_info >= (3, 11):  # (except* is Python 3.11's)
    case(
        "except*",
        """
        def f(x):
            try:
                y = np.sum(x ** 2)
            except* ValueError:
                y = 0.0
            return y
        """,
        "try:",
        "catch the exception group with a plain 'except'",
        """
        def f(x):
            try:
                y = np.sum(x ** 2)
            except ValueError:
                y = 0.0
            return y
        """,
    )
case(
    "return through finally",
    """
    def f(x):
        try:
            return np.sum(x ** 2)
        finally:
            print("done")
    """,
    "return np.sum(x ** 2)",
    "set a variable, and return",
    """
    def f(x):
        try:
            value = np.sum(x ** 2)
        finally:
            print("done")
        return value
    """,
)
case(
    "break out of a with block",
    """
    import warnings

    def f(x):
        total = 0.0
        for k in range(3):
            with warnings.catch_warnings():
                total = total + np.sum(np.sin(x * k))
                if k == 1:
                    break
        return total
    """,
    "break",
    "break) after the 'with' block",
    """
    import warnings

    def f(x):
        total = 0.0
        for k in range(3):
            with warnings.catch_warnings():
                total = total + np.sum(np.sin(x * k))
            if k == 1:
                break
        return total
    """,
)

# ---- values, memory and functions ----------------------------------------------------------------

case(
    "a list repeated with *",
    """
    def f(x):
        parts = [x] * 3
        return np.sum(parts[0] * np.sin(parts[2]))
    """,
    "parts = [x] * 3",
    "index the parts and combine them one by one",
    """
    def f(x):
        parts = [x, x, x]
        return np.sum(parts[0] * np.sin(parts[2]))
    """,
)
case(
    "a partial holding a differentiated value by position, passed on",
    """
    from functools import partial

    def scaled(w, v):
        return w * v

    def apply(fn, v):
        return fn(v)

    def f(x):
        g = partial(scaled, x)
        return np.sum(apply(g, x) ** 2)
    """,
    "g = partial(scaled, x)",
    "pass those values by keyword",
    """
    from functools import partial

    def scaled(v, w):
        return w * v

    def apply(fn, v):
        return fn(v)

    def f(x):
        g = partial(scaled, w=x)
        return np.sum(apply(g, x) ** 2)
    """,
)
case(
    "an update in place of memory another name reads later",
    """
    def f(x):
        y = x * 2.0
        v = y[1:]
        y[0] = 5.0
        return np.sum(v ** 2) + np.sum(np.sin(y))
    """,
    "y[0] = 5.0",
    "v = np.copy(...)",
    """
    def f(x):
        y = x * 2.0
        v = np.copy(y[1:])
        y[0] = 5.0
        return np.sum(v ** 2) + np.sum(np.sin(y))
    """,
)
case(
    "a generator taken in part",
    """
    def gen(x):
        for k in range(5):
            yield x * k

    def f(x):
        total = 0.0
        for v in gen(x):
            total = total + np.sum(np.sin(v))
            if total > 100.0:
                break
        return total
    """,
    "for v in gen(x):",
    "loop over list(...) of it",
    """
    def gen(x):
        for k in range(5):
            yield x * k

    def f(x):
        total = 0.0
        for v in list(gen(x)):
            total = total + np.sum(np.sin(v))
            if total > 100.0:
                break
        return total
    """,
)
case(
    "a method that sets an attribute of an object that carries a derivative",
    """
    class Accumulator:
        def __init__(self, w):
            self.w = w

        def scale(self, s):
            self.w = self.w * s
            return self.w

    def f(x):
        a = Accumulator(x)
        return np.sum(np.sin(a.scale(2.0)))
    """,
    "return np.sum(np.sin(a.scale(2.0)))",
    "compute a new value instead",
    """
    class Accumulator:
        def __init__(self, w):
            self.w = w

        def scaled(self, s):
            return self.w * s

    def f(x):
        a = Accumulator(x)
        return np.sum(np.sin(a.scaled(2.0)))
    """,
)
case(
    "a method called for its effect that stores a differentiated value in its object",
    """
    class Total:
        def __init__(self):
            self.total = 0.0

        def add(self, v):
            self.total = self.total + v

    def f(x):
        acc = Total()
        for v in x:
            acc.add(np.sin(v))
        return acc.total
    """,
    "acc.add(np.sin(v))",
    "return what it computes",
    """
    class Total:
        def __init__(self):
            self.total = 0.0

        def plus(self, total, v):
            return total + v

    def f(x):
        acc = Total()
        total = 0.0
        for v in x:
            total = acc.plus(total, np.sin(v))
        return total
    """,
)
case(
    "setattr of a differentiated value",
    """
    from types import SimpleNamespace

    def f(x):
        ns = SimpleNamespace()
        setattr(ns, "v", x * 2.0)
        return np.sum(ns.v ** 2)
    """,
    'setattr(ns, "v", x * 2.0)',
    "return the new value and use it (or make a new object from it)",
    """
    class Box:
        def __init__(self, v):
            self.v = v

    def f(x):
        ns = Box(x * 2.0)
        return np.sum(ns.v ** 2)
    """,
)
case(
    "an append to a list an attribute holds",
    """
    class Recorder:
        def __init__(self):
            self.history = []

    def f(x):
        r = Recorder()
        r.history.append(np.sin(x))
        return np.sum(r.history[0])
    """,
    "r.history.append(np.sin(x))",
    "build a list in a name of the function",
    """
    def f(x):
        history = []
        history.append(np.sin(x))
        return np.sum(history[0])
    """,
)
case(
    "a complex input",
    """
    def f(z):
        return np.sum(np.abs(np.sin(z)) ** 2)
    """,
    "def f(z):",
    "pass its real and imaginary parts as two arguments",
    """
    def f(re, im):
        z = re + 1j * im
        return np.sum(np.abs(np.sin(z)) ** 2)
    """,
    args=lambda: (X, X + 0.5),
    wrt=(0, 1),
    refused_args=lambda: (X + 0.5j,),
    refused_wrt=0,
)

case(
    "a closure Python made, among functions that carry a derivative",
    """
    def make_leaky(alpha):
        def leaky(z):
            return np.where(z > 0, z, alpha * z)
        return leaky

    LEAKY = make_leaky(0.1)

    def f(w, x):
        def scale(z):
            return z * w
        for fn in [LEAKY, scale]:
            x = fn(x)
        return np.sum(x ** 2)
    """,
    "x = fn(x)",
    "make it with functools.partial",
    """
    from functools import partial

    def leaky(z, alpha):
        return np.where(z > 0, z, alpha * z)

    def f(w, x):
        def scale(z):
            return z * w
        for fn in [partial(leaky, alpha=0.1), scale]:
            x = fn(x)
        return np.sum(x ** 2)
    """,
    args=lambda: (X, X),
)

# ---- nested functions that write into the function around them ---------------------------------

case(
    "a nested function writing an outer list, passed on",
    """
    def twice(fn, v):
        return fn(fn(v))

    def f(x):
        out = []
        def step(v):
            out.append(np.sum(v))
            return np.tanh(v)
        y = twice(step, x)
        return np.sum(y) + sum(out)
    """,
    "return fn(fn(v))",
    "call 'step' directly where it is needed",
    """
    def twice(fn, v):
        return fn(fn(v))

    def f(x):
        out = []
        def step(v):
            out.append(np.sum(v))
            return np.tanh(v)
        y = step(step(x))
        return np.sum(y) + sum(out)
    """,
)
case(
    "a loop over the list a nested function appends to",
    """
    def f(x):
        out = [x]
        def grow(v):
            out.append(np.sin(v) * 2.0)
        for v in out:
            if len(out) < 3:
                grow(v)
        return np.sum(np.stack(out))
    """,
    "grow(v)",
    "loop over a copy (for ... in list(out))",
    """
    def f(x):
        out = [x]
        def grow(v):
            out.append(np.sin(v) * 2.0)
        for v in list(out):
            if len(out) < 3:
                grow(v)
        return np.sum(np.stack(out))
    """,
)
case(
    "an alias of the list a nested function appends to",
    """
    def f(x):
        out = []
        alias = out
        def record(v):
            out.append(v)
        record(np.sin(x))
        return np.sum(alias[0] ** 2)
    """,
    "record(np.sin(x))",
    "read 'out' only by its elements",
    """
    def f(x):
        out = []
        def record(v):
            out.append(v)
        record(np.sin(x))
        return np.sum(out[0] ** 2)
    """,
)
case(
    "a nested function appending to a list the caller gave",
    """
    def f(x, out):
        def record(v):
            out.append(v)
        record(np.sin(x))
        return np.sum(out[-1] ** 2)
    """,
    "record(np.sin(x))",
    "have 'record' return what it stores in 'out', and store it here",
    """
    def f(x, out):
        def record(v):
            return v
        out.append(record(np.sin(x)))
        return np.sum(out[-1] ** 2)
    """,
    args=lambda: (X, []),
)
case(
    "a nested function appending to a list, called inside print",
    """
    def f(x):
        out = []
        def record(v):
            out.append(v)
            return np.sum(v)
        print(record(np.sin(x)))
        return np.sum(out[0] ** 2)
    """,
    "print(record(np.sin(x)))",
    "call 'record' in a statement of its own",
    """
    def f(x):
        out = []
        def record(v):
            out.append(v)
            return np.sum(v)
        value = record(np.sin(x))
        print(value)
        return np.sum(out[0] ** 2)
    """,
)
case(
    "a list read in a comprehension on the line of the call that appends to it",
    """
    def f(x):
        trace = []
        def layer(h):
            trace.append(h)
            return np.tanh(h)
        return np.sum(layer(x)) + sum(np.sum(t ** 2) for t in trace)
    """,
    "return np.sum(layer(x)) + sum(np.sum(t ** 2) for t in trace)",
    "call 'layer' on a line of its own",
    """
    def f(x):
        trace = []
        def layer(h):
            trace.append(h)
            return np.tanh(h)
        y = layer(x)
        return np.sum(y) + sum(np.sum(t ** 2) for t in trace)
    """,
)
case(
    "a nested function calling one that appends, inside an expression",
    """
    def f(x):
        out = []
        def record(v):
            out.append(v)
            return np.sum(np.sin(v))
        def both(v):
            return record(v) + record(2.0 * v)
        y = both(x)
        return y + np.sum(out[1])
    """,
    "return record(v) + record(2.0 * v)",
    "call it in a statement of its own there",
    """
    def f(x):
        out = []
        def record(v):
            out.append(v)
            return np.sum(np.sin(v))
        def both(v):
            a = record(v)
            b = record(2.0 * v)
            return a + b
        y = both(x)
        return y + np.sum(out[1])
    """,
)
case(
    "a nonlocal name bound to a derivative in a function passed on",
    """
    def twice(fn, v):
        return fn(fn(v))

    def f(x):
        total = 0.0
        def energy(p):
            nonlocal total
            total = total + np.sum(p)
            return np.sin(p)
        y = twice(energy, x)
        return np.sum(y) + total
    """,
    "return fn(fn(v))",
    "call 'energy' directly where it is needed",
    """
    def twice(fn, v):
        return fn(fn(v))

    def f(x):
        total = 0.0
        def energy(p):
            nonlocal total
            total = total + np.sum(p)
            return np.sin(p)
        y = energy(energy(x))
        return np.sum(y) + total
    """,
)

# ---- second derivatives and ODE solves ------------------------------------------------------------

case(
    "a second derivative through a method of an object made from differentiated values",
    """
    class Gaussian:
        def __init__(self, mu, s):
            self.mu = mu
            self.s = s

        def log_prob(self, x):
            return -0.5 * np.sum(((x - self.mu) / self.s) ** 2)

    def f(mu, x):
        q = Gaussian(mu, 1.5)
        return q.log_prob(x) + np.sum(np.sin(mu))
    """,
    "return q.log_prob(x) + np.sum(np.sin(mu))",
    "pass those values to the method as arguments",
    """
    class Gaussian:
        def __init__(self, s):
            self.s = s

        def log_prob(self, x, mu):
            return -0.5 * np.sum(((x - mu) / self.s) ** 2)

    def f(mu, x):
        q = Gaussian(1.5)
        return q.log_prob(x, mu) + np.sum(np.sin(mu))
    """,
    args=lambda: (X, 2.0 * X),
    hessian=True,
)
ODE_HESSIAN = """
    from scipy.integrate import odeint

    def rhs(y, t, k):
        return -k * y + 0.1 * np.sin(y)

    def f(k, y0):
        ys = odeint(rhs, y0, np.linspace(0.0, 1.0, 5), args=(k,), rtol=1e-11, atol=1e-12)
        return np.sum(ys[-1] ** 2)
    """
case(
    "a second derivative through an ODE solve",
    ODE_HESSIAN,
    "ys = odeint(rhs, y0, np.linspace(0.0, 1.0, 5), args=(k,), rtol=1e-11, atol=1e-12)",
    "finite differences of srcgrad.grad for the Hessian",
    ODE_HESSIAN,
    args=lambda: (0.7, X),
    wrt=1,
    hessian=True,
)
case(
    "an ODE solve's right-hand side reading a differentiated value from around it",
    """
    from scipy.integrate import odeint

    def f(k, y0):
        def rhs(y, t):
            return -k * y
        ys = odeint(rhs, y0, np.linspace(0.0, 1.0, 5), rtol=1e-11, atol=1e-12)
        return np.sum(ys[-1] ** 2)
    """,
    "ys = odeint(rhs, y0, np.linspace(0.0, 1.0, 5), rtol=1e-11, atol=1e-12)",
    "pass those values through args",
    """
    from scipy.integrate import odeint

    def rhs(y, t, k):
        return -k * y

    def f(k, y0):
        ys = odeint(rhs, y0, np.linspace(0.0, 1.0, 5), args=(k,), rtol=1e-11, atol=1e-12)
        return np.sum(ys[-1] ** 2)
    """,
    args=lambda: (0.7, X),
    wrt=(0, 1),
)

# the advice for an ODE solve's second derivative: differences of srcgrad's gradient
ADVISED_BY_DIFFERENCES = {"a second derivative through an ODE solve"}


# ---- the tests -----------------------------------------------------------------------------------


def _function(source: str, names: dict) -> Callable:
    if "scipy" in source:
        pytest.importorskip("scipy")
    return define(source, name="f", **names)


@pytest.mark.parametrize("name", CASES, ids=list(CASES))
def test_the_refusal_names_the_line_and_gives_the_advice(name):
    refusal = CASES[name]
    fn = _function(refusal.refused, refusal.names)
    transform = srcgrad.hessian if refusal.hessian else srcgrad.grad
    args = (refusal.refused_args or refusal.args)()
    wrt = refusal.wrt if refusal.refused_wrt is None else refusal.refused_wrt
    with pytest.raises(srcgrad.SrcgradError) as info:
        transform(fn, wrt=wrt)(*args)
    error = info.value
    assert not isinstance(error, srcgrad.InternalError), str(error)
    assert error.origin is not None, str(error)
    assert error.origin.filename == fn.__code__.co_filename, str(error)
    assert refusal.line in error.origin.text, str(error)
    assert str(error).startswith(f"{fn.__code__.co_filename}:{error.origin.lineno}:")
    assert refusal.advice in f"{error.bare_message} {error.hint}", str(error)


def _indices(wrt) -> tuple:
    return wrt if isinstance(wrt, tuple) else (wrt,)


def _gradient_right(fn, args: tuple, wrt) -> None:
    value, got = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-10)
    want = finite_differences.gradient(fn, args, wrt=wrt)
    got, want = (got, want) if isinstance(wrt, tuple) else ((got,), (want,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    rng = np.random.default_rng(3)
    directions = tuple(rng.normal(size=np.shape(args[i])) for i in _indices(wrt))
    tangents = directions if isinstance(wrt, tuple) else directions[0]
    _, tangent = srcgrad.jvp(fn, args, tangents, wrt=wrt)
    expected = sum(float(np.sum(w * d)) for w, d in zip(want, directions))
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-7)


def _differences_of_the_gradient(fn, args: tuple, wrt: int) -> np.ndarray:
    """The Hessian as central differences of srcgrad's gradient, one input at a time."""
    gradient = srcgrad.grad(fn, wrt=wrt)
    x = np.asarray(args[wrt], dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = 1e-5
        step = step.reshape(x.shape)
        plus, minus = list(args), list(args)
        plus[wrt], minus[wrt] = x + step, x - step
        columns.append((gradient(*plus) - gradient(*minus)) / 2e-5)
    return np.stack(columns, axis=-1)


def _second_differences(fn, args: tuple, wrt: int) -> np.ndarray:
    """The Hessian from values of `fn` alone (independent of srcgrad)."""
    x = np.asarray(args[wrt], dtype=float)
    h = 1e-3

    def at(point):
        changed = list(args)
        changed[wrt] = point
        return float(fn(*changed))

    n = x.size
    hessian = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            hessian[i, j] = (
                at(x + e_i + e_j) - at(x + e_i - e_j) - at(x - e_i + e_j) + at(x - e_i - e_j)
            ) / (4 * h * h)
    return hessian


@pytest.mark.parametrize("name", CASES, ids=list(CASES))
def test_the_advice_works(name):
    refusal = CASES[name]
    fn = _function(refusal.advised, refusal.names)
    args = refusal.args()
    if name in ADVISED_BY_DIFFERENCES:
        got = _differences_of_the_gradient(fn, args, refusal.wrt)
        want = _second_differences(fn, args, refusal.wrt)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        return
    _gradient_right(fn, args, refusal.wrt)
    if refusal.hessian:
        hessian = srcgrad.hessian(fn, wrt=refusal.wrt)(*args)
        want = _differences_of_the_gradient(fn, args, refusal.wrt)
        np.testing.assert_allclose(hessian, want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            hessian, _second_differences(fn, args, refusal.wrt), rtol=1e-4, atol=1e-5
        )


def test_every_refusal_in_the_readme_has_a_case():
    """README's list of refusals, item by item, against the cases above."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("Refused, each with a `SrcgradError`")
    listed = readme[start : readme.index("\n\n", start)]
    covered = {
        "`async`": "an async function inside the function",
        "`global`": "a global declaration",
        "`del`": "a del statement",
        "imports and class definitions": "an import inside the function",
        "set and dict\ncomprehensions": "a dict comprehension",
        "dict displays with computed keys": "a dict display with a computed key",
        "`yield` in the differentiated function": "yield in the differentiated function",
        "repeating lists or tuples with `*`": "a list repeated with *",
        "a nested function that writes into": "a loop over the list a nested function appends to",
        "the function used as a value": "a nested function writing an outer list, passed on",
        "the list held by another name or given by the caller": (
            "a nested function appending to a list the caller gave"
        ),
        "a call inside an expression of another nested function": (
            "a nested function calling one that appends, inside an expression"
        ),
        "of a call made for its\neffect": (
            "a nested function appending to a list, called inside print"
        ),
        "a line that also reads the list in a comprehension": (
            "a list read in a comprehension on the line of the call that appends to it"
        ),
        "`functools.partial`": "a partial holding a differentiated value by position, passed on",
        "an update in place of memory": "an update in place of memory another name reads later",
        "a generator taken in part": "a generator taken in part",
        "`return`, `break` or `continue` through\n`finally`": "return through finally",
        "a change of what an\nobject holds": (
            "a method that sets an attribute of an object that carries a derivative"
        ),
        "`setattr`": "setattr of a differentiated value",
        "an append to or a store\ninto a list, dict or array an attribute": (
            "an append to a list an attribute holds"
        ),
        "a method that does one of these,\ncalled for its effect": (
            "a method called for its effect that stores a differentiated value in its object"
        ),
        "a second derivative through a method": (
            "a second derivative through a method of an object made from differentiated values"
        ),
        "or through an ODE solve": "a second derivative through an ODE solve",
        "the derivative of an ODE\nsolve": (
            "an ODE solve's right-hand side reading a differentiated value from around it"
        ),
        "complex inputs": "a complex input",
        "a closure Python made": "a closure Python made, among functions that carry a derivative",
    }
    flat = " ".join(listed.split())
    for words, name in covered.items():
        assert " ".join(words.split()) in flat, words
        assert name in CASES, name
