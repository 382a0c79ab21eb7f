"""The optimizer's pass for other libraries' arrays (`srcgrad/optimize/other_arrays.py`): in
code made for a dask or CuPy argument, `np.full_like(a, v)` is `filled_like(a, v)`, which
takes an array as `v` on every library; code made for NumPy's arrays is left as it is."""

from __future__ import annotations

import numpy as np
import pytest
from passes import context, define, text, transformed_tree

from srcgrad.optimize.other_arrays import other_arrays
from srcgrad.runtime import filled_like

SUMS = """
    def f(x):
        return np.sum(np.sum(x, axis=0) * np.arange(3.0))
"""


def rewritten(*args):
    ctx = context(define(SUMS), *args)
    tree = transformed_tree(ctx)
    before = text(tree)
    other_arrays(tree, ctx)
    return before, text(tree)


def test_numpy_arguments_keep_full_like():
    before, after = rewritten(np.ones((4, 3)))
    assert "np.full_like(" in before
    assert after == before


def test_a_dask_argument_gets_filled_like():
    da = pytest.importorskip("dask.array")
    before, after = rewritten(da.ones((4, 3), chunks=(2, 3)))
    assert "np.full_like(" in before
    assert "np.full_like(" not in after
    assert after == before.replace("np.full_like(", "filled_like(")


def test_filled_like_is_full_like_with_arrays_too():
    like = np.zeros((4, 3), dtype=np.float32)
    row = np.arange(3.0)
    np.testing.assert_array_equal(filled_like(like, row), np.full_like(like, row))
    assert filled_like(like, row).dtype == np.float32
    np.testing.assert_array_equal(filled_like(like, 2.5), np.full_like(like, 2.5))
