"""The public transformations: `grad`, `value_and_grad`, `vjp`, `forward`, `jvp`, `show`.

Each returns (or calls) a transform object of `gradient.py`, which generates code on the first
call for each argument signature and caches it.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TextIO, overload

import numpy as np

from ..errors import NonScalarOutputError, WrtError
from ..front import reading
from ..front.context import Mode
from ..rules.registry import calling
from . import pickling, views
from .gradient import Forward, Gradient
from .hints import P, Wrt


@overload
def grad(
    fn: Callable[P, Any],
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: Literal[False] = ...,
) -> Gradient[P]: ...
@overload
def grad(
    fn: Callable[P, Any],
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: bool,
) -> Callable[P, Any]: ...
@overload
def grad(
    fn: None = ...,
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: Literal[False] = ...,
) -> Callable[[Callable[P, Any]], Gradient[P]]: ...
@overload
def grad(
    fn: None = ...,
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: bool,
) -> Callable[[Callable[P, Any]], Callable[P, Any]]: ...
def grad(
    fn: Callable[P, Any] | None = None,
    wrt: Wrt = 0,
    *,
    argnums: Wrt | None = None,
    check_finite: bool = False,
    tape_limit: int | str | None = None,
    has_aux: bool = False,
) -> Any:
    """The gradient of scalar-valued `fn` with respect to argument(s) `wrt`.

    `wrt` is an index or a parameter name, or a tuple of them (then a tuple of gradients is
    returned). `argnums` is accepted as another spelling of `wrt`. Usable as `@grad` or
    `@grad(wrt=...)`. With `check_finite=True`, the first adjoint that becomes nan or infinite
    raises `NonFiniteError` naming the line of `fn` whose derivative produced it. With
    `has_aux=True`, `fn` returns `(value, aux)`: the result is `(gradient, aux)`. With
    `tape_limit="200 MB"` (or a number of bytes), loops whose tape may not fit are
    checkpointed, with as many snapshots as fit (`srcgrad.checkpointed`).
    """
    wrt = _wrt_or_argnums(wrt, argnums)
    make = _WithAux if has_aux else Gradient
    options = {"check_finite": check_finite, "tape_limit": tape_limit}
    if fn is None:
        return lambda f: _made(make, f, wrt, options)
    return _made(make, fn, wrt, options)


@overload
def value_and_grad(
    fn: Callable[P, Any],
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: Literal[False] = ...,
) -> Gradient[P]: ...
@overload
def value_and_grad(
    fn: Callable[P, Any],
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: bool,
) -> Callable[P, Any]: ...
@overload
def value_and_grad(
    fn: None = ...,
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: Literal[False] = ...,
) -> Callable[[Callable[P, Any]], Gradient[P]]: ...
@overload
def value_and_grad(
    fn: None = ...,
    wrt: Wrt = ...,
    *,
    argnums: Wrt | None = ...,
    check_finite: bool = ...,
    tape_limit: int | str | None = ...,
    has_aux: bool,
) -> Callable[[Callable[P, Any]], Callable[P, Any]]: ...
def value_and_grad(
    fn: Callable[P, Any] | None = None,
    wrt: Wrt = 0,
    *,
    argnums: Wrt | None = None,
    check_finite: bool = False,
    tape_limit: int | str | None = None,
    has_aux: bool = False,
) -> Any:
    """Like `grad`, but the generated function returns `(value, gradient)` (with `has_aux`,
    `((value, aux), gradient)`)."""
    wrt = _wrt_or_argnums(wrt, argnums)
    make = _WithAux if has_aux else Gradient
    options = {"with_value": True, "check_finite": check_finite, "tape_limit": tape_limit}
    if fn is None:
        return lambda f: _made(make, f, wrt, options)
    return _made(make, fn, wrt, options)


def _made(make: Callable, fn: Callable, wrt: Wrt, options: dict) -> Any:
    """`make(fn, wrt, **options)`; for a `functools.partial`, the partial of the gradient of
    the function it wraps, holding what it holds (`wrt` counted among the arguments the
    partial is called with)."""
    if not isinstance(fn, functools.partial):
        return make(fn, wrt, **options)
    try:
        params = list(inspect.signature(fn.func).parameters)
    except (TypeError, ValueError):
        return make(fn, wrt, **options)  # (reading it says why it cannot be differentiated)
    remaining = params[len(fn.args) :]
    shifted = [
        remaining[w] if isinstance(w, int) and -len(remaining) <= w < len(remaining) else w
        for w in (wrt if isinstance(wrt, (tuple, list)) else [wrt])
    ]
    shifted_wrt = tuple(shifted) if isinstance(wrt, (tuple, list)) else shifted[0]
    return Partial(make(fn.func, shifted_wrt, **options), *fn.args, **fn.keywords)


class Partial(functools.partial):
    """The gradient of a `functools.partial` (`grad(partial(loss, data=X))`): a partial of the
    gradient of the function it wraps; `.source` and the rest are the gradient's."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.func, name)


