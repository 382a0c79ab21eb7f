"""Custom derivatives: rules the user writes for functions srcgrad should not (or cannot) read.

* `register_vjp(obj, rule)` / `register_jvp(obj, rule)`: a reverse or forward rule for any
  function, a library's or the user's own (a C extension, `np.hypot` if it were missing). The
  rule has the shape of srcgrad's own rules (srcgrad/rules/registry.py): its body is written
  into the generated code where the function is called, so the reader sees the user's rule.
* `@custom_vjp` / `@custom_jvp` on the user's own function, then `@f.defvjp` / `@f.defjvp`:
  PyTorch's `Function` with its own `backward`.

Rules are checked when they are registered: a rule whose `return` gives the wrong number of
adjoints or terms is rejected with a `SrcgradError` naming the rule's file and line. Register a
rule before the first call of a transformed function that uses it (generated code is cached).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, cast, overload

from ..rules import registry
from .gradient import forget_generated_code
from .hints import P

F = TypeVar("F", bound=Callable[..., Any])
R_co = TypeVar("R_co", covariant=True)


class CustomVJP(Protocol[P, R_co]):
    """What `@custom_vjp` makes of a function: the function, and `defvjp` to give its rule."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def defvjp(self, rule: F) -> F: ...


class CustomJVP(Protocol[P, R_co]):
    """What `@custom_jvp` makes of a function: the function, and `defjvp` to give its rule."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def defjvp(self, rule: F) -> F: ...


@overload
def register_vjp(
    obj: object, rule: None = ..., *, differentiable: Sequence[str] | None = ...
) -> Callable[[F], F]: ...
@overload
def register_vjp(obj: object, rule: F, *, differentiable: Sequence[str] | None = ...) -> F: ...
def register_vjp(
    obj: object, rule: F | None = None, *, differentiable: Sequence[str] | None = None
) -> F | Callable[[F], F]:
    """Make `rule(g, ans, x, y, ...)` the reverse rule of `obj`: it returns one adjoint per
    differentiable parameter (`None` for none), `g` being the adjoint of the result `ans`.
    By default the parameters without a default value are differentiable. Usable as a
    decorator: `@register_vjp(np.hypot)`."""

    def decorate(fn: F) -> F:
        registry.load_optional_rules()  # (a SciPy rule registered later would replace this one)
        built = registry.build_rule(fn, differentiable=differentiable).load()  # checked now
        registry.VARIANTS.pop(registry._key(obj), None)  # the user's rule wins everywhere
        registry.REVERSE.pop(registry._key(obj), None)
        registry.register(built, [obj])
        forget_generated_code()
        return fn

    return decorate if rule is None else decorate(rule)


@overload
def register_jvp(
    obj: object, rule: None = ..., *, differentiable: Sequence[str] | None = ...
) -> Callable[[F], F]: ...
@overload
def register_jvp(obj: object, rule: F, *, differentiable: Sequence[str] | None = ...) -> F: ...
def register_jvp(
    obj: object, rule: F | None = None, *, differentiable: Sequence[str] | None = None
) -> F | Callable[[F], F]:
    """Make `rule(ans, x, y, ...)` the forward rule of `obj`: it returns one term per
    differentiable parameter, the term for `x` written with `x_dot` (the tangent of `x`); the
    tangent of the result is the sum of the terms of the arguments that move. Parameters
    follow `obj`'s reverse rule if it has one. Usable as a decorator."""

    def decorate(fn: F) -> F:
        registry.load_optional_rules()
        registry.TANGENT.pop(registry._key(obj), None)
        registry.tangent(obj, differentiable=differentiable)(fn)
        try:
            registry.tangent_rule(obj).load()  # checked now
        except registry.RuleError:
            registry.TANGENT.pop(registry._key(obj), None)
            raise
        forget_generated_code()
        return fn

    return decorate if rule is None else decorate(rule)


def custom_vjp(fn: Callable[P, R_co]) -> CustomVJP[P, R_co]:
    """Give your own function its own reverse rule: `@custom_vjp def f(x): ...`, then
    `@f.defvjp def f_vjp(g, ans, x): return ...`. Until then `f` is differentiated through
    its source; in forward mode it still is (or give it `custom_jvp` too)."""
    fn.defvjp = lambda rule: register_vjp(fn, rule)  # type: ignore[attr-defined]
    return cast("CustomVJP[P, R_co]", fn)


def custom_jvp(fn: Callable[P, R_co]) -> CustomJVP[P, R_co]:
    """Give your own function its own forward rule: `@custom_jvp def f(x): ...`, then
    `@f.defjvp def f_jvp(ans, x): return x_dot * ...`."""
    fn.defjvp = lambda rule: register_jvp(fn, rule)  # type: ignore[attr-defined]
    return cast("CustomJVP[P, R_co]", fn)
