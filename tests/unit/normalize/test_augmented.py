"""The `augmented` pass alone: `x op= v` becomes `x = x op v` for every operator, with `v`
kept whole (`x -= a - b` is `x = x - (a - b)`), on names and elements alike, inside ifs and
loops; an annotated assignment loses its annotation; the new statement keeps the user's line and
is marked as in-place only when its target is a name; plain assignments are left as they are."""

from __future__ import annotations

import textwrap

import gast
from passes import define, normalized_until, text

from srcgrad.front import nodes
from srcgrad.normalize import augmented


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, augmented)
    augmented.run(ctx.parsed.tree, ctx)
    return fn, ctx.parsed.tree


def after(source: str) -> str:
    return text(normalized(source)[1])


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_every_operator_becomes_its_binary_operation():
    assert after("""
        def f(x, y):
            x += y
            x -= y
            x *= y
            x /= y
            x //= y
            x %= y
            x **= y
            x @= y
            return x
    """) == code("""
        def f(x, y):
            x = x + y
            x = x - y
            x = x * y
            x = x / y
            x = x // y
            x = x % y
            x = x ** y
            x = x @ y
            return x
    """)


def test_the_right_hand_side_is_kept_whole():
    assert after("""
        def f(x, a, b):
            x -= a - b
            x /= a * b
            x **= a + 1
            return x
    """) == code("""
        def f(x, a, b):
            x = x - (a - b)
            x = x / (a * b)
            x = x ** (a + 1)
            return x
    """)


def test_an_element_target_reads_the_element():
    assert after("""
        def f(x, y, i):
            x[0] += y
            x[i, 1:] *= 2
            return x
    """) == code("""
        def f(x, y, i):
            x[0] = x[0] + y
            x[i, 1:] = x[i, 1:] * 2
            return x
    """)


def test_an_annotated_assignment_becomes_a_plain_one():
    assert after("""
        def f(x, y):
            z: float = x * y
            return z
    """) == code("""
        def f(x, y):
            z = x * y
            return z
    """)


def test_augmented_assignments_inside_ifs_and_loops_are_expanded():
    assert after("""
        def f(x, n):
            for i in range(n):
                if i > 1:
                    x += i
                else:
                    x *= 2
            while x > 10:
                x /= 2
            return x
    """) == code("""
        def f(x, n):
            for i in range(n):
                if i > 1:
                    x = x + i
                else:
                    x = x * 2
            while x > 10:
                x = x / 2
            return x
    """)


def test_the_read_and_the_write_of_the_target_are_separate_nodes():
    _, tree = normalized("""
        def f(x, y):
            x += y
            return x
    """)
    assign = tree.body[0]
    assert isinstance(assign, gast.Assign)
    assert isinstance(assign.targets[0].ctx, gast.Store)
    assert isinstance(assign.value.left.ctx, gast.Load)
    assert assign.value.left is not assign.targets[0]


def test_only_a_name_target_is_marked_as_changed_in_place():
    _, tree = normalized("""
        def f(x, y):
            x += y
            x[0] += y
            z = x + y
            w: float = x + y
            return z
    """)
    assert [nodes.is_augmented(s) for s in tree.body[:4]] == [True, False, False, False]


def test_the_new_statement_keeps_the_users_line():
    fn, tree = normalized("""
        def f(x, y):
            z = x
            z *= y
            return z
    """)
    assert isinstance(tree.body[1], gast.Assign)
    origin = nodes.origin_of(tree.body[1])
    assert origin.lineno == fn.__code__.co_firstlineno + 2
    assert origin.text == "z *= y"


def test_plain_assignments_are_left_alone():
    source = """
        def f(x, y):
            x = x + y
            z = x * y
            return z
    """
    assert after(source) == code(source)


def test_an_element_target_is_marked_as_an_update_of_the_element():
    _, tree = normalized("""
        def f(x, y):
            x[0] += y
            z = x[0] + y
            return z
    """)
    assert [nodes.is_element_update(s) for s in tree.body[:2]] == [True, False]
    assert not nodes.is_augmented(tree.body[0])
