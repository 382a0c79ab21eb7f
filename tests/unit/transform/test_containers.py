"""Adjoints of Python containers (`transform/containers.py`): a tuple's adjoint is the tuple of
its parts' adjoints, with zeros for a part no path used and nothing at all where none was; a
list's is a list of adjoints, built with `list_adjoint`/`add_at`, shortened with the list when
an `append` is reversed, and given out element by element; a dict's and a container argument's
adjoint is a container of the same structure built with `add_item`; `np.stack` of a list or of
a display gives one adjoint per element. The code is read before the optimizer runs, and a few
gradients are checked against hand formulas."""

from __future__ import annotations

import numpy as np
from passes import context, define, text, transformed_tree

import srcgrad
from srcgrad.front.context import Mode


def _lines(source: str, *args, **options) -> list[str]:
    fn = define(source)
    tree = transformed_tree(context(fn, *args, **options))
    return [line.strip() for line in text(tree).splitlines()]


def test_a_tuple_s_adjoint_is_the_tuple_of_its_parts_adjoints():
    lines = _lines(
        """
        def f(x, y):
            t = (x, y)
            a, b = t
            return np.sum(a * b)
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
    )
    assert lines[-4:] == ["dt = (da, db)", "dx = dt[0]", "dy = dt[1]", "return (dx, dy)"]


def test_a_part_of_a_tuple_no_path_used_gets_zeros_of_the_part_the_tuple_holds():
    lines = _lines(
        """
        def f(x, y):
            t = (x * 2.0, y)
            a, b = t
            return np.sum(a)
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
    )
    assert "dt = (da, np.zeros_like(_t2[1]))" in lines
    assert "dy = dt[1]" in lines


def test_a_tuple_none_of_whose_parts_was_used_has_no_adjoint():
    lines = _lines(
        """
        def f(x, y):
            t = (x, y)
            a, b = t
            return np.sum(x)
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
    )
    assert not any(line.startswith(("dt", "da", "db", "dy")) for line in lines)
    assert lines[-1] == "return (dx, zero_gradient(y))"


def test_a_pullback_s_tuple_adjoint_comes_from_the_caller_part_by_part():
    lines = _lines(
        """
        def f(x, y):
            t = (x * 2.0, y)
            return t
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
        mode=Mode.VJP,
    )
    assert "def f_back(dt):" in lines
    assert "d_t1 = part_adjoint(dt, 0, _t1)" in lines  # None (a part not used) is zeros
    assert "dy = part_adjoint(dt, 1, y)" in lines


def test_a_tuple_returned_by_a_user_function_goes_back_with_zeros_for_the_unused_part():
    lines = _lines(
        """
        def h(a):
            return a * 2.0, a * 3.0

        def f(x):
            p, q = h(x)
            return np.sum(p)
        """,
        np.ones(3),
    )
    assert "dx = h_back((dp, np.zeros_like(_t1[1])))" in lines


def test_a_list_display_gets_a_list_of_adjoints_given_out_element_by_element():
    source = """
        def f(x, y):
            xs = [x, y]
            return np.sum(xs[0] * xs[1])
    """
    lines = _lines(source, np.ones(3), np.ones(3), wrt=(0, 1))
    assert lines[-6:-1] == [
        "dxs = list_adjoint(xs)",
        "add_at(dxs, 0, d_t1)",
        "add_at(dxs, 1, d_t2)",
        "dx = element_adjoint(dxs, 0, x)",
        "dy = element_adjoint(dxs, 1, y)",
    ]
    x, y = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 4.0])
    dx, dy = srcgrad.grad(define(source), wrt=(0, 1))(x, y)
    np.testing.assert_allclose(dx, y)
    np.testing.assert_allclose(dy, x)


