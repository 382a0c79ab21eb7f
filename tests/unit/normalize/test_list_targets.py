"""The `list_targets` pass alone: a list written as an assignment or loop target, at any depth,
is the tuple target it means; a list that is read (a display) stays a list."""

from __future__ import annotations

import ast
import textwrap

from passes import define, normalized_until, text

from srcgrad.normalize import list_targets


def after(source: str) -> str:
    ctx = normalized_until(define(source), list_targets)
    list_targets.run(ctx.parsed.tree, ctx)
    return _spelled(text(ctx.parsed.tree))


def code(source: str) -> str:
    return _spelled(textwrap.dedent(source).lstrip("\n"))


def _spelled(source: str) -> str:
    """`source` as this Python's `ast.unparse` writes it (3.10 puts a tuple target in
    parentheses, later versions do not)."""
    return ast.unparse(ast.parse(source)) + "\n"


def test_list_targets_at_every_depth_are_tuples_and_displays_stay_lists():
    assert after("""
        def f(t, pairs):
            [a, b] = t
            d, [e, [h, k]] = a, [b, t]
            [c, *g] = t
            for [x, [y, z]] in pairs:
                a = a + x * y * z
            return [a, c, d, e, g, h, k]
    """) == code("""
        def f(t, pairs):
            a, b = t
            d, (e, (h, k)) = (a, [b, t])
            c, *g = t
            for x, (y, z) in pairs:
                a = a + x * y * z
            return [a, c, d, e, g, h, k]
    """)


def test_a_function_without_list_targets_is_unchanged():
    source = """
        def f(x):
            a, b = x
            return [a, b]
    """
    assert after(source) == code(source)
