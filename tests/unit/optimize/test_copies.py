"""The optimizer's copies (`srcgrad/optimize/copies.py`): `copies_back` removes `b = a` where `a`
and `b` already hold one object (`a = b` before it, in its block or the blocks around, neither
bound again since), and `b = b`; `copies_into` makes a temporary copied into a name the reader
follows that name from the start, and reads it where the temporary was read; `copies_updated`
writes `dz = dzs` and the update `dz = dz + e` after it as `dz = dzs + e`. None of them looks
past a statement that binds a name involved, or that calls a function defined in the function.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
import pytest
from passes import text

from srcgrad.optimize.copies import copies_back, copies_into, copies_updated


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def body(fn: gast.FunctionDef) -> str:
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def code(source: str) -> str:
    return textwrap.dedent(source).strip()


def unchanged(source: str, rewrite) -> None:
    fn = parse(source)
    assert rewrite(fn) is False
    assert gast.dump(fn) == gast.dump(parse(source))


def same_results(source: str, rewrite, *args) -> None:
    """`rewrite` changes the function, and the function computes what it computed."""
    before, after = parse(source), parse(source)
    assert rewrite(after) is True
    results = []
    for fn in (before, after):
        scope = {"np": np}
        exec(text(fn), scope)
        copied = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        results.append(scope[fn.name](*copied))
    for got, want in zip(results[1], results[0], strict=True):
        np.testing.assert_array_equal(got, want)


GENERATED = {"d_t1", "d_t2", "d_t5", "d_t8", "_t1", "_t2", "dh", "dz", "dzs", "dx", "dy"}
TEMPORARIES = {"d_t1", "d_t2", "d_t5", "d_t8", "_t1", "_t2"}
ADJOINTS = frozenset({"d_t1", "d_t2", "d_t5", "d_t8", "dh", "dz", "dzs", "dx", "dy"})


def into(fn: gast.FunctionDef) -> bool:
    return copies_into(fn, GENERATED, TEMPORARIES, ADJOINTS)


def updated(fn: gast.FunctionDef) -> bool:
    return copies_updated(fn, ADJOINTS)


# ---- copies_back ----------------------------------------------------------------------------


def test_a_copy_back_in_a_loop_body_goes():
    fn = parse(
        """
        def g(W, dh, n):
            for t in range(n):
                d_t8 = dh
                dh = d_t8
                dx = d_t8 * 2.0
                dh = W @ d_t8
            return dh
        """
    )
    assert copies_back(fn) is True
    assert "dh = d_t8\n" not in text(fn)
    assert "d_t8 = dh" in text(fn)
    assert copies_back(fn) is False


def test_a_copy_back_goes_where_statements_between_bind_neither_name():
    fn = parse(
        """
        def g(dtotal, tape):
            d_t1 = dtotal
            v = tape.pop()
            dv = 2.0 * dtotal * v
            dtotal = d_t1
            return dv + d_t1 / v
        """
    )
    assert copies_back(fn) is True
    assert body(fn) == code(
        """
        d_t1 = dtotal
        v = tape.pop()
        dv = 2.0 * dtotal * v
        return dv + d_t1 / v
        """
    )


def test_a_name_copied_to_itself_goes_and_an_emptied_block_keeps_pass():
    fn = parse("def g(dy, c):\n    if c:\n        dy = dy\n    return dy\n")
    assert copies_back(fn) is True
    assert body(fn) == code("if c:\n    pass\nreturn dy")


def test_what_holds_before_an_if_holds_in_its_branches():
    fn = parse(
        """
        def g(ds, c):
            d_t1 = ds
            if c:
                ds = d_t1
            else:
                d_t1 = ds * 2.0
            return ds + d_t1
        """
    )
    assert copies_back(fn) is True
    assert body(fn).startswith("d_t1 = ds\nif c:\n    pass\nelse:")


@pytest.mark.parametrize(
    "source",
    [
        # one of the names is bound again between the two copies
        "def g(dh, x):\n    d_t1 = dh\n    dh = x * 2.0\n    dh = d_t1\n    return dh\n",
        "def g(dh, x):\n    d_t1 = dh\n    d_t1 = x\n    dh = d_t1\n    return dh\n",
        # deleted between them
        "def g(dh, x):\n    d_t1 = dh\n    del dh\n    dh = d_t1\n    return dh\n",
        # an if between binds one of them on one of its paths
        "def g(dh, x, c):\n    d_t1 = dh\n    if c:\n        dh = x\n    dh = d_t1\n"
        "    return dh\n",
        # a loop binds one of them: at its second iteration they differ
        "def g(dh, x, n):\n    d_t1 = dh\n    for i in range(n):\n        dh = d_t1\n"
        "        d_t1 = x * dh\n    return dh\n",
        # a function defined here, called between, could bind them
        "def g(dh, x):\n    def back():\n        nonlocal dh\n        dh = x\n    d_t1 = dh\n"
        "    back()\n    dh = d_t1\n    return dh\n",
    ],
)
def test_a_copy_back_stays_where_the_names_may_hold_different_objects(source):
    unchanged(source, copies_back)


def test_removing_copies_back_keeps_results():
    source = """
        def g(dh, W, n):
            out = []
            for t in range(n):
                d_t8 = dh
                dh = d_t8
                d_t8 *= 0.5
                out.append(d_t8.copy())
                dh = d_t8
                dh = W @ dh
            return (dh, np.array(out))
        """
    same_results(source, copies_back, np.arange(3.0), np.eye(3) * 2.0, 3)


# ---- copies_into ----------------------------------------------------------------------------


def test_a_temporary_copied_into_an_adjoint_is_that_adjoint_from_the_start():
    fn = parse(
        """
        def g(dy, tape):
            d_t1 = dy * 0.5
            dy = d_t1
            y = tape.pop()
            da = d_t1 / y
            dy = dy - d_t1 * y
            return (dy, da)
        """
    )
    assert into(fn) is True
    assert body(fn) == code(
        """
        dy = dy * 0.5
        y = tape.pop()
        da = dy / y
        dy = dy - dy * y
        return (dy, da)
        """
    )


def test_a_temporary_of_the_forward_sweep_becomes_the_users_variable():
    fn = parse("def g(y, c):\n    _t1 = np.sqrt(y)\n    y = _t1\n    return y * c\n")
    assert into(fn) is True
    assert body(fn) == "y = np.sqrt(y)\nreturn y * c"


@pytest.mark.parametrize(
    "source",
    [
        # the temporary is read after the name is bound again
        "def g(dy, x):\n    d_t1 = dy * 0.5\n    dy = d_t1\n    dy = x\n    return dy + d_t1\n",
        # the name is read between the two
        "def g(dy):\n    d_t1 = dy * 0.5\n    dx = dy * 2.0\n    dy = d_t1\n    return (dx, dy)\n",
        # the name is bound between the two
        "def g(dy, x):\n    d_t1 = dy * 0.5\n    dy = x\n    dy = d_t1\n    return dy\n",
        # the temporary is read in a branch that binds the name first
        "def g(dy, x, c):\n    d_t1 = x\n    dy = d_t1\n    if c:\n        dy = x * 2.0\n"
        "        dx = d_t1\n    return dy\n",
        # a temporary into a temporary: the next pass folds them, no name is gained
        "def g(x):\n    d_t1 = x * 2.0\n    d_t2 = d_t1\n    return d_t2 + d_t1\n",
        # a value of the forward sweep into an adjoint: the forward sweep keeps its names
        "def g(x, y):\n    _t1 = x * y\n    dx = _t1\n    return (dx, _t1)\n",
        # the temporary is assigned twice
        "def g(x, c):\n    d_t1 = x\n    if c:\n        d_t1 = x * 2.0\n    dy = d_t1\n"
        "    return dy\n",
        # a function defined between reads the temporary later, when called
        "def g(x):\n    d_t1 = x * 2.0\n    def back():\n        return d_t1\n    dy = d_t1\n"
        "    return (dy, back)\n",
    ],
)
def test_a_copy_into_a_name_stays_where_renaming_could_change_a_read(source):
    unchanged(source, into)


def test_copies_into_keeps_results():
    source = """
        def g(dh, h, n):
            dx = np.zeros(3)
            for i in range(n):
                d_t5 = dh * (1.0 - h * h)
                dh = d_t5
                dh[i] = 7.0  # into the array both names hold
                dx[i] += d_t5[i]
                dh = dh * 0.5 + d_t5
            return (dh, dx)
        """
    same_results(source, into, np.arange(3.0), np.full(3, 0.5), 3)


# ---- copies_updated -------------------------------------------------------------------------


def test_a_copy_and_the_update_after_it_are_one_update():
    fn = parse(
        """
        def g(dzs, z, m):
            dz = dzs
            d_t4 = -dzs.sum(axis=1, keepdims=True)
            dz = dz + d_t4 * (z == m)
            return dz
        """
    )
    assert updated(fn) is True
    assert body(fn) == code(
        """
        d_t4 = -dzs.sum(axis=1, keepdims=True)
        dz = dzs + d_t4 * (z == m)
        return dz
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # the copied name is bound again before the update
        "def g(dzs, x):\n    dz = dzs\n    dzs = x\n    dz = dz + x\n    return (dz, dzs)\n",
        # the copy is read before the update
        "def g(dzs, x):\n    dz = dzs\n    dx = dz * x\n    dz = dz + x\n    return (dz, dx)\n",
        # the update reads it twice
        "def g(dzs, x):\n    dz = dzs\n    dz = dz + dz * x\n    return dz\n",
        # an update in place (it writes into the array both names hold)
        "def g(dzs, x):\n    dz = dzs\n    dz += x\n    return (dz, dzs)\n",
        # not an adjoint: the user's own variable
        "def g(x, y):\n    z = x\n    z = z + y\n    return z\n",
        # the line would be long
        "def g(dzs, xxxxxxxxxxxx):\n    dz = dzs\n    dz = dz + xxxxxxxxxxxx * xxxxxxxxxxxx"
        " / (xxxxxxxxxxxx + xxxxxxxxxxxx) * xxxxxxxxxxxx\n    return dz\n",
    ],
)
def test_a_copy_stays_where_the_update_could_read_another_value(source):
    unchanged(source, updated)


def test_copies_updated_keeps_results():
    source = """
        def g(dzs, x):
            dz = dzs
            dzs[0] = 5.0
            dz = dz + x
            return (dz, dzs)
        """
    same_results(source, updated, np.arange(3.0), np.ones(3))
