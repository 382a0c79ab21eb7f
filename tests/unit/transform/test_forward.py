"""The forward-mode transform (`transform/forward.py`): after each statement of an active value
its tangent statement `y_dot = ...`, the sum of the forward rule's terms for the active operands,
spread to the result's shape where a term is smaller; no tangent for a value no differentiated
input reaches, and `0.0` or `zero_tangent(x)` where one is needed; control flow kept as it is;
the user's own functions called through `jvp_<name>`; `x[i] = v` followed by `x_dot[i] = v_dot`
in a tangent srcgrad owns (copied once, before a loop where the update is in one); keyword-only
tangent parameters, 1.0 by default in TANGENT mode, which returns the tangent alone. The code is
read before the optimizer runs; a few tangents are checked against hand formulas."""

from __future__ import annotations

import numpy as np
import pytest
from passes import context, define, text, transformed_tree

import srcgrad
from srcgrad.front.context import Mode


def _code(source: str, *args, mode: Mode = Mode.JVP, **options) -> str:
    return text(transformed_tree(context(define(source), *args, mode=mode, **options)))


def _lines(source: str, *args, **options) -> list[str]:
    return [line.strip() for line in _code(source, *args, **options).splitlines()]


def test_each_statement_is_followed_by_its_tangent():
    source = """
        def f(x, y):
            z = x * y
            w = np.sin(z) + y
            return np.sum(w)
    """
    assert _code(source, np.ones(3), np.ones(3)) == (
        "def jvp_f(x, y, *, x_dot):\n"
        "    z = x * y\n"
        "    z_dot = x_dot * y\n"  # y is not differentiated: no term for it
        "    _t1 = np.sin(z)\n"
        "    _t1_dot = z_dot * np.cos(z)\n"
        "    w = _t1 + y\n"
        "    w_dot = _t1_dot\n"
        "    _out = np.sum(w)\n"
        "    _out_dot = np.sum(w_dot)\n"
        "    return (_out, _out_dot)\n"
    )
    x, y, t = np.array([0.5, 1.0]), np.array([2.0, -1.0]), np.array([1.0, 3.0])
    value, tangent = srcgrad.jvp(define(source), (x, y), t, wrt=0)
    assert tangent == pytest.approx(np.sum(t * y * np.cos(x * y)))


def test_a_value_no_input_reaches_has_no_tangent():
    lines = _lines(
        """
        def f(x, c):
            k = c * 2.0
            z = x * k
            return z
        """,
        np.ones(3),
        np.ones(3),
    )
    assert not any(line.startswith("k_dot") for line in lines)
    assert "z_dot = x_dot * k" in lines


def test_an_inactive_output_s_tangent_is_zeros_of_its_shape():
    source = """
        def f(x, c):
            return c * 2.0
    """
    assert _lines(source, np.ones(3), np.ones(3))[-1] == "return (_out, zero_tangent(_out))"
    assert _lines(source, 1.0, 1.0)[-1] == "return (_out, 0.0)"


def test_an_active_name_given_an_inactive_value_gets_a_zero_tangent():
    lines = _lines(
        """
        def f(x, c):
            y = x * 2.0
            if c > 0:
                y = c * 3.0
            return y
        """,
        np.ones(3),
        np.ones(3),
    )
    start = lines.index("if _t1:")
    assert lines[start + 1 : start + 3] == ["y = c * 3.0", "y_dot = zero_tangent(y)"]


def test_an_argument_the_code_adds_to_starts_from_a_zero_tangent():
    lines = _lines(
        """
        def f(x, c, n):
            for i in range(n):
                c = c + x
            return c
        """,
        np.ones(3),
        np.ones(3),
        2,
    )
    assert lines[1] == "c_dot = zero_tangent(c)"
    assert "_t1_dot = c_dot + x_dot" in lines


def test_control_flow_is_kept_with_the_tangents_inside():
    lines = _lines(
        """
        def f(x, n):
            y = x
            for i in range(n):
                if np.sum(y) > 1.0:
                    y = np.sin(y)
            return y
        """,
        np.ones(3),
        2,
    )
    assert not any("reversed" in line or "_tape" in line for line in lines)
    start = lines.index("for i in range(n):")
    assert lines[start + 1 : start + 4] == ["_t1 = np.sum(y)", "_t2 = _t1 > 1.0", "if _t2:"]
    assert "_t3_dot = y_dot * np.cos(y)" in lines


