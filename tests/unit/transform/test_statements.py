"""The adjoint of one statement (`transform/statements.py`): a derivative rule applied to
`target = operation`, each active operand given its contribution and the target's adjoint used
up; an operand that was broadcast summed back with `unbroadcast(g, x)`, which carries both
shapes where they are known and is not written where they agree; `x[i] = v` putting back what
it overwrote, giving `v` the adjoint at `i` and zeroing it there; `y = x[i]` adding into `dx` in
place where srcgrad owns it; and `np.where`'s masks keeping the zeros of the branch not taken.
The code is read before the optimizer runs."""

from __future__ import annotations

import gast
import numpy as np
import pytest
from passes import analysed_program, context, define, text, transformed_tree

import srcgrad
from srcgrad.errors import NoRuleError
from srcgrad.front import nodes
from srcgrad.front.context import Mode
from srcgrad.transform.reverse import _sweep


def _lines(source: str, *args, **options) -> list[str]:
    fn = define(source)
    tree = transformed_tree(context(fn, *args, **options))
    return [line.strip() for line in text(tree).splitlines()]


def test_a_rule_gives_each_active_operand_its_adjoint_and_no_other():
    lines = _lines(
        """
        def f(x, c):
            return np.sum(np.sin(x) * c)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert "d_t1 = _t3 * c" in lines
    assert "dx = d_t1 * np.cos(x)" in lines
    assert not any(line.startswith("dc") for line in lines)  # c is not differentiated


def test_a_statement_whose_value_reaches_no_output_adds_nothing():
    lines = _lines(
        """
        def f(x):
            k = np.cos(x)
            return np.sum(x)
        """,
        np.ones(3),
    )
    assert not any("sin" in line or "dk" in line for line in lines)


def test_the_target_s_adjoint_is_used_up_by_its_statement():
    fn = define(
        """
        def f(x):
            y = np.exp(x)
            return np.sum(y)
        """
    )
    ctx = context(fn, np.ones(3))
    program = analysed_program(ctx)
    sweep, _, _ = _sweep(ctx, program, ["x"], {"x"}, Mode.GRAD)
    a = sweep.adjoints
    (stmt,) = [s for s in program.assigns if program.ops[id(s)].target == "y"]
    a.table.set_array("y", owned=True)
    sweep.statements.statement(stmt, program.ops[id(stmt)])
    assert "y" not in a.table  # an earlier `y` (in a loop) starts from zero
    assert "x" in a.table
    assert text(nodes.module(a.out)) == "dx = dy * y\n"  # exp's derivative is its result


def test_a_broadcast_operand_is_summed_back_and_the_call_carries_both_shapes():
    fn = define(
        """
        def f(x, y):
            z = x * y
            return np.sum(z)
        """
    )
    tree = transformed_tree(context(fn, np.ones((2, 3)), np.ones(3), wrt=(0, 1)))
    lines = [line.strip() for line in text(tree).splitlines()]
    assert "dx = dz * y" in lines  # x has the result's shape: nothing to sum
    assert "dy = unbroadcast(dz * x, y)" in lines
    calls = [n for n in gast.walk(tree) if isinstance(n, gast.Call) and nodes.broadcast_of(n)]
    assert [nodes.broadcast_of(c) for c in calls] == [((2, 3), (3,))]


def test_operands_of_the_result_s_shape_are_not_summed():
    lines = _lines(
        """
        def f(x, y):
            return np.sum(np.sin(x) * y)
        """,
        np.ones((2, 3)),
        np.ones((2, 3)),
        wrt=(0, 1),
    )
    assert not any("unbroadcast" in line for line in lines)


def test_a_shape_not_known_when_generating_is_summed_back_at_run_time():
    fn = define(
        """
        def h(a):
            return a * 2.0

        def f(x):
            z = h(x)
            return z + x
        """
    )
    tree = transformed_tree(context(fn, np.ones(3)))
    lines = [line.strip() for line in text(tree).splitlines()]
    assert "dz = unbroadcast(d_out, z)" in lines
    calls = [n for n in gast.walk(tree) if isinstance(n, gast.Call)]
    unbroadcasts = [c for c in calls if getattr(c.func, "id", None) == "unbroadcast"]
    assert unbroadcasts and all(nodes.broadcast_of(c) is None for c in unbroadcasts)


def test_setitem_puts_back_the_old_value_gives_v_its_part_and_zeroes_it():
    lines = _lines(
        """
        def f(x, v):
            y = x * 1.0
            y[1] = v
            return np.sum(y * y)
        """,
        np.ones(4),
        2.0,
        wrt=(0, 1),
    )
    start = lines.index("y[1] = _tape.pop()")
    assert lines[start - 1] == "dy = 2.0 * _t2 * y"  # read before the old value is back
    assert lines[start + 1 : start + 4] == [
        "dv = unbroadcast(dy[1], v)",
        "dy = zero_at(dy, 1)",  # dy is the rule's array, maybe a view: a new one
        "dx = dy * 1.0",
    ]


def test_setitem_zeroes_an_adjoint_srcgrad_owns_in_place_after_copying_v_s_part():
    lines = _lines(
        """
        def f(x, v):
            y = x * 1.0
            y[1] = v
            return np.sum(y * y) + np.sum(y * x)
        """,
        np.ones(4),
        2.0,
        wrt=(0, 1),
    )
    start = lines.index("y[1] = _tape.pop()")
    assert lines[start + 1 : start + 3] == ["dv = unbroadcast(np.copy(dy[1]), v)", "dy[1] = 0.0"]


def test_setitem_at_an_index_that_may_repeat_gives_v_the_last_writes_only():
    fn = define(
        """
        def f(x, v, i):
            y = x * 1.0
            y[i] = v
            return np.sum(y * y)
        """
    )
    x, v, i = np.array([1.0, 2.0, 3.0]), np.array([5.0, 7.0]), np.array([1, 1])
    lines = [
        line.strip()
        for line in text(transformed_tree(context(fn, x, v, i, wrt=(0, 1)))).splitlines()
    ]
    assert "dv = unbroadcast(last_writes(dy[i], dy, i), v)" in lines
    dx, dv = srcgrad.grad(fn, wrt=(0, 1))(x, v, i)
    np.testing.assert_allclose(dx, [2.0, 0.0, 6.0])
    np.testing.assert_allclose(dv, [0.0, 14.0])  # y[1] is 7.0: the first write never arrives


def test_getitem_adds_in_place_into_an_adjoint_srcgrad_owns():
    fn = define(
        """
        def f(x, i):
            a = x[i]
            b = x[1:3]
            return np.sum(x * x) + np.sum(np.sin(x)) + np.sum(a) + np.sum(b)
        """
    )
    x, i = np.array([0.5, -1.0, 2.0, 3.0]), np.array([0, 0, 1])
    lines = [line.strip() for line in text(transformed_tree(context(fn, x, i))).splitlines()]
    assert "dx = dx + _t10 * np.cos(x)" in lines  # a new array: srcgrad's own
    assert "dx[slice(1, 3, None)] += db" in lines
    assert "scatter_add(dx, i, da)" in lines  # an index that may repeat an element
    expected = 2 * x + np.cos(x) + np.array([2.0, 2.0, 1.0, 0.0])
    np.testing.assert_allclose(srcgrad.grad(fn)(x, i), expected)


def test_getitem_into_an_adjoint_not_owned_makes_a_new_array_then_adds_in_place():
    lines = _lines(
        """
        def f(x):
            a = x[0]
            b = x[1]
            return np.sum(x * x) + a * b
        """,
        np.ones(4),
    )
    assert lines[-5:-1] == [
        "_t5 = np.zeros(x.shape, x.dtype)",
        "_t5[1] = db",
        "dx = dx + _t5",
        "dx[0] += da",  # index_adjoint's array is srcgrad's own: no second new array
    ]


def test_np_where_masks_keep_the_zeros_of_the_branch_not_taken():
    fn = define(
        """
        def f(x):
            y = np.where(x > 0, np.sqrt(x), 0.0)
            return np.sum(y)
        """
    )
    lines = [line.strip() for line in text(transformed_tree(context(fn, np.ones(3)))).splitlines()]
    assert "d_t2 = np.where(_t1, _t3, 0.0)" in lines
    assert "dx = np.where(_t1, d_t2 * (0.5 / _t2), 0.0)" in lines  # not nan * 0 = nan
    with np.errstate(invalid="ignore", divide="ignore"):
        gradient = srcgrad.grad(fn)(np.array([-1.0, 0.0, 4.0]))
    np.testing.assert_array_equal(gradient, [0.0, 0.0, 0.25])


def test_no_mask_in_a_loop_where_the_condition_takes_a_value_per_step():
    lines = _lines(
        """
        def f(x, n):
            y = x
            for i in range(n):
                s = np.sqrt(y)
                y = np.where(y > 0, s, 0.0)
            return np.sum(y)
        """,
        np.ones(3),
        2,
    )
    assert "ds = np.where(_t1, dy, 0.0)" in lines
    assert "dy = ds * (0.5 / s)" in lines


def test_a_function_without_a_rule_is_refused_at_the_user_s_line():
    fn = define(
        """
        def f(x):
            return np.sum(opaque(x))
        """,
        opaque=np.frompyfunc(lambda a: a, 1, 1),  # a ufunc no rule can know
    )
    with pytest.raises(
        NoRuleError, match=r"unit_case_\d+\.py:5:5: no derivative rule for 'opaque'"
    ):
        transformed_tree(context(fn, np.ones(3)))


def test_an_update_of_an_array_another_name_holds_is_refused_or_right():
    fn = define(
        """
        def f(x):
            y = x * 1.0
            z = y
            y[0] = 5.0
            return np.sum(z * x)
        """
    )
    x = np.array([1.0, 2.0, 3.0])
    try:
        gradient = srcgrad.grad(fn)(x)
    except srcgrad.UnsupportedSyntaxError:
        return
    np.testing.assert_allclose(gradient, [5.0, 4.0, 6.0])  # f = 5 x0 + x1^2 + x2^2