# (a gradient of a closure or partial made in a differentiated function is the closure of the
# gradient: normalize/inner_gradients.py)
# (and a lambda passed to them is lifted as a nested function is: normalize/closures.py)
grad.srcgrad_makes_gradients = True  # type: ignore[attr-defined]
value_and_grad.srcgrad_makes_gradients = True  # type: ignore[attr-defined]
calling(grad, value_and_grad)


class _WithAux(Generic[P]):
    """`grad(f, has_aux=True)`: `f` returns `(value, aux)`; `aux` rides along undifferentiated
    (the pullback of `f` seeded with `(1.0, None)`)."""

    def __init__(
        self,
        fn: Callable[P, Any],
        wrt: Wrt,
        with_value: bool = False,
        check_finite: bool = False,
        tape_limit: int | str | None = None,
    ) -> None:
        self.pullback = Gradient(
            fn, wrt, mode=Mode.VJP, check_finite=check_finite, tape_limit=tape_limit
        )
        self.with_value = with_value
        self.__name__ = f"grad_{self.pullback.fn.__name__}"

    def __reduce__(self) -> tuple:
        pullback = self.pullback
        wrt = pullback.wrt if pullback.wrt_is_tuple else pullback.wrt[0]
        made = (pullback._given, wrt, self.with_value, pullback.check_finite, pullback.tape_limit)
        return pickling.reduced(self, pullback.fn, _WithAux, made)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        out, back = self.pullback(*args, **kwargs)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise NonScalarOutputError(
                f"with has_aux=True, '{self.pullback.fn.__name__}' must return a pair "
                f"(value, aux), not {type(out).__name__}",
                reading.definition_origin(self.pullback.fn),
            )
        value, aux = out
        if np.size(value) != 1:
            raise NonScalarOutputError(
                f"grad needs a scalar value, but '{self.pullback.fn.__name__}' returns one of "
                f"shape {np.shape(value)} (the first of its (value, aux))",
                reading.definition_origin(self.pullback.fn),
            )
        gradient = back((np.ones_like(value) if np.ndim(value) else 1.0, None))
        return ((value, aux), gradient) if self.with_value else (gradient, aux)

    @property
    def source(self) -> str:
        return self.pullback.source

    def source_for(self, *args: P.args, **kwargs: P.kwargs) -> str:
        return self.pullback.source_for(*args, **kwargs)

    def _repr_html_(self) -> str:
        return self.pullback._repr_html_()


def elementwise_grad(fn: Callable[P, Any], wrt: Wrt = 0) -> Callable[P, Any]:
    """The gradient of the sum of `fn`'s outputs: for a function applied element by element,
    each element's derivative (autograd's `elementwise_grad`)."""
    return _ElementwiseGrad(fn, wrt)


class _ElementwiseGrad(Generic[P]):
    """`elementwise_grad(f)`: the pullback of `f` seeded with ones."""

    def __init__(self, fn: Callable[P, Any], wrt: Wrt) -> None:
        self.fn, self.wrt = fn, wrt
        self.__name__ = f"elementwise_grad_{getattr(fn, '__name__', 'function')}"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        value, pullback = vjp(self.fn, *args, wrt=self.wrt, **kwargs)
        return pullback(np.ones_like(value) if np.ndim(value) else 1.0)

    def __reduce__(self) -> tuple:
        return pickling.reduced(self, self.fn, _ElementwiseGrad, (self.fn, self.wrt))


