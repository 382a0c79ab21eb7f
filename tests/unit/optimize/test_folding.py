"""The optimizer's folding (`srcgrad/optimize/folding.py`): `forward_copies` reads the seed `1.0`,
a temporary's number (or quotient of numbers) and a copy between generated names directly,
where nothing rebinds them before (or, for a copy, in an assignment that reads it and then
rebinds its source); `fold_temporaries` writes a temporary that is read once, later in its block, into
the statement that reads it, but never across a statement that changes an array or pops,
never into a loop or an if (it would run another number of times), and never where it would
make an adjoint's line longer than 80 characters.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
import pytest
from passes import text

from srcgrad.front import nodes
from srcgrad.optimize.algebra import fold_constants
from srcgrad.optimize.folding import fold_temporaries, forward_copies


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def body(fn: gast.FunctionDef) -> str:
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def code(text: str) -> str:
    return textwrap.dedent(text).strip()


def unchanged(source: str, fold) -> None:
    """`fold(fn)` says it changed nothing, and did not."""
    fn = parse(source)
    assert fold(fn) is False
    assert gast.dump(fn) == gast.dump(parse(source))


GENERATED = {"d_out", "_t1", "_t2", "_t3", "dd", "dy", "d_t1", "dx", "c"}
TEMPORARIES = GENERATED - {"dd", "dy", "dx"}  # dd, dy, dx: adjoints of the user's names


def copies(fn: gast.FunctionDef) -> bool:
    return forward_copies(fn, GENERATED, TEMPORARIES)


def temporaries(fn: gast.FunctionDef) -> bool:
    return fold_temporaries(fn, TEMPORARIES)


# ---- forward_copies -------------------------------------------------------------------------


def test_the_seed_and_a_temporary_number_are_read_directly():
    fn = parse(
        """
        def g(x):
            dy = 1.0
            _t1 = 0.125
            dx = dy * x * _t1
            return dx
        """
    )
    assert copies(fn) is True
    assert body(fn).endswith("dx = 1.0 * x * 0.125\nreturn dx")


def test_the_adjoint_of_a_users_variable_keeps_a_number_other_than_the_seed():
    unchanged("def g(x):\n    dd = -1.0\n    dx = dd * x\n    return dx\n", copies)


def scaled(fn: gast.FunctionDef) -> bool:
    return forward_copies(fn, GENERATED, TEMPORARIES, frozenset({"c", "w"}))


def test_a_seed_times_a_float_input_read_only_by_arithmetic_is_the_input():
    fn = parse(
        """
        def g(c, xn, gamma):
            dy = 1.0 * c
            dbeta = dy.sum(axis=0)
            dxn = -dy * gamma
            dgamma = np.einsum('ab,ab->b', dy, xn)
            return (dxn, dgamma, dbeta)
        """
    )
    assert scaled(fn) is True
    assert body(fn).startswith("dy = 1.0 * c\ndbeta = c.sum(axis=0)\ndxn = -c * gamma\n")
    assert "np.einsum('ab,ab->b', c, xn)" in body(fn)


@pytest.mark.parametrize(
    "reader",
    [
        "dx = (dy, x)",  # handed out: the caller's array would be a gradient
        "dx = dy[1:]",  # a view of it
        "dx = np.reshape(dy, (4,))",
        "dx = np.einsum('ab->ba', dy)",  # einsum of one array may be a view
        "dy += x",  # changed in place: the caller's array would change
    ],
)
def test_a_seed_times_an_input_stays_where_a_reader_could_hand_it_out(reader):
    unchanged(f"def g(c, x):\n    dy = 1.0 * c\n    {reader}\n    return dx\n", scaled)


def test_a_seed_times_an_input_stays_for_an_input_not_known_as_float():
    unchanged("def g(k, x):\n    dy = 1.0 * k\n    dx = dy * x\n    return dx\n", scaled)


def test_a_seed_times_an_input_stays_where_the_input_is_written_before_a_read():
    source = "def g(c, x):\n    dy = 1.0 * c\n    c[0] = 2.0\n    dx = dy * x\n    return dx\n"
    unchanged(source, scaled)


def test_a_copy_between_generated_names_is_forwarded():
    fn = parse(
        """
        def g(x):
            dd = x * 2
            d_t1 = dd
            dx = d_t1 * 3
            return dx
        """
    )
    assert copies(fn) is True
    assert "dx = dd * 3" in body(fn)


@pytest.mark.parametrize(
    "source",
    [
        # the copied name is given another value before the copy is read
        "def g(x):\n    dd = x\n    d_t1 = dd\n    dd = x * 2\n    return d_t1 + dd\n",
        # the array the copied name holds is written into before the copy is read (the pass
        # is careful: it does not reason about which names share an array)
        "def g(x):\n    dd = x * 1\n    d_t1 = dd\n    dd[0] = 2.0\n    return d_t1\n",
        # read before it is assigned (a loop's next iteration)
        "def g(x, n):\n    for i in range(n):\n        dx = _t1\n        _t1 = 1.0\n"
        "    return dx\n",
        # assigned twice
        "def g(x, c):\n    _t1 = 1.0\n    if c:\n        _t1 = x\n    return _t1\n",
        # not a generated name: the user's own
        "def g(x):\n    z = 1.0\n    dx = z * x\n    return dx\n",
    ],
)
def test_copies_and_numbers_are_left_where_something_rebinds_or_changes_them(source):
    unchanged(source, copies)


def test_a_number_is_not_forwarded_past_an_unpacking_that_rebinds_its_name():
    unchanged(
        "def g(x, f):\n    _t1 = 1.0\n    dx = _t1 * x\n    _t1, c = f()\n    return dx + _t1\n",
        copies,
    )


def test_a_copy_is_read_directly_up_to_the_assignment_that_rebinds_its_source():
    fn = parse(
        """
        def g(x, tape):
            d_t1 = dd
            v = tape.pop()
            dx = dd * 2 * v
            dd = d_t1 * 0.5
            return (dx, dd)
        """
    )
    assert copies(fn) is True
    assert body(fn).endswith("dd = dd * 0.5\nreturn (dx, dd)")


@pytest.mark.parametrize(
    "rebinding",
    [
        "dd += 1.0",  # ... and read after it (below)
        "dd[0] = d_t1[1]",  # writes into the array dd holds
        "if x:\n        dd = d_t1 * 0.5",  # binds it inside a block, after reading it there
    ],
)
def test_a_copy_is_not_read_directly_past_or_inside_a_statement_that_changes_its_source(
    rebinding,
):
    source = f"def g(x):\n    d_t1 = dd\n    {rebinding}\n    return d_t1\n"
    unchanged(source, copies)


def test_a_number_written_as_a_quotient_is_read_directly_like_a_number():
    fn = parse("def g(x, y):\n    _t1 = -1.0 / 4096\n    dx = _t1 * x\n    return dx - _t1 * y\n")
    fold_constants(fn)  # (`-1.0` is parsed as `-(1.0)`)
    assert copies(fn) is True
    assert body(fn) == "_t1 = -1.0 / 4096\ndx = -1.0 / 4096 * x\nreturn dx - -1.0 / 4096 * y"
    # (the assignment nobody reads is left to dead code; algebra makes `dx + 1.0 / 4096 * y`)


def test_forward_copies_says_no_change_once_everything_is_forwarded():
    fn = parse("def g(x):\n    dy = 1.0\n    dx = dy * x\n    return dx\n")
    assert copies(fn) is True
    assert copies(fn) is False


# ---- fold_temporaries -----------------------------------------------------------------------


def test_a_temporary_read_once_is_folded_into_its_reader():
    fn = parse(
        """
        def g(w, x, g):
            _t1 = w + x
            _t2 = np.sin(x)
            dx = _t1 * g * _t2
            return dx
        """
    )
    assert temporaries(fn) is True
    assert body(fn) == "dx = (w + x) * g * np.sin(x)\nreturn dx"  # the sum keeps its brackets


@pytest.mark.parametrize(
    "between",
    [
        "y[0] = 5.0",  # y may be the array x is
        "y[0] += 5.0",
        "y.append(x)",
        "y.pop()",
        "x = y",  # the value's own operand is rebound
        "h = _tape.pop()",  # so is h, by a pop
        "if c:\n        y[0] = 1.0",  # in a block inside
    ],
)
def test_a_temporary_is_not_folded_across_a_statement_that_changes_what_it_reads(between):
    unchanged(
        f"def g(x, y, c, h, _tape):\n    _t1 = x * h\n    {between}\n    dx = _t1\n    return dx\n",
        temporaries,
    )


def test_a_temporary_is_folded_across_the_tapes_own_pushes_and_pops():
    fn = parse(
        """
        def g(x, _tape):
            _t1 = x * 2
            _tape.append(x)
            h = _tape.pop()
            dx = _t1 + h
            return dx
        """
    )
    assert temporaries(fn) is True
    assert body(fn).endswith("dx = x * 2 + h\nreturn dx")


def test_a_pop_is_not_moved_past_another_pop():
    fn = parse("def g(_tape):\n    _t1 = _tape.pop()\n    h = _tape.pop()\n    c = _t1 + h\n")
    temporaries(fn)
    assert body(fn) == "_t1 = _tape.pop()\nh = _tape.pop()\nc = _t1 + h"


def _without_calls(node) -> bool:
    """What the pipeline's effect analysis says of code calling only a generator: every call
    has an effect."""
    return not any(isinstance(n, gast.Call) for n in gast.walk(node))


def test_a_random_draw_is_not_moved_past_another():
    """`x * rng.normal() + rng.normal()`: the first draw multiplies x, whatever the optimizer
    makes of the temporaries."""
    fn = parse(
        "def g(x, rng):\n    _t1 = rng.normal()\n    _t2 = x * _t1\n    _t3 = rng.normal()\n"
        "    _t4 = _t2 + _t3\n    return _t4\n"
    )
    while fold_temporaries(fn, TEMPORARIES, _without_calls):
        pass
    assert body(fn) == "_t2 = x * rng.normal()\n_t4 = _t2 + rng.normal()\nreturn _t4"


def test_a_random_draw_is_not_folded_behind_another_in_its_reader():
    fn = parse(
        "def g(rng):\n    _t1 = rng.normal()\n    _t2 = rng.normal() - _t1\n    return _t2\n"
    )
    while fold_temporaries(fn, TEMPORARIES, _without_calls):
        pass
    assert body(fn) == "_t1 = rng.normal()\nreturn rng.normal() - _t1"


@pytest.mark.parametrize(
    "source",
    [
        # read twice
        "def g(x):\n    _t1 = x * 2\n    dx = _t1 * _t1\n    return dx\n",
        # read in a loop: would be computed at every step
        "def g(x, n):\n    _t1 = x * 2\n    for i in range(n):\n        x = _t1\n    return x\n",
        # read by an if's test: a compound statement
        "def g(x):\n    _t1 = x * 2\n    if _t1:\n        x = 1\n    return x\n",
        # written into by its reader
        "def g(x):\n    _t1 = np.zeros(3)\n    _t1[0] = x\n",
        # an adjoint of the user's name, not a temporary
        "def g(x):\n    dx = x * 2\n    dd = dx + 1\n    return dd\n",
    ],
)
def test_temporaries_that_stay(source):
    unchanged(source, temporaries)


def test_no_long_adjoint_line_is_made_but_a_short_one_is():
    def made(length: int) -> gast.FunctionDef:
        long_name = "a" * length
        fn = parse(f"def g({long_name}, g):\n    _t1 = {long_name} * 2\n    dx = _t1 * g\n")
        nodes.mark_adjoint(fn.body[1])
        return fn

    short, long = made(10), made(80)
    assert temporaries(short) is True and temporaries(long) is False
    assert len(long.body) == 2


def test_a_line_that_is_not_an_adjoints_may_get_long():
    name = "a" * 80
    fn = parse(f"def g({name}, g):\n    _t1 = {name} * 2\n    c = _t1 * g\n")
    assert temporaries(fn) is True
    assert len(fn.body) == 1


def test_folding_keeps_results():
    source = """
        def g(w, x, y):
            dy = 1.0
            _t2 = w + x
            d_t1 = dy
            _t3 = 0.5
            c = _t2 * d_t1 * _t3
            dx = c - np.cos(_t2)
            y[0] = 0.0
            return dx
        """
    fn = parse(source)
    for _ in range(3):
        copies(fn)
        temporaries(fn)
    assert "dx = _t2 * 1.0 * 0.5 - np.cos(_t2)" in body(fn)
    rng = np.random.default_rng(1)
    w, x = rng.normal(size=(2, 4))
    results = []
    for tree in (parse(source), fn):
        scope = {"np": np}
        exec(text(tree), scope)
        results.append(scope["g"](w, x, np.ones(2)))
    np.testing.assert_allclose(results[0], results[1])
