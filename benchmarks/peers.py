"""Every way the benchmark computes a gradient, as a zero-argument call bound to one case's inputs.

The peers (HIPS autograd, JAX with and without `jit`, PyTorch on the CPU) are optional: a peer
that is not importable is left out of the table, and a peer that cannot differentiate a case
(`jax.jit` on value-dependent Python control flow) gets a cell saying why. Peers run the user
function's own code object with its global `np` bound to their NumPy-like module, so every
method differentiates the same source.
"""

from __future__ import annotations

import importlib.util
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import srcgrad

PEERS = ("autograd", "jax", "jax.jit", "torch")


@dataclass
class Method:
    """One gradient computation, ready to time: `call()` computes it, `gradients(result)` turns
    its result into a tuple of NumPy values, `numpy_memory` says whether tracemalloc sees the
    method's arrays (NumPy reports its allocations to tracemalloc; torch and XLA do not)."""

    call: Callable[[], object]
    gradients: Callable[[object], tuple] = tuple
    numpy_memory: bool = True


class Unavailable(Exception):
    """A peer that cannot run this case; the message goes into the table."""


def installed(peer: str) -> bool:
    return importlib.util.find_spec(peer.split(".")[0]) is not None


def with_numpy(fn: types.FunctionType, module: object) -> types.FunctionType:
    """`fn`'s code with the global name `np` bound to `module`."""
    namespace = dict(fn.__globals__, np=module)
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def fresh_copy(fn: types.FunctionType) -> types.FunctionType:
    """A new function object for `fn`'s code: srcgrad's cache (keyed by function) misses it."""
    return types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
    )


def positions(case) -> tuple[int, ...]:
    names = list(case.function.__code__.co_varnames[: case.function.__code__.co_argcount])
    return tuple(names.index(name) for name in case.wrt)


def by_hand(case, args) -> Method:
    return Method(lambda: case.by_hand(*args))


def forward(case, args) -> Method:
    return Method(lambda: case.function(*args))


def srcgrad_grad(case, args) -> Method:
    gradient = srcgrad.grad(case.function, wrt=case.wrt)
    return Method(lambda: gradient(*args))


def srcgrad_direct(case, args) -> Method:
    """The generated function itself, without `Gradient.__call__`'s signature look-up."""
    gradient = srcgrad.grad(case.function, wrt=case.wrt)
    gradient(*args)
    function = gradient._latest.function
    return Method(lambda: function(*args))


def autograd_grad(case, args) -> Method:
    import autograd
    import autograd.numpy

    gradient = autograd.grad(with_numpy(case.function, autograd.numpy), positions(case))
    return Method(lambda: gradient(*args))


def jax_grad(case, args, jit: bool = False) -> Method:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    gradient = jax.grad(with_numpy(case.function, jnp), positions(case))
    if jit:
        static = tuple(i for i, a in enumerate(args) if type(a) is int)
        gradient = jax.jit(gradient, static_argnums=static)
    values = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
    try:
        jax.block_until_ready(gradient(*values))
    except jax.errors.ConcretizationTypeError:  # Python control flow on traced values
        raise Unavailable("if on a tracer") from None
    return Method(
        lambda: jax.block_until_ready(gradient(*values)),
        lambda result: tuple(np.asarray(g) for g in result),
        numpy_memory=False,
    )


def torch_grad(case, args) -> Method:
    import torch

    function = with_numpy(case.function, _torch_numpy(torch))
    wrt = set(positions(case))
    values = tuple(_to_torch(torch, a, i in wrt) for i, a in enumerate(args))
    leaves = tuple(values[i] for i in positions(case))

    def call():
        return torch.autograd.grad(function(*values), leaves)

    return Method(call, lambda result: tuple(g.numpy() for g in result), numpy_memory=False)


def _to_torch(torch, value, differentiated: bool):
    if isinstance(value, np.ndarray):
        tensor = torch.from_numpy(value)
    elif differentiated:
        tensor = torch.tensor(value, dtype=torch.float64)
    else:
        return value
    return tensor.requires_grad_(True) if differentiated else tensor


def _torch_numpy(torch) -> types.SimpleNamespace:
    """The part of NumPy's interface the cases use, in torch."""

    def reduction(torch_function):
        def reduce(x, axis=None, keepdims=False):
            if axis is None:
                return torch_function(x)
            return torch_function(x, dim=axis, keepdim=keepdims)

        return reduce

    def maximum(x, y):
        return torch.clamp_min(x, y) if isinstance(y, (int, float)) else torch.maximum(x, y)

    return types.SimpleNamespace(
        **{name: getattr(torch, name) for name in ("exp", "log", "log1p", "sin", "cos")},
        **{name: getattr(torch, name) for name in ("sqrt", "tanh")},
        sum=reduction(torch.sum),
        mean=reduction(torch.mean),
        max=reduction(torch.amax),
        maximum=maximum,
        zeros=lambda n: torch.zeros(n, dtype=torch.float64),
    )


MAKERS: dict[str, Callable] = {
    "autograd": autograd_grad,
    "jax": jax_grad,
    "jax.jit": lambda case, args: jax_grad(case, args, jit=True),
    "torch": torch_grad,
}
