"""The reverse sweep's control flow (`transform/reverse_sweep.py`): a block's statements are
reversed last first (within one user line, left operands first, `reverse_order`); an `if` is
replayed as an `if` on the decision the forward sweep recorded (popped from the tape where a
loop computes it again); a `for` loop runs over `reversed(range(...))`, a `while` loop over its
recorded trip count; and where only some paths define an adjoint, the others set it to zeros,
shaped like the value as the `if` or loop found it. An `if` or loop that touches no adjoint is
not replayed at all. The code is read before the optimizer runs; a few gradients are checked
against hand formulas."""

from __future__ import annotations

import numpy as np
from passes import analysed_program, context, define, text, transformed_tree

import srcgrad
from srcgrad.transform.reverse_sweep import reverse_order


def _lines(source: str, *args, **options) -> list[str]:
    fn = define(source)
    tree = transformed_tree(context(fn, *args, **options))
    return [line.strip() for line in text(tree).splitlines()]


def _code(source: str, *args, **options) -> str:
    return text(transformed_tree(context(define(source), *args, **options)))


NEURON = """
    def f(w1, w2, w3, w4, a):
        b = w1 * a
        c = w2 * a
        d = w3 * b + w4 * c
        return 10 - d
"""


def test_statements_are_reversed_last_first_and_left_operands_first_within_a_line():
    code = _code(NEURON, 1.0, 2.0, 3.0, 4.0, 2.0, wrt=(0, 1, 2, 3))
    assert code == (
        "def grad_f(w1, w2, w3, w4, a):\n"
        "    b = w1 * a\n"
        "    c = w2 * a\n"
        "    _t1 = w3 * b\n"
        "    _t2 = w4 * c\n"
        "    d = _t1 + _t2\n"
        "    _out = 10 - d\n"
        "    d_out = 1.0\n"
        "    dd = -d_out\n"
        "    d_t1 = dd\n"
        "    d_t2 = dd\n"
        "    dw3 = d_t1 * b\n"  # the left operand of `+` before the right one
        "    db = d_t1 * w3\n"
        "    dw4 = d_t2 * c\n"
        "    dc = d_t2 * w4\n"
        "    dw2 = dc * a\n"
        "    dw1 = db * a\n"
        "    return (dw1, dw2, dw3, dw4)\n"
    )


def test_reverse_order_keeps_the_exact_reverse_where_a_name_is_assigned_again():
    ctx = context(define(NEURON), 1.0, 2.0, 3.0, 4.0, 2.0)
    program = analysed_program(ctx)

    def targets(reassigned: set[str]) -> list[str]:
        order = reverse_order(program.body, program.ops, reassigned)
        return [program.ops[id(s)].target for s in order]

    assert targets(set()) == ["_out", "d", "_t1", "_t2", "c", "b"]
    # (the tape pops values in the exact reverse order only)
    assert targets({"_t1"}) == ["_out", "d", "_t2", "_t1", "c", "b"]


def test_reverse_order_keeps_the_exact_reverse_on_a_line_that_writes_into_a_container():
    fn = define(
        """
        def f(x):
            d = {'a': x, 'b': x * 2.0}
            d.update({'a': d['b'] * 3.0, 'b': d['a']})
            return np.sum(d['a'] * d['b'])
        """
    )
    ctx = context(fn, np.ones(3))
    program = analysed_program(ctx)
    line = [s for s in program.body if ctx.origin(s).text.startswith("d.update")]
    order = [s for s in reverse_order(program.body, program.ops, set()) if s in line]
    assert order == line[::-1]
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(fn)(x), 12.0 * x)  # 6x * x: a swap, then 3 *


def test_an_if_is_replayed_on_the_recorded_decision():
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
    assert lines.count("_t1 = c > 0") == 1  # decided once, in the forward sweep
    replay = lines.index("if _t1:", lines.index("d_out = 1.0"))
    assert lines[replay : replay + 5] == [
        "if _t1:",
        "dx = dy * np.cos(x)",
        "else:",
        "dx = dy * -np.sin(x)",
        "return dx",
    ]


def test_a_decision_made_in_a_loop_is_popped_before_its_replay():
    source = """
        def f(x, n):
            y = x
            for i in range(n):
                if np.sum(y) > 1.0:
                    y = y * 0.5
                else:
                    y = y * x
            return np.sum(y)
    """
    lines = _lines(source, np.ones(3), 3)
    assert "_tape.append(_t2)" in lines
    start = lines.index("for i in reversed(range(n)):")
    assert lines[start + 1 : start + 3] == ["_t2 = _tape.pop()", "if _t2:"]
    x = np.array([0.1, 0.2, 0.3])  # sum 0.6: x**2, then x**3 (sum 0.036 < 1), then x**4
    np.testing.assert_allclose(srcgrad.grad(define(source))(x, 3), 4 * x**3)


