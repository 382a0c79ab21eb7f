"""The `single_assignment` pass alone: a name assigned again outside ifs and loops (a parameter
included) gets a fresh name, and every later read, in ifs, loops, appends and the return
included, follows it; a name assigned inside an if or a loop keeps one name, and where it is
computed from itself the value goes through a temporary first; an element assignment binds no
name; and the renamed function computes what the user's does."""

from __future__ import annotations

import textwrap
from collections import Counter

import gast
from passes import define, normalized_until, text

from srcgrad.front import nodes
from srcgrad.normalize import single_assignment


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, single_assignment)
    single_assignment.run(ctx.parsed.tree, ctx)
    return fn, ctx


def after(source: str) -> str:
    return text(normalized(source)[1].parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def as_function(fn, ctx):
    """The rewritten tree compiled as a function in `fn`'s module namespace."""
    namespace = {**fn.__globals__, **ctx.support.injected}
    exec(compile(text(ctx.parsed.tree), "<single_assignment>", "exec"), namespace)
    return namespace[fn.__name__]


def test_a_name_assigned_again_gets_a_new_name_and_reads_follow():
    assert after("""
        def f(x):
            y = x * 2
            x = x + y
            y = x * y
            return y
    """) == code("""
        def f(x):
            y = x * 2
            x_1 = x + y
            y_1 = x_1 * y
            return y_1
    """)


def test_reads_inside_ifs_loops_and_appends_follow_the_new_names():
    assert after("""
        def f(x, n):
            ys = []
            ys.append(x)
            x = x * 2
            ys.append(x)
            s = 0.0
            for i in range(n):
                s = s + x
            if n > 1:
                s = s * x
            return ys
    """) == code("""
        def f(x, n):
            ys = []
            ys.append(x)
            x_1 = x * 2
            ys.append(x_1)
            s = 0.0
            for i in range(n):
                _t2 = s + x_1
                s = _t2
            _t1 = n > 1
            if _t1:
                _t3 = s * x_1
                s = _t3
            return ys
    """)


def test_a_name_assigned_in_a_loop_keeps_one_name_and_its_update_goes_through_a_temporary():
    assert after("""
        def f(x, n):
            h = x
            for i in range(n):
                h = np.tanh(h)
                g = h * 2
            return h
    """) == code("""
        def f(x, n):
            h = x
            for i in range(n):
                _t1 = np.tanh(h)
                h = _t1
                g = h * 2
            return h
    """)


def test_an_update_outside_the_block_of_a_name_assigned_in_it_is_split_too():
    assert after("""
        def f(x, n):
            x = x + 1
            if n > 0:
                x = n * 2
            return x
    """) == code("""
        def f(x, n):
            _t2 = x + 1
            x = _t2
            _t1 = n > 0
            if _t1:
                x = n * 2
            return x
    """)


def test_an_element_assignment_binds_no_name_and_uses_the_current_one():
    assert after("""
        def f(x, n):
            x = x * 2
            x[0] = n
            x = x + 1
            x[1] = x
            return x
    """) == code("""
        def f(x, n):
            x_1 = x * 2
            x_1[0] = n
            x_2 = x_1 + 1
            x_2[1] = x_2
            return x_2
    """)


def test_straight_line_code_that_assigns_once_is_left_alone():
    source = """
        def f(x, y):
            a = x * y
            b = np.sum(a)
            return b
    """
    assert after(source) == code(source)


def test_a_new_name_collides_with_no_users_name():
    assert after("""
        def f(x, x_1):
            x = x + 1
            return x + x_1
    """) == code("""
        def f(x, x_1):
            x_2 = x + 1
            _out = x_2 + x_1
            return _out
    """)


def test_straight_line_names_are_assigned_once_and_the_values_are_the_same():
    fn, ctx = normalized("""
        def f(x, n):
            y = x * 2
            x = x + y
            s = x
            for i in range(n):
                s = s * 2 + y
                t = s
            y = s - y
            if y > 10:
                x = x / 2
            x = x + y
            y = x * y
            return y
    """)
    tree = ctx.parsed.tree
    in_blocks = set().union(
        *(nodes.names_stored(s) for s in tree.body if not isinstance(s, gast.Assign))
    )
    parameters = nodes.names_stored(tree.args)
    assigned = Counter(
        s.targets[0].id
        for s in tree.body
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
    )
    straight = {name: count for name, count in assigned.items() if name not in in_blocks}
    assert straight and all(count == 1 for count in straight.values()), straight
    assert not (set(straight) & parameters)
    rewritten = as_function(fn, ctx)
    for x, n in [(1.0, 0), (1.0, 3), (3.0, 1), (-2.0, 2)]:
        assert rewritten(x, n) == fn(x, n), (x, n)
