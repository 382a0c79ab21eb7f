"""A helper that writes into one parameter, called with memory another parameter shares
(`helper(y, y)`, a view and its base, an array and its transpose, two views of one array): its
generated code takes its parameters for different arrays, where plain Python's write into one
changes the other. Refused at the call, with the way out; the same helper given distinct
arrays (or the advised copy) is right against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient

import srcgrad


def _bump(a, b):
    a += 1.0
    return np.sum(a * b)


def _first_from_second(a, b):
    a[0] = b[1] * 2.0
    return np.sum(a * b)


def _scaled(m, t):
    m *= 2.0
    return np.sum(m * t)


def same_array_twice(x):
    y = x * 1.0
    return _bump(y, y)


def a_view_and_its_base(x):
    y = x * 1.0
    return _first_from_second(y[1:], y)


def the_base_and_its_view(x):
    y = x * 1.0
    return _first_from_second(y, y[:3])


def a_matrix_and_its_transpose(x):
    m = np.outer(x, x)
    return _scaled(m, m.T)


def two_views_of_one_array(x):
    y = x * 1.0
    left, right = y[:3], y[1:]
    return _first_from_second(left, right)


def same_array_in_a_loop(x):
    y = x * 1.0
    total = 0.0
    for _ in range(2):
        total = total + _bump(y, y)
    return total


def copied_as_advised(x):
    y = x * 1.0
    return _bump(y, y.copy())


def distinct_arrays(x):
    y = x * 1.0
    z = x * 2.0
    return _first_from_second(y, z)


X = np.array([0.3, -0.7, 1.1, 0.4])
SHARED = [
    same_array_twice,
    a_view_and_its_base,
    the_base_and_its_view,
    a_matrix_and_its_transpose,
    two_views_of_one_array,
    same_array_in_a_loop,
]


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("fn", SHARED, ids=lambda f: f.__name__)
def test_a_helper_given_shared_memory_it_writes_into_is_refused_at_the_call(fn, mode):
    with pytest.raises(srcgrad.SrcgradError) as info:
        if mode == "grad":
            srcgrad.grad(fn)(X.copy())
        else:
            srcgrad.jvp(fn, (X.copy(),), (np.ones_like(X),))
    message = str(info.value)
    assert "test_helper_aliases.py" in message and "changes its argument" in message
    assert "shares" in message and ".copy()" in message


@pytest.mark.parametrize("fn", [copied_as_advised, distinct_arrays], ids=lambda f: f.__name__)
def test_distinct_arrays_or_the_advised_copy_are_right(fn):
    np.testing.assert_allclose(srcgrad.grad(fn)(X.copy()), gradient(fn, (X.copy(),), 0), rtol=1e-6)
    value, _ = srcgrad.value_and_grad(fn)(X.copy())
    np.testing.assert_allclose(value, fn(X.copy()))
