"""The optimizer's in-place arithmetic (`srcgrad/optimize/elision.py`), run as `release` runs
it: a top-level statement over large float64 arrays is worked out in one array (an array the
statement makes, or one an earlier statement made that nothing holds or reads again), giving
the very numbers it gave; nothing changes where a dtype or shape is not known, where an operand
would change the dtype or read the old value, where the array is handed on or an argument's.
"""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import gast
import numpy as np
import pytest
from passes import text

import srcgrad
from srcgrad.front.naming import Names
from srcgrad.front.reading import MISSING
from srcgrad.optimize import elision, release
from srcgrad.optimize.release import LARGE


def code(source: str) -> str:
    return textwrap.dedent(source).strip()


# ---- large elementwise expressions worked out in place --------------------------------------

N = (LARGE,)


def _resolve(node):
    """The object a name or attribute chain of the test's code denotes (MISSING: a local)."""
    if isinstance(node, gast.Name):
        return {"np": np, "sigmoid": srcgrad.runtime.sigmoid}.get(node.id, MISSING)
    if isinstance(node, gast.Attribute):
        owner = _resolve(node.value)
        return MISSING if owner is MISSING else getattr(owner, node.attr, None)
    return None


def _context(shapes: dict, dtypes: dict, other_arrays=frozenset()) -> SimpleNamespace:
    return SimpleNamespace(
        shapes=shapes,
        names=Names(shapes),
        dtypes=dtypes,
        other_arrays=other_arrays,
        resolve=_resolve,
    )


def worked(
    source: str, shapes: dict, dtypes: dict, everywhere=True, other_arrays=frozenset()
) -> str:
    """The body of `source` after the pass (in every statement it can, or as `release` runs it
    where not `everywhere`), and the check that it computes the very same numbers as before:
    every parameter a float64 array of its shape (or as `dtypes` says)."""
    fn = gast.parse(textwrap.dedent(source)).body[0]
    before = text(fn)
    ctx = _context(shapes, dtypes, other_arrays)
    if everywhere:
        elision.elide(fn, ctx, LARGE, everywhere=True)
    else:
        release.release(fn, ctx)
    after = text(fn)
    rng = np.random.default_rng(0)
    params = [a.id for a in fn.args.args]
    args = {}
    for p in params:
        kind = dtypes.get(p, "float64")
        value = rng.uniform(0.5, 1.5, shapes[p]) if shapes[p] != () else 0.75
        args[p] = value.astype(kind) if kind not in ("float", "int") else value
    results = []
    for code_text in (before, after):
        namespace = {"np": np, "sigmoid": srcgrad.runtime.sigmoid}
        exec(code_text, namespace)
        given = {p: np.copy(v) for p, v in args.items()}
        results.append(namespace[fn.name](*given.values()))
        for p in params:  # (the caller's arrays are never written)
            np.testing.assert_array_equal(given[p], args[p])
    np.testing.assert_array_equal(results[0], results[1])
    assert results[0].dtype == results[1].dtype
    return textwrap.dedent(after.split("\n", 1)[1]).strip()


def test_a_chain_of_elementwise_steps_goes_into_the_array_its_first_name_owns():
    source = """
        def g(x):
            e = np.exp(np.sin(x))
            y = np.sqrt(np.log1p(e))
            d = (y > 0.9) + 0.5 * (y == 0.9)
            dx = d * (0.5 / y) / (1.0 + e) * e * np.cos(x)
            return dx
        """
    shapes = dict.fromkeys(["x", "e", "y", "d", "dx"], N)
    assert worked(source, shapes, {"x": "float64"}, everywhere=False) == code(
        """
        e = np.exp(np.sin(x))
        y = np.sqrt(np.log1p(e))
        d = (y > 0.9) + 0.5 * (y == 0.9)
        dx = d
        dx *= 0.5 / y
        del y
        dx /= 1.0 + e
        dx *= e
        del e
        dx *= np.cos(x)
        return dx
        """
    )


def test_a_new_array_takes_the_rest_a_number_moves_behind_a_sum_or_product():
    source = """
        def g(a, b, c):
            t = a * b / c - 1.0
            u = 2.0 * (a - b) * c
            v = a + b
            return t + u + v
        """
    shapes = dict.fromkeys("abctuv", N)
    assert worked(source, shapes, dict.fromkeys("abc", "float64")) == code(
        """
        t = a * b
        t /= c
        t -= 1.0
        u = a - b
        u *= 2.0
        u *= c
        v = a + b
        return t + u + v
        """
    )


def test_reductions_products_and_shapes_are_followed():
    source = """
        def g(x, c, w):
            s = np.sum(x * c, axis=1, keepdims=True)
            e = np.expand_dims(np.einsum('ab,ab->a', x, c), 1)
            m = x.mean(axis=0)
            p = (x @ w).T
            t = x * s / x.shape[0] + e * c - m
            u = p.T * c * 2.0
            return t + u
        """
    shapes = {"x": (1024, 4), "c": (1024, 4), "w": (4, 4), "t": (1024, 4), "u": (1024, 4)}
    out = worked(source, shapes, dict.fromkeys("xcw", "float64"))
    assert "t = x * s\nt /= x.shape[0]\nt += e * c\nt -= m\n" in out
    assert "u = p.T * c\nu *= 2.0\n" in out


