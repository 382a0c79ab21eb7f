"""Calls of functions known only when the code runs: `f(x)` where `f` came from a list, a dict,
a loop over functions, or is a method of an object (`layer.forward(x)`, `self.predict(x)`).

Generated code calls `call_vjp(f, active, *args)` (reverse mode) or
`call_jvp(f, active, tangents, *args)` (forward mode: `pipeline.Callees.call_pullback` and
`call_tangent`), where `active` names the arguments that carry a derivative (positions,
keywords); `callee` here says what to differentiate. The function that arrives is differentiated
like any other call, by what it is: a user's function through its own generated code (made
once per function and active parameters, as for a call srcgrad sees in the source); a bound
method through its class's function with the instance fixed; a `functools.partial` through its
function with its arguments fixed; a library function with a derivative rule through a
one-line function that calls it. Anything else is refused at the user's line.

Where the function value itself carries a derivative (HELD: a closure over differentiated
values, `closure(step, W=W)`, or a function taken from a container of functions that carries
one, `compose(np.sin, lambda z: z * w)`), what it holds by keyword is differentiated too, its
adjoint (and tangent) a dict of theirs; a function that holds nothing (`np.sin`, a function of
the user's module) has `{}`. A closure Python made, or a bound method of an object of the
user's, is refused there: srcgrad cannot tell whether what it holds carries a derivative. A
user's function that writes into an argument is refused here, as a call srcgrad sees in the
source is (its generated code works on a copy: the caller would not see the change).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import threading
import types

import numpy as np

from ..analyse.memory import summary_of
from ..errors import NoRuleError, SrcgradError, UnsupportedSyntaxError
from ..front import fence, reading
from ..front.context import Context, Mode
from ..normalize import normalize, outer_writes, starred
from ..normalize.ir import has_user_source
from ..normalize.objects import is_user_class
from ..rules.registry import definition, reverse_rule, tangent_rule
from ..runtime.checks import calling_line
from ..runtime.containers import is_object
from ..transform.dynamic import HELD, SELF
from . import objects

_WRAPPERS: dict = {}  # (function, positional count, keywords) -> a one-line Python function
_LOCK = threading.RLock()
_COUNT = itertools.count(1)


def callee(fn, active: tuple, args: tuple, kwargs: dict):
    """The Python function to differentiate, its arguments, the names of its parameters bound
    to the `active` arguments (positions and keywords of the call), in their order, and last
    the names of those bound to what the function value holds, where `active` says that
    carries a derivative too (HELD: a closure's keywords, `closure(step, W=W)`)."""
    through_self = SELF in active or (HELD in active and is_object(fn))
    if SELF in active:  # `q.log_prob(x)` of an object that carries a derivative
        fn = objects.method(*fn, len(args), tuple(kwargs))
    elif is_object(fn):  # `layer(x)`: its `__call__`
        fn = objects.method(fn, "__call__", len(args), tuple(kwargs))
    if isinstance(fn, type) and is_user_class(fn):  # `Gaussian(m, s)`: a new object
        return objects.Constructor(fn), args, kwargs, tuple(active), None
    active = tuple(a for a in active if not (through_self and a in (HELD, SELF)))
    positions = [a for a in active if isinstance(a, int)]
    keywords = [a for a in active if isinstance(a, str) and a != HELD]
    held: tuple | None = None
    if HELD in active:
        held = _held(fn, kwargs)
    fixed = 0  # arguments the callee brings itself, before the call's own
    while True:
        if isinstance(fn, types.MethodType):
            args, fixed, fn = (fn.__self__, *args), fixed + 1, fn.__func__
        elif isinstance(fn, functools.partial):
            args, fixed = (*fn.args, *args), fixed + len(fn.args)
            given = set(kwargs)
            kwargs = {**{k: v for k, v in fn.keywords.items() if k not in given}, **kwargs}
            fn = fn.func
        else:
            break
    nested = getattr(fn, "nested", None)
    if nested is not None and callable(nested) and hasattr(fn, "tangent_function"):
        fn, args, kwargs = _inner_gradient(fn, args, kwargs)  # srcgrad.grad(g) in the code
    if not has_user_source(fn):
        fn = _wrapper(fn, len(args), tuple(kwargs))
    elif fn.__code__.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        # (`def __call__(self, *inputs)`: the copy made for this call, one parameter per
        # argument, so that each argument gets its own adjoint, not the star tuple's)
        made = starred.specialised(fn, len(args), tuple(kwargs))
        if made is not None:
            fn, renamed = made
            kwargs = {renamed.get(k, k): v for k, v in kwargs.items()}
            keywords = [renamed.get(k, k) for k in keywords]
    try:
        bound = inspect.signature(fn, follow_wrapped=False).bind(*args, **kwargs)
    except TypeError as exc:
        raise NoRuleError(
            f"cannot call '{_name(fn)}' with these arguments ({exc})", calling_line()
        ) from None
    names = list(bound.arguments)
    params = [names[fixed + k] for k in positions]
    params += [_parameter(bound, k) for k in keywords]
    params += [_parameter(bound, k) for k in held or ()]
    if through_self:  # (the object is the bound method's first argument)
        params.append(names[0])
    _refuse_writes(fn, bound, params)
    return fn, args, kwargs, tuple(params), held


def _inner_gradient(gradient, args: tuple, kwargs: dict) -> tuple:
    """`srcgrad.grad(g)` (or `value_and_grad`) called in the code, as plain code that can be
    differentiated again, called as the code calls the gradient: the gradient's forward-mode
    code (api/gradient.py, `nested`), one per argument of a tuple `wrt`, with `g`'s value
    beside them for `value_and_grad`."""
    _refuse_inner(gradient)
    plain = gradient.mode is Mode.GRAD and not gradient.wrt_is_tuple
    if plain and (gradient.bound is not None or gradient._star is not None or gradient._double):
        return gradient.nested(args, kwargs)  # (called with the arguments nested binds)
    if not plain and (gradient.bound is not None or gradient._star is not None):
        raise UnsupportedSyntaxError(
            f"'{gradient.__name__}', a value_and_grad or a gradient with respect to several "
            "arguments of a method or of a function with *args, called inside a "
            "differentiated function, is not supported",
            calling_line(),
            "call srcgrad.grad with respect to one argument there",
        )
    # (srcgrad.grad of `fn` with respect to each argument: made by the class that defines
    # `nested`, gradient.Gradient, which imports this module)
    grad = next(c for c in type(gradient).__mro__ if "nested" in vars(c))
    made = [grad(gradient._given, w).nested(args, kwargs)[0] for w in gradient.wrt]
    value = gradient.fn if gradient.mode is Mode.VALUE_AND_GRAD else None
    shape = (len(args), tuple(kwargs), gradient.wrt_is_tuple)
    return _called_as_given(gradient, tuple(made), value, shape), args, kwargs


def _refuse_inner(gradient) -> None:
    """A transform called inside a differentiated function other than `grad` or
    `value_and_grad` (a `vjp` or forward-mode one, a gradient of a gradient), refused at the
    line that calls it."""
    if gradient.mode in (Mode.GRAD, Mode.VALUE_AND_GRAD) and gradient.inner is None:
        return
    what = "a gradient of a gradient" if gradient.inner is not None else "a forward-mode transform"
    raise UnsupportedSyntaxError(
        f"'{gradient.__name__}', {what}, called inside a differentiated function is not supported",
        calling_line(),
        "call srcgrad.grad or srcgrad.value_and_grad of a function there (a function that "
        "itself calls srcgrad.grad is fine)",
    )


class _Spelled(str):
    """A parameter of `_called_as_given`'s function, as bound to the gradient's parameters."""


def _called_as_given(gradient, functions: tuple, value, shape: tuple):
    """`def grad_f(_a0, *, s): return _G0(_a0, _D0, s=s)`: the code `nested` made for the
    gradient's parameters in order (`_D0` a default), called with the arguments as the code
    gives them, so that the positions and keywords the dispatch marks active still say which;
    a tuple of them for a tuple `wrt`; with `value`, `(value(...), gradient)`."""
    count, keywords, is_tuple = shape
    key = ("called as given", functions, value, shape)
    with _LOCK:
        made = _WRAPPERS.get(key)
        if made is not None:
            return made
        given = [_Spelled(f"_a{k}") for k in range(count)]
        bound = gradient._signature.bind(*given, **{k: _Spelled(k) for k in keywords})
        bound.apply_defaults()
        namespace = {"_F": value, "__name__": "srcgrad_calls"}
        passed = []
        for k, (name, argument) in enumerate(bound.arguments.items()):
            if not isinstance(argument, _Spelled):
                namespace[f"_D{k}"], argument = argument, f"_D{k}"
            passed.append(argument if k < gradient._positional else f"{name}={argument}")
        call = ", ".join(passed)
        namespace.update({f"_G{k}": f for k, f in enumerate(functions)})
        result = ", ".join(f"_G{k}({call})" for k in range(len(functions)))
        result = f"({result},)" if is_tuple else result
        result = f"_F({call}), {result}" if value is not None else result
        name = gradient.__name__ if gradient.__name__.isidentifier() else "grad_function"
        signature = ", ".join([*given, *(["*", *keywords] if keywords else [])])
        text = f"def {name}({signature}):\n    return {result}\n"
        made = _WRAPPERS[key] = _compiled(text, name, namespace)
        return made


def _compiled(text: str, name: str, namespace: dict):
    """The function `name` that `text` defines, its source registered in linecache."""
    filename = f"<srcgrad: call {next(_COUNT)} of {name}>"
    exec(compile(text, filename, "exec"), namespace)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    return namespace[name]


def _held(fn, kwargs: dict) -> tuple[str, ...]:
    """The keywords of `fn`, a function value that carries a derivative (HELD), whose values
    are differentiated: a closure's or a partial's (`closure(step, W=W)`), except those the
    call passes itself and the functions it holds (a nested function it calls carries no
    derivative itself). A function that holds nothing (`np.sin`, a module-level function, a
    bound method of a library's object), found where a container of functions carries a
    derivative (`compose(np.sin, lambda z: z * w)`), holds none: its adjoint is `{}`."""
    if isinstance(fn, functools.partial):
        # (a partial's positional arguments carry none: analyse/program.py refuses that)
        return tuple(k for k, v in fn.keywords.items() if k not in kwargs and not callable(v))
    # (a closure Python made, or a bound method of an object of the user's: srcgrad cannot tell
    # whether what it holds carries a derivative)
    code = getattr(fn, "__code__", None)
    cells = dict(zip(getattr(code, "co_freevars", ()), getattr(fn, "__closure__", None) or ()))
    held = sorted(name for name, cell in cells.items() if _carries(cell))
    if held or is_object(getattr(fn, "__self__", None)):
        what = f"a closure over {', '.join(repr(h) for h in held)}" if held else "a method"
        raise UnsupportedSyntaxError(
            f"a call of '{_name(fn)}', {what} among functions that carry a derivative, is not "
            "supported: srcgrad cannot tell whether what it holds carries one",
            calling_line(),
            "make it with functools.partial (partial(f, name=value)) or a nested function, or "
            "pass what it holds to it as arguments",
        )
    return ()


def _carries(cell: types.CellType) -> bool:
    """A closure cell that may hold a value carrying a derivative (not a function, a class, a
    module, a string or None)."""
    try:
        value = cell.cell_contents
    except ValueError:  # (an empty cell)
        return False
    return not (
        callable(value) or value is None or isinstance(value, (str, bytes, types.ModuleType))
    )


def _parameter(bound: inspect.BoundArguments, keyword: str) -> str:
    """The parameter a keyword argument is bound to (itself, or a `**kwargs` parameter)."""
    if keyword in bound.arguments:
        return keyword
    raise UnsupportedSyntaxError(
        f"a differentiated value passed as '{keyword}=' into '**' of the function called here "
        "is not supported",
        calling_line(),
        "pass it by the name of a parameter of the function",
    )


def _refuse_writes(fn, bound: inspect.BoundArguments, params: list[str]) -> None:
    """Refuse a call that writes into its arguments, except into a list or dict with no
    derivative in it and none written into it (a counter, a log, a `nonlocal` name): the
    callee's code leaves in it what plain Python leaves (analyse/in_place.py)."""
    summary = summary_of(fn)
    sources = summary.written_from or {}
    writes = {
        name
        for name in summary.writes & set(bound.arguments)
        if name in params
        or type(bound.arguments[name]) not in (list, dict)
        or name not in sources
        or sources[name] & set(params)
    }
    if writes:
        name = "self" if "self" in writes else sorted(writes)[0]
        nested = outer_writes.refusal(fn, name)
        if nested is not None:  # (a nested function's list it could not give back)
            raise UnsupportedSyntaxError(nested[0], calling_line(), nested[1])
        if summary.unread is not None:  # (what srcgrad cannot follow in it, where)
            _refuse_unread(fn, name)
        raise UnsupportedSyntaxError(
            f"a call of '{_name(fn)}', which changes its argument '{name}' in place, through a "
            "function known only as the code runs, is not supported",
            calling_line(),
            f"have '{_name(fn)}' copy the argument ({name} = {name}.copy()) and return the new "
            "array",
        )


def _refuse_unread(fn, name: str) -> None:
    """A call of `fn`, whose source srcgrad cannot follow (a method that sets an attribute of
    `self`), refused at the calling line, saying what it cannot follow and where."""
    try:
        parsed = reading.read(fn)
        fence.check(parsed)
        normalize(Context.of(parsed))  # (normalize/objects.py refuses more ways to write)
    except SrcgradError as exc:
        where = f" ({exc.origin.where()}: {exc.origin.text.strip()})" if exc.origin else ""
        raise UnsupportedSyntaxError(
            f"a call of '{_name(fn)}', which changes its argument '{name}' in place, through a "
            f"function known only as the code runs, is not supported: in it, "
            f"{exc.bare_message}{where}",
            calling_line(),
            exc.hint,
        ) from None


def _wrapper(fn, count: int, keywords: tuple[str, ...]):
    """`def tanh(a0, a1, *, k): return F(a0, a1, k=k)`: a function srcgrad reads like the
    user's, for a library function it has a rule (or a definition) for."""
    if not _differentiable(fn):
        raise NoRuleError(
            f"no derivative rule for '{_name(fn)}', the function called here",
            calling_line(),
            "srcgrad differentiates the user's Python functions and the NumPy and SciPy "
            "functions it has rules for",
        )
    key = (fn, count, keywords)
    with _LOCK:
        made = _WRAPPERS.get(key)
        if made is not None:
            return made
        name = _name(fn) if _name(fn).isidentifier() else "function"
        params = [f"a{k}" for k in range(count)]
        signature = ", ".join([*params, *(["*", *keywords] if keywords else [])])
        passed = ", ".join([*params, *(f"{k}={k}" for k in keywords)])
        text = f"def {name}({signature}):\n    return F({passed})\n"
        filename = f"<srcgrad: call {next(_COUNT)} of {name}>"
        namespace = {"F": fn, "np": np, "__name__": "srcgrad_calls"}
        exec(compile(text, filename, "exec"), namespace)
        made = namespace[name]
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        _WRAPPERS[key] = made
        return made


def columns(generated, count: int, keywords: tuple[str, ...], shape: tuple):
    """A gradient with respect to an array, written as code srcgrad can differentiate again:
    one call of the forward-mode code `generated` per element, along that element's unit
    vector, the results stacked into the gradient's shape."""
    key = (generated.function, count, keywords, shape)
    with _LOCK:
        made = _WRAPPERS.get(key)
        if made is not None:
            return made
        name = generated.function.__name__.replace("jvp_", "grad_", 1)
        params = [f"a{k}" for k in range(count)]
        signature = ", ".join([*params, *(["*", *keywords] if keywords else [])])
        passed = ", ".join([*params, *(f"{k}={k}" for k in keywords)])
        size = int(np.prod(shape))
        text = (
            f"def {name}({signature}):\n"
            "    columns = []\n"
            f"    for k in range({size}):\n"
            f"        e = np.zeros({size})\n"
            "        e[k] = 1.0\n"
            f"        columns.append(T({passed}, {generated.tangents[0]}=e.reshape({shape!r})))\n"
            f"    return np.reshape(np.stack(columns), {shape!r})\n"
        )
        filename = f"<srcgrad: call {next(_COUNT)} of {name}>"
        namespace = {"T": generated.function, "np": np, "__name__": "srcgrad_calls"}
        exec(compile(text, filename, "exec"), namespace)
        made = namespace[name]
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        _WRAPPERS[key] = made
        return made


def _differentiable(fn) -> bool:
    try:
        return (
            reverse_rule(fn) is not None
            or tangent_rule(fn) is not None
            or definition(fn) is not None
        )
    except TypeError:
        return False


def _name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def standalone(fn):
    """`srcgrad.grad(np.tanh)`: a library function with a derivative rule (or a partial of any
    function) as a Python function srcgrad reads, of the same parameters; `fn` itself otherwise
    (reading it says why it cannot be differentiated)."""
    if isinstance(fn, functools.partial) or has_user_source(fn) or not _differentiable(fn):
        return fn
    if isinstance(fn, np.ufunc):
        return _wrapper(fn, fn.nin, ())
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return fn
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in plain for p in params) or any(
        p.default is not inspect.Parameter.empty for p in params
    ):
        required = [p for p in params if p.kind in plain and p.default is inspect.Parameter.empty]
        return _wrapper(fn, len(required), ())  # (its required arguments; defaults as they are)
    return _wrapper(fn, len(params), ())
