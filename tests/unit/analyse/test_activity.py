"""The activity analysis (`srcgrad/analyse/activity.py`): a name is active, and gets an adjoint,
exactly when it depends on a `wrt` input and the output depends on it. Non-differentiable
operations (comparisons, `.shape`, `np.floor`, `np.argmax`, `stop_gradient`) stop the
contagion, copies pass it on, and loops make both directions a fixed point. Most tests run
`analysed` on a small function; a few give `active_names` hand-made operations in an order that
one pass over them cannot settle.
"""

from __future__ import annotations

import operator

import numpy as np
from passes import analysed_program, context, define

import srcgrad
from srcgrad.analyse.activity import active_names
from srcgrad.front import nodes
from srcgrad.normalize.ir import Kind, Operation


def _active(source: str, *args, wrt=0, **names) -> set[str]:
    return analysed_program(context(define(source, **names), *args, wrt=wrt)).active


def _times(target: str, left: str, right: str) -> Operation:
    return Operation(target, Kind.CALL, operator.mul, [nodes.load(left), nodes.load(right)])


def test_a_value_that_does_not_reach_the_output_is_not_active():
    active = _active(
        """
        def f(x, y):
            unused = x * 2.0
            return np.sum(y * x)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert active == {"x", "_t1", "_out"}


def test_a_value_that_does_not_depend_on_wrt_is_not_active():
    source = """
        def f(x, y):
            z = y * 2.0
            w = x * z
            return np.sum(w)
    """
    only_x = _active(source, np.ones(3), np.ones(3), wrt=0)
    both = _active(source, np.ones(3), np.ones(3), wrt=(0, 1))
    assert "y" not in only_x and "z" not in only_x
    assert {"x", "w", "_out"} <= only_x
    assert {"x", "y", "z", "w", "_out"} <= both


def test_a_copy_passes_activity_on():
    active = _active(
        """
        def f(x):
            z = x
            return np.sum(z)
        """,
        np.ones(3),
    )
    assert active == {"x", "z", "_out"}


def test_a_non_differentiable_function_stops_activity():
    # x reaches the output only through np.floor: nothing has a derivative
    active = _active(
        """
        def f(x, y):
            a = np.floor(x)
            return np.sum(a * y)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert active == set()


def test_comparisons_and_shape_attributes_carry_no_derivative():
    active = _active(
        """
        def f(x):
            b = x > 0.0
            n = x.shape
            y = x * b
            return np.sum(y)
        """,
        np.ones(3),
    )
    assert "b" not in active and "n" not in active
    assert {"x", "y", "_out"} <= active


def test_an_index_computed_from_wrt_is_not_active():
    active = _active(
        """
        def f(x, y):
            k = np.argmax(x)
            z = y[k]
            return z * 2.0
        """,
        np.ones(3),
        np.ones(3),
    )
    assert active == set()


def test_stop_gradient_stops_activity():
    active = _active(
        """
        def f(x):
            c = stop_gradient(x)
            return np.sum(c * x)
        """,
        np.ones(3),
        stop_gradient=srcgrad.stop_gradient,
    )
    assert "c" not in active and "x" in active


def test_an_output_that_does_not_depend_on_wrt_makes_nothing_active():
    active = _active(
        """
        def f(x, y):
            z = x * 3.0
            return np.sum(y)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert active == set()


def test_a_loop_makes_values_before_the_wrt_value_active():
    # t reads s before s gets x: varied only from the second iteration on
    active = _active(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                t = s * 2.0
                s = t + x
            return s
        """,
        1.0,
        3,
    )
    assert active == {"x", "s", "t"}


def test_a_loop_makes_values_read_in_the_next_iteration_useful():
    # a is read by b only in the next iteration
    active = _active(
        """
        def f(x, n):
            a = 0.0
            b = 0.0
            for i in range(n):
                b = a * 1.0
                a = x * 2.0
            return b
        """,
        1.0,
        3,
    )
    assert active == {"x", "a", "b"}


def test_the_loop_variable_is_not_active():
    active = _active(
        """
        def f(x, n):
            s = x
            for i in range(n):
                s = s * i
            return s
        """,
        1.0,
        3,
    )
    assert "i" not in active and "n" not in active
    assert {"x", "s"} <= active


def test_active_names_settles_varied_names_whatever_the_order():
    # b = a * x comes before a = x * x in the list: one forward pass would miss b
    ops = [_times("b", "a", "x"), _times("a", "x", "x"), _times("out", "b", "b")]
    assert active_names(ops, ["x"], "out") == {"x", "a", "b", "out"}


def test_active_names_settles_useful_names_whatever_the_order():
    # the output reads c, which reads a that is computed after c in the list
    ops = [_times("a", "x", "x"), _times("c", "a", "a"), _times("out", "c", "x")]
    reordered = [ops[1], ops[2], ops[0]]
    assert active_names(reordered, ["x"], "out") == {"x", "a", "c", "out"}


def test_active_names_skips_inert_operations():
    shape = Operation("n", Kind.INERT, args=[nodes.load("x")], description=".shape")
    ops = [shape, _times("out", "n", "y")]
    assert active_names(ops, ["x"], "out") == set()