@pytest.mark.parametrize(
    ("dtypes", "why"),
    [
        ({"a": "float32", "b": "float64"}, "t *= b would round to float32"),
        ({"a": "float64", "b": "complex128"}, "a complex operand"),
        ({"a": "float64"}, "b's dtype is not known"),
        ({"a": "int64", "b": "float64"}, "a + 1 is an integer array"),
    ],
)
def test_nothing_is_done_in_place_where_a_dtype_could_change(dtypes, why):
    source = """
        def g(a, b):
            t = (a + 1) * b * b
            return t
        """
    shapes = {"a": N, "b": N, "t": N}
    if "complex128" in dtypes.values() or "b" not in dtypes:
        out = worked_unchecked(source, shapes, dtypes)  # (the check draws real arrays)
    else:
        out = worked(source, shapes, dtypes)
    assert out == "t = (a + 1) * b * b\nreturn t", why


def test_a_function_of_a_bool_array_is_not_known_to_be_float64():
    source = """
        def g(m, b):
            t = np.exp(m) * 2.0 * b
            return t
        """  # (np.exp of bools is float16, and float16 * 2.0 stays float16)
    out = worked(source, {"m": N, "b": N, "t": N}, {"m": "bool", "b": "float64"})
    assert out == "t = np.exp(m) * 2.0 * b\nreturn t"


def test_an_operand_that_reads_the_names_old_value_stops_it():
    source = """
        def g(a, b):
            t = a * b
            t = b * 3.0 + t
            return t
        """
    out = worked(source, dict.fromkeys("abt", N), {"a": "float64", "b": "float64"})
    assert out.endswith("t = b * 3.0 + t\nreturn t")


def test_a_start_shaped_otherwise_than_the_result_is_not_taken():
    source = """
        def g(a, m, t0):
            s = (a + 1.0) * m
            t = m * 2.0 + s
            s2 = m * 3.0 + t
            return s2 + t0
        """
    shapes = {"a": (LARGE, 1), "m": (LARGE, 3), "t0": (LARGE, 3), "s": (LARGE, 3)}
    shapes.update(t=(LARGE, 3), s2=(LARGE, 3))
    out = worked(source, shapes, dict.fromkeys(["a", "m", "t0"], "float64"))
    assert "s = (a + 1.0) * m\n" in out  # (a + 1.0 is a column: m's shape would not fit)
    assert "t = m * 2.0\nt += s\n" in out


@pytest.mark.parametrize(
    "between",
    [
        "keep = [d]",  # kept in a list
        "view = d[1:]",  # a view of it
        "alias = d",  # another name for it
        "f(d)",  # handed to a function that may keep it
        "if n:\n    y = d * 2.0",  # read in a block
    ],
)
def test_an_owned_array_handed_on_is_never_written(between):
    source = (
        "def g(a, b, n):\n    d = a * 2.0\n"
        + textwrap.indent(between, "    ")
        + "\n    t = d * b * b\n    return t\n"
    )
    shapes = {"a": N, "b": N, "d": N, "t": N, "y": N, "n": ()}
    out = worked_unchecked(source, shapes, {"a": "float64", "b": "float64", "n": "int"})
    assert "t = d\n" not in out and "t = d * b\n" in out and "t *= b\n" in out


def test_an_owned_array_read_again_later_is_never_written():
    source = """
        def g(a, b):
            d = a * 2.0
            t = d * b * b
            u = d + t
            return u
        """
    out = worked(source, dict.fromkeys("abdtu", N), {"a": "float64", "b": "float64"})
    assert "t = d\n" not in out and "t = d * b\nt *= b\n" in out


def test_an_argument_is_never_written():
    source = """
        def g(a, b):
            t = a * b * b
            return t
        """
    out = worked(source, dict.fromkeys("abt", N), {"a": "float64", "b": "float64"})
    assert out == code("t = a * b\nt *= b\nreturn t")


def test_small_arrays_and_other_libraries_arrays_are_left_as_they_are():
    source = """
        def g(a, b):
            t = a * b * b
            return t
        """
    dtypes = {"a": "float64", "b": "float64"}
    small = {"a": (LARGE - 1,), "b": (LARGE - 1,), "t": (LARGE - 1,)}
    assert "*=" not in worked(source, small, dtypes)
    large = dict.fromkeys("abt", N)
    assert "*=" in worked(source, large, dtypes, everywhere=False)
    assert "*=" not in worked(source, large, dtypes, everywhere=False, other_arrays={"a"})


def test_only_where_it_lowers_the_peak_of_memory():
    source = """
        def g(a, b):
            s = a * b / b
            t = np.sin(a) + np.cos(b) + np.tan(a)
            return t + s
        """  # (at t's line, s and three new arrays are alive: done in place or not)
    shapes = dict.fromkeys("abst", N)
    dtypes = {"a": "float64", "b": "float64"}
    assert "s = a * b\ns /= b\n" in worked(source, shapes, dtypes)
    assert worked(source, shapes, dtypes, everywhere=False) == code(
        """
        s = a * b / b
        t = np.sin(a) + np.cos(b) + np.tan(a)
        return t + s
        """
    )


def worked_unchecked(source: str, shapes: dict, dtypes: dict) -> str:
    """The body after the pass (everywhere it can), for code the check cannot run."""
    fn = gast.parse(textwrap.dedent(source)).body[0]
    elision.elide(fn, _context(shapes, dtypes), LARGE, everywhere=True)
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()
