"""The adjoint of reading an array at integer positions (`x[idx]`, repeats and negative positions
included), whichever way the generated code sums it back: `summed_at` (np.bincount) of a vector, the rows
helper's three ways, the general helper where shapes or dtypes are not known. Each gradient is
compared with `np.add.at` into zeros, the definition of the sum.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import srcgrad
from srcgrad.runtime import index_adjoint, rows_added, scatter_add, scatter_way


def read_at(x, idx, w):
    return np.sum(x[idx] * w)


def read_rows(x, idx, w):
    return np.sum(x[idx, :] * w)


def read_rows_ellipsis(x, idx, w):
    return np.sum(x[idx, ...] * w)


def read_elements(x, i, j, w):
    return np.sum(x[i, j] * w)


def read_computed(x, idx, w):
    k = idx % x.shape[0]
    return np.sum(x[k] * w)


def read_complex(x, idx, w):
    y = x * (1 + 2j)
    return np.real(np.sum(y[idx] * w))


def read_twice(x, idx, w):
    picked = x[idx]
    return np.sum(picked * picked * w)


def fresh(function):
    """A new function object of the same code: its own cache of generated code, which after
    eight signatures would serve every shape with one generic version."""
    return types.FunctionType(function.__code__, function.__globals__, function.__name__)


def _expected(x, index, w):
    out = np.zeros(x.shape, dtype=np.result_type(x, w, 1.0))
    np.add.at(out, index, w)
    return out


def _index(rng, rows: int, shape: tuple, dtype=np.int64):
    idx = rng.integers(-rows, rows, shape)
    idx[..., 0] = idx[..., -1]  # a repeat, whatever the draw
    return idx.astype(dtype) % rows if np.dtype(dtype).kind == "u" else idx.astype(dtype)


SHAPES = [
    ((10,), (4,)),
    ((10,), (40,)),
    ((10,), (3, 5)),
    ((1000,), (200,)),
    ((7, 1), (30,)),
    ((6, 3), (5,)),
    ((6, 3), (40,)),
    ((5, 8), (12,)),
    ((4, 100), (9,)),
    ((3, 4, 2), (2, 5)),
]


@pytest.mark.parametrize(("shape", "index_shape"), SHAPES)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint64])
def test_read_at_integer_positions(shape, index_shape, dtype):
    rng = np.random.default_rng(len(shape) * 100 + index_shape[0])
    x = rng.normal(size=shape)
    idx = _index(rng, shape[0], index_shape, dtype)
    w = rng.normal(size=x[idx].shape)
    got = srcgrad.grad(fresh(read_at))(x, idx, w)
    np.testing.assert_allclose(got, _expected(x, idx, w), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("function", [read_rows, read_rows_ellipsis, read_computed])
def test_rows_spelled_otherwise_and_computed_positions(function):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3))
    idx = _index(rng, 6, (17,))
    w = rng.normal(size=(17, 3))
    got = srcgrad.grad(function)(x, idx, w)
    np.testing.assert_allclose(got, _expected(x, idx, w), rtol=1e-12, atol=1e-12)


def test_elements_by_one_index_per_axis():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 5))
    i, j = np.array([0, -1, 3, 3]), np.array([[1], [-2], [1]])
    w = rng.normal(size=(3, 4))
    got = srcgrad.grad(read_elements)(x, i, j, w)
    np.testing.assert_allclose(got, _expected(x, (i, j), w), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mask", [np.array([True, False, True, True]), [True, True, True, True]])
def test_boolean_masks_are_not_positions(mask):
    x = np.arange(4.0)
    w = np.arange(1.0, 1.0 + np.count_nonzero(mask))
    got = srcgrad.grad(fresh(read_at))(x, mask, w)
    np.testing.assert_array_equal(got, _expected(x, np.asarray(mask), w))


def test_float32_keeps_its_dtype():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    idx = _index(rng, 6, (11,))
    w = rng.normal(size=(11, 3)).astype(np.float32)
    got = srcgrad.grad(fresh(read_at))(x, idx, w)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _expected(x, idx, w), rtol=1e-5, atol=1e-5)


def test_complex_values_in_between():
    rng = np.random.default_rng(4)
    x = rng.normal(size=8)
    idx = _index(rng, 8, (12,))
    w = rng.normal(size=12) + 1j * rng.normal(size=12)
    got = srcgrad.grad(read_complex)(x, idx, w)
    np.testing.assert_allclose(got, np.real(_expected(x, idx, w * (1 + 2j))), rtol=1e-12)


def test_the_read_value_kept_for_the_reverse_sweep():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 2))
    idx = _index(rng, 5, (9,))
    w = rng.normal(size=(9, 2))
    got = srcgrad.grad(read_twice)(x, idx, w)
    np.testing.assert_allclose(got, _expected(x, idx, 2 * x[idx] * w), rtol=1e-12)


# ---- which code is generated --------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "index_shape", "line"),
    [
        ((10,), (4,), ("dx = summed_at(idx, ", ", 10)")),
        ((10,), (3, 5), ("dx = rows_added(", "idx, 10, 'columns')")),
        ((5, 8), (12,), ("dx = rows_added(", "idx, 5, 'add.at')")),
        ((6, 3), (5,), ("dx = rows_added(", "idx, 6, 'bincount')")),
        ((6, 3), (40,), ("dx = rows_added(", "idx, 6, 'columns')")),
        ((40, 3), (20,), ("dx = rows_added(", "idx, 40, 'bincount')")),
        ((4, 100), (9,), ("dx = rows_added(", "idx, 4, 'bincount')")),
    ],
)
def test_the_way_is_chosen_for_the_shapes(shape, index_shape, line):
    x = np.ones(shape)
    idx = np.zeros(index_shape, dtype=np.int64)
    source = srcgrad.grad(fresh(read_at)).source_for(x, idx, x[idx])
    start, end = line
    last = source.splitlines()[-2].strip()
    assert last.startswith(start) and last.endswith(end)


@pytest.mark.parametrize(
    ("function", "x", "w"),
    [
        (read_at, np.ones(4, np.float32), np.ones(3, np.float32)),  # (bincount makes float64)
        (read_complex, np.ones(4), np.ones(3)),  # (bincount takes no complex weights)
    ],
)
def test_the_general_helper_where_bincount_does_not_fit(function, x, w):
    source = srcgrad.grad(fresh(function)).source_for(x, np.array([0, 1, 1]), w)
    assert "index_adjoint(" in source and "bincount" not in source


# ---- the runtime helpers ------------------------------------------------------------------


@pytest.mark.parametrize("way", ["add.at", "columns", "bincount"])
@pytest.mark.parametrize(("shape", "index_shape"), SHAPES)
def test_every_way_sums_as_add_at(way, shape, index_shape):
    rng = np.random.default_rng(6)
    idx = _index(rng, shape[0], index_shape)
    g = rng.normal(size=index_shape + shape[1:])
    got = rows_added(g, idx, shape[0], way)
    assert got.shape == shape
    np.testing.assert_allclose(got, _expected(np.zeros(shape), idx, g), rtol=1e-12, atol=1e-12)


def test_scatter_way():
    assert scatter_way(1000, 1, 10) == "columns"
    assert scatter_way(10, 8, 2) == "add.at"
    assert scatter_way(100, 2, 1000) == "columns"
    assert scatter_way(1000, 2, 100) == "columns"
    assert scatter_way(1000, 4, 100) == "bincount"
    assert scatter_way(1000, 100, 1000) == "bincount"


@pytest.mark.parametrize(
    "index",
    [
        [0, 2, 2],
        [True, True, True],
        np.array([-1, 0, -1]),
        (np.array([1, 1, 0]), slice(None)),
        (np.array([1, 1, 0]), np.array([0, -1, 0])),
    ],
)
def test_general_helpers(index):
    x = np.zeros((3, 2)) if isinstance(index, tuple) else np.zeros(3)
    g = np.arange(1.0, 1.0 + x[index].size).reshape(x[index].shape)
    want = _expected(x, index, g)
    np.testing.assert_array_equal(index_adjoint(g, x, index), want)
    np.testing.assert_array_equal(scatter_add(np.ones_like(x), index, g), want + 1)
