"""The optimizer's view of a function's shape (`srcgrad/optimize/blocks.py`): `blocks` yields every
statement list (the body, the bodies and `else` branches of ifs and loops, pullbacks), as the
very lists the passes edit in place; `assignments` counts how often each name is bound (the
parameters once, plain, augmented and loop-target stores); `read_counts` counts every read,
an augmented assignment's target included.
"""

from __future__ import annotations

import textwrap

import gast

from srcgrad.optimize.blocks import assignments, blocks, read_counts


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def first_lines(fn: gast.FunctionDef) -> list[str]:
    """The first statement of each block, as code (an order-free picture of `blocks`)."""
    return sorted(gast.unparse(block[0]).splitlines()[0] for block in blocks(fn))


NESTED = """
def g(x, n):
    a = 1
    if x:
        b = 2
    else:
        c = 3
    for i in range(n):
        d = 4
        while d:
            e = 5
    else:
        f = 6

    def back(dy):
        h = 7
    return a
"""


def test_blocks_yield_the_body_and_every_branch_of_ifs_loops_and_pullbacks():
    assert first_lines(parse(NESTED)) == [
        "a = 1",
        "b = 2",
        "c = 3",
        "d = 4",
        "e = 5",
        "f = 6",
        "h = 7",
    ]


def test_blocks_are_the_lists_of_the_tree_so_passes_edit_them_in_place():
    fn = parse(NESTED)
    for block in blocks(fn):
        block.insert(0, gast.Pass())
    assert fn.body[0].__class__ is gast.Pass
    assert isinstance(fn.body[2].body[0], gast.Pass) and isinstance(fn.body[2].orelse[0], gast.Pass)
    assert isinstance(fn.body[4].body[0], gast.Pass)  # the pullback's body


def test_blocks_of_a_function_without_compound_statements_is_its_body_alone():
    fn = parse("def g(x):\n    y = x\n    return y\n")
    assert [block is fn.body for block in blocks(fn)] == [True]


def test_assignments_count_parameters_plain_augmented_and_loop_target_stores():
    fn = parse(
        """
        def g(x, n):
            y = x
            y += 1
            for i in range(n):
                y = y * 2
                z = y
            x = 0
            return y
        """
    )
    counts = assignments(fn)
    assert counts["x"] == 2  # the parameter and `x = 0`
    assert counts["n"] == 1
    assert counts["y"] == 3
    assert counts["i"] == 1 and counts["z"] == 1


def test_assignments_do_not_count_writes_into_an_array():
    fn = parse("def g(x):\n    x[0] = 1\n    x[1] += 2\n    return x\n")
    assert assignments(fn)["x"] == 1  # only the parameter: the name still holds the same array


def test_assignments_count_the_stores_of_a_pullback():
    fn = parse("def g(x):\n    def back(dy):\n        y = dy\n        y = y + 1\n    return back\n")
    assert assignments(fn)["y"] == 2


def test_assignments_count_names_bound_by_unpacking():
    fn = parse("def g(f):\n    a = 1\n    a, b = f()\n    return a + b\n")
    counts = assignments(fn)
    assert counts["a"] == 2 and counts["b"] == 1


def test_read_counts_count_every_read_in_every_block():
    fn = parse(
        """
        def g(x, n):
            y = x * x
            if n:
                y = y + x
            return y
        """
    )
    counts = read_counts(fn.body)
    assert counts["x"] == 3 and counts["y"] == 2 and counts["n"] == 1
    assert counts["g"] == 0


def test_read_counts_take_an_augmented_assignment_as_a_read_of_its_target():
    fn = parse("def g(x, k):\n    dx = x\n    dx += 1\n    dx[k] += 2\n    return 0\n")
    counts = read_counts(fn.body)
    assert counts["dx"] == 2  # `dx += 1` and `dx[k] += 2` both read dx
    assert counts["k"] == 1


def test_read_counts_of_some_statements_only():
    fn = parse("def g(x):\n    y = x\n    z = x + y\n    return z\n")
    assert read_counts(fn.body[1:2]) == {"x": 1, "y": 1}
    assert read_counts([]) == {}
