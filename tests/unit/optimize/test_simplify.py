"""The optimizer's driver (`srcgrad/optimize/simplify.py`): `optimize` runs constant folding,
copy forwarding, trivial algebra, dead code and temporary folding until none of them changes
anything, then batches outer products and makes a pullback that gives the forward sweep's
names their earlier values say `nonlocal`. The adjoints of the user's variables stay, the
temporaries go, a number's `1.0 * s` is `s` but a primal array or a view of one is never
handed out by reference, and the optimized code computes what the generated code computed.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
import pytest
from passes import context, define, text, transformed_tree

from srcgrad.front.context import Mode
from srcgrad.optimize.algebra import fold_constants, trivial_algebra
from srcgrad.optimize.copies import copies_back, copies_into, copies_updated
from srcgrad.optimize.dead_code import dead_code, dead_stores, empty_branches
from srcgrad.optimize.folding import fold_temporaries, forward_copies
from srcgrad.optimize.loop_tests import while_tests
from srcgrad.optimize.simplify import optimize


def optimized(ctx, tree: gast.FunctionDef) -> gast.FunctionDef:
    """`optimize` with the arguments the pipeline gives it."""
    kept = ctx.names.adjoints_of_user_names()
    scalars = frozenset(name for name, shape in ctx.shapes.items() if shape == ())
    floats = frozenset(ctx.names.adjoints_all() | ctx.names.tangents_all())
    return optimize(tree, ctx.names.generated, kept, scalars, floats, ctx.views)


def generated(source: str, *args, wrt=0, mode: Mode = Mode.GRAD):
    """The context, the generated tree before `optimize` (a copy) and after it."""
    ctx = context(define(source), *args, wrt=wrt, mode=mode)
    tree = transformed_tree(ctx)
    before = gast.parse(text(tree)).body[0]
    return ctx, before, optimized(ctx, tree)


def run(tree: gast.FunctionDef, ctx, *args):
    scope = {**ctx.parsed.fn.__globals__, **ctx.support.injected}
    exec(compile(text(tree), "<test>", "exec"), scope)
    return scope[tree.name](*args)


def body(fn: gast.FunctionDef) -> str:
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


NEURON = """
    def loss(a, w1, w2, w3, w4):
        b = w1 * a
        c = w2 * a
        d = w3 * b + w4 * c
        L = 10 - d
        return L
    """
NEURON_ARGS = (2.0, 1.0, 2.0, 3.0, 4.0)
NEURON_WRT = ("w1", "w2", "w3", "w4")

FUNCTIONS = [
    pytest.param(NEURON, NEURON_ARGS, NEURON_WRT, id="neuron"),
    pytest.param(
        """
        def f(w, x, y):
            z = x @ w
            p = 1 / (1 + np.exp(-z))
            return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        """,
        (np.linspace(-1, 1, 3), np.linspace(-2, 2, 15).reshape(5, 3), np.array([0, 1, 1, 0, 1.0])),
        0,
        id="logistic",
    ),
    pytest.param(
        """
        def f(x, b, n):
            h = x
            for i in range(n):
                if i % 2:
                    h = np.tanh(h + b)
                else:
                    h = h * h - b
            return np.sum(h)
        """,
        (np.linspace(0.1, 0.9, 12).reshape(4, 3), np.linspace(-0.3, 0.3, 3), 4),
        (0, 1),
        id="loop-branch",
    ),
]


def test_the_tutorial_neuron_reads_as_the_readme_shows():
    _, _, tree = generated(NEURON, *NEURON_ARGS, wrt=NEURON_WRT)
    assert body(tree) == textwrap.dedent(
        """\
        b = w1 * a
        c = w2 * a
        dd = -1.0
        dw3 = dd * b
        db = dd * w3
        dw4 = dd * c
        dc = dd * w4
        dw2 = dc * a
        dw1 = db * a
        return (dw1, dw2, dw3, dw4)"""
    )


@pytest.mark.parametrize(("source", "args", "wrt"), FUNCTIONS)
def test_optimize_computes_what_the_generated_code_computed(source, args, wrt):
    ctx, before, tree = generated(source, *args, wrt=wrt)
    assert len(text(tree)) < len(text(before))
    got, want = run(tree, ctx, *args), run(before, ctx, *args)
    if not isinstance(want, tuple):
        got, want = (got,), (want,)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize(("source", "args", "wrt"), FUNCTIONS)
def test_optimize_stops_where_no_pass_has_anything_left_to_do(source, args, wrt):
    ctx, _, tree = generated(source, *args, wrt=wrt)
    names = ctx.names.generated
    temporaries = names - ctx.names.adjoints_of_user_names()
    floats = frozenset(ctx.names.adjoints_all())
    assert not fold_constants(tree)
    assert not forward_copies(tree, names, temporaries)
    assert not copies_back(tree)
    assert not copies_into(tree, names, temporaries, floats)
    assert not copies_updated(tree, floats)
    assert not trivial_algebra(tree, names, floats, ctx.views)
    assert not dead_code(tree)
    assert not dead_stores(tree.body, set())
    assert not empty_branches(tree)
    assert not fold_temporaries(tree, temporaries)
    assert not while_tests(tree, temporaries)


def test_the_adjoints_of_the_users_variables_stay_and_temporaries_go():
    source = """
        def f(x, y):
            z = x * y
            w = np.tanh(z)
            return np.sum(w * w)
        """
    _, before, tree = generated(source, np.ones(3), 2.0)
    assert "_t" in body(before) and "d_out" in body(before)
    assert body(tree) == textwrap.dedent(
        """\
        z = x * y
        w = np.tanh(z)
        dw = 2.0 * w
        dz = dw * (1.0 - w * w)
        dx = dz * y
        return dx"""
    )


def test_a_number_times_one_is_the_number_but_an_array_stays_behind_a_new_one():
    fn = parse("def g(s, x):\n    ds = 1.0 * s\n    dx = 1.0 * x\n    return (ds, dx)\n")
    optimize(fn, {"ds", "dx"}, {"ds", "dx"}, scalars=frozenset({"s"}))
    assert body(fn) == "dx = 1.0 * x\nreturn (s, dx)"  # (ds = s, a copy, is forwarded)


def test_a_temporary_that_is_a_view_of_a_primal_stays_behind_a_new_array():
    source = "def g(x):\n    _t1 = x[1:]\n    dx = 1.0 * _t1\n    return dx\n"
    kept = {"dx"}
    fn = parse(source)
    optimize(fn, {"_t1", "dx"}, kept, views=frozenset({"_t1"}))
    assert body(fn) == "dx = 1.0 * x[1:]\nreturn dx"
    x = np.arange(4.0)
    scope = {}
    exec(text(fn), scope)
    assert not np.shares_memory(scope["g"](x), x)


def test_a_pullback_that_restores_forward_names_says_nonlocal():
    source = """
        def f(x, n):
            y = x
            for i in range(n):
                y = np.sin(y) * y
            return y * 2.0
        """
    _, _, tree = generated(source, np.ones(3), 3, mode=Mode.VJP)
    pullback = next(s for s in tree.body if isinstance(s, gast.FunctionDef))
    first = pullback.body[0]
    assert isinstance(first, gast.Nonlocal) and first.names == ["_t1", "i", "y"]


def test_nonlocal_names_only_what_a_pullback_stores_of_the_outer_function():
    fn = parse(
        """
        def g(x, h):
            y = x * 2.0
            def back(x):
                z = x * y
                h = z
                return h
            return (y, back)
        """
    )
    optimize(fn, {"z"}, set())
    pullback = fn.body[1]
    assert isinstance(pullback.body[0], gast.Nonlocal)
    assert pullback.body[0].names == ["h"]  # not y (read only), z (its own), x (its parameter)
    compile(text(fn), "<test>", "exec")  # `nonlocal x` beside a parameter x would not compile


def test_a_pullback_with_nothing_to_restore_has_no_nonlocal():
    fn = parse(
        "def g(x):\n    def back(dy):\n        dx = dy * x\n        return dx\n    return back\n"
    )
    optimize(fn, {"dx"}, {"dx"})
    assert not any(isinstance(s, gast.Nonlocal) for s in gast.walk(fn))


def test_outer_products_in_a_loop_are_batched_after_the_fixed_point():
    source = """
        def f(W, xs, h0):
            h = h0
            for t in range(xs.shape[0]):
                h = np.tanh(W @ h + xs[t])
            return np.sum(h * h)
        """
    rng = np.random.default_rng(2)
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3))
    ctx, before, tree = generated(source, *args)
    assert "np.stack(" in body(tree) and "np.outer(" not in body(tree)
    np.testing.assert_allclose(run(tree, ctx, *args), run(before, ctx, *args), rtol=1e-12)
