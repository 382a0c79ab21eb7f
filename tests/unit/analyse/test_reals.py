"""Real values (`srcgrad/analyse/reals.py`): where complex numbers meet values that carry a
derivative. `Program.reals` is None where none do (nothing complex in the function, or nothing
complex that an active value meets); otherwise each name's kind (REAL, COMPLEX, EITHER), the
statements that mix, the REAL operands whose adjoints are taken as their real parts
(`promoted`), and the active names whose kind only the values can tell (`either`)."""

from __future__ import annotations

import types

import numpy as np
import pytest
from passes import analysed_program, context, define

from srcgrad.analyse.reals import COMPLEX, EITHER, REAL
from srcgrad.front.emit import unparse


def _reals(source: str, *args, wrt=0, **names):
    ctx = context(define(source, **names), *args, wrt=wrt)
    program = analysed_program(ctx)
    return program, program.reals


def _mixing(program) -> list[str]:
    """The statements that mix, as code."""
    return [unparse(s).strip() for s in program.assigns if id(s) in program.reals.mixing]


X, Z = np.ones(3), np.ones(3) + 1j


@pytest.mark.parametrize(
    ("source", "args"),
    [
        ("def f(x):\n    return np.sum(np.sin(x) * 2.0)", (X,)),
        # complex numbers that no active value meets
        ("def f(x, c):\n    k = np.sum(np.abs(c))\n    return np.sum(x * x)", (X, Z)),
        ("def f(x):\n    z = 2j\n    return np.sum(x * x)", (X,)),
        # reading real parts of real values
        ("def f(x):\n    return np.sum(np.real(x) * np.conj(x))", (X,)),
    ],
)
def test_nothing_complex_meets_an_active_value(source, args):
    _, reals = _reals(source, *args)
    assert reals is None


def test_a_real_argument_times_a_complex_one_is_promoted():
    program, reals = _reals(
        """
        def f(x, c):
            y = x * 2.0
            z = y * c
            return np.real(np.sum(z))
        """,
        X,
        Z,
    )
    assert reals.kind("x") == REAL and reals.kind("y") == REAL
    assert reals.kind("c") == COMPLEX and reals.kind("z") == COMPLEX
    assert reals.kind("_out") == REAL  # (np.real)
    assert reals.promoted == {"y"}  # (x meets only real values)
    assert _mixing(program) == ["z = y * c", "_t1 = np.sum(z)", "_out = np.real(_t1)"]
    assert reals.adjoint_part("y") == "real" and reals.adjoint_part("x") is None
    assert reals.adjoint_part("z") is None  # (complex: its adjoint is complex)


@pytest.mark.parametrize(
    ("value", "expression"),
    [
        (1 + 2j, "c"),  # a Python complex number: its dtype is "complex"
        (np.complex64(1 + 2j), "c"),
        (2.0, "c * 1j"),  # a literal
        (2.0, "c * C"),  # a module constant
        (2.0, "np.exp(c * x * 1j)"),
        (2.0, "np.asarray(x, dtype=complex) * c"),
        (2.0, "np.fft.fft(x) * c"),
    ],
)
def test_complex_values_come_from_arguments_literals_constants_and_calls(value, expression):
    _, reals = _reals(
        f"""
        def f(x, c):
            r = np.abs({expression} + x)
            return np.sum(r * x)
        """,
        X,
        value,
        C=np.array([1j, 2.0, 3.0]),
    )
    assert reals is not None and reals.kind("r") == REAL
    assert "x" in reals.promoted


def test_what_the_code_does_not_say_is_either_and_taken_as_it_runs():
    program, reals = _reals(
        """
        def h(x):
            return x * 2.0

        def f(x, ps, c):
            y = h(x)
            w = ps[0]
            z = (y + w) * c
            return np.real(np.sum(z))
        """,
        X,
        [X, Z],  # (a list whose leaves may be complex: which is which, the values say)
        Z,
        wrt=(0, 1),
    )
    assert reals.kind("y") == EITHER and reals.kind("w") == EITHER
    assert {"y", "w"} <= reals.either
    assert reals.adjoint_part("y") == "either"
    assert "x" in reals.promoted  # (h's pullback gives x a real adjoint, made so here)


