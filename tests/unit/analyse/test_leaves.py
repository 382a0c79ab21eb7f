"""Whether a parameter tree argument may hold complex numbers (`srcgrad/analyse/leaves.py`), as
its signature (`shapes.of_value`) says: code made for real leaves never serves complex ones."""

from __future__ import annotations

import functools
import types
from dataclasses import dataclass

import numpy as np
import pytest

from srcgrad.analyse import leaves
from srcgrad.analyse.leaves import may_hold_complex
from srcgrad.analyse.shapes import of_value

X, Z = np.ones(3), np.ones(3) + 1j


@dataclass
class Layer:
    w: object
    name: str = "dense"


def _scale(x, factor):
    return x * factor


@pytest.mark.parametrize(
    "tree",
    [
        [X, X],
        {"w": X, "b": 0.5, "n": 3, "act": np.tanh, "name": "a", "none": None},
        (X, [X, {"deep": (1.0, True)}]),
        types.SimpleNamespace(c=X, d=2.0),
        Layer(X),
        {"layer": Layer(np.float32(1.0))},
        functools.partial(_scale, factor=X),
        [],
    ],
    ids=["list", "dict", "nested", "namespace", "dataclass", "numpy_scalar", "partial", "empty"],
)
def test_a_tree_of_real_leaves_holds_no_complex_numbers(tree):
    assert not may_hold_complex(tree)
    assert of_value(tree)[1].complex is False


@pytest.mark.parametrize(
    "tree",
    [
        [X, Z],
        {"w": X, "b": 1 + 2j},
        (X, [X, {"deep": (1.0, np.complex64(1j))}]),
        types.SimpleNamespace(c=Z),
        {"layer": Layer(Z)},
        functools.partial(_scale, factor=1j),
    ],
    ids=["list", "dict", "nested", "namespace", "dataclass", "partial"],
)
def test_one_complex_leaf_anywhere_is_seen(tree):
    assert may_hold_complex(tree)
    assert of_value(tree)[1].complex is True


def test_the_signature_of_real_and_complex_leaves_differ():
    real, complex_ = of_value({"c": X}), of_value({"c": Z})
    assert real != complex_ and real == of_value({"c": X + 1})
    assert of_value(Layer(X)) != of_value(Layer(Z))


def test_a_tree_that_refers_to_itself_is_looked_at_once():
    node = types.SimpleNamespace(w=X)
    node.parent = node
    assert not may_hold_complex(node)
    node.z = Z
    assert may_hold_complex(node)


def test_a_tree_too_large_to_look_at_may_hold_complex_numbers(monkeypatch):
    monkeypatch.setattr(leaves, "LIMIT", 10)
    assert not may_hold_complex([X] * 10)
    assert may_hold_complex([X] * 11)


class Raising:
    @property
    def dtype(self):
        raise RuntimeError("not now")


def test_an_object_whose_dtype_raises_is_no_number():
    assert not may_hold_complex({"thing": Raising(), "w": X})
