"""Reference gradients by central finite differences, computed in float64.

`gradient(fn, args, wrt)` perturbs one input element at a time with the five-point central
stencil (f(x-2h), f(x-h), f(x+h), f(x+2h)), whose error is O(h**4): far below the tolerances the
corpus test uses, for steps large enough that rounding does not matter. Float32 arrays are cast
to float64 first, so the reference is float64 whatever the inputs are. Python floats and ints
being differentiated are perturbed as Python floats (never wrapped in an array).

>>> import numpy as np
>>> g = gradient(lambda x, y: np.sum(x * x) * y, (np.array([1.0, 2.0]), 3.0), wrt=(0, 1))
>>> bool(np.allclose(g[0], [6.0, 12.0])), bool(np.isclose(g[1], 5.0))
(True, True)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

RELATIVE_STEP = 1e-3


def wrt_indices(fn: Callable, wrt) -> tuple[list[int], bool]:
    """The positional indices that `wrt` names, and whether `wrt` was a tuple."""
    params = list(inspect.signature(fn).parameters)
    is_tuple = isinstance(wrt, (tuple, list))
    indices = []
    for item in wrt if is_tuple else (wrt,):
        index = params.index(item) if isinstance(item, str) else item
        indices.append(index % len(params))
    return indices, is_tuple


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


def _leaf_function(fn: Callable, args: list, index: int, path: tuple) -> Callable:
    def with_leaf(leaf):
        changed = list(args)
        changed[index] = _replaced(args[index], path, leaf)
        return fn(*changed)

    return with_leaf


def as_float64(value):
    """Float (and, when differentiated, integer) values in float64; other values untouched."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f":
        return np.asarray(value, dtype=np.float64)
    return value


def gradient(fn: Callable, args: tuple, wrt=0):
    """The gradient of scalar `fn(*args)` with respect to `wrt` (index, name, or tuple)."""
    indices, is_tuple = wrt_indices(fn, wrt)
    args = [as_float64(a) for a in args]
    gradients = tuple(_partial(fn, args, i) for i in indices)
    return gradients if is_tuple else gradients[0]


def _partial(fn: Callable, args: list, index: int, path: tuple = ()):
    """d fn / d args[index], or of the leaf at `path` inside a list, tuple or dict argument;
    for a container, a gradient of the same structure."""
    value = _at(args[index], path)
    if isinstance(value, dict):
        return {k: _partial(fn, args, index, (*path, k)) for k in value}
    if isinstance(value, (list, tuple)):
        parts = [_partial(fn, args, index, (*path, k)) for k in range(len(value))]
        return tuple(parts) if isinstance(value, tuple) else parts
    if path:  # a leaf inside a container: perturb it in a copy of the container
        return _partial(_leaf_function(fn, args, index, path), [as_float64(value)], 0)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"argument {index} is a bool; it has no derivative")
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return _derivative(lambda x: _call(fn, args, index, x), float(value))
    array = np.asarray(value, dtype=np.float64)
    flat = array.ravel().copy()
    out = np.empty_like(flat)
    for k in range(flat.size):

        def along(x, k=k):
            moved = flat.copy()
            moved[k] = x
            return _call(fn, args, index, moved.reshape(array.shape))

        out[k] = _derivative(along, flat[k])
    return out.reshape(array.shape)


def _call(fn: Callable, args: list, index: int, replacement) -> float:
    trial = list(args)
    trial[index] = replacement
    result = fn(*trial)
    if np.shape(result) != ():
        raise ValueError(f"{fn.__name__} returned shape {np.shape(result)}, not a scalar")
    return float(result)


def _derivative(f: Callable[[float], float], x: float) -> float:
    h = RELATIVE_STEP * max(1.0, abs(x))
    h = (x + h) - x  # a step that is exactly representable at x
    near = f(x + h) - f(x - h)
    far = f(x + 2 * h) - f(x - 2 * h)
    return (8.0 * near - far) / (12.0 * h)
