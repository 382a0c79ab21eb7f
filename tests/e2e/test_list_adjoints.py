"""A Python list's adjoint is a list of its elements' adjoints, however the list was made (a
display, `np.split`, `sorted`, a name appended to) and whatever reads it: a NumPy function of
the whole list (`np.sum(parts)`, `np.sin(parts)`, `np.array(parts)`), which gives an array, and
the list's own operations (`parts.append`, `parts[k] = v`), which need the list. Right in every
mode, against plain Python and finite differences."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad


def sum_of_split_and_appended(x, y):
    parts = np.split(x, 2)
    parts.append(y[:2] * 2.0)
    return np.sum(parts)


def sine_of_the_list(x, y):
    parts = np.split(x, 2)
    parts.append(y[:2] * 2.0)
    return np.sum(np.sin(parts))


def array_of_the_list(x, y):
    parts = np.split(x, 2)
    parts.append(y[:2] * 2.0)
    q = np.array(parts)
    return np.sum(q * q)


def copied_into_an_argument(x, y):
    parts = np.split(x, 2)
    parts.append(y[1:3])
    np.copyto(y, np.mean(parts))
    return np.sum(y * x)


def sorted_and_appended(x, y):
    parts = sorted(x)
    parts.append(y[0] * 2.0)
    return np.sum(np.stack(parts) ** 2)


def array_split_grown_in_a_loop(x, y):
    parts = np.array_split(x, 2)
    for k in range(2):
        parts.append(parts[k] * y[k])
    return np.sum(np.cos(parts))


def extended(x, y):
    parts = np.split(x, 2)
    parts.extend([y[:2], y[2:] * 2.0])
    return np.sum(np.cos(parts)) + np.sum(parts[3])


def joined_twice(x, y):  # (two lists of adjoints were joined with +: a wrong gradient)
    parts = np.split(x, 2)
    parts.append(y[1:3])
    w = np.vstack(parts)
    return np.sum(w**3) + np.sum(np.concatenate(parts))


def joined_with_a_display(x, y):  # (NumPy's sum of the list and the display, it was taken for)
    parts = np.split(x, 2)
    q = parts + [y[:2] * 2.0]
    return np.sum(np.stack(q) ** 2)


def entry_replaced(x, y):
    parts = np.split(y, 2)
    parts.append(x[:2] * 2.0)
    parts[0] = parts[-1]
    return np.sum(parts[0] * x[2:]) + np.sum(np.tanh(parts))


def found_by_the_memory_programs(x, z):
    parts1 = np.split(z, 2)
    parts1.append(np.tanh(np.ones((1,)) - np.dot(np.tanh(x.T), z)))
    parts1[0] = parts1[-1]
    h3 = np.tanh(x)
    h3 *= np.tanh(parts1[0])[[0]]
    return np.sum(h3)


CASES = [
    sum_of_split_and_appended,
    sine_of_the_list,
    array_of_the_list,
    copied_into_an_argument,
    sorted_and_appended,
    array_split_grown_in_a_loop,
    extended,
    joined_twice,
    joined_with_a_display,
    entry_replaced,
    found_by_the_memory_programs,
]


def _arguments(fn):
    rng = np.random.default_rng(7)
    size = 2 if fn is found_by_the_memory_programs else 4
    return rng.normal(size=size), rng.normal(size=4 if size == 4 else 2)


def _fresh(fn):
    """`fn` on copies of its arguments (it may write into them), of the same signature."""

    @functools.wraps(fn)
    def fresh(*args):
        return fn(*(np.copy(a) for a in args))

    return fresh


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_reverse_mode(fn, wrt):
    args = _arguments(fn)
    value, got = srcgrad.value_and_grad(fn, wrt=wrt)(*(np.copy(a) for a in args))
    assert value == pytest.approx(_fresh(fn)(*args), rel=1e-12)
    want = finite_differences(_fresh(fn), args, wrt)
    for g, w in zip(got, want) if isinstance(wrt, tuple) else [(got, want)]:
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_forward_mode(fn):
    args = _arguments(fn)
    tangents = tuple(np.random.default_rng(1).normal(size=np.shape(a)) for a in args)
    value, tangent = srcgrad.jvp(fn, tuple(np.copy(a) for a in args), tangents)
    assert value == pytest.approx(_fresh(fn)(*args), rel=1e-12)
    want = finite_differences(_fresh(fn), args, (0, 1))
    expected = sum(float(np.sum(w * t)) for w, t in zip(want, tangents))
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-7)
