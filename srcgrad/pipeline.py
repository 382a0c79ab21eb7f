"""The whole tool in one place: the stages a function goes through to become its derivative.

    read ─► fence ─► normalize ─► analyse + transform ─► optimize ─► (checks) ─► emit ─► load
    front    front    normalize/   analyse/ transform/    optimize/                front  front

`gradient` runs them in order: `prepared` (read, fence, normalize), `transformed` (the analyses
and reverse or forward mode), `optimized` (the optimizer's passes, then `check_finite`'s checks
and the releases of large arrays), `emit`, `loaded`. Each stage is a module or a folder of
one-pass modules with one entry point; nothing else in srcgrad sequences them. `Callees` keeps
the transforms of the user's functions that generated code calls, made by the public layer.
"""

from __future__ import annotations

import inspect
import linecache
import os
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import gast

from .analyse.effects import effect_free
from .analyse.shapes import Callee, dtype_name, is_floating
from .errors import InternalError, SrcgradError, UnsupportedSyntaxError
from .front import fence, nodes, reading
from .front.context import Context, Mode
from .front.emit import emit
from .front.loading import load
from .normalize import normalize
from .optimize import broadcast, finite
from .optimize.as_methods import as_methods
from .optimize.other_arrays import other_arrays
from .optimize.release import release
from .optimize.simplify import optimize
from .runtime.arrays import guarded
from .runtime.checks import calling_line, register_origins
from .runtime.tangents import zero_tangent
from .transform.forward import forward_mode
from .transform.reverse import reverse_mode


@dataclass(frozen=True)
class Generated:
    """A generated function and its source text."""

    function: types.FunctionType
    source: str
    tangents: tuple[str, ...] = ()  # forward mode: the tangent parameters, in `wrt` order
    # what the names the code was generated from denoted: it is right while they still do
    bindings: tuple[reading.Binding, ...] = ()

    def holds(self) -> bool:
        """Every global, closure cell and attribute the code was generated from denotes the
        same object as then."""
        return all(binding.holds() for binding in self.bindings)


