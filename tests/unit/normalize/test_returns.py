"""The `returns` pass alone: a function leaves through one final `return` of one result name;
an earlier `return` assigns that name and sets a flag (and breaks out of a loop), the code after
it is guarded by the flag, code after a `return` in the same block is dropped, a function that
falls off its end returns None, the new names collide with nothing, and the rewritten function
returns what the user's returns."""

from __future__ import annotations

import textwrap

import gast
from passes import define, normalized_until, text

from srcgrad.normalize import returns


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, returns)
    returns.run(ctx.parsed.tree, ctx)
    return fn, ctx


def after(source: str) -> str:
    return text(normalized(source)[1].parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def as_function(fn, ctx):
    """The rewritten tree compiled as a function in `fn`'s module namespace."""
    namespace = {**fn.__globals__, **ctx.support.injected}
    exec(compile(text(ctx.parsed.tree), "<returns>", "exec"), namespace)
    return namespace[fn.__name__]


def returns_in(tree: gast.FunctionDef) -> list:
    return [node for node in gast.walk(tree) if isinstance(node, gast.Return)]


def test_an_early_return_becomes_a_result_and_a_flag_guarding_the_rest():
    assert after("""
        def f(x):
            if x > 0:
                return x * 2
            y = x * 3
            return y
    """) == code("""
        def f(x):
            _returned = False
            if x > 0:
                _out = x * 2
                _returned = True
            if not _returned:
                y = x * 3
                _out = y
                _returned = True
            return _out
    """)


def test_one_final_return_is_left_alone():
    source = """
        def f(x):
            if x > 0:
                y = 1
            else:
                y = 2
            return x * y
    """
    assert after(source) == code(source)


def test_a_function_that_falls_off_its_end_returns_none():
    assert after("""
        def f(x):
            y = x * 2
    """) == code("""
        def f(x):
            y = x * 2
            return None
    """)


def test_returns_in_both_branches_and_a_bare_return():
    assert after("""
        def f(x):
            if x > 0:
                return
            else:
                return -x
    """) == code("""
        def f(x):
            _returned = False
            if x > 0:
                _out = None
                _returned = True
            else:
                _out = -x
                _returned = True
            return _out
    """)


def test_a_return_in_a_loop_also_breaks_out_of_it():
    assert after("""
        def f(x):
            for i in range(3):
                if x > 5:
                    return x
                x = x * 2
            return x + 1
    """) == code("""
        def f(x):
            _returned = False
            for i in range(3):
                if x > 5:
                    _out = x
                    _returned = True
                    break
                if not _returned:
                    x = x * 2
            if not _returned:
                _out = x + 1
                _returned = True
            return _out
    """)


def test_code_after_a_return_in_the_same_block_is_dropped():
    assert after("""
        def f(x):
            if x > 0:
                return x
                x = x * 100
            return -x
    """) == code("""
        def f(x):
            _returned = False
            if x > 0:
                _out = x
                _returned = True
            if not _returned:
                _out = -x
                _returned = True
            return _out
    """)


def test_the_flag_and_the_result_collide_with_no_users_name():
    fn, ctx = normalized("""
        def f(x, _out, _returned):
            if x > 0:
                return x
            return _out + _returned
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x, _out, _returned):
            _returned_1 = False
            if x > 0:
                _out_1 = x
                _returned_1 = True
            if not _returned_1:
                _out_1 = _out + _returned
                _returned_1 = True
            return _out_1
    """)
    assert {"_out_1", "_returned_1"} <= ctx.names.generated


def test_the_one_return_is_last_and_the_function_returns_the_same_values():
    fn, ctx = normalized("""
        def f(x):
            while x < 100:
                if x > 40:
                    return -x
                x = x * 3
            if x > 200:
                return x / 2
            return x
    """)
    tree = ctx.parsed.tree
    assert returns_in(tree) == [tree.body[-1]]
    assert isinstance(tree.body[-1].value, gast.Name)
    rewritten = as_function(fn, ctx)
    for x in [1, 2, 5, 50, 90, 150, 300]:
        assert rewritten(x) == fn(x), x


def test_a_return_in_a_nested_loop_leaves_every_loop():
    fn, ctx = normalized("""
        def f(x):
            for i in range(3):
                for j in range(3):
                    x = x + 1.0
                    if x > 5:
                        return x
            return x * 0
    """)
    assert as_function(fn, ctx)(4.0) == fn(4.0) == 6.0


def test_a_return_in_a_loops_else_is_rewritten():
    fn, ctx = normalized("""
        def f(x):
            for i in range(3):
                if x > 100.0:
                    break
                x = x * 2.0
            else:
                return x * 3.0
            return x
    """)
    tree = ctx.parsed.tree
    assert returns_in(tree) == [tree.body[-1]]


def test_falling_off_the_end_after_an_early_return_returns_none():
    fn, ctx = normalized("""
        def f(x):
            if x > 0:
                return x
    """)
    assert as_function(fn, ctx)(-1.0) is None
