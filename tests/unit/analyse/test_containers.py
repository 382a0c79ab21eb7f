"""The container analysis (`srcgrad/analyse/containers.py`): which names hold Python lists
(`lists`: displays and their copies), which may hold containers of arrays (`trees`: tree
arguments, dict displays, results that may be tuples and are indexed, and what is read from
them), which tuples `a, b = t` takes apart (`unpackings`, which also marks the reads UNPACK), and
the refusal of joining or repeating tuples and lists with `+` or `*` where they carry a
derivative (`refuse_tuple_arithmetic`, run by `analysed`).
"""

from __future__ import annotations

import finite_differences
import numpy as np
import pytest
from passes import analysed_program, context, define

import srcgrad
from srcgrad.analyse.containers import lists, trees, unpackings
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize.ir import Kind


def _analysed(source: str, *args, wrt=0):
    ctx = context(define(source), *args, wrt=wrt)
    return ctx, analysed_program(ctx)


def test_lists_are_list_displays_and_their_copies():
    _, program = _analysed(
        """
        def f(x, n):
            xs = []
            for i in range(n):
                xs.append(x * i)
            ys = xs
            zs = ys
            t = (x, x)
            return np.sum(np.stack(zs)) + np.sum(t[0])
        """,
        np.ones(3),
        2,
    )
    assert lists(program.ops) == {"xs", "ys", "zs"}


def test_a_comprehension_builds_a_list():
    ctx, program = _analysed(
        """
        def f(x):
            ys = [x * i for i in range(3)]
            return np.sum(np.stack(ys))
        """,
        np.ones(3),
    )
    found = lists(program.ops)
    assert "ys" in found
    made = {op.target for op in program.ops.values() if op.kind is Kind.LIST}
    assert made and made <= found  # the list the comprehension fills, under its own name


def test_trees_are_tree_arguments_dict_displays_and_what_is_read_from_them():
    ctx, program = _analysed(
        """
        def f(p, x):
            w = p["w"]
            q = p
            d = {"a": x}
            a = d["a"]
            y = w * x
            return np.sum(y) + np.sum(a)
        """,
        {"w": np.ones(3)},
        np.ones(3),
    )
    assert trees(ctx, program.ops) == {"p", "w", "q", "d", "a"}  # not y, computed from w


def test_results_that_may_be_tuples_are_trees_where_they_are_indexed():
    ctx, program = _analysed(
        """
        def h(a):
            return a, a * 2.0

        def f(x):
            r = h(x)
            a = r[0]
            t = (x, x)
            b = t[1]
            u = np.linalg.svd(np.outer(x, x))[1]
            q = np.linalg.qr(np.outer(x, x))
            v = (x, x)
            return np.sum(b * a * u)
        """,
        np.ones(3),
    )
    found = trees(ctx, program.ops)
    assert {"r", "a", "t", "b", "u"} <= found
    assert not {"q", "v", "x"} & found  # never indexed: whole values


def test_unpackings_take_tuples_apart_and_mark_the_reads():
    ctx, program = _analysed(
        """
        def f(x):
            u, s, vt = np.linalg.svd(x)
            return np.sum(s)
        """,
        np.eye(3),
    )
    found = unpackings(ctx, program.assigns, program.ops)
    ((whole, parts),) = found.items()
    assert parts == ["u", "s", "vt"]
    kinds = {op.target: op.kind for op in program.ops.values()}
    assert kinds["u"] is kinds["s"] is kinds["vt"] is Kind.UNPACK
    assert kinds[whole] is Kind.CALL


def test_indexing_a_tuple_that_was_not_unpacked_is_left_alone():
    ctx, program = _analysed(
        """
        def f(x):
            t = np.linalg.svd(x)
            s = t[1]
            return np.sum(s)
        """,
        np.eye(3),
    )
    assert unpackings(ctx, program.assigns, program.ops) == {}
    made = next(op for op in program.ops.values() if op.target == "s")
    assert made.kind is Kind.CALL


@pytest.mark.parametrize(
    ("statement", "args"),
    [
        ("t = [x, x] * 2", ()),
        ("t = 2 * [x, x]", ()),
        ("xs = [x]\n    for i in range(n):\n        t = xs * i", (2,)),  # a range integer
    ],
)
def test_joining_or_repeating_tuples_that_carry_a_derivative_is_refused(statement, args):
    params = "x, n" if args else "x"
    fn = define(f"def f({params}):\n    {statement}\n    return np.sum(t[0])\n")
    ctx = context(fn, np.ones(3), *args)
    with pytest.raises(UnsupportedSyntaxError, match="joining or repeating tuples") as caught:
        analysed_program(ctx)
    assert "index the parts" in str(caught.value)


@pytest.mark.parametrize(
    "statement",
    [
        "t = (x, x * 2.0) + (x * 3.0,)",
        "xs = [x, x * 2.0]\n    t = xs[1:] + [np.sin(x)]",
        "xs = [x, x * 2.0]\n    t = xs[:1] + xs[1:]",  # (lengths known as the code runs: joined)
        "t = np.linalg.slogdet(np.outer(x, x) + np.eye(3))[1:] + (x,)",
    ],
)
def test_joining_tuples_and_lists_is_differentiated_as_a_join(statement):
    # (normalize/starred.py writes a join of known lengths as one display; analyse/containers
    # writes any other join of two tuples or lists as `joined(a, b)`)
    fn = define(f"def f(x):\n    {statement}\n    return np.sum(t[0] * t[1])\n")
    x = np.array([0.5, -1.0, 2.0])
    want = finite_differences.gradient(fn, (x,))
    np.testing.assert_allclose(srcgrad.grad(fn)(x), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "statement",
    [
        "t = [x, x] + x",  # a list plus an array: NumPy's sum
        "t = [x, x] * x",  # a list times an array: NumPy's product
        "t = (y, y) + (y,)",  # no derivative in it
    ],
)
def test_arithmetic_that_is_numpy_s_or_carries_no_derivative_is_left_alone(statement):
    fn = define(f"def f(x, y):\n    {statement}\n    return np.sum(t[0]) + np.sum(x)\n")
    program = analysed_program(context(fn, np.ones(3), np.ones(3)))
    assert ("t" in program.active) is ("x" in statement)


def test_repeating_a_list_by_an_integer_argument_is_refused():
    fn = define("def f(x, y, c):\n    t = [x, y] * c\n    return np.sum(t[2])\n")
    with pytest.raises(UnsupportedSyntaxError, match="joining or repeating tuples"):
        analysed_program(context(fn, np.ones(3), np.ones(3), 2))
