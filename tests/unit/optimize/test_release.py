"""The optimizer's release of memory (`srcgrad/optimize/release.py`): a name that holds `LARGE`
elements or more (or the adjoint of one) is let go with `del` after the top-level statement
that reads it last, unless only returns follow; parameters, names bound more than once or
inside a block, names a nested function reads and names declared `nonlocal` are never
released, nor names of unknown shape. The gradient does not change.
"""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import gast
import numpy as np
import pytest
from passes import define, text

import srcgrad
from srcgrad.front.naming import Names
from srcgrad.optimize import release
from srcgrad.optimize.release import LARGE

BIG = (64, 64)  # 4096 elements
SMALL = (4, 3)


def released(code: str, shapes: dict, adjoints=()) -> str:
    """The body of `code` after the pass, with `shapes` known and `adjoints` named."""
    fn = gast.parse(textwrap.dedent(code)).body[0]
    names = Names(shapes)
    for name in adjoints:
        names.adjoint(name)
    release.release(fn, SimpleNamespace(shapes=shapes, names=names))
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def code(source: str) -> str:
    return textwrap.dedent(source).strip()


CHAIN = """
    def g(x, y):
        d = x - y
        e = np.exp(d)
        s = e * 2.0
        t = s + e
        return t
    """


def test_the_default_threshold_is_4096_elements():
    assert LARGE == 4096 == BIG[0] * BIG[1]


def test_a_large_array_is_let_go_after_its_last_read():
    shapes = dict.fromkeys(["x", "y", "d", "e", "s", "t"], BIG)
    assert released(CHAIN, shapes) == code(
        """
        d = x - y
        e = np.exp(d)
        del d
        s = e * 2.0
        t = s + e
        return t
        """
    )  # s and e: only the return follows, which lets everything go


def test_arrays_below_the_threshold_or_of_unknown_shape_are_kept():
    shapes = {"x": BIG, "d": (LARGE - 1,), "e": None, "s": SMALL, "t": BIG}
    assert "del" not in released(CHAIN, shapes)


def test_small_arrays_beside_a_much_larger_one_are_kept_within_an_eighth_of_it():
    # d and e hold 4096 + 8192 elements beside x's 131072: together under an eighth, kept;
    # s holds 16384 more, which would pass the eighth: released
    shapes = {"x": (131072,), "y": (131072,), "d": (4096,), "e": (8192,), "s": (16384,)}
    shapes["t"] = (16384,)
    body = released(CHAIN, shapes)
    assert "del d" not in body and "del e" not in body
    assert "t = s + e\n" in body and "del s" not in body  # (only the return follows t)
    source = CHAIN.replace("t = s + e", "t = s + e\n        u = t * 2.0").replace(
        "return t", "return u"
    )
    assert "t = s + e\ndel s\n" in released(source, shapes)


def test_the_threshold_can_be_lowered(monkeypatch):
    monkeypatch.setattr(release, "LARGE", 1)
    shapes = dict.fromkeys(["x", "y", "d", "e", "s", "t"], SMALL)
    assert "del d\n" in released(CHAIN, shapes)


def test_names_freed_by_the_same_statement_share_one_del():
    source = """
        def g(x):
            b = x + 1.0
            a = x * 2.0
            c = a + b
            w = np.sin(c)
            return w
        """
    shapes = dict.fromkeys(["x", "a", "b", "c", "w"], BIG)
    assert released(source, shapes).endswith("c = a + b\ndel a, b\nw = np.sin(c)\nreturn w")


def test_the_adjoint_of_a_large_name_is_let_go_too():
    source = """
        def g(x):
            dd = x * 2.0
            dx = dd + 1.0
            s = np.sum(dx)
            return s
        """
    assert "dx = dd + 1.0\ndel dd\n" in released(source, {"x": BIG, "d": BIG}, adjoints=["d"])


@pytest.mark.parametrize(
    ("source", "name"),
    [
        # a parameter: the caller holds it anyway
        ("def g(x):\n    a = x * 2.0\n    b = np.sin(a)\n    return b\n", "x"),
        # bound twice
        ("def g(x):\n    a = x\n    b = a * 2.0\n    a = b\n    c = a + 1.0\n    return c\n", "a"),
        # bound inside a loop
        (
            "def g(x, n):\n    for i in range(n):\n        a = x * i\n    b = a + 1.0\n"
            "    c = b * 2.0\n    return c\n",
            "a",
        ),
        # read by a nested function, which may run later
        (
            "def g(x):\n    a = x * 2.0\n    def back(dy):\n        return dy * a\n"
            "    return back\n",
            "a",
        ),
        # given new values by a pullback that says nonlocal
        (
            "def g(x):\n    a = x * 2.0\n    b = a + 1.0\n    def back(dy):\n"
            "        nonlocal a\n        a = dy\n    return (b, back)\n",
            "a",
        ),
    ],
)
def test_names_never_let_go(source, name):
    shapes = dict.fromkeys(["x", "a", "b", "c", "i"], BIG)
    assert f"del {name}" not in released(source, shapes)


def test_a_name_read_in_a_loop_is_let_go_after_the_loop():
    source = """
        def g(x, n):
            a = x * 2.0
            s = x
            for i in range(n):
                s = s + a
            t = s * 2.0
            return t
        """
    out = released(source, {"x": BIG, "a": BIG})
    assert out.index("del a") > out.index("s = s + a")
    assert "        del a" not in out and "\ndel a\nt = s * 2.0" in out


def test_the_generated_gradient_lets_go_of_large_arrays_and_is_unchanged():
    fn = define(
        """
        def f(x, y):
            d = x - y
            e = np.exp(d)
            return np.sum(e * e)
        """
    )
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=BIG), rng.normal(size=BIG)
    gradient = srcgrad.grad(fn)
    got = gradient(x, y)
    assert "del d\n" in gradient.source
    np.testing.assert_allclose(got, 2.0 * np.exp(2.0 * (x - y)))
    small = gradient.source_for(x[:4, :3], y[:4, :3])
    assert "del " not in small
