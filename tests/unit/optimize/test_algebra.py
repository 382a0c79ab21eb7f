"""The optimizer's constants and trivial algebra (`srcgrad/optimize/algebra.py`): `fold_constants`
folds `-(2)`, `2 - 1`, `-1.0 / 5` and `(a, b)[1]` but never a division by zero nor a number that
would print long; `trivial_algebra` drops `1.0 * e`, `e * 1.0`, `--e`, writes `x * -1.0` as
`-x` and `a + -b * c` (or `a += -b * c`) as `a - b * c`, but keeps the product that makes a new array where a primal value (or a view of one)
would otherwise be handed out as a gradient by reference; `simplified` does both, for formulas
shown to a reader, on a copy.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
import pytest
from passes import define, text

import srcgrad
from srcgrad.optimize.algebra import fold_constants, simplified, trivial_algebra


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def statement(line: str) -> gast.FunctionDef:
    """A function of one statement (and a return), to rewrite."""
    return parse(f"def g(x, y, e, w, dy, _t1, a, b, mask):\n    {line}\n    return 0\n")


def first(fn: gast.FunctionDef) -> str:
    return text(fn.body[0]).strip()


def expression(code: str) -> gast.expr:
    return gast.parse(code).body[0].value


# ---- fold_constants -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "folded"),
    [
        ("z = -(2)", "z = -2"),
        ("z = 2 - 1", "z = 1"),
        ("z = -1.0 / 5", "z = -0.2"),
        ("z = 2 * 0.5 * x", "z = 1.0 * x"),
        ("z = (a, b)[1]", "z = b"),
    ],
)
def test_fold_constants(line, folded):
    fn = statement(line)
    assert fold_constants(fn) is True
    assert first(fn) == folded


@pytest.mark.parametrize(
    ("line", "written"),
    [
        ("z = x[slice(1, None)]", "z = x[1:]"),
        ("z = x[slice(2), 0]", "z = x[:2, 0]"),
        ("z = x[slice(None, None, -1)]", "z = x[::-1]"),
    ],
)
def test_a_slice_object_in_an_index_is_written_as_index_syntax(line, written):
    fn = statement(line)
    fold_constants(fn)  # (says False: no constant was folded)
    assert first(fn) == written


def test_fold_constants_keeps_integers_integers():
    fn = statement("z = 3 * 4")
    fold_constants(fn)
    value = fn.body[0].value
    assert type(value.value) is int and value.value == 12


@pytest.mark.parametrize(
    "line",
    [
        "z = 1.0 / 6",  # 0.16666666666666666 says less than the quotient
        "z = 1.0 / 0",  # would raise at generation time, not where the user's code runs
        "z = x * 2.0 - 1",
        "z = (a, b)[k]",
        "z = x[slice(1, 2, 3, 4)]",
    ],
)
def test_fold_constants_leaves_alone(line):
    fn = statement(line)
    assert fold_constants(fn) is False
    assert first(fn) == line


# ---- trivial_algebra ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rewritten"),
    [
        ("z = 1.0 * _t1", "z = _t1"),
        ("z = _t1 * 1.0", "z = _t1"),
        ("z = _t1 / 1", "z = _t1"),
        ("z = --_t1", "z = _t1"),
        ("z = 1.0 * dy.T", "z = dy.T"),
        ("z = dy * -1.0", "z = -dy"),
        ("z = -1.0 * dy", "z = -dy"),
        ("z = a + -b", "z = a - b"),
        ("z = a - -b", "z = a + b"),
        ("z = a - -0.5 * b / w", "z = a + 0.5 * b / w"),
        ("z = a - -1.0 / 4096 * b", "z = a + 1.0 / 4096 * b"),  # a leading quotient's numerator
        ("z = a + -b * w", "z = a - b * w"),
        ("z = a + -0.5 * b", "z = a - 0.5 * b"),
        ("z += -b", "z -= b"),
        ("z += -b * w / 2", "z -= b * w / 2"),
        ("z += -0.5 * b", "z -= 0.5 * b"),
        ("z = a * (1 / b)", "z = a / b"),
        ("z = -(-a * b / w)", "z = a * b / w"),
        ("x[::2] = 1.0 * w", "x[::2] = w"),
    ],
)
def test_trivial_algebra(line, rewritten):
    fn = statement(line)
    fold_constants(fn)  # `-1.0` is parsed as `-(1.0)`: the optimizer folds it first
    assert trivial_algebra(fn, {"_t1", "dy", "z"}, floats={"dy"}) is True
    assert first(fn) == rewritten


@pytest.mark.parametrize(
    "line",
    [
        "z = 1.0 * x",  # x is the caller's array: `z = x` would hand it out
        "z = x * 1.0",
        "z = x / 1.0",
        "z = --x",
        "z = 1.0 * x.T",  # a view of it
        "z = 1.0 * x[1:]",
        "z = 1.0 * np.reshape(x, (3,))",
        "z = 1.0 * w",  # w: a generated name that holds a view of a primal array
    ],
)
def test_a_primal_value_or_a_view_of_one_stays_behind_a_new_array(line):
    fn = statement(line)
    assert trivial_algebra(fn, {"_t1", "w", "z"}, floats={"_t1"}, views={"w"}) is False
    assert first(fn) == line


def test_minus_one_times_a_name_not_known_to_hold_floats_stays():
    fn = statement("z = mask * -1.0")  # `-mask` is an error for a boolean array
    fold_constants(fn)
    assert trivial_algebra(fn, {"mask", "z"}, floats={"dy"}) is False
    assert first(fn) == "z = mask * -1.0"


def test_trivial_algebra_reports_no_change_on_code_it_leaves():
    fn = statement("z = _t1 * w + 2.0")
    assert trivial_algebra(fn, {"_t1", "w", "z"}, floats={"_t1"}) is False


def test_a_primal_to_the_power_one_stays_behind_a_new_array():
    fn = statement("z = x ** 1")
    trivial_algebra(fn, {"z"}, floats=set())
    assert first(fn) == "z = x ** 1"


def test_the_gradient_of_a_product_with_a_power_of_one_is_a_new_array():
    fn = define(
        """
        def f(x, y):
            return np.sum(x * y ** 1)
        """
    )
    y = np.arange(3.0)
    dx = srcgrad.grad(fn)(np.ones(3), y)
    np.testing.assert_array_equal(dx, y)
    assert not np.shares_memory(dx, y)


def test_the_gradient_of_a_product_is_never_the_other_factor_itself():
    fn = define(
        """
        def f(x, y):
            return np.sum(x * y) + np.sum(x * -(-y)) + np.sum(x * y.T)
        """
    )
    y = np.arange(3.0)
    dx = srcgrad.grad(fn)(np.ones(3), y)
    np.testing.assert_allclose(dx, 3 * y)
    assert not np.shares_memory(dx, y)


# ---- simplified -----------------------------------------------------------------------------


def test_simplified_does_the_algebra_on_any_name_for_a_formula():
    formula = expression("-(-(1.0 * x)) * (2 - 1)")
    assert text(simplified(formula)).strip() == "x"


def test_simplified_leaves_its_argument_as_it_was():
    formula = expression("1.0 * x + -y * (3 - 2)")
    before = gast.dump(formula)
    result = simplified(formula)
    assert text(result).strip() == "x - y"
    assert gast.dump(formula) == before


def test_the_rewrites_compute_the_same_values():
    lines = ["z = a - -0.5 * b / w", "z = a * (1 / b)", "z = -(-a * b / w)", "z = a + -b"]
    lines += ["z = a - -1.0 / 4096 * b", "z = a + -b * w", "z += -b * w / 2", "z += -0.5 * b"]
    rng = np.random.default_rng(0)
    a, b, w = rng.normal(size=(3, 4))
    for line in lines:
        before = statement(line)
        after = statement(line)
        fold_constants(after)
        assert trivial_algebra(after, {"z"}, floats={"a", "b", "w"}) is True, line
        results = []
        for fn in (before, after):
            scope = {"np": np, "a": a, "b": b, "w": w, "z": w.copy()}
            exec(text(fn.body[0]), scope)
            results.append(scope["z"])
        np.testing.assert_allclose(results[0], results[1], err_msg=line)
