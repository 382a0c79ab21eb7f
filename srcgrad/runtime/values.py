"""Values computed in the forward sweep that no single NumPy call gives: conversions,
the logistic function, the slope of |x|, the shares of a maximum, sort orders.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import numpy as np

from .arrays import copy_of, is_other_array
from .broadcasting import gradient_dtype
from .containers import is_record, record_fields, record_like


def copied(value):
    """A copy of an argument that the function updates in place: an array's own copy, a list,
    tuple or dict of copies (so that the caller's containers and arrays never change)."""
    if isinstance(value, dict):
        return {key: copied(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [copied(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if is_record(value):
        return record_like(value, {k: copied(v) for k, v in record_fields(value).items()})
    return copy_of(value) if hasattr(value, "shape") else value


def written_back(given, made) -> None:
    """The caller's container `given` (a dict, list or mutable record the function updated in
    its working copy `made`, see `copied`) is left holding what plain Python would have left
    in it: its entries rebound to copies of the working copy's (the reverse sweep goes on to
    put back the working copy's own values)."""
    made = copied(made)
    if isinstance(given, dict):
        given.clear()
        given.update(made)
    elif isinstance(given, list):
        given[:] = made
    elif is_record(given) and not isinstance(given, tuple):
        for key, value in record_fields(made).items():
            setattr(given, key, value)


def astype(x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """`x.astype(dtype, ...)` (in generated code, so that it has a derivative rule)."""
    return x.astype(dtype, order=order, casting=casting, subok=subok, copy=copy)


def sigmoid(x):
    """The logistic function, computed as the user wrote it: `1 / (1 + np.exp(-x))` (a large
    NumPy array's steps in one array: the same numbers, without a second array alive)."""
    if type(x) is np.ndarray and x.size >= 4096 and x.dtype.kind == "f":
        t = np.negative(x)
        np.exp(t, out=t)
        np.add(1, t, out=t)
        return np.divide(1, t, out=t)
    return 1 / (1 + np.exp(-x))


def logistic_log_likelihood(z, y, p):
    """`y * np.log(p) + (1 - y) * np.log(1 - p)` of a `p = sigmoid(z)` computed before it, as
    the user wrote it (normalize/idioms.py): the log-likelihood of labels `y` under a logistic
    model of logits `z`, whose derivative in `z` is `y - p`."""
    return y * np.log(p) + (1 - y) * np.log(1 - p)


def item(x):
    """`x.item()` (in generated code, so that it has a derivative rule)."""
    return x.item()


def abs_slope(x):
    """d|x|/dx: the sign of x (0 at 0); for complex x, conj(x)/|x| (JAX's convention), which
    moves with x: a Hessian differentiates this source (it is not declared constant)."""
    if np.iscomplexobj(x):
        size = np.abs(x)
        return np.conj(x) / np.where(size == 0, 1.0, size)
    return np.sign(x)


def clip_weights(a, a_min, a_max):
    """d np.clip(a, a_min, a_max) / d(a, a_min, a_max), as min(max(a, a_min), a_max) with ties
    split in half (as `maximum` and `minimum` do, and as in JAX)."""
    low = 1.0 if a_min is None else (a > a_min) + 0.5 * (a == a_min)
    raised = a if a_min is None else np.maximum(a, a_min)
    high = 1.0 if a_max is None else (raised < a_max) + 0.5 * (raised == a_max)
    return low * high, (1.0 - low) * high, 1.0 - high


def extreme_shares(ans, x, y=None):
    """How much `x` and `y` move Python's `max(x, y)` or `min(x, y)` (`ans`), and the axes of
    x that share: `(x_share, y_share, axes)`.

    The operands equal to the result share it equally (a tie splits in half, as np.maximum
    does). With one iterable `x` (`max(xs)`, y None) its elements equal to the result share it
    equally, as np.max's do; x's shares then lie along its first axis, the one `axes` names.
    """
    if y is None:
        values = np.asarray(x)
        hits = np.reshape(values == ans, (np.shape(values)[0], -1)).all(axis=1)
        share = hits / max(int(np.sum(hits)), 1)
        share = np.reshape(share, (-1, *(1,) * (np.ndim(values) - 1)))
        return share.astype(gradient_dtype(values, 1.0), copy=False), 0.0, 0
    x_hits, y_hits = 1.0 * np.equal(x, ans), 1.0 * np.equal(y, ans)
    count = np.maximum(x_hits + y_hits, 1.0)
    return x_hits / count, y_hits / count, ()


def sorted_order(iterable, key=None, reverse=False) -> list:
    """The element numbers of `iterable` in the order `sorted(iterable, key=key,
    reverse=reverse)` puts the elements: Python's own stable sort of the numbers, comparing
    what it compares, so that equal elements land where `sorted` puts them."""
    values = list(iterable)
    if key is None:
        return sorted(range(len(values)), key=values.__getitem__, reverse=reverse)
    keys = [key(v) for v in values]
    return sorted(range(len(values)), key=keys.__getitem__, reverse=reverse)


def permuted(values, order) -> list:
    """The list of `values[i]` for each i in `order` (the tangent of `sorted`'s result)."""
    return [values[i] for i in order]


def inverse_permutation(axes):
    """The axes that undo `np.transpose(x, axes)` (None: reversing undoes reversing)."""
    return None if axes is None else tuple(np.argsort(axes))


def truncates(dtype) -> bool:
    """Converting a real value to `dtype` truncates it (an integer or bool dtype): the result
    is piecewise constant, its derivative 0."""
    return np.dtype(dtype).kind in "biu"


def converted_adjoint(g, dtype):
    """The adjoint of `x.astype(dtype)`: `g` itself where the value is kept (a float or complex
    dtype), zeros where it is truncated to an integer or bool dtype."""
    if truncates(dtype):
        return np.zeros_like(g, dtype=gradient_dtype(g, 1.0))
    return g


def converted_tangent(x_dot, dtype):
    """The tangent of `x.astype(dtype)`: the tangent converted too where the value is kept,
    zeros where it is truncated to an integer or bool dtype."""
    if truncates(dtype):
        return np.zeros_like(x_dot, dtype=gradient_dtype(x_dot, 1.0))
    if is_other_array(x_dot):  # (np.asarray would compute a dask array, copy a CuPy one)
        return x_dot.astype(dtype)
    return np.asarray(x_dot).astype(dtype)