@dataclass
class Callees:
    """The transforms of the user's own functions that generated code calls (`vjp_h`, `jvp_h`),
    one object per function and active parameters, so that every caller (recursion included)
    names the same one. The transforms ask for them through `ctx.callees`; the public layer says
    how to make them (`make_pullback`, `make_tangent`), and the pipeline keeps them."""

    make_pullback: Callable  # (fn, wrt, check_finite) -> a vjp-mode transform
    make_tangent: Callable  # (fn, wrt) -> a forward-mode transform
    # (fn, active, args, kwargs) -> (function, args, kwargs, active parameters): what a call of
    # a function known only at run time differentiates (api/dynamic.py)
    make_callee: Callable = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    pullbacks: dict = field(default_factory=dict)
    tangents: dict = field(default_factory=dict)
    plain: dict = field(default_factory=dict)
    _making: threading.local = field(default_factory=threading.local)

    def pullback(self, fn: Callable, active: tuple[str, ...], check_finite: bool = False):
        """The vjp-mode transform of `fn` for these active parameters: called by generated
        code as `y, h_back = vjp_h(a, b)`."""
        key = (fn, active, check_finite)
        with self.lock:
            found = self.pullbacks.get(key)
            if found is None:
                wrt = active[0] if len(active) == 1 else active  # one adjoint: not in a tuple
                found = self.pullbacks[key] = self.make_pullback(fn, wrt, check_finite)
            return found

    def call_pullback(self, fn, active: tuple, *args, check_finite=False, **kwargs):
        """`y, f_back = call_vjp(f, active, *args)`: the pullback of a call of a function known
        only as the code runs (`active`: the positions and keywords of the arguments that carry
        a derivative)."""
        target, args, kwargs, params, held = self.make_callee(fn, active, args, kwargs)
        if hasattr(target, "pullback"):  # a new object of the user's (api/objects.py)
            return target.pullback(params, args, kwargs)
        if not params:  # (a function value that holds nothing, called on constants)
            return target(*args, **kwargs), lambda g: {}
        value, back = self.pullback(target, params, check_finite)(*args, **kwargs)
        if held is None:
            return value, back
        return value, _grouped(back, len(params), held)

    def call_tangent(self, fn, active: tuple, tangents: tuple, *args, **kwargs):
        """`y, y_dot = call_jvp(f, active, tangents, *args)`: the same in forward mode."""
        target, args, kwargs, params, held = self.make_callee(fn, active, args, kwargs)
        if hasattr(target, "tangent"):  # a new object of the user's (api/objects.py)
            return target.tangent(params, tangents, args, kwargs)
        if held is not None:  # the tangents of what the function holds: one dict, last
            tangents = (*tangents[:-1], *_held_tangents(tangents[-1], held, kwargs))
        if not params:  # (a function value that holds nothing, called on constants)
            value = target(*args, **kwargs)
            return value, zero_tangent(value)
        return self.tangent(target, params)(tangents, *args, **kwargs)

    def call_pullback_of_tangent(self, fn, active: tuple, tangents: tuple, *args, **kwargs):
        """`y, back = call_vjp_of_jvp(f, active, tangents, *args)`: the pullback of a
        `call_jvp` in forward-mode code read again (a Hessian through a function known only
        as the code runs, reverse over forward). The function's plain forward code, made for
        what arrives, is differentiated in reverse like any other; `back(g)` gives the
        adjoints of the active arguments, then those of the tangents."""
        target, args, kwargs, params, held = self.make_callee(fn, active, args, kwargs)
        if hasattr(target, "tangent"):
            raise UnsupportedSyntaxError(
                "a second derivative through a new object of a class of the user's, made "
                "as the code runs, is not supported yet",
                calling_line(),
                "make the object outside the differentiated function, or pass its values to "
                "a function as arguments",
            )
        if held is not None:  # (the tangents of what the function holds: one dict, last)
            tangents = (*tangents[:-1], *_held_tangents(tangents[-1], held, kwargs))
        if not params:  # (a function value that holds nothing, called on constants)
            value = target(*args, **kwargs)
            return (value, zero_tangent(value)), lambda g: ({}, {})
        plain = self.plain_tangent(target, tuple(params))
        inner = (*params, *plain.tangents)
        given = dict(zip(plain.tangents, tangents))
        value, back = self.pullback(plain.function, inner)(*args, **kwargs, **given)
        if held is None:
            return value, back
        # (the adjoints of the held values, then of their tangents, each as one dict)
        own, count = len(params) - len(held), len(params)

        def grouped(g):
            grads = back(g)
            grads = grads if len(inner) > 1 else (grads,)
            values, dots = grads[:count], grads[count:]
            return (
                *values[:own],
                dict(zip(held, values[own:])),
                *dots[:own],
                dict(zip(held, dots[own:])),
            )

        return value, grouped

    def tangent(self, fn: Callable, active: tuple[str, ...]):
        """The forward-mode transform of `fn` for these active parameters, called by generated
        code as `jvp_h((a_dot, ...), a, ...)`."""
        key = (fn, active)
        with self.lock:
            found = self.tangents.get(key)
            if found is None:
                found = self.tangents[key] = self.make_tangent(fn, tuple(active))
            return found

    def plain_tangent(
        self, fn: Callable, active: tuple[str, ...], origin=None, functions: tuple = ()
    ) -> Generated:
        """`fn`'s forward-mode code for these active parameters as a plain function of any
        argument shapes, returning `(value, tangent)`, with keyword-only tangent parameters
        (`Generated.tangents`): what code that is transformed again calls. `functions` are the
        `(parameter, function)` the caller passes, which the code is specialised on."""
        key = (fn, active, tuple((p, id(f)) for p, f in functions))
        with self.lock:
            found = self.plain.get(key)
            if found is not None:
                return found
            making = getattr(self._making, "keys", None)
            if making is None:
                making = self._making.keys = set()
            if key in making:
                raise UnsupportedSyntaxError(
                    f"'{fn.__name__}' calls itself: a recursive function has no derivative of a "
                    "derivative in srcgrad yet",
                    origin,
                    "write the recursion as a loop",
                )
            making.add(key)
            try:
                params = list(inspect.signature(fn, follow_wrapped=False).parameters)
                signature = dict.fromkeys(params)
                signature.update((p, (None, Callee(f))) for p, f in functions)
                found = gradient(fn, active, True, signature, self, Mode.JVP_PLAIN)
            finally:
                making.discard(key)
            self.plain[key] = found
            return found

    def forget(self) -> None:
        """Drop every callee (a new rule was registered: code made before would not use it)."""
        with self.lock:
            self.pullbacks.clear()
            self.tangents.clear()
            self.plain.clear()


