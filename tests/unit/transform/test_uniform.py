"""Uniform adjoints through statements (`transform/uniform.py`): the adjoint of `np.sum(x)` or
`np.mean(x)` is one number over x's shape, and stays that number through elementwise statements
whose operands have the result's shape (`x + 1`, `x * c`), through a sum of a sum, and through
scalings; a contribution that reads a value of the result's shape is an array ("full"), one
that reads smaller values stays a number ("uniform"), and one whose shape is not known is spread
with `np.full_like` ("unknown"). The array is made only where something needs it: at the end of
a block, before an `if`, or for an operand that was broadcast. The code is read before the
optimizer runs."""

from __future__ import annotations

import gast
import numpy as np
from passes import context, define, text, transformed_tree

import srcgrad
from srcgrad.front import nodes
from srcgrad.transform.adjoints import Adjoints
from srcgrad.transform.uniform import spread_contribution


def _lines(source: str, *args, **options) -> list[str]:
    fn = define(source)
    tree = transformed_tree(context(fn, *args, **options))
    return [line.strip() for line in text(tree).splitlines()]


def _full_likes(lines: list[str]) -> list[str]:
    return [line for line in lines if "full_like" in line]


def test_an_elementwise_statement_passes_the_number_on():
    lines = _lines(
        """
        def f(x):
            y = x + 1.0
            return np.sum(y)
        """,
        np.ones(3),
    )
    assert not any(line.startswith("dy") for line in lines)  # y's adjoint was never an array
    assert _full_likes(lines) == ["dx = np.full_like(x, _t2)"]  # made once, at the end


def test_a_number_times_a_uniform_adjoint_stays_a_number():
    lines = _lines(
        """
        def f(x, c):
            y = x * c
            return np.sum(y)
        """,
        np.ones(3),
        2.0,
    )
    assert lines[-3:] == ["_t2 = _t1 * c", "dx = np.full_like(x, _t2)", "return dx"]


def test_an_array_times_a_uniform_adjoint_is_a_full_adjoint_without_full_like():
    lines = _lines(
        """
        def f(a, b):
            return np.sum(a * b)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert "da = _t2 * b" in lines
    assert _full_likes(lines) == []


def test_a_mean_s_adjoint_is_one_over_n():
    source = """
        def f(x):
            return np.mean(x * 3.0)
    """
    lines = _lines(source, np.ones(4))
    assert lines[-4:-1] == ["_t2 = d_out / 4", "_t3 = _t2 * 3.0", "dx = np.full_like(x, _t3)"]
    np.testing.assert_allclose(srcgrad.grad(define(source))(np.arange(4.0)), np.full(4, 0.75))


def test_a_sum_of_a_sum_passes_the_number_to_the_inner_operand():
    lines = _lines(
        """
        def f(x, c):
            y = x * c
            z = np.sum(y, axis=0)
            return np.sum(z * 2.0)
        """,
        np.ones((2, 3)),
        3.0,
    )
    assert not any(line.startswith(("dy", "dz")) for line in lines)
    assert _full_likes(lines) == ["dx = np.full_like(x, _t5)"]


def test_a_broadcast_operand_needs_the_array():
    lines = _lines(
        """
        def f(x, b):
            y = x + b
            return np.sum(y)
        """,
        np.ones((2, 3)),
        np.ones(3),
        wrt=(0, 1),
    )
    assert lines[-4:-1] == ["dy = np.full_like(y, _t1)", "dx = dy", "db = unbroadcast(dy, b)"]


def test_an_operand_of_a_shape_not_known_gets_the_array():
    lines = _lines(
        """
        def f(x):
            y = x[x > 0]
            z = y * 2.0
            return np.sum(z)
        """,
        np.ones(3),
    )
    assert "dz = np.full_like(z, d_out)" in lines
    assert "dy = dz * 2.0" in lines


def test_the_array_is_made_before_an_if():
    lines = _lines(
        """
        def f(x, c):
            if c > 0:
                y = np.sin(x)
            else:
                y = np.cos(x)
            return np.sum(y)
        """,
        np.ones(3),
        1.0,
    )
    made = lines.index("dy = np.full_like(y, _t2)")
    assert lines[made + 1] == "if _t1:"


def test_np_where_of_a_uniform_adjoint_is_a_full_adjoint():
    lines = _lines(
        """
        def f(x):
            return np.sum(np.where(x > 0, x, 0.0))
        """,
        np.ones(3),
    )
    assert lines[-2:] == ["dx = np.where(_t1, _t3, 0.0)", "return dx"]


def _adjoints() -> Adjoints:
    fn = define(
        """
        def f(x, b, c):
            return np.sum(x * b * c)
        """
    )
    ctx = context(fn, np.ones(3), np.ones(3), 2.0)
    shapes = {"x": (3,), "b": (3,), "c": ()}
    return Adjoints(ctx, {"x"}, shapes, {"x", "b", "c"})


def _times(left: str, right: str):
    return nodes.binop(nodes.load(left), gast.Mult(), nodes.load(right))


def test_a_contribution_reading_a_value_of_the_result_s_shape_is_full():
    a = _adjoints()
    spread_contribution(a, "x", _times("g", "b"), (3,))
    assert text(nodes.module(a.out)) == "dx = g * b\n"
    assert a.table.uniform("x") is None


def test_a_contribution_reading_only_numbers_stays_uniform():
    a = _adjoints()
    spread_contribution(a, "x", _times("c", "c"), (3,))
    held = a.table.uniform("x")
    assert held is not None
    assert text(nodes.module(a.out)) == f"{held.id} = c * c\n"
    assert a.shapes[held.id] == ()


def test_a_contribution_of_a_shape_not_known_is_spread_with_full_like():
    a = _adjoints()
    spread_contribution(a, "x", _times("c", "c"), None)  # the result's shape is not known
    spread_contribution(a, "b", _times("g", "c"), (3,))  # g's shape is not known
    assert text(nodes.module(a.out)).splitlines() == [
        "dx = np.full_like(x, c * c)",
        "db = np.full_like(b, g * c)",
    ]
    assert a.table.uniform_names() == []


def test_sums_and_means_of_one_array_add_up():
    source = """
        def f(x):
            y = -x
            return np.sum(y * 2.0) + np.sum(y) + np.mean(x)
    """
    x = np.array([0.5, -1.0, 2.0, 4.0])
    np.testing.assert_allclose(srcgrad.grad(define(source))(x), np.full(4, -3.0 + 0.25))
