"""The optimizer's batching of outer products (`srcgrad/optimize/outer_products.py`): a loop that
adds `np.outer(a, b)` to `dW` at every step collects the vectors in lists and adds one stacked
matrix product after it (`dW += np.stack(_as, axis=1) @ np.stack(_bs)`), under `if _as:`; a
`dW = np.zeros_like(W)` just before the loop becomes that `if`'s `else`. Loops where `dW` is
read or written otherwise, or where a vector may change after it is collected, are left alone.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
import pytest
from passes import text

from srcgrad.optimize.outer_products import batch_outer_products


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def body(fn: gast.FunctionDef) -> str:
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def code(source: str) -> str:
    return textwrap.dedent(source).strip()


def batched(source: str, generated: set[str] | None = None) -> gast.FunctionDef:
    fn = parse(source)
    batch_outer_products(fn, {"dW", "dU", "d", "dh"} if generated is None else generated)
    return fn


def run(fn: gast.FunctionDef, *args):
    scope = {"np": np}
    exec(compile(text(fn), "<test>", "exec"), scope)
    return scope[fn.name](*args)


RNN = """
    def g(W, dh, hs, n):
        dW = np.zeros_like(W)
        for t in reversed(range(n)):
            h = hs[t]
            d = dh * (1.0 - h * h)
            dW += np.outer(d, h)
            dh = W.T @ d
        return dW
    """


def test_outer_products_in_a_loop_become_one_stacked_product():
    assert body(batched(RNN.replace("h = hs[t]", "h = np.tanh(hs[t])"))) == code(
        """
        _ds = []
        _hs = []
        for t in reversed(range(n)):
            h = np.tanh(hs[t])
            d = dh * (1.0 - h * h)
            _ds.append(d)
            _hs.append(h)
            dh = W.T @ d
        if _ds:
            dW = np.stack(_ds, axis=1) @ np.stack(_hs)
        else:
            dW = np.zeros_like(W)
        return dW
        """
    )


def test_rows_read_at_the_step_are_a_view_not_a_list():
    assert body(batched(RNN)) == code(
        """
        _ds = []
        for t in reversed(range(n)):
            h = hs[t]
            d = dh * (1.0 - h * h)
            _ds.append(d)
            dh = W.T @ d
        if _ds:
            dW = np.stack(_ds, axis=1) @ hs[:n][::-1]
        else:
            dW = np.zeros_like(W)
        return dW
        """
    )


@pytest.mark.parametrize(("count", "counts"), [("n", {"n"}), ("4", set())])
def test_a_loop_known_to_run_needs_no_test_that_it_ran(count, counts):
    fn = parse(RNN.replace("range(n)", f"range({count})"))
    assert batch_outer_products(fn, {"dW", "dU", "d", "dh"}, frozenset(counts)) is True
    assert body(fn).endswith(
        f"    dh = W.T @ d\ndW = np.stack(_ds, axis=1) @ hs[:{count}][::-1]\nreturn dW"
    )
    rng = np.random.default_rng(4)
    W, dh, hs = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    np.testing.assert_allclose(run(fn, W, dh, hs, 4), run(parse(RNN), W, dh, hs, 4))


@pytest.mark.parametrize("count", ["n", "0", "k"])
def test_a_loop_not_known_to_run_keeps_the_test(count):
    fn = parse(RNN.replace("range(n)", f"range({count})"))
    batch_outer_products(fn, {"dW", "dU", "d", "dh"}, frozenset({"k2"}))
    assert "else:\n    dW = np.zeros_like(W)" in body(fn)


@pytest.mark.parametrize(
    "change",
    ["hs[0] = d", "dh += d", "hs = hs * 2.0", "update(hs)", "t = 0"],
)
def test_rows_of_an_array_the_loop_may_change_are_not_a_view(change):
    source = RNN.replace("dh = W.T @ d", f"dh = W.T @ d\n            {change}")
    assert "[::-1]" not in body(batched(source))


def test_a_row_read_only_for_the_product_is_not_read_at_all():
    source = RNN.replace("h = hs[t]\n", "h = hs[t]\n            k = hs[t]\n")
    source = source.replace("np.outer(d, h)", "np.outer(d, k)")
    assert "k = hs[t]" not in body(batched(source))


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_the_batched_loop_computes_the_same_gradient(steps):
    rng = np.random.default_rng(steps)
    W, dh, hs = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    before, after = parse(RNN), batched(RNN)
    np.testing.assert_allclose(run(after, W, dh, hs, steps), run(before, W, dh, hs, steps))


def test_the_names_of_the_lists_are_fresh_and_counted_as_generated():
    generated = {"dW", "d", "dh"}
    source = RNN.replace("(W, dh, hs, n)", "(W, dh, hs, n, _ds)")
    fn = batched(source.replace("h = hs[t]", "h = np.tanh(hs[t])"), generated)
    assert "_ds_1 = []" in body(fn) and "_ds_1.append(d)" in body(fn)
    assert {"_ds_1", "_hs"} <= generated


SHARED = """
    def g(W, U, dh, hs, xs, n):
        dW = np.zeros_like(W)
        dU = np.zeros_like(U)
        for t in range(n):
            h = hs[t]
            x = xs[t]
            d = dh * h
            dW += np.outer(d, h)
            dU += np.outer(d, x)
        return (dW, dU)
    """


def test_two_updates_that_share_a_vector_collect_it_once():
    fn = batched(SHARED)
    out = body(fn)
    assert out.count("_ds.append(d)") == 1
    assert "dW = np.stack(_ds, axis=1) @ np.stack(_hs)" in out
    assert "dU = np.stack(_ds, axis=1) @ np.stack(_xs)" in out
    rng = np.random.default_rng(3)
    args = (np.ones((3, 3)), np.ones((3, 2)), rng.normal(size=3))
    args += (rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), 4)
    for got, want in zip(run(fn, *args), run(parse(SHARED), *args)):
        np.testing.assert_allclose(got, want)


def test_an_accumulator_that_is_not_zeros_just_before_the_loop_is_added_to():
    fn = batched(
        """
        def g(W, dW, hs, n):
            for t in range(n):
                h = hs[t]
                dW += np.outer(h, h)
            return dW
        """
    )
    assert body(fn).endswith(
        code(
            """
            if _hs:
                dW += np.stack(_hs, axis=1) @ np.stack(_hs)
            return dW
            """
        )
    )


def test_zeros_read_before_the_loop_stay_where_they_are():
    fn = batched(
        """
        def g(W, hs, n):
            dW = np.zeros_like(W)
            s = dW.sum()
            for t in range(n):
                h = hs[t]
                dW += np.outer(h, h)
            return dW + s
        """
    )
    out = body(fn)
    assert out.startswith("dW = np.zeros_like(W)")
    assert "dW += np.stack(_hs, axis=1) @ np.stack(_hs)" in out and "else:" not in out


@pytest.mark.parametrize(
    "loop_body",
    [
        "dW += np.outer(h, h)\n        s = dW[0, 0]",  # the accumulator is read in the loop
        "dW += np.outer(h, h)\n        dW *= 0.5",  # or written otherwise
        "dW += np.outer(h, 2 * h)",  # a vector that is not a name
        "dW += np.outer(h, h)\n        h += 1.0",  # a vector changed in place after the update
        "dW += np.outer(h, h)\n        h[0] = 0.0",
        "dW += np.outer(h, h, out=None)",  # a keyword
        "dW -= np.outer(h, h)",
    ],
)
def test_loops_left_alone(loop_body):
    source = f"def g(W, hs, n):\n    dW = W\n    for h in hs:\n        {loop_body}\n    return dW\n"
    fn = batched(source)
    assert gast.dump(fn) == gast.dump(parse(source))


def test_a_vector_that_names_another_array_is_not_collected():
    source = """
        def g(W, hs, n):
            dW = np.zeros_like(W)
            for t in range(n):
                k = hs[t]
                h = k
                dW += np.outer(h, h)
                k *= 2.0
            return dW
        """
    fn = batched(source)
    assert gast.dump(fn) == gast.dump(parse(source))


def test_an_accumulator_named_in_the_loop_header_is_left_alone():
    source = """
        def g(W, hs):
            dW = np.zeros_like(W)
            for t in range(len(dW)):
                h = hs[t]
                dW += np.outer(h, h)
            return dW
        """
    fn = batched(source)
    assert gast.dump(fn) == gast.dump(parse(source))


def test_a_while_loop_is_batched_too():
    source = """
        def g(W, hs, n):
            dW = np.zeros_like(W)
            t = 0
            while t < n:
                h = hs[t] * 2.0
                dW += np.outer(h, h)
                t = t + 1
            return dW
        """
    fn = batched(source)
    assert "dW = np.stack(_hs, axis=1) @ np.stack(_hs)" in body(fn)
    hs = np.random.default_rng(4).normal(size=(3, 2))
    W = np.ones((2, 2))
    for n in (0, 3):
        np.testing.assert_allclose(run(fn, W, hs, n), run(parse(source), W, hs, n))