def _grouped(back: Callable, count: int, held: tuple[str, ...]) -> Callable:
    """`back`, whose adjoints are those of `count` parameters, the last ones the values a
    function value holds (`held`): those last as one dict, as the function value's adjoint."""
    own = count - len(held)

    def grouped(g):
        grads = back(g)
        grads = grads if count > 1 else (grads,)
        parts = [*grads[:own], dict(zip(held, grads[own:]))]
        return parts[0] if len(parts) == 1 else tuple(parts)

    return grouped


def _held_tangents(holding, held: tuple[str, ...], kwargs: dict) -> list:
    """The tangents of the values a function value holds, from its tangent (a dict of theirs;
    None or a missing key: zeros)."""
    holding = holding or {}
    return [holding[k] if k in holding else zero_tangent(kwargs[k]) for k in held]


@dataclass(frozen=True)
class Request:
    """What to generate: the derivative of a function with respect to `wrt`, in `mode`, for
    arguments of `signature` (each parameter's `(shape, dtype)`, or None where not known)."""

    wrt: tuple[str, ...]
    wrt_is_tuple: bool
    signature: dict[str, tuple | None]
    mode: Mode = Mode.GRAD
    check_finite: bool = False  # check every adjoint for nan and infinity (optimize/finite.py)
    tape_limit: int | None = None  # bytes: the loops to checkpoint (transform/checkpoints.py)


def gradient(
    fn: types.FunctionType,
    wrt: tuple[str, ...],
    wrt_is_tuple: bool,
    signature: dict[str, tuple | None],
    callees: Callees,
    mode: Mode = Mode.GRAD,
    check_finite: bool = False,
    tape_limit: int | None = None,
) -> Generated:
    """The generated function of `fn` (see `Request`). `callees` makes and keeps the transforms
    of the user's functions that the code calls."""
    request = Request(wrt, wrt_is_tuple, signature, mode, check_finite, tape_limit)
    parsed = reading.read(fn)
    try:
        ctx = prepared(parsed, request, callees)
        tree, tangents = transformed(ctx, request)
        optimized(tree, ctx, request)
        origins: dict = {}
        text = emit(tree, origins)
    except SrcgradError:
        raise
    except Exception as exc:  # a bug in srcgrad: say so, with the user's function
        raise InternalError(
            f"srcgrad failed while differentiating this function ({type(exc).__name__}: {exc})",
            parsed.definition,
            "this is a bug in srcgrad; please report it with the function's source",
        ) from exc
    return loaded(parsed, ctx, request, text, tangents, origins)


def prepared(parsed: reading.Parsed, request: Request, callees: Callees | None) -> Context:
    """The fence passed, the context made, the function normalized."""
    fence.check(parsed)
    ctx = Context.of(parsed)
    ctx.callees = callees
    ctx.wrt_is_tuple = request.wrt_is_tuple
    ctx.check_finite = request.check_finite
    ctx.tape_limit = request.tape_limit
    signature = request.signature
    ctx.floating = all(
        signature.get(w) is not None and is_floating(signature[w][1]) for w in request.wrt
    )
    ctx.dtypes = {p: dtype_name(s[1]) for p, s in signature.items() if s is not None}
    # (`(shape, dtype, type)`: an array of another library, analyse.shapes.of_value)
    ctx.other_arrays = frozenset(p for p, s in signature.items() if s is not None and len(s) > 2)
    rebound = nodes.names_stored(gast.Module(body=parsed.tree.body, type_ignores=[]))
    ctx.functions = {
        p: s[1].value
        for p, s in signature.items()
        if s is not None and isinstance(s[1], Callee) and p not in rebound
    }
    normalize(ctx)
    return ctx


