"""The `jumps` pass alone: no `break` or `continue` is left; a loop that jumps gets a `_broke`
flag (a `for` body guarded by it, a `while` test and-ed with it) and a per-iteration `_jumped`
flag guarding the code a jump skips; a loop's `else` runs after it unless it broke; nested loops
have flags of their own; loops without jumps are left alone; and the loops compute what the
user's do."""

from __future__ import annotations

import textwrap

import gast
from passes import define, normalized_until, text

from srcgrad.normalize import jumps


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, jumps)
    jumps.run(ctx.parsed.tree, ctx)
    return fn, ctx


def after(source: str) -> str:
    return text(normalized(source)[1].parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def as_function(fn, ctx):
    """The rewritten tree compiled as a function in `fn`'s module namespace."""
    namespace = {**fn.__globals__, **ctx.support.injected}
    exec(compile(text(ctx.parsed.tree), "<jumps>", "exec"), namespace)
    return namespace[fn.__name__]


def jumps_in(tree: gast.AST) -> list:
    return [n for n in gast.walk(tree) if isinstance(n, (gast.Break, gast.Continue))]


def test_a_break_in_a_for_loop_becomes_flags():
    assert after("""
        def f(x):
            for i in range(5):
                if x > 10:
                    break
                x = x * 2
            return x
    """) == code("""
        def f(x):
            _broke = False
            for i in range(5):
                if not _broke:
                    _jumped = False
                    if x > 10:
                        _broke = True
                        _jumped = True
                    if not _jumped:
                        x = x * 2
            return x
    """)


def test_a_continue_skips_the_rest_of_the_iteration_only():
    assert after("""
        def f(x):
            for i in range(5):
                if i == 2:
                    continue
                x = x * 2
            return x
    """) == code("""
        def f(x):
            _broke = False
            for i in range(5):
                if not _broke:
                    _jumped = False
                    if i == 2:
                        _jumped = True
                    if not _jumped:
                        x = x * 2
            return x
    """)


def test_a_while_loop_stops_at_its_test_and_its_else_runs_unless_it_broke():
    assert after("""
        def f(x):
            while x < 100:
                x = x * 2
                if x > 10:
                    break
                x = x + 1
            else:
                x = -x
            return x
    """) == code("""
        def f(x):
            _broke = False
            while not _broke and x < 100:
                _jumped = False
                x = x * 2
                if x > 10:
                    _broke = True
                    _jumped = True
                if not _jumped:
                    x = x + 1
            if not _broke:
                x = -x
            return x
    """)


def test_the_else_of_a_loop_without_jumps_follows_it():
    assert after("""
        def f(x):
            for i in range(5):
                x = x + 1
            else:
                x = -x
            return x
    """) == code("""
        def f(x):
            for i in range(5):
                x = x + 1
            x = -x
            return x
    """)


def test_jumps_in_elif_and_else_branches():
    assert after("""
        def f(x):
            for i in range(5):
                if x > 1:
                    x = x * 2
                    continue
                elif x < -1:
                    break
                else:
                    x = x + 1
                x = x - 1
            return x
    """) == code("""
        def f(x):
            _broke = False
            for i in range(5):
                if not _broke:
                    _jumped = False
                    if x > 1:
                        x = x * 2
                        _jumped = True
                    elif x < -1:
                        _broke = True
                        _jumped = True
                    else:
                        x = x + 1
                    if not _jumped:
                        x = x - 1
            return x
    """)


def test_code_after_a_jump_in_the_same_block_is_dropped():
    assert after("""
        def f(x):
            for i in range(5):
                x = x + 1
                break
                x = x * 100
            return x
    """) == code("""
        def f(x):
            _broke = False
            for i in range(5):
                if not _broke:
                    _jumped = False
                    x = x + 1
                    _broke = True
                    _jumped = True
            return x
    """)


def test_nested_loops_have_flags_of_their_own_reset_every_outer_iteration():
    assert after("""
        def f(x):
            for i in range(5):
                for j in range(3):
                    if j > i:
                        break
                    x = x + j
                if x > 50:
                    break
            return x
    """) == code("""
        def f(x):
            _broke_1 = False
            for i in range(5):
                if not _broke_1:
                    _jumped_1 = False
                    _broke = False
                    for j in range(3):
                        if not _broke:
                            _jumped = False
                            if j > i:
                                _broke = True
                                _jumped = True
                            if not _jumped:
                                x = x + j
                    if x > 50:
                        _broke_1 = True
                        _jumped_1 = True
            return x
    """)


def test_the_flags_collide_with_no_users_name_and_are_generated():
    fn, ctx = normalized("""
        def f(x, _broke, _jumped):
            for i in range(5):
                if x > _broke + _jumped:
                    break
                x = x * 2
            return x
    """)
    assert "_broke_1 = False" in text(ctx.parsed.tree)
    assert "_jumped_1 = False" in text(ctx.parsed.tree)
    assert {"_broke_1", "_jumped_1"} <= ctx.names.generated
    assert not {"_broke", "_jumped"} & ctx.names.generated


def test_loops_without_jumps_are_left_alone():
    source = """
        def f(x, n):
            for i in range(n):
                if x > 1:
                    x = x / 2
            while x < 10:
                x = x * 3
            return x
    """
    assert after(source) == code(source)


def test_no_jump_is_left_and_the_loops_compute_the_same_values():
    fn, ctx = normalized("""
        def f(x):
            s = 0
            for i in range(6):
                for j in range(4):
                    if j == x:
                        break
                    if j == 1:
                        continue
                    s = s + j
                else:
                    s = s * 2
                    continue
                if s > 20:
                    break
                s = s + i
            while s < 1000:
                s = s * 3
                if s % 7 == 0:
                    continue
                if s % 5 == 0:
                    break
                s = s + 1
            else:
                s = -s
            return s
    """)
    assert jumps_in(ctx.parsed.tree) == []
    rewritten = as_function(fn, ctx)
    for x in range(-1, 5):
        assert rewritten(x) == fn(x), x
