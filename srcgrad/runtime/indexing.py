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
    """An array of integer positions (a list of ints is one; a list of bools is a mask)."""
    dtype = getattr(part, "dtype", None)
    if dtype is not None:
        return getattr(part, "ndim", 0) > 0 and np.issubdtype(dtype, np.integer)
    return isinstance(part, list) and _is_integer_array_index(np.asarray(part))


def _row_positions(index, ndim: int):
    """The integer positions along the first axis when `index` reads whole rows of an array of
    `ndim` axes (`x[i]`, `x[i, :]`, `x[i, ...]` for an integer array `i`), else None."""
    parts = index if isinstance(index, tuple) else (index,)
    rest = parts[1:]
    if not _is_integer_array_index(parts[0]):
        return None
    slices = [p for p in rest if isinstance(p, slice)]
    ellipses = [p for p in rest if p is Ellipsis]
    if len(slices) + len(ellipses) != len(rest) or len(ellipses) > 1 or len(slices) >= ndim:
        return None
    if any(p != slice(None) for p in slices):
        return None
    return np.asarray(parts[0])


# ---- adding rows back where a gather read them ------------------------------------------------
# benchmarks/scatter.py times the ways on NumPy 2 (the table in benchmarks/README.md): np.bincount
# of the element numbers beats np.add.at at every size but the smallest, where np.add.at saves a
# microsecond or two; for rows of one or two numbers, and of up to four where the index is at
# least as long as the rows are many, one bincount per column beats both; sorting the positions
# and np.add.reduceat never does.


def scatter_way(rows: int, width: int, length: int) -> str:
    """The fastest way to add `length` rows of `width` numbers into `rows` rows of zeros:
    "add.at", "columns" (one np.bincount per column) or "bincount" (of element numbers)."""
    if 4 <= width <= 16 and length * width <= 160:
        return "add.at"
    if width <= 2 or (width <= 4 and length >= rows):
        return "columns"
    return "bincount"


def rows_added(g, index, rows: int, way: str = "bincount"):
    """The adjoint of `x[index]` for an integer array `index` (any shape) reading whole rows of
    an `x` of `rows` rows: zeros of shape `(rows, *row)` with each row of `g` added to the row
    its position names, positions named twice adding twice, negative ones counting from the
    end. `way` says how (`scatter_way`); float64 sums, as np.bincount makes them. For NumPy
    arrays only (the caller sends others' to `scattered`): its own arrays by np.zeros, whose
    cost on a short array is a sixth of np.zeros_like's."""
    index, g = np.asarray(index), np.asarray(g)
    shape = (rows, *g.shape[index.ndim :])
    if way == "add.at":
        out = np.zeros(shape)
        np.add.at(out, index, g)
        return out
    positions = nonnegative(index, rows).ravel()
    width = math.prod(shape[1:])
    if way == "columns" and width == 1:
        return np.bincount(positions, g.ravel(), rows).reshape(shape)
    values = g.reshape(positions.shape[0], width)
    if way == "columns":
        out = np.empty((rows, width))
        for column in range(width):
            out[:, column] = np.bincount(positions, values[:, column], rows)
        return out.reshape(shape)
    numbers = (positions[:, None] * width + np.arange(width)).ravel()
    return np.bincount(numbers, values.ravel(), rows * width).reshape(shape)


def scatter_add(out, index, values):
    """`out[index] += values`, adding repeated integer indices once per occurrence (in place;
    for a dask or CuPy `out` or `values`, the sum as a new array: use what it returns)."""
    if either_other(out, values):
        return scattered(out, index, values)
    parts = index if isinstance(index, tuple) else (index,)
    if any(_is_integer_array_index(p) for p in parts):
        positions = _row_positions(index, np.ndim(out))
        if (
            positions is not None
            and out.dtype.kind == "f"
            and np.shape(values) == np.shape(positions) + np.shape(out)[1:]
        ):  # bincount adds repeated positions several times faster than np.add.at
            rows = np.shape(out)[0]
            way = scatter_way(rows, math.prod(np.shape(out)[1:]), np.size(positions))
            out += rows_added(values, positions, rows, way)
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
    if lowest < 0:
        return np.mod(index, size)
    if getattr(index, "dtype", None) == np.uint64:  # (np.bincount refuses to cast these)
        return index.astype(np.intp)
    return index


def summed_at(index, weights, size: int):
    """`np.bincount(index, weights, size)` for the integer positions of a NumPy gather, which
    may count from the end: the adjoint of `x[index]` for a vector `x` of `size` elements.
    np.bincount refuses negative positions (and uint64 ones) with an error, so the common case
    costs one call, without the minimum that `nonnegative` takes first; forward indexing has
    already refused positions past the end."""
    if type(index) is np.ndarray:
        try:
            return np.bincount(index, weights, size)
        except (ValueError, TypeError):  # a position counted from the end; uint64 positions
            pass
    return np.bincount(nonnegative(index, size), weights, size)


def index_adjoint(g, x, index):
    """Adjoint of `x[index]`: zeros shaped like `x` with `g` added at `index`."""
    dtype = gradient_dtype(x, g)
    if either_other(x, g):  # (dask, CuPy: zeros of g's library, the sums by bincount)
        return scattered(zeros_for(g, x, dtype), index, g)
    shape = np.shape(x)
    if np.dtype(dtype).kind == "f" and shape:
        positions = _row_positions(index, len(shape))
        if positions is not None and np.shape(g) == np.shape(positions) + shape[1:]:
            way = scatter_way(shape[0], math.prod(shape[1:]), np.size(positions))
            return rows_added(g, positions, shape[0], way).astype(dtype, copy=False)
        if _is_elements(index, len(shape)):  # x[i, j]: each position's element number
            numbers = np.ravel_multi_index(index, shape, mode="wrap")  # (wrap: -1 is the last)
            if np.shape(g) == np.shape(numbers):
                summed = np.bincount(np.ravel(numbers), np.ravel(g), math.prod(shape))
                return np.reshape(summed, shape).astype(dtype, copy=False)
    out = np.zeros_like(x, dtype=dtype)
    return scatter_add(out, index, g)


def _is_elements(index, ndim: int) -> bool:
    """`index` names single elements: one integer array per axis."""
    return (
        isinstance(index, tuple)
        and len(index) == ndim > 1
        and all(_is_integer_array_index(p) for p in index)
    )


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
