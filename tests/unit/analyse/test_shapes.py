"""The shape analysis (`srcgrad/analyse/shapes.py`): the shape of every value where the argument
signature decides it, None where it does not. Shapes follow NumPy through broadcasting,
reductions with `axis` and `keepdims`, indexing (basic indices, loop integers, integer-array
arguments), constructors whose size the signature decides, and dict displays; a name assigned
more than once has a shape only where all its assignments agree (loops settle over rounds).
Also checked one at a time: `of_value`, `operand_shape`, `constant_value`, `broadcast_axes`
and `global_numbers`.
"""

from __future__ import annotations

import gast
import numpy as np
import pytest
from passes import analysed_program, context, define

from srcgrad.analyse.shapes import (
    NotConstant,
    broadcast_axes,
    constant_value,
    global_numbers,
    infer,
    of_value,
    operand_shape,
)


def _shapes(source: str, *args, **names) -> dict:
    return analysed_program(context(define(source, **names), *args)).shapes


def _expression(code: str) -> gast.expr:
    return gast.parse(code).body[0].value


def test_broadcasting_products_and_shaping_functions():
    shapes = _shapes(
        """
        def f(x, y, c, m, w):
            a = x + y
            b = x * c
            e = np.exp(a)
            g = m @ w
            h = m.T
            k = np.reshape(m, (3, 2))
            r = np.ravel(m)
            s = np.stack([m, m])
            return np.sum(a)
        """,
        np.ones((2, 1, 3)),
        np.ones((4, 1)),
        2.0,
        np.ones((2, 3)),
        np.ones((3, 4)),
    )
    assert (shapes["a"], shapes["b"], shapes["e"]) == ((2, 4, 3), (2, 1, 3), (2, 4, 3))
    assert (shapes["g"], shapes["h"], shapes["k"]) == ((2, 4), (3, 2), (3, 2))
    assert (shapes["r"], shapes["s"], shapes["_out"]) == ((6,), (2, 2, 3), ())


def test_reductions_follow_axis_and_keepdims():
    shapes = _shapes(
        """
        def f(x, p):
            a = np.sum(x, axis=0)
            b = np.sum(x, -1)
            c = np.mean(x, axis=1, keepdims=True)
            d = np.max(x, axis=(0, 1))
            e = np.sum(x, keepdims=True)
            g = np.sum(p)
            h = np.sum(p, axis=0)
            k = np.sum(p, keepdims=True)
            return np.sum(x)
        """,
        np.ones((2, 3)),
        [1.0, 2.0],  # a list argument: a tree, of no shape
    )
    assert (shapes["a"], shapes["b"], shapes["c"]) == ((3,), (2,), (2, 1))
    assert (shapes["d"], shapes["e"], shapes["_out"]) == ((), (1, 1), ())
    # of an unknown shape, only a whole reduction's shape is known
    assert shapes["p"] is None and shapes["g"] == ()
    assert shapes["h"] is None and shapes["k"] is None


def test_an_axis_that_is_a_loop_variable_gives_no_known_shape():
    shapes = _shapes(
        """
        def f(x):
            s = 0.0
            for i in range(2):
                a = np.sum(x, axis=i, keepdims=True)
                s = s + np.sum(a)
            return s
        """,
        np.ones((2, 3)),
    )
    assert shapes["a"] is None  # (1, 3) for i = 0, (2, 1) for i = 1


def test_basic_indexing():
    shapes = _shapes(
        """
        def f(x):
            a = x[0]
            b = x[:, 1:]
            c = x[None]
            d = x[..., 0]
            e = x[1, 2]
            return np.sum(a)
        """,
        np.ones((2, 3)),
    )
    assert (shapes["a"], shapes["b"], shapes["c"]) == ((3,), (2, 2), (1, 2, 3))
    assert (shapes["d"], shapes["e"]) == ((2,), ())


def test_indices_that_are_values():
    # a loop integer stands for any integer; an integer array argument for any of its shape;
    # a slice from a loop integer and a boolean mask give lengths that depend on values
    shapes = _shapes(
        """
        def f(x, idx, mask, n):
            s = 0.0
            for i in range(n):
                a = x[i]
                b = x[1:, i]
                c = x[i:]
            d = x[idx]
            e = x[mask]
            return s
        """,
        np.ones((2, 3)),
        np.array([0, 1, 1, 0]),
        np.array([True, False]),
        2,
    )
    assert (shapes["a"], shapes["b"], shapes["d"]) == ((3,), (1,), (4, 3))
    assert shapes["c"] is None and shapes["e"] is None


def test_constructors_whose_size_the_signature_decides():
    shapes = _shapes(
        """
        def f(x, y, n):
            a = np.zeros((3, 4))
            b = np.full((2, 3), 1.0)
            k = x.shape[0]
            c = np.ones(k)
            m = len(x)
            d = np.zeros((m, 3))
            s = x.size
            t = s - 1
            e = np.empty(t)
            g = np.zeros_like(y)
            h = np.ones_like(x, shape=(4,))
            u = np.zeros(n)
            return np.sum(x)
        """,
        np.ones((2, 3)),
        np.ones(5),
        4,
    )
    assert (shapes["a"], shapes["b"], shapes["c"]) == ((3, 4), (2, 3), (2,))
    assert (shapes["k"], shapes["m"], shapes["s"]) == ((), (), ())
    assert (shapes["d"], shapes["e"], shapes["g"]) == ((2, 3), (5,), (5,))
    assert shapes["h"] is None  # (a `shape=` keyword overrides the argument's)
    assert shapes["u"] is None  # (n is a value of the call, not of the signature)


