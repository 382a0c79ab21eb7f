"""The optimizer's broadcasting pass (`srcgrad/optimize/broadcast.py`): `specialize` writes each
`unbroadcast(g, x)` that the transform marked with both shapes as the exact sum, `.sum(axis=0)`
or `.sum(axis=1, keepdims=True)`, with factors that do not vary along the summed axes moved
out of the sum, a sum of a product of two real arrays as `np.vdot` (to a number) or, from
`_EINSUM_FROM` elements on, as `np.einsum`; it leaves alone calls it cannot write in one sum
and calls that carry no shapes. The specialized code gives the values `unbroadcast` gives.
"""

from __future__ import annotations

import gast
import numpy as np
import pytest
from passes import context, define, text, transformed_tree

from srcgrad.optimize import broadcast

SUM_SIN = """
    def f(x, b):
        return np.sum(np.sin(x + b))
    """
SCALED = """
    def f(x, s):
        return np.sum(np.tanh(x) * s)
    """
DIVIDED = """
    def f(x, b):
        return np.sum(np.sin(x / b))
    """
TIMES = """
    def f(x, s):
        return np.sum(np.tanh(x * s))
    """


def specialized(source: str, *args, wrt=1):
    """The context, the generated tree before the pass, and after it."""
    ctx = context(define(source), *args, wrt=wrt)
    tree = transformed_tree(ctx)
    before = gast.parse(text(tree)).body[0]  # (a copy without the marks)
    broadcast.specialize(tree, ctx)
    return ctx, before, tree


def run(tree: gast.FunctionDef, ctx, *args):
    scope = {**ctx.parsed.fn.__globals__, **ctx.support.injected}
    exec(compile(text(tree), "<test>", "exec"), scope)
    return scope[tree.name](*args)


def adjoint_line(tree: gast.FunctionDef, name: str) -> str:
    lines = [line.strip() for line in text(tree).splitlines()]
    return next(line for line in lines if line.startswith(f"{name} = "))


def test_a_broadcast_row_vector_is_summed_over_the_rows():
    _, before, tree = specialized(SUM_SIN, np.ones((4, 3)), np.ones(3))
    assert adjoint_line(before, "db") == "db = unbroadcast(d_t1, b)"
    assert adjoint_line(tree, "db") == "db = d_t1.sum(axis=0)"


def test_a_broadcast_column_keeps_its_dimension():
    _, _, tree = specialized(SUM_SIN, np.ones((4, 3)), np.ones((4, 1)))
    assert adjoint_line(tree, "db") == "db = d_t1.sum(axis=1, keepdims=True)"


def test_a_broadcast_number_is_summed_whole():
    _, _, tree = specialized(SUM_SIN, np.ones((4, 3)), 2.0)
    assert adjoint_line(tree, "db") == "db = d_t1.sum()"


def test_factors_of_the_summed_shape_and_the_sign_move_out_of_the_sum():
    _, before, tree = specialized(DIVIDED, np.ones((4, 3)), np.ones(3))
    assert adjoint_line(before, "db") == "db = unbroadcast(-d_t1 * _t1 / b, b)"
    assert adjoint_line(tree, "db") == "db = -(d_t1 * _t1).sum(axis=0) / b"


def test_a_sum_of_a_product_to_a_number_is_one_dot():
    _, _, tree = specialized(TIMES, np.ones((4, 3)), 2.0)
    assert adjoint_line(tree, "ds") == "ds = np.vdot(d_t1, x)"


def test_no_dot_for_complex_values_which_vdot_would_conjugate():
    source = """
        def f(x, s):
            return np.sum(np.real(np.tanh(x * s)))
        """
    x = np.linspace(0.1, 1.2, 12).reshape(4, 3) * (1 - 0.5j)
    ctx, before, tree = specialized(source, x, 0.7)
    assert "vdot" not in text(tree) and "unbroadcast" not in text(tree)
    np.testing.assert_allclose(run(tree, ctx, x, 0.7), run(before, ctx, x, 0.7))


def test_a_large_sum_of_a_product_is_an_einsum(monkeypatch):
    monkeypatch.setattr(broadcast, "_EINSUM_FROM", 12)
    _, _, row = specialized(SCALED, np.ones((4, 3)), np.ones(3))
    _, _, column = specialized(SCALED, np.ones((4, 3)), np.ones((4, 1)))
    assert adjoint_line(row, "ds") == "ds = np.einsum('ab,ab->b', d_t2, _t1)"
    assert adjoint_line(column, "ds") == (
        "ds = np.expand_dims(np.einsum('ab,ab->a', d_t2, _t1), 1)"
    )


def test_below_the_einsum_threshold_or_without_a_product_it_is_a_sum(monkeypatch):
    monkeypatch.setattr(broadcast, "_EINSUM_FROM", 13)  # one more than 4 x 3
    _, _, small = specialized(SCALED, np.ones((4, 3)), np.ones(3))
    assert adjoint_line(small, "ds") == "ds = (d_t2 * _t1).sum(axis=0)"
    monkeypatch.setattr(broadcast, "_EINSUM_FROM", 1)
    _, _, single = specialized(SUM_SIN, np.ones((4, 3)), np.ones(3))
    assert adjoint_line(single, "db") == "db = d_t1.sum(axis=0)"


def test_a_shape_that_needs_two_sums_is_left_to_unbroadcast():
    _, _, tree = specialized(SUM_SIN, np.ones((2, 4, 3)), np.ones((4, 1)))
    assert adjoint_line(tree, "db") == "db = unbroadcast(d_t1, b)"


def test_a_call_that_carries_no_shapes_is_left_alone():
    ctx, before, _ = specialized(SUM_SIN, np.ones((4, 3)), np.ones(3))
    unmarked = gast.parse(text(before)).body[0]
    broadcast.specialize(unmarked, ctx)
    assert text(unmarked) == text(before)


CASES = [
    pytest.param(source, x_shape, b_shape, id=f"{name}-{x_shape}-{b_shape}")
    for name, source, x_shape, b_shape in [
        ("sum", SUM_SIN, (4, 3), (3,)),
        ("sum", SUM_SIN, (4, 3), (4, 1)),
        ("sum", SUM_SIN, (2, 4, 3), (1, 4, 1)),
        ("sum", SUM_SIN, (4, 3), ()),
        ("divided", DIVIDED, (4, 3), (3,)),
        ("divided", DIVIDED, (4, 3), (4, 1)),
        ("times", TIMES, (4, 3), ()),
        ("times", TIMES, (4, 3), (3,)),
        ("scaled", SCALED, (2, 4, 3), (1, 4, 1)),
    ]
]


@pytest.mark.parametrize("einsum_from", [1 << 16, 1], ids=["sums", "einsums"])
@pytest.mark.parametrize(("source", "x_shape", "b_shape"), CASES)
def test_the_exact_sums_give_what_unbroadcast_gives(
    source, x_shape, b_shape, einsum_from, monkeypatch
):
    monkeypatch.setattr(broadcast, "_EINSUM_FROM", einsum_from)
    rng = np.random.default_rng(len(x_shape) + len(b_shape))
    x = rng.uniform(0.5, 1.5, size=x_shape)
    b = rng.uniform(0.5, 1.5, size=b_shape) if b_shape else 0.75
    ctx, before, tree = specialized(source, x, b)
    assert "unbroadcast(" in text(before) and "unbroadcast(" not in text(tree)
    got, want = run(tree, ctx, x, b), run(before, ctx, x, b)
    assert np.shape(got) == np.shape(want) == np.shape(b)
    np.testing.assert_allclose(got, want, rtol=1e-12)
