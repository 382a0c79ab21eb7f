"""Adjoints of indexing: the scatter of `y = x[index]` (repeated positions add up), the
positions `x[index] = v` overwrote, and the writes that arrive where an index repeats.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import math

import numpy as np

from .arrays import copy_of, either_other, scattered, zeros_for
from .broadcasting import gradient_dtype


def last_writes(part, like, index):
    """`part` (an adjoint read at `index`) with zeros where a later position of `index` wrote
    the same element: after `x[[0, 1, 1]] = v`, v[1] never reached x. NumPy's own assignment,
    done again with positions for values, tells which write each element kept."""
    order = np.reshape(np.arange(math.prod(np.shape(part))), np.shape(part))
    kept = np.full(np.shape(like), -1)
    kept[index] = order
    return np.where(kept[index] == order, part, 0.0)


def _is_integer_array_index(part) -> bool:
    dtype = getattr(part, "dtype", None)
    if dtype is not None:
        return getattr(part, "ndim", 0) > 0 and np.issubdtype(dtype, np.integer)
    return isinstance(part, list)


def scatter_add(out, index, values):
    """`out[index] += values`, adding repeated integer indices once per occurrence (in place;
    for a dask or CuPy `out` or `values`, the sum as a new array: use what it returns)."""
    if either_other(out, values):
        return scattered(out, index, values)
    parts = index if isinstance(index, tuple) else (index,)
    if any(_is_integer_array_index(p) for p in parts):
        if (
            np.ndim(out) == 1
            and len(parts) == 1
            and np.ndim(parts[0]) == 1
            and (np.shape(values) == np.shape(parts[0]) and out.dtype.kind == "f")
        ):  # bincount adds repeated indices several times faster than np.add.at
            positions = parts[0]
            if np.min(positions, initial=0) < 0:
                positions = np.mod(positions, out.shape[0])
            out += np.bincount(positions, weights=values, minlength=out.shape[0])
            return out
        np.add.at(out, index, values)
    else:
        out[index] += values
    return out


def zero_at(g, index):
    """A copy of `g` with zeros at `index`: the adjoint of an array before `x[index] = v`."""
    out = copy_of(g)
    out[index] = 0.0
    return out


def nonnegative(index, size: int):
    """Integer positions with the negative ones counted from the end, as indexing reads them
    (np.bincount takes only positions from 0; most indices have none below 0: no new array)."""
    # (the array's own method: np.min's dispatch costs more than the minimum of a short index)
    lowest = index.min(initial=0) if type(index) is np.ndarray else np.min(index, initial=0)
    return index if lowest >= 0 else np.mod(index, size)


def index_adjoint(g, x, index):
    """Adjoint of `x[index]`: zeros shaped like `x` with `g` added at `index`."""
    dtype = gradient_dtype(x, g)
    if either_other(x, g):  # (dask, CuPy: zeros of g's library, the sums by bincount)
        return scattered(zeros_for(g, x, dtype), index, g)
    if (  # a vector read at integer positions: bincount makes the sums, no zeros first
        np.ndim(x) == 1
        and _is_integer_array_index(index)
        and np.ndim(index) == 1
        and np.shape(g) == np.shape(index)
        and np.dtype(dtype).kind == "f"
    ):
        positions = np.asarray(index)
        if np.min(positions, initial=0) < 0:
            positions = np.mod(positions, np.shape(x)[0])
        summed = np.bincount(positions, weights=g, minlength=np.shape(x)[0])
        return summed.astype(dtype, copy=False)
    out = np.zeros_like(x, dtype=dtype)
    return scatter_add(out, index, g)


# ---- the positions and sums of NumPy's functions that write into an array ---------------------
# (normalize/mutators.py writes `np.fill_diagonal(a, v)` as `a[diagonal_positions(a)] = v`)


def diagonal_positions(a, wrap=False):
    """The index of the elements `np.fill_diagonal(a, v, wrap)` writes."""
    positions = np.zeros(np.shape(a), dtype=bool)
    np.fill_diagonal(positions, True, wrap=wrap)
    return np.nonzero(positions)


def flat_positions(a, indices, mode="raise"):
    """The index of the elements `np.put(a, indices, v, mode)` writes (`a.flat[indices]`)."""
    flat = np.ravel(np.asarray(indices))
    size = np.size(a)
    if mode == "wrap":
        flat = flat % size
    elif mode == "clip":
        flat = np.clip(flat, 0, size - 1)
    else:  # ("raise": a negative index counts from the end, as Python's do)
        flat = np.where(flat < 0, flat + size, flat)
    return np.unravel_index(flat, np.shape(a))


def added_at(a, indices, b):
    """`np.add.at(a, indices, b)` on a new array: `a` with `b` added at `indices`, a position
    named twice adding twice."""
    out = np.array(a, dtype=np.result_type(a, b), copy=True)
    np.add.at(out, indices, b)
    return out