def test_a_name_assigned_in_both_branches_has_a_shape_only_where_they_agree():
    source = """
        def f(x, c):
            if c > 0:
                y = x * 2.0
                z = x
            else:
                y = np.sin(x)
                z = x[0]
            return np.sum(y * z)
    """
    shapes = _shapes(source, np.ones((2, 3)), 1.0)
    assert shapes["y"] == (2, 3)
    assert shapes["z"] is None


def test_loop_carried_values_settle():
    shapes = _shapes(
        """
        def f(x, n):
            s = np.zeros(3)
            g = x
            m = x.shape[0]
            for i in range(n):
                t = s * 2.0
                s = t + x
                g = np.concatenate([g, x])
                m = m - 1
            z = np.zeros(m)
            return np.sum(s)
        """,
        np.ones(3),
        2,
    )
    assert shapes["s"] == (3,) and shapes["t"] == (3,)
    assert shapes["g"] is None  # (it grows at every iteration)
    assert shapes["m"] == () and shapes["z"] is None  # (m is a number, but not a known one)


def test_a_dict_display_gives_its_entries_shapes():
    shapes = _shapes(
        """
        def f(w, b):
            d = {"w": w, "b": b}
            e = d["w"]
            g = d["b"]
            return np.sum(e)
        """,
        np.ones((3, 4)),
        np.ones(4),
    )
    assert shapes["d"] is None
    assert (shapes["e"], shapes["g"]) == ((3, 4), (4,))


def test_infer_gives_the_shapes_of_the_parameters_it_is_given():
    fn = define(
        """
        def f(x, y):
            z = x * y
            return np.sum(z, axis=0)
        """
    )
    ctx = context(fn, np.ones((2, 3)), np.ones(3))
    ops = list(analysed_program(ctx).ops.values())
    assert infer(ops, {"x": (5, 4), "y": (4,)})["_out"] == (4,)
    assert infer(ops, {"x": (5, 4), "y": (5, 1)})["z"] == (5, 4)
    assert infer(ops, {"x": None, "y": (4,)})["z"] is None


def test_global_numbers_are_scalars_and_global_arrays_are_not_known():
    fn = define(
        """
        def f(x):
            a = x * SCALE
            b = x * np.pi
            c = x * WEIGHTS
            d = x * FLAG
            return np.sum(a)
        """,
        SCALE=2.0,
        WEIGHTS=np.ones(3),
        FLAG=True,
    )
    ctx = context(fn, np.ones(3))
    assert global_numbers(ctx.parsed.tree, ctx) == {"SCALE": (), "np.pi": (), "FLAG": ()}
    shapes = analysed_program(ctx).shapes
    assert shapes["a"] == (3,) and shapes["b"] == (3,) and shapes["c"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, ((), "float")),
        (3, ((), "int")),
        (True, ((), "int")),
        (np.ones((2, 3)), ((2, 3), np.dtype("float64"))),
        (np.arange(4), ((4,), np.arange(4).dtype)),
        (np.float32(1.0), ((), np.dtype("float32"))),
        (np.float64(1.0), ((), np.dtype("float64"))),
        ([np.ones(2)], (None, "tree")),
        ((1.0, 2.0), (None, "tree")),
        ({"w": np.ones(2)}, (None, "dict")),
        ("text", None),
        (None, None),
    ],
    ids=repr,
)
def test_of_value(value, expected):
    assert of_value(value) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x", (2, 3)),
        ("y", None),  # not in the table
        ("3", ()),
        ("2.5", ()),
        ("'text'", None),
        ("np.pi", ()),
        ("f(x)", None),
    ],
)
def test_operand_shape(code, expected):
    shapes = {"x": (2, 3), "np.pi": ()}
    assert operand_shape(_expression(code), shapes) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("3", 3),
        ("None", None),
        ("-2", -2),
        ("(1, None)", (1, None)),
        ("[0, 2]", [0, 2]),
        ("slice(1, None, 2)", slice(1, None, 2)),
        ("(i, slice(None, 2, None))", (0, slice(None, 2, None))),
        ("i", 0),  # a loop integer stands for 0 as a whole index or one part of one
        # not constant: other names, expressions, calls, and a loop integer in a slice or a
        # list, where its value matters
        ("n", NotConstant),
        ("x + 1", NotConstant),
        ("f(2)", NotConstant),
        ("slice(i, None, None)", NotConstant),
        ("[i, 0]", NotConstant),
    ],
)
def test_constant_value(code, expected):
    node = _expression(code)
    if expected is NotConstant:
        with pytest.raises(NotConstant):
            constant_value(node, frozenset({"i"}))
    else:
        assert constant_value(node, frozenset({"i"})) == expected


@pytest.mark.parametrize(
    ("have", "want", "expected"),
    [
        ((2, 3), (2, 3), ([], [])),
        ((2, 3), (3,), ([0], [])),
        ((2, 3), (), ([0, 1], [])),
        ((2, 3), (1, 3), ([], [0])),
        ((2, 3), (2, 1), ([], [1])),
        ((2, 1), (2, 1), ([], [])),
        ((5, 2, 3), (1, 3), None),  # a leading axis and a kept axis: two sums
    ],
)
def test_broadcast_axes(have, want, expected):
    assert broadcast_axes(have, want) == expected
