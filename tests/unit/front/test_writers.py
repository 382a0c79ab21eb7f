"""`front.writers.writes`: what a call writes into is decided by the object called."""

from __future__ import annotations

import functools
import operator
import random

import numpy as np
import pytest

from srcgrad.front.writers import called, writes

Y = np.zeros(3)
ITEMS: list = []


def _mine(a):
    a[0] = 1.0


class _Mine:
    def update(self, v):
        return v


WRITING = [
    np.copyto,
    np.add.at,
    np.random.shuffle,
    np.random.default_rng(0).shuffle,
    random.shuffle,
    operator.iadd,
    operator.setitem,
    operator.delitem,
    setattr,
    np.ndarray.sort,
    np.ndarray.__iadd__,
    np.ndarray.__setitem__,
    Y.sort,
    Y.fill,
    Y.__itruediv__,
    list.append,
    ITEMS.extend,
    dict.update,
    functools.partial(np.copyto, Y),
]
READING = [np.sort, np.sum, np.add, Y.sum, np.ndarray.sum, operator.add, getattr, print, _mine]
READING += [_Mine().update, _Mine.update, dict.fromkeys, functools.partial(np.add, 1.0)]


@pytest.mark.parametrize("obj", WRITING, ids=called)
def test_writers_are_known_by_the_object(obj):
    assert writes(obj)


@pytest.mark.parametrize("obj", READING, ids=called)
def test_other_calls_are_not_writers(obj):
    assert not writes(obj)


def test_messages_name_the_object_as_the_user_spells_it():
    assert [called(o) for o in (np.copyto, np.add.at, operator.iadd, np.ndarray.sort)] == [
        "np.copyto",
        "np.add.at",
        "operator.iadd",
        "ndarray.sort",
    ]