def show(
    fn: Callable[..., Any],
    *args: Any,
    wrt: Wrt = 0,
    file: TextIO | None = None,
    html: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> None:
    """Print the generated gradient code of `fn` (for the signature of `args`, if given); with
    `html="out.html"`, also write that code beside `fn`'s lines as a page of its own."""
    transformed = fn if isinstance(fn, Gradient) else Gradient(fn, wrt, with_value=False)
    text = transformed.source_for(*args, **kwargs) if args or kwargs else transformed.source
    print(text, end="", file=file or sys.stdout)
    if html is not None:
        views.write_page(html, transformed, args, kwargs)


def _wrt_or_argnums(wrt: Wrt, argnums: Wrt | None) -> Wrt:
    if argnums is not None:
        if wrt not in (0, None):
            raise WrtError("give either 'wrt' or 'argnums', not both")
        return argnums
    return wrt


def vjp(
    fn: Callable[..., Any], *args: Any, wrt: Wrt = 0, check_finite: bool = False, **kwargs: Any
) -> tuple[Any, Callable[[Any], Any]]:
    """`(value, pullback)`: `pullback(dy)` is the gradient of `sum(value * dy)` with respect to
    `wrt` (a tuple exactly when `wrt` is one). PyTorch's `backward(gradient=dy)` for an output
    that is not a scalar.

    The pullback may be called any number of times; each call after the first runs the forward
    sweep again (the generated pullback gives the forward values back as it goes).
    """
    transform = Gradient(fn, wrt, mode=Mode.VJP, check_finite=check_finite)
    values = transform._bind(args, kwargs)
    transform._check_wrt_values(values)
    value, first = transform._call_bound(values)
    calls = iter([first])

    def pullback(dy: Any) -> Any:
        _check_cotangent(transform, value, dy)
        back = next(calls, None) or transform._call_bound(values)[1]
        return back(dy)

    pullback.__doc__ = f"Pullback of {transform.fn.__qualname__} at the given arguments."
    return value, pullback


def _check_cotangent(transform: Gradient, value, dy, path: str = "") -> None:
    """A seed of the value's structure and shapes, or an error that says which it must be
    (NumPy would broadcast a wrong one, or fail deep inside the generated code)."""
    if isinstance(value, (tuple, list)):
        if not isinstance(dy, (tuple, list)) or len(dy) != len(value):
            raise WrtError(
                f"the pullback's seed{path} must be a tuple of {len(value)} (one per part of "
                f"the value), not {type(dy).__name__}",
                reading.definition_origin(transform.fn),
            )
        for k, (part, seed) in enumerate(zip(value, dy)):
            _check_cotangent(transform, part, seed, f"{path}[{k}]")
        return
    if isinstance(value, dict) or dy is None:
        return
    if np.shape(dy) != np.shape(value):
        raise WrtError(
            f"the pullback's seed{path} has shape {np.shape(dy)}; the value{path} has shape "
            f"{np.shape(value)}, and the seed must have it too",
            reading.definition_origin(transform.fn),
        )


@overload
def forward(fn: Callable[P, Any], wrt: Wrt = ..., *, argnums: Wrt | None = ...) -> Forward[P]: ...
@overload
def forward(
    fn: None = ..., wrt: Wrt = ..., *, argnums: Wrt | None = ...
) -> Callable[[Callable[P, Any]], Forward[P]]: ...
def forward(
    fn: Callable[P, Any] | None = None, wrt: Wrt = 0, *, argnums: Wrt | None = None
) -> Forward[P] | Callable[[Callable[P, Any]], Forward[P]]:
    """Forward-mode code of `fn` with respect to argument(s) `wrt`: call the result as
    `fwd(tangents, *args)` for `(value, tangent)`; `.source` shows the generated code."""
    wrt = _wrt_or_argnums(wrt, argnums)
    if fn is None:
        return lambda f: Forward(f, wrt)
    return Forward(fn, wrt)


def jvp(
    fn: Callable[..., Any], primals: Sequence[Any], tangents: Any, wrt: Wrt | None = None
) -> tuple[Any, Any]:
    """`(value, tangent)`: `fn(*primals)` and its derivative along `tangents` (a
    Jacobian-vector product), by forward-mode source transformation.

    `wrt` names the differentiated arguments (index or name, or a tuple of them); by default
    every argument, and then `tangents` has one entry per argument. With a single `wrt`,
    `tangents` may be the one tangent itself.
    """
    primals = tuple(primals)
    if wrt is None:
        wrt = tuple(range(len(primals)))
    transform = Forward(fn, wrt)
    values = transform._bind(primals, {})
    if not transform.wrt_is_tuple:
        primal = values[transform.params.index(transform.wrt[0])]
        one = isinstance(tangents, tuple) and len(tangents) == 1
        if not (one and not isinstance(primal, (tuple, list))):
            tangents = (tangents,)  # the one tangent itself (else a tuple of one)
    tangents = tuple(tangents)
    if len(tangents) != len(transform.wrt):
        raise WrtError(
            f"{len(tangents)} tangent(s) given for {len(transform.wrt)} differentiated "
            f"argument(s) {list(transform.wrt)}",
            reading.definition_origin(transform.fn),
        )
    for name, t in zip(transform.wrt, tangents):
        primal = values[transform.params.index(name)]
        if not isinstance(primal, (list, tuple, dict)) and np.shape(t) != np.shape(primal):
            raise WrtError(
                f"the tangent of '{name}' has shape {np.shape(t)}, its value {np.shape(primal)}",
                reading.definition_origin(transform.fn),
            )
    return transform._call_bound(values, tangents)