@pytest.mark.parametrize(
    "given",
    [
        {"c": Z},
        [X, Z],
        (X, (2.0, Z)),
        {"a": [X, 1 + 2j]},
        types.SimpleNamespace(c=Z, n=3),
        {"c": np.complex128(1j)},
    ],
    ids=["dict", "list", "nested_tuple", "python_complex", "namespace", "numpy_scalar"],
)
def test_a_complex_leaf_of_a_container_argument_is_complex_numbers(given):
    # (the signature of a container said its structure, not its leaves' dtypes: a complex leaf
    # that no np.real read gave away was taken for real numbers, and x a complex gradient)
    _, reals = _reals(
        """
        def f(x, p):
            return np.sum(np.abs(x * g(p)) ** 2)
        """,
        X,
        given,
        g=lambda p: p,
    )
    assert reals is not None and reals.kind("p") == EITHER


@pytest.mark.parametrize(
    ("given", "leaf"),
    [
        ({"c": X}, 'p["c"]'),
        ([X, X], "p[1]"),
        ((X, (2.0, X)), "p[1][1]"),
        (types.SimpleNamespace(c=X, n=3, s="a"), "p.c"),
    ],
    ids=["dict", "list", "nested_tuple", "namespace"],
)
def test_a_container_of_real_leaves_is_real_numbers(given, leaf):
    _, reals = _reals(
        f"""
        def f(x, p, c):
            w = {leaf}
            return np.real(np.sum(w * c * x))
        """,
        X,
        given,
        Z,
        wrt=(0, 1),
    )
    assert reals.kind("p") == REAL and reals.kind("w") == REAL and "w" in reals.promoted


def test_a_real_value_made_of_complex_ones_has_a_real_tangent():
    program, reals = _reals(
        """
        def f(x, c):
            r = np.abs(x * c)
            s = np.real(x * c)
            return np.sum(r * s)
        """,
        X,
        Z,
    )
    made = {program.ops[id(s)].target: s for s in program.assigns}
    assert reals.real_tangent(made["r"], "r") and reals.real_tangent(made["s"], "s")
    assert not reals.real_tangent(made["_out"], "_out")  # (real values only: no mixing)


def test_a_loop_joins_the_kinds_a_name_takes():
    _, reals = _reals(
        """
        def f(x, c, n):
            acc = 0.0
            s = x
            for i in range(n):
                acc = acc + x * c
                s = s * 2.0
            return np.sum(np.abs(acc) + s)
        """,
        X,
        Z,
        3,
    )
    assert reals.kind("acc") == EITHER  # (0.0, then complex values)
    assert reals.kind("s") == REAL


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        ("np.linalg.eigvals(np.outer(x, x))", EITHER),  # (complex where the matrix rotates)
        ("np.linalg.svd(np.outer(x, c))[1]", EITHER),  # (singular values: real)
        ("np.abs(np.outer(x, c))", REAL),
        ("np.std(x * c)", REAL),
        ("np.sum(x * c)", COMPLEX),
        ("np.zeros(3, dtype=complex) + x", COMPLEX),
    ],
)
def test_calls_say_the_kind_of_what_they_make(call, kind):
    _, reals = _reals(
        f"""
        def f(x, c):
            v = {call}
            return np.real(np.sum(v * x))
        """,
        X,
        Z,
    )
    assert reals.kind("v") == kind


def test_a_record_s_field_is_either():
    _, reals = _reals(
        """
        def f(x, p):
            return np.real(np.sum(x * p.c))
        """,
        X,
        types.SimpleNamespace(c=Z),
    )
    assert "x" in reals.promoted


def test_reading_parts_of_what_a_container_holds_is_complex_values_in_between():
    # (the signature does not say the dtypes of a list's elements)
    _, reals = _reals("def f(x, cs):\n    return np.real(np.sum(x * cs[0]))", X, [Z])
    assert reals is not None and "x" in reals.promoted
    _, reals = _reals("def f(x, cs):\n    return np.sum(x * cs[0])", X, [X])
    assert reals is None  # (no part read: taken as real, as before)


def test_a_dtype_the_code_computes_says_nothing_by_itself():
    _, reals = _reals(
        """
        def f(x):
            d = np.result_type(x, 1.0)
            return np.sum(np.zeros(3, dtype=d) + np.conj(x))
        """,
        X,
    )
    assert reals is None
