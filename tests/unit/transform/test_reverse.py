"""The reverse-mode transform as a whole (`transform/reverse.py`): the generated function runs
the forward sweep, seeds the output's adjoint with 1.0 and returns the gradients (GRAD), the
value too (VALUE_AND_GRAD, kept under a name of its own where the reverse sweep gives the output
earlier values), or the value and a pullback function that takes the seed (VJP); an output that
is not a scalar is refused with `NonScalarOutputError` (or checked at run time where its shape
is not known); the gradient of an argument no path used is `zero_gradient(x)` of the value it
was called with; a float32 input gets a float32 gradient; the user's own functions are called
through their pullbacks. The code is read before the optimizer runs."""

from __future__ import annotations

import numpy as np
import pytest
from passes import context, define, text, transformed_tree

import srcgrad
from srcgrad.errors import NonScalarOutputError
from srcgrad.front.context import Mode


def _code(source: str, *args, **options) -> str:
    return text(transformed_tree(context(define(source), *args, **options)))


def _lines(source: str, *args, **options) -> list[str]:
    return [line.strip() for line in _code(source, *args, **options).splitlines()]


SINES = """
    def f(x):
        return np.sum(np.sin(x))
"""


def test_a_gradient_seeds_the_output_with_one_and_returns_the_adjoint():
    assert _code(SINES, np.ones(3)) == (
        "def grad_f(x):\n"
        "    _t1 = np.sin(x)\n"
        "    _out = np.sum(_t1)\n"
        "    d_out = 1.0\n"
        "    _t2 = d_out\n"
        "    dx = _t2 * np.cos(x)\n"
        "    return dx\n"
    )


def test_value_and_grad_returns_the_output_with_the_gradient():
    lines = _lines(SINES, np.ones(3), mode=Mode.VALUE_AND_GRAD)
    assert lines[-1] == "return (_out, dx)"
    assert "d_out = 1.0" in lines


def test_value_and_grad_keeps_the_value_before_the_reverse_sweep_rebinds_it():
    source = """
        def f(x, n):
            y = 1.0
            for i in range(n):
                y = y * x
            return y
    """
    lines = _lines(source, 2.0, 3, mode=Mode.VALUE_AND_GRAD)
    assert lines.index("value = y") < lines.index("dy = 1.0")
    assert lines[-1] == "return (value, dx)"
    value, gradient = srcgrad.value_and_grad(define(source))(2.0, 3)
    assert value == 8.0
    assert gradient == pytest.approx(12.0)


def test_vjp_returns_the_value_and_a_pullback_that_takes_the_seed():
    source = """
        def f(x):
            return np.sin(x) * 2.0
    """
    assert _code(source, np.ones(3), mode=Mode.VJP) == (
        "def vjp_f(x):\n"
        "    _t1 = np.sin(x)\n"
        "    _out = _t1 * 2.0\n"
        "\n"
        "    def f_back(d_out):\n"
        "        d_t1 = d_out * 2.0\n"
        "        dx = d_t1 * np.cos(x)\n"
        "        return dx\n"
        "    return (_out, f_back)\n"
    )
    x, dy = np.array([0.5, 1.0, 2.0]), np.array([1.0, -2.0, 3.0])
    value, pullback = srcgrad.vjp(define(source), x)
    np.testing.assert_allclose(value, 2 * np.sin(x))
    np.testing.assert_allclose(pullback(dy), 2 * dy * np.cos(x))


def test_an_array_output_is_refused_naming_its_shape():
    with pytest.raises(NonScalarOutputError, match=r"returns an array of shape \(2, 3\)"):
        _code(
            """
            def f(x):
                return x * 2.0
            """,
            np.ones((2, 3)),
        )


def test_a_tuple_output_is_refused_naming_its_length():
    with pytest.raises(NonScalarOutputError, match="returns a tuple of 2 values"):
        _code(
            """
            def f(x):
                return np.sum(x), np.sum(x * x)
            """,
            np.ones(3),
        )


def test_an_output_of_a_shape_not_known_is_checked_when_the_code_runs():
    lines = _lines(
        """
        def f(x):
            return x[x > 0]
        """,
        np.ones(3),
    )
    check = next(line for line in lines if line.startswith("check_scalar("))
    assert check.startswith("check_scalar(_out, '") and check.endswith(":5:5', 'f')")
    assert lines.index(check) + 1 == lines.index("d_out = 1.0")


def test_the_gradient_of_an_unused_argument_is_zero_gradient_of_its_value():
    source = """
        def f(x, y):
            return x * 2.0
    """
    assert _lines(source, 2.0, 3.0, wrt=(0, 1))[-1] == "return (dx, zero_gradient(y))"
    dx, dy = srcgrad.grad(define(source), wrt=(0, 1))(2.0, np.array([1.0, 2.0]))
    assert dx == 2.0
    np.testing.assert_array_equal(dy, np.zeros(2))


def test_an_argument_the_code_rebinds_gives_its_zeros_from_the_value_it_was_called_with():
    lines = _lines(
        """
        def f(x, y, c):
            if c > 0:
                y = x * 2.0
            return np.sum(x)
        """,
        np.ones(3),
        np.ones(3),
        1.0,
        wrt=(0, 1),
    )
    assert lines[1] == "y_arg = y"
    assert lines[-1] == "return (dx, zero_gradient(y_arg))"


def test_an_output_no_argument_reaches_has_no_seed():
    lines = _lines(
        """
        def f(x, c):
            return np.sum(c)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert not any(line.startswith("d_out") for line in lines)
    assert lines[-1] == "return zero_gradient(x)"


def test_wrt_a_tuple_of_one_returns_a_tuple_and_a_name_picks_the_argument():
    source = """
        def f(x, y):
            return np.sum(x * y)
    """
    assert _lines(source, np.ones(3), np.ones(3), wrt=(0,))[-1] == "return (dx,)"
    by_name = _lines(source, np.ones(3), np.ones(3), wrt="y")
    assert by_name[-2:] == ["dy = _t2 * x", "return dy"]


def test_a_float32_input_gets_a_float32_gradient():
    source = """
        def f(x):
            return np.sum(x * 2.0)
    """
    array = _lines(source, np.ones(3, np.float32))
    assert array[-1] == "return dx.astype(np.float32, copy=False)"
    scalar = _lines("def f(x):\n    return x * 2.0\n", np.float32(1.0))
    assert scalar[-1] == "return np.float32(dx)"
    assert srcgrad.grad(define(source))(np.ones(3, np.float32)).dtype == np.float32


def test_the_function_keeps_the_parameters_without_their_annotations():
    lines = _lines(
        """
        def f(x: float, *, k: float = 2.0) -> float:
            return x * k
        """,
        3.0,
    )
    assert lines[0] == "def grad_f(x, *, k=2.0):"


def test_a_user_function_is_called_through_its_pullback():
    source = """
        def h(a, b):
            return a * np.sin(b)

        def f(x, y):
            z = h(x, y)
            return np.sum(z)
    """
    lines = _lines(source, np.ones(3), np.ones(3), wrt=(0, 1))
    assert lines[1] == "z, h_back = vjp_h(x, y)"
    assert "dx, dy = h_back(dz)" in lines
    x, y = np.array([0.5, 1.0, 2.0]), np.array([0.3, -1.0, 2.5])
    dx, dy = srcgrad.grad(define(source), wrt=(0, 1))(x, y)
    np.testing.assert_allclose(dx, np.sin(y))
    np.testing.assert_allclose(dy, x * np.cos(y))