def test_a_term_smaller_than_the_result_is_spread_to_its_shape():
    source = """
        def f(x, y):
            return x + y
    """
    broadcast = _lines(source, np.ones(3), np.ones((2, 3)))
    assert "_out_dot = np.broadcast_to(x_dot, (2, 3))" in broadcast
    unknown = _lines(
        """
        def f(x, y):
            z = x[x > 0]
            return z + y
        """,
        np.ones(3),
        np.ones(1),
        wrt=1,
    )
    assert "_out_dot = tangent_like(y_dot, _out)" in unknown  # the shape is known at run time


def test_a_user_function_is_called_through_its_forward_code():
    source = """
        def h(a, b):
            return a * b

        def f(x, y):
            z = h(x, y)
            return z + x
    """
    assert "z, z_dot = jvp_h((x_dot,), x, y)" in _lines(source, np.ones(3), np.ones(3))
    tangent = _lines(source, np.ones(3), np.ones(3), mode=Mode.TANGENT)
    assert "z, z_dot = jvp_h(x, y, a_dot=x_dot)" in tangent  # code to transform again
    x, y = np.array([0.5, 1.0]), np.array([2.0, -1.0])
    _, result = srcgrad.jvp(define(source), (x, y), np.ones(2), wrt=0)
    np.testing.assert_allclose(result, y + 1.0)


def test_setitem_updates_a_tangent_srcgrad_copied_first():
    source = """
        def f(x, v):
            y = x * 1.0
            y[0] = v
            return y
    """
    lines = _lines(source, np.ones(3), 2.0, wrt=(0, 1))
    start = lines.index("y[0] = v")
    assert lines[start + 1 : start + 3] == ["y_dot = np.copy(y_dot)", "y_dot[0] = v_dot"]
    _, tangent = srcgrad.jvp(define(source), (np.ones(3), 2.0), (np.full(3, 2.0), 5.0))
    np.testing.assert_allclose(tangent, [5.0, 2.0, 2.0])


def test_setitem_in_a_loop_copies_the_tangent_once_before_it():
    lines = _lines(
        """
        def f(x, n):
            y = x * 1.0
            for i in range(n):
                y[i] = y[i] * 2.0
            return y
        """,
        np.ones(3),
        2,
    )
    assert lines.count("y_dot = np.copy(y_dot)") == 1
    assert lines.index("y_dot = np.copy(y_dot)") + 1 == lines.index("for i in range(n):")
    assert "y_dot[i] = _t2_dot" in lines


def test_setitem_into_a_zero_tangent_needs_no_copy():
    lines = _lines(
        """
        def f(x, c):
            c[0] = x[1]
            return c * x
        """,
        np.ones(3),
        np.ones(3),
    )
    assert lines[1:3] == ["c = np.copy(c)", "c_dot = zero_tangent(c)"]  # the caller's c kept
    assert not any(line.startswith("c_dot = np.copy") for line in lines)
    assert "c_dot[0] = _t1_dot" in lines


def test_jvp_tangents_are_keyword_only_without_defaults_and_tangent_mode_defaults_to_one():
    source = """
        def f(x, y):
            return x * y
    """
    jvp = _lines(source, 1.0, 2.0, wrt=(0, 1))
    assert jvp[0] == "def jvp_f(x, y, *, x_dot, y_dot):"
    assert jvp[-1] == "return (_out, _out_dot)"
    tangent = _lines(source, 1.0, 2.0, wrt=(0, 1), mode=Mode.TANGENT)
    assert tangent[0] == "def jvp_f(x, y, *, x_dot=1.0, y_dot=1.0):"
    assert tangent[-1] == "return _out_dot"  # the tangent alone


def test_a_starred_active_argument_is_refused_or_differentiated():
    fn = define(
        """
        def f(x):
            a = (x,)
            return np.sum(np.exp(*a))
        """
    )
    x = np.array([0.0, 1.0])
    try:
        _, tangent = srcgrad.jvp(fn, (x,), (np.ones(2),))
    except srcgrad.UnsupportedSyntaxError:
        return
    assert tangent == pytest.approx(np.sum(np.exp(x)))


def test_an_update_of_an_array_another_name_holds_is_refused_or_followed():
    fn = define(
        """
        def f(x):
            y = x * 1.0
            z = y
            y[0] = 5.0
            return z
        """
    )
    try:
        _, tangent = srcgrad.jvp(fn, (np.ones(3),), (np.ones(3),))
    except srcgrad.UnsupportedSyntaxError:
        return
    np.testing.assert_allclose(tangent, [0.0, 1.0, 1.0])