def test_a_nested_list_display_is_given_out_level_by_level():
    lines = _lines(
        """
        def f(x, y):
            xs = [[x, y], [y, x]]
            a = xs[0]
            return np.sum(np.stack(a))
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
    )
    assert lines[-8:-1] == [
        "add_at(dxs, 0, da)",
        "_t2 = element_adjoint(dxs, 0, xs[0])",
        "dx = element_adjoint(_t2, 0, x)",
        "dy = element_adjoint(_t2, 1, y)",
        "_t3 = element_adjoint(dxs, 1, xs[1])",
        "dy = dy + element_adjoint(_t3, 0, y)",
        "dx = dx + element_adjoint(_t3, 1, x)",
    ]


def test_appends_are_reversed_by_popping_the_list_and_its_adjoints():
    source = """
        def f(x, c):
            xs = []
            xs.append(x * 2.0)
            xs.append(c)
            xs.append(x * 3.0)
            return np.sum(np.stack(xs))
    """
    lines = _lines(source, np.ones(3), np.ones(3))
    start = lines.index("dxs = list(np.moveaxis(d_t3, 0, 0))")  # np.stack of the list
    assert lines[start + 1 :] == [
        "xs.pop()",
        "_t4 = pop_adjoint(dxs, _t2)",
        "d_t2 = _t4",
        "dx = d_t2 * 3.0",
        "xs.pop()",
        "dxs.pop()",  # c is not differentiated: its adjoint is dropped with it
        "xs.pop()",
        "_t5 = pop_adjoint(dxs, _t1)",
        "d_t1 = _t5",
        "dx = dx + d_t1 * 2.0",
        "return dx",
    ]
    gradient = srcgrad.grad(define(source))(np.ones(3), np.ones(3))
    np.testing.assert_allclose(gradient, np.full(3, 5.0))


def test_np_stack_of_a_display_gives_each_element_its_slice():
    lines = _lines(
        """
        def f(x, y):
            return np.sum(np.stack([x, y]) * 2.0)
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
    )
    assert lines[-4:-1] == ["_t5 = np.moveaxis(d_t1, 0, 0)", "dx = _t5[0]", "dy = _t5[1]"]


def test_a_dict_s_adjoint_is_built_entry_by_entry_and_read_back_with_zeros():
    lines = _lines(
        """
        def f(x, y):
            d = {"a": x, "b": y}
            return np.sum(d["a"] * 2.0)
        """,
        np.ones(3),
        np.ones(3),
        wrt=(0, 1),
    )
    assert lines[-4:-1] == [
        "dd = add_item(None, d, 'a', as_gradient(d_t1, _t1))",
        "dx = entry_adjoint(dd, 'a', x)",
        "dy = entry_adjoint(dd, 'b', y)",  # no entry at 'b': zeros
    ]


def test_a_container_argument_s_gradient_has_its_structure():
    source = """
        def f(p, x):
            return np.sum(p["w"] * x) + np.sum(p["b"])
    """
    p, x = {"w": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])}, np.array([5.0, 6.0])
    lines = _lines(source, p, x)
    assert "dp = add_item(None, p, 'w', as_gradient(d_t1, _t1))" in lines
    assert "dp = add_item(dp, p, 'b', as_gradient(d_t4, _t4))" in lines
    assert lines[-1] == "return as_gradient(dp, p)"
    gradient = srcgrad.grad(define(source))(p, x)
    assert set(gradient) == {"w", "b"}
    np.testing.assert_allclose(gradient["w"], x)
    np.testing.assert_allclose(gradient["b"], np.ones(2))


def test_a_list_argument_s_items_add_into_one_adjoint_each():
    source = """
        def f(ws, x):
            a = ws[0]
            b = ws[1]
            return np.sum(a * x) + np.sum(b * a)
    """
    ws, x = [np.array([1.0, 2.0]), np.array([3.0, 4.0])], np.array([5.0, 6.0])
    lines = _lines(source, ws, x)
    assert "da = add_adjoints(da, unbroadcast(d_t3 * b, a))" in lines
    assert "dws = add_item(None, ws, 1, as_gradient(db, b))" in lines
    assert "dws = add_item(dws, ws, 0, as_gradient(da, a))" in lines
    da, db = srcgrad.grad(define(source))(ws, x)
    np.testing.assert_allclose(da, x + ws[1])
    np.testing.assert_allclose(db, ws[0])
