"""Arrays of other libraries that NumPy's functions dispatch to (dask, CuPy): how srcgrad knows
one, and the few operations NumPy's dispatch does not reach, done in the array's own library.

Generated code calls NumPy's functions on the user's arrays; `__array_function__` and
`__array_ufunc__` hand those calls to a dask or CuPy array's own library, so the same code runs
there. What does not dispatch is a ufunc's `at` method (`np.add.at`), which dask has not got;
`scatter_add` writes those sums functionally for such arrays (`bincount`, or one update per
position). Nothing here converts an array to NumPy: a dask array stays a lazy graph, a CuPy
array stays on its device.
"""

from __future__ import annotations

import numpy as np

from ..errors import SrcgradError
from .checks import raised_at

_ndarray = np.ndarray


def is_other_array(value) -> bool:
    """An array of another library that speaks NumPy's protocols: not a NumPy array (nor a
    subclass of one), with a shape, a dtype and `__array_function__` (a dask or CuPy array)."""
    kind = type(value)
    return (
        kind is not _ndarray
        and hasattr(kind, "__array_function__")
        and not isinstance(value, _ndarray)
        and hasattr(value, "shape")
        and hasattr(value, "dtype")
    )


def known_shape(value) -> tuple | None:
    """The array's shape, or None where its library does not know it yet (a dask array after
    a boolean mask has nan lengths)."""
    shape = tuple(value.shape)
    if all(isinstance(n, (int, np.integer)) for n in shape):
        return tuple(int(n) for n in shape)
    return None


def library(value) -> str:
    """The top-level module of the array's type: "numpy", "dask", "cupy"."""
    return type(value).__module__.split(".")[0]


def either_other(*values) -> bool:
    """One of `values` is an array of another library (NumPy's own arrays first: one test)."""
    return any(type(v) is not _ndarray and is_other_array(v) for v in values)


def filled_like(like, value):
    """`np.full_like(like, value)` where `value` may be an array that broadcasts to `like`'s
    shape, or a lazy number (dask's `full_like` takes a plain number only)."""
    if np.ndim(value) == 0 and not is_other_array(value):
        return np.full_like(like, value)
    made = np.zeros_like(like) + value
    dtype = getattr(like, "dtype", None)
    return made if dtype is None or made.dtype == dtype else made.astype(dtype)


def copy_of(value):
    """A copy of an array of any library: its own `copy` method (dask implements no
    `np.copy`: NumPy's would compute the array)."""
    return value.copy() if is_other_array(value) else np.copy(value)


def zeros_for(g, like, dtype):
    """Zeros of `like`'s shape and `dtype`, of `g`'s library where `g` is another library's
    array (the sum of a dask adjoint into a NumPy parameter's place is a dask array)."""
    if is_other_array(g) and not is_other_array(like):
        return np.zeros_like(g, dtype=dtype, shape=np.shape(like))
    return np.zeros_like(like, dtype=dtype)


def _positions(shape: tuple, index):
    """The flat element numbers `index` reads from an array of `shape` (NumPy integers: an
    index holds what is small, the positions; a dask or CuPy index array is kept as it is)."""
    labels = np.reshape(np.arange(int(np.prod(shape, dtype=np.int64))), shape)
    return labels[index]