def test_an_adjoint_defined_on_one_path_only_is_zeros_on_the_other():
    source = """
        def f(x, c):
            y = x * 2.0
            z = x * 3.0
            if c > 0:
                z = y * x
            return np.sum(z)
    """
    lines = _lines(source, np.ones(3), 1.0)
    start = lines.index("if _t1:", lines.index("d_out = 1.0"))
    assert lines[start:] == [
        "if _t1:",
        "dy = dz * x",
        "dx = dz * y",
        "z = _tape.pop()",  # the zeros are shaped like z as the if found it
        "if _t1:",
        "dz = np.zeros_like(z)",  # the z from before the if reached nothing
        "else:",
        "dx = np.zeros_like(x)",
        "dy = np.zeros_like(y)",
        "dx = dx + dz * 3.0",
        "dx += dy * 2.0",
        "return dx",
    ]
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(define(source))(x, 1.0), 4 * x)
    np.testing.assert_allclose(srcgrad.grad(define(source))(x, -1.0), np.full(3, 3.0))


def test_an_if_or_a_loop_that_touches_no_adjoint_is_not_replayed():
    lines = _lines(
        """
        def f(x, c, n):
            y = x * 2.0
            if c > 0:
                k = 1.0
            for i in range(n):
                j = i * 2
            return np.sum(y)
        """,
        np.ones(3),
        1.0,
        2,
    )
    assert lines.count("if _t1:") == 1
    assert not any("reversed" in line for line in lines)


def test_a_for_loop_runs_backwards_over_reversed_range_from_zeros():
    source = """
        def f(x, n):
            y = x
            for i in range(n):
                y = y * x
            return np.sum(y)
    """
    lines = _lines(source, np.ones(3), 3)
    start = lines.index("dx = np.zeros_like(x)")  # the loop adds to it: n may be 0
    assert lines[start + 1 :] == [
        "for i in reversed(range(n)):",
        "d_t1 = dy",
        "y = _tape.pop()",
        "dy = d_t1 * x",
        "dx += d_t1 * y",
        "dx += dy",
        "return dx",
    ]
    x = np.array([0.5, -1.0, 2.0])
    for n in (0, 1, 3):
        np.testing.assert_allclose(srcgrad.grad(define(source))(x, n), (n + 1) * x**n)


def test_a_while_loop_runs_its_recorded_trip_count():
    source = """
        def f(x):
            y = x
            while np.sum(y) < 10.0:
                y = y * 2.0
            return np.sum(y)
    """
    lines = _lines(source, np.ones(3))
    assert lines[lines.index("_n = 0") + 1 : lines.index("_n = 0") + 3] == [
        "while _t2:",
        "_n = _n + 1",
    ]
    start = lines.index("for _ in range(_n):")
    assert lines[start + 1 : start + 3] == ["d_t4 = dy", "dy = d_t4 * 2.0"]
    np.testing.assert_allclose(srcgrad.grad(define(source))(np.ones(3)), np.full(3, 4.0))


def test_an_inner_loop_s_trip_counts_are_pushed_and_popped_per_outer_step():
    source = """
        def f(x):
            y = x * 1.0
            k = 0
            while k < 3:
                j = 0
                while j < k:
                    y = y * x
                    j = j + 1
                k = k + 1
            return np.sum(y)
    """
    lines = _lines(source, np.ones(3))
    assert "_tape.append(_n)" in lines
    outer = next(line for line in lines if line.startswith("for __") and "_n_1" in line)
    start = lines.index(outer)
    assert lines[start + 1] == "_n = _tape.pop()"
    assert lines[start + 2].startswith("for __") and lines[start + 2].endswith("in range(_n):")
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(define(source))(x), 4 * x**3)  # y = x**4


def test_an_adjoint_updated_in_place_in_a_loop_gets_an_array_of_its_own_first():
    lines = _lines(
        """
        def f(x, n):
            y = x * 1.0
            for i in range(n):
                y[i] = y[i] * 2.0
            return np.sum(y * y)
        """,
        np.ones(3),
        2,
    )
    start = lines.index("for i in reversed(range(n)):")
    assert lines[start - 1] == "dy = np.copy(dy)"  # `2.0 * _t4 * y` may be no one's own
    assert "dy[i] = 0.0" in lines[start:]
    assert "dy[i] += d_t1" in lines[start:]


def test_zeros_from_a_path_that_did_not_use_a_value_add_no_nan():
    source = """
        def f(x, c):
            s = np.sqrt(x)
            if c > 0:
                y = np.where(x > 0, s, 0.0)
            else:
                y = x * 2.0
            return np.sum(y)
    """
    x = np.array([0.25, -1.0, 4.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        other = srcgrad.grad(define(source))(x, -1.0)
        where = srcgrad.grad(define(source))(x, 1.0)
    np.testing.assert_allclose(other, [2.0, 2.0, 2.0])  # f = 2 * sum(x): s is not used
    np.testing.assert_allclose(where, [1.0, 0.0, 0.25])