def transformed(ctx: Context, request: Request) -> tuple[gast.FunctionDef, list[str]]:
    """The analyses and the transform: the generated function's tree, and (forward mode) its
    tangent parameters."""
    signature = request.signature
    shapes = {p: (s[0] if s is not None else None) for p, s in signature.items()}
    for name, default in (getattr(ctx.parsed.fn, "__kwdefaults__", None) or {}).items():
        if name not in signature and type(default) is float:  # a tangent's 1.0
            shapes[name] = ()
            ctx.dtypes[name] = "float"
    if request.mode.forward:
        return forward_mode(ctx, list(request.wrt), shapes, request.mode)
    return reverse_mode(ctx, list(request.wrt), shapes, request.mode), []


def optimized(tree: gast.FunctionDef, ctx: Context, request: Request) -> None:
    """The optimizer's passes, then the checks of `check_finite` and the releases of large
    arrays."""
    mode = request.mode
    if mode.forward:
        kept = ctx.names.tangents_of_user_names()
    else:
        kept = ctx.names.adjoints_of_user_names()
    scalars = frozenset(name for name, shape in ctx.shapes.items() if shape == ())
    floats = frozenset(ctx.names.adjoints_all() | ctx.names.tangents_all())
    broadcast.specialize(tree, ctx)
    if request.check_finite:  # (before the optimizer: it keeps every check, as an effect)
        finite.add_checks(tree, ctx)
    pure = partial(effect_free, ctx=ctx)
    float_inputs = _float_inputs(tree, ctx)
    optimize(
        tree, ctx.names.generated, kept, scalars, floats, ctx.views, pure, float_inputs, ctx.counts
    )
    if request.check_finite:
        finite.prune(tree, ctx)
    if not mode.read_again:  # (code transformed again reads np.sum)
        as_methods(tree, ctx)
        other_arrays(tree, ctx)  # (dask's full_like takes numbers only)
    if not mode.read_again:  # (the fence refuses `del` in code it reads)
        release(tree, ctx)


def _float_inputs(tree: gast.FunctionDef, ctx: Context) -> frozenset:
    """The parameters that hold floats when called and that the generated code never binds."""
    parameters = nodes.names_stored(tree.args)
    bound = nodes.names_stored(gast.Module(body=tree.body, type_ignores=[]))
    dtypes = ctx.dtypes
    return frozenset(p for p in parameters - bound if p in dtypes and is_floating(dtypes[p]))


def loaded(
    parsed: reading.Parsed,
    ctx: Context,
    request: Request,
    text: str,
    tangents: list[str],
    origins: dict | None = None,
) -> Generated:
    """The text compiled under a file name that says what it is, and registered for
    tracebacks; with the user's line of each generated line, for errors raised as it runs."""
    mode = request.mode
    what = mode.value.replace("_", " ")
    where = f"{os.path.basename(parsed.filename)}:{parsed.definition.lineno}"
    filename = f"<srcgrad: {what} of {parsed.name}, {where}>"
    lines = text.splitlines(keepends=True)
    copy = 1
    while linecache.cache.get(filename, (0, None, lines))[2] != lines:
        copy += 1  # (other code of the same function, for other active arguments: a name of
        filename = f"<srcgrad: {what} ({copy}) of {parsed.name}, {where}>"  # its own to read)
    function = load(text, filename, parsed.fn, ctx.support.injected)
    if origins:
        register_origins(filename, origins)
    if mode is Mode.TANGENT:  # a derivative to transform again: the tangents default to 1.0
        function.__kwdefaults__ = {
            **(function.__kwdefaults__ or {}),
            **dict.fromkeys(tangents, 1.0),
        }
    if ctx.other_arrays and not mode.read_again and "dask" in sys.modules:
        # (nothing computed on the client; dask gradients chunked as their arguments)
        chunked = mode in (Mode.GRAD, Mode.VALUE_AND_GRAD)
        function = guarded(
            function,
            request.wrt if chunked else (),
            request.wrt_is_tuple,
            mode is Mode.VALUE_AND_GRAD,
        )
    bindings = tuple(parsed.namespace.bindings.values())
    return Generated(function, text, tuple(tangents), bindings)