def scattered(out, index, values):
    """`out` with `values` added at `index`, repeated positions adding once per occurrence,
    as a new array, for an `out` or `values` of another library: the sums by `bincount` over
    the flat element numbers (dask has no `np.add.at`), a basic index (no position twice) by
    reading and writing the part."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(getattr(p, "ndim", 0) > 0 or isinstance(p, list) for p in parts):
        made = copy_of(out) if is_other_array(out) else zeros_for(values, out, out.dtype) + out
        values = np.broadcast_to(values, np.shape(made[index]))
        index = tuple(p for p in parts if p is not None)  # (dask writes at no new axis)
        part = made[index]
        made[index] = part + np.reshape(values, np.shape(part))
        return made
    positions = _positions(np.shape(out), index)
    weights = np.broadcast_to(values, np.shape(positions))
    flat_positions, flat_weights = np.ravel(positions), np.ravel(weights)
    if is_other_array(flat_weights) and not is_other_array(flat_positions):
        flat_positions = np.asarray(flat_positions, like=flat_weights)  # (of one library)
        chunks = getattr(flat_weights, "chunks", None)
        if chunks is not None:  # (dask's bincount sums chunks that match its weights')
            flat_positions = flat_positions.rechunk(chunks)
    size = int(np.prod(np.shape(out), dtype=np.int64))
    sums = np.bincount(flat_positions, weights=flat_weights, minlength=size)
    return out + np.reshape(sums, np.shape(out)).astype(out.dtype, copy=False)


# ---- what NumPy would compute: refused at the user's line -------------------------------------

# dask's word for a NumPy function it does not implement (it then computes every argument)
_NOT_IMPLEMENTED = r"The `.*` function is not implemented by Dask array"
LARGE = 1 << 16  # elements: a compute of more, in the middle of a gradient, is refused


class _Watch:
    """A dask scheduler that runs what it is given on the scheduler dask would have used, and
    refuses a result larger than `LARGE` elements: something turned a dask array into a NumPy
    one on the client (`np.asarray`, a NumPy function dask has not got)."""

    def __init__(self, delegate):
        self.delegate = delegate

    def __call__(self, graph, keys, **kwargs):
        results = self.delegate(graph, keys, **kwargs)
        if _elements(results) > LARGE:
            raise _Materialised(f"{_elements(results)} elements")
        return results


class _Materialised(Exception):
    pass


def _elements(value) -> int:
    if isinstance(value, (list, tuple)):
        return sum(_elements(v) for v in value)
    shape = getattr(value, "shape", ())
    return int(np.prod(shape)) if shape else 1


def guarded(function, wrt: tuple = (), is_tuple: bool = False, with_value: bool = False):
    """`function` (generated code for arguments of which some are dask arrays) run so that
    nothing is computed on the client that the NumPy path would not hold: a NumPy function
    dask has not got, or a compute of more than `LARGE` elements (a value made a NumPy
    array), is refused with a SrcgradError naming the user's line. The gradient of each
    argument named in `wrt` that is a dask array has that argument's chunks."""
    import functools
    import inspect
    import warnings

    import dask
    from dask.base import get_scheduler

    params = list(inspect.signature(function).parameters)
    positions = [params.index(name) for name in wrt]

    @functools.wraps(function)
    def run(*args, **kwargs):
        delegate = get_scheduler()
        if isinstance(delegate, _Watch):  # (called from generated code that is watched)
            return function(*args, **kwargs)
        if delegate is None:
            delegate = dask.threaded.get
        try:
            with warnings.catch_warnings(), dask.config.set(scheduler=_Watch(delegate)):
                warnings.filterwarnings("error", _NOT_IMPLEMENTED, FutureWarning)
                result = function(*args, **kwargs)
        except (FutureWarning, _Materialised) as exc:
            raise _refused(exc) from exc
        if not positions:
            return result
        given = [args[i] if i < len(args) else kwargs.get(params[i]) for i in positions]
        value, gradients = result if with_value else (None, result)
        gradients = gradients if is_tuple else (gradients,)
        chunked = tuple(_chunked_like(g, x) for g, x in zip(gradients, given))
        chunked = chunked if is_tuple else chunked[0]
        return (value, chunked) if with_value else chunked

    return run


def _chunked_like(gradient, argument):
    """A dask gradient with its argument's chunks (a sum over rows gives other ones)."""
    chunks = getattr(argument, "chunks", None)
    if chunks is None or getattr(gradient, "chunks", chunks) == chunks:
        return gradient
    if tuple(gradient.shape) != tuple(argument.shape):
        return gradient
    return gradient.rechunk(chunks)


def _refused(exc: Exception) -> SrcgradError:
    origin = raised_at(exc)
    if isinstance(exc, FutureWarning):
        name = str(exc).split("`")[1] if "`" in str(exc) else "this NumPy function"
        what = f"dask implements no {name}, so NumPy would compute the whole array on the client"
    else:
        what = f"this line would compute a dask array of {exc} on the client"
    return SrcgradError(
        what,
        origin,
        "write it with NumPy functions dask implements (np.where for an update in place, "
        "x.copy() is np.copy), or compute the value before calling the gradient",
    )
