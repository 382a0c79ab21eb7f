"""`check_grad`: srcgrad's gradient next to central finite differences, worst element first.

For users checking a function (or a rule they registered): it reports where the two disagree
most, with both values, instead of a bare True or False.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .gradient import Gradient
from .hints import Wrt


@dataclass(frozen=True)
class GradientCheck:
    """The result of `check_grad`: `ok`, and the worst element of the worst argument."""

    ok: bool
    argument: str
    index: tuple[int, ...]
    srcgrad: float
    finite_differences: float
    error: float

    def __str__(self) -> str:
        verdict = "agrees with" if self.ok else "DIFFERS from"
        return (
            f"srcgrad's gradient {verdict} central finite differences; worst element: "
            f"d/d{self.argument}{list(self.index) if self.index else ''} = {self.srcgrad!r} "
            f"(finite differences: {self.finite_differences!r}, error {self.error:.3g})"
        )

    def __bool__(self) -> bool:
        return self.ok


def check_grad(
    fn: Callable[..., Any],
    *args: Any,
    wrt: Wrt = 0,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    **kwargs: Any,
) -> GradientCheck:
    """Compare `srcgrad.grad(fn, wrt)(*args, **kwargs)` with central differences of step
    `eps` (keyword arguments other than these four go to `fn`)."""
    transform = Gradient(fn, wrt)
    values = list(transform._bind(args, kwargs))  # (a bound method's instance first)
    fn = getattr(fn, "__func__", fn) if transform.bound is not None else fn
    gradients = transform._call_bound(tuple(values))
    gradients = gradients if transform.wrt_is_tuple else (gradients,)
    worst = None
    for name, gradient in zip(transform.wrt, gradients):
        position = transform.params.index(name)
        # a list, tuple or dict of arrays is checked leaf by leaf: params["W"][0]
        for path, _ in _leaves(values[position]):
            numeric = _central_differences(fn, values, position, path, eps, transform)
            got = np.asarray(_at(gradient, path), dtype=float)
            error = np.abs(got - numeric) - rtol * np.abs(numeric)
            index = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
            candidate = GradientCheck(
                ok=bool(np.all(error <= atol)),
                argument=name + "".join(f"[{key!r}]" for key in path),
                index=tuple(int(i) for i in index),
                srcgrad=float(got[index]),
                finite_differences=float(numeric[index]),
                error=float(abs(got[index] - numeric[index])),
            )
            if (
                worst is None
                or (worst.ok and not candidate.ok)
                or (worst.ok == candidate.ok and candidate.error > worst.error)
            ):
                worst = candidate
    return worst


def _leaves(value, path: tuple = ()):
    """(path, leaf) for every number or array in a value that may be a container of them."""
    if isinstance(value, dict):
        for key in value:
            yield from _leaves(value[key], (*path, key))
    elif isinstance(value, (list, tuple)):
        for key, part in enumerate(value):
            yield from _leaves(part, (*path, key))
    else:
        yield path, value


def _at(value, path: tuple):
    for key in path:
        value = value[key]
    return value


def _replaced(container, path: tuple, leaf):
    """A copy of `container` with the leaf at `path` replaced."""
    if not path:
        return leaf
    key, rest = path[0], path[1:]
    if isinstance(container, dict):
        return {**container, key: _replaced(container[key], rest, leaf)}
    parts = list(container)
    parts[key] = _replaced(parts[key], rest, leaf)
    return tuple(parts) if isinstance(container, tuple) else parts


def _call(fn: Callable, arguments: list, transform: Gradient):
    """`fn` with arguments in parameter order (keyword-only ones by keyword)."""
    values = tuple(arguments)
    return fn(*transform._positional_arguments(values), **transform._keywords(values))


def _central_differences(
    fn: Callable, values: list, position: int, path: tuple, eps: float, transform: Gradient
) -> np.ndarray:
    value = _at(values[position], path)
    base = np.array(value, dtype=float)
    out = np.empty(base.shape)
    for index in np.ndindex(base.shape):
        shifted = []
        for step in (eps, -eps):
            moved = base.copy()
            moved[index] += step
            arguments = list(values)
            leaf = moved if np.ndim(value) else float(moved)
            arguments[position] = _replaced(values[position], path, leaf)
            shifted.append(float(_call(fn, arguments, transform)))
        out[index] = (shifted[0] - shifted[1]) / (2 * eps)
    return out
