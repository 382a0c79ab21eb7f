"""What the optimizer knows of a generated function's arrays (`srcgrad/optimize/known_arrays.py`),
statement by statement: kinds of dtype from the arguments' through arithmetic, NumPy's functions,
reductions and products; shapes through broadcasting, reductions, products and transposes; and
which names alone hold an array the function made, until they hand it on.
"""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import gast
import numpy as np
import pytest

from srcgrad import runtime
from srcgrad.front.reading import MISSING
from srcgrad.optimize.known_arrays import BOOL, F64, FLOAT, INT, INTEGER, Known


def _resolve(node):
    if isinstance(node, gast.Name):
        return {"np": np, "sigmoid": runtime.sigmoid}.get(node.id, MISSING)
    if isinstance(node, gast.Attribute):
        owner = _resolve(node.value)
        return MISSING if owner is MISSING else getattr(owner, node.attr, None)
    return None


def known_after(source: str, shapes: dict, dtypes: dict) -> Known:
    """What is known after every statement of `source`'s body but the last (its return)."""
    fn = gast.parse(textwrap.dedent(source)).body[0]
    ctx = SimpleNamespace(shapes=shapes, dtypes=dtypes, resolve=_resolve)
    known = Known(fn, ctx)
    for stmt in fn.body[:-1]:
        known.record(stmt)
    return known


SOURCE = """
    def g(x, w, i, m, s, n):
        a = x * 2.0
        b = np.exp(a) + s
        c = (x > 0.5) * 0.5
        d = i + 1
        e = i / 2
        f = b.sum(axis=1, keepdims=True)
        h = np.einsum('ab,ab->a', x, b)
        k = np.expand_dims(h, 1) * x.shape[0]
        p = x @ w
        q = p.T
        r = np.exp(m)
        t = x.astype(np.float32)
        u = c.sum()
        return a
    """
SHAPES = {"x": (5, 3), "w": (3, 4), "i": (5, 3), "m": (5, 3), "s": (), "n": ()}
DTYPES = {"x": "float64", "w": "float64", "i": "int64", "m": "bool", "s": "float", "n": "int"}


@pytest.mark.parametrize(
    ("name", "kind", "shape"),
    [
        ("x", F64, (5, 3)),
        ("s", FLOAT, ()),
        ("n", INT, ()),
        ("i", INTEGER, (5, 3)),
        ("m", BOOL, (5, 3)),
        ("a", F64, (5, 3)),
        ("b", F64, (5, 3)),
        ("c", F64, (5, 3)),  # (bools times a Python float)
        ("d", None, (5, 3)),  # (an integer array plus 1: integers, not followed)
        ("e", F64, (5, 3)),  # (true division)
        ("f", F64, (5, 1)),
        ("h", F64, (5,)),
        ("k", F64, (5, 1)),
        ("p", F64, (5, 4)),
        ("q", F64, (4, 5)),
        ("r", None, (5, 3)),  # (np.exp of bools is float16)
        ("t", None, None),  # (astype: anything)
        ("u", F64, ()),  # (a sum of a float64 array)
    ],
)
def test_kinds_and_shapes(name, kind, shape):
    value = known_after(SOURCE, SHAPES, DTYPES).values[name]
    assert (value.kind, value.shape) == (kind, shape)


def test_an_array_the_function_made_is_owned_until_it_is_handed_on():
    source = """
        def g(x, y):
            a = x * 2.0
            b = a + 1.0
            c = np.sum(b)
            keep = [b]
            v = a[1:]
            e = np.exp(x)
            alias = e
            d = np.maximum(x, 0.0) - y
            s = np.sum(d * d) + d.shape[0]
            return a
        """
    known = known_after(source, {"x": (4,), "y": (4,)}, {"x": "float64", "y": "float64"})
    owned = {name for name, value in known.values.items() if value.owned and value.shape}
    # x: the caller's; a: a view of it was taken; b: put in a list; e: another name holds it;
    # c, s: numbers; d: read only by arithmetic and a function that only reads
    assert owned == {"d"}


def test_a_name_bound_in_a_block_is_forgotten():
    source = """
        def g(x, n):
            a = x * 2.0
            if n:
                a = x
            return a
        """
    known = known_after(source, {"x": (4,), "n": ()}, {"x": "float64", "n": "int"})
    assert "a" not in known.values
