"""The `loops` pass alone: every `for` loop iterates over `range(...)`; a loop over anything else
counts fresh indices `_k` and reads its element by indexing (a tuple target one element at a
time), `enumerate`, `zip` and `reversed` become index arithmetic, an iterable that is computed
or rebound in the body is evaluated once before the loop, a dict display is iterated through
srcgrad's `iterated`, loops over `range` are left alone, and the loops compute what the user's
do."""

from __future__ import annotations

import textwrap

import gast
from passes import define, normalized_until, text

from srcgrad import runtime
from srcgrad.normalize import loops


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, loops)
    loops.run(ctx.parsed.tree, ctx)
    return fn, ctx


def after(source: str) -> str:
    return text(normalized(source)[1].parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def as_function(fn, ctx):
    """The rewritten tree compiled as a function in `fn`'s module namespace."""
    namespace = {**fn.__globals__, **ctx.support.injected}
    exec(compile(text(ctx.parsed.tree), "<loops>", "exec"), namespace)
    return namespace[fn.__name__]


def test_enumerate_of_zip_becomes_index_arithmetic():
    assert after("""
        def f(xs, ws):
            s = 0.0
            for i, (x, w) in enumerate(zip(xs, ws)):
                s = s + i * x * w
            return s
    """) == code("""
        def f(xs, ws):
            s = 0.0
            for _k in range(min(len(xs), len(ws))):
                i = _k
                x = xs[_k]
                w = ws[_k]
                s = s + i * x * w
            return s
    """)


def test_a_loop_over_a_sequence_reads_its_elements_by_index():
    assert after("""
        def f(xs):
            s = 0.0
            for x in xs:
                s = s + x
            return s
    """) == code("""
        def f(xs):
            s = 0.0
            for _k in range(len(xs)):
                x = xs[_k]
                s = s + x
            return s
    """)


def test_loops_over_range_are_left_alone():
    source = """
        def f(x, n):
            for i in range(n):
                for j in range(1, n, 2):
                    x = x + i * j
            return x
    """
    assert after(source) == code(source)


def test_reversed_counts_down_and_enumerate_starts_where_asked():
    assert after("""
        def f(xs):
            s = 0.0
            for x in reversed(xs):
                s = s * 2 + x
            for i, x in enumerate(xs, 1):
                s = s + i * x
            return s
    """) == code("""
        def f(xs):
            s = 0.0
            for _k in range(len(xs) - 1, -1, -1):
                x = xs[_k]
                s = s * 2 + x
            for _k_1 in range(len(xs)):
                i = _k_1 + 1
                x = xs[_k_1]
                s = s + i * x
            return s
    """)


def test_a_tuple_target_is_bound_one_element_at_a_time():
    assert after("""
        def f(pairs):
            s = 0.0
            for a, b in pairs:
                s = s + a * b
            return s
    """) == code("""
        def f(pairs):
            s = 0.0
            for _k in range(len(pairs)):
                a = pairs[_k][0]
                b = pairs[_k][1]
                s = s + a * b
            return s
    """)


def test_a_computed_or_rebound_iterable_is_evaluated_once_before_the_loop():
    assert after("""
        def f(xs):
            s = 0.0
            for x in xs * 2:
                s = s + x
            for x in xs:
                xs = xs * 2
            return s
    """) == code("""
        def f(xs):
            s = 0.0
            _t1 = xs * 2
            for _k in range(len(_t1)):
                x = _t1[_k]
                s = s + x
            _t2 = xs
            for _k_1 in range(len(_t2)):
                x = _t2[_k_1]
                xs = xs * 2
            return s
    """)


def test_a_dict_is_iterated_through_the_iterated_helper():
    fn, ctx = normalized("""
        def f(x, y):
            d = {'a': x, 'b': y}
            s = 0.0
            for key in d:
                s = s + d[key]
            return s
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x, y):
            d = {'a': x, 'b': y}
            s = 0.0
            _t1 = iterated(d)
            for _k in range(len(_t1)):
                key = _t1[_k]
                s = s + d[key]
            return s
    """)
    assert ctx.support.injected == {"iterated": runtime.iterated}


def test_nested_loops_get_their_own_indices_which_are_generated_names():
    fn, ctx = normalized("""
        def f(xs, _k):
            s = 0.0
            for row in xs:
                for v in row:
                    s = s + v * _k
            return s
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(xs, _k):
            s = 0.0
            for _k_2 in range(len(xs)):
                row = xs[_k_2]
                for _k_1 in range(len(row)):
                    v = row[_k_1]
                    s = s + v * _k
            return s
    """)
    assert {"_k_1", "_k_2"} <= ctx.names.generated
    assert "_k" not in ctx.names.generated


def test_a_dict_argument_is_iterated_through_the_iterated_helper():
    fn = define("""
        def f(params):
            s = 0.0
            for key in params:
                s = s + params[key]
            return s
    """)
    ctx = normalized_until(fn, loops)
    ctx.dtypes["params"] = "dict"  # what the pipeline records for a dict argument
    loops.run(ctx.parsed.tree, ctx)
    assert text(ctx.parsed.tree) == code("""
        def f(params):
            s = 0.0
            _t1 = iterated(params)
            for _k in range(len(_t1)):
                key = _t1[_k]
                s = s + params[key]
            return s
    """)
    assert as_function(fn, ctx)({"a": 2.0, "b": 3.0}) == 5.0


def test_every_loop_counts_and_computes_what_the_users_loops_do():
    fn, ctx = normalized("""
        def f(xs, ws):
            s = 0.0
            for x in xs:
                s = s * 2 + x
            for i, x in enumerate(reversed(ws)):
                s = s + x
            for i, (x, w) in enumerate(zip(xs, ws), 2):
                s = s + i * x - w
            for x, w in zip(xs, ws[1:]):
                s = s + x * w
            for pair in [(xs[0], ws[0]), (xs[1], ws[1])]:
                s = s + pair[0] / pair[1]
            return s
    """)
    for loop in (n for n in gast.walk(ctx.parsed.tree) if isinstance(n, gast.For)):
        assert text(loop.iter).startswith("range("), text(loop.iter)
    xs, ws = [1.0, 2.0, 3.0], [5.0, 7.0, 11.0, 13.0]
    assert as_function(fn, ctx)(xs, ws) == fn(xs, ws)


def test_enumerate_of_reversed_counts_up():
    fn, ctx = normalized("""
        def f(xs):
            s = 0.0
            for i, x in enumerate(reversed(xs)):
                s = s + i * x
            return s
    """)
    assert as_function(fn, ctx)([1.0, 2.0]) == fn([1.0, 2.0]) == 1.0


def test_zip_with_a_reversed_sequence():
    fn, ctx = normalized("""
        def f(xs, ws):
            s = 0.0
            for x, w in zip(xs, reversed(ws)):
                s = s + x * w
            return s
    """)
    assert as_function(fn, ctx)([1.0, 2.0], [3.0, 4.0]) == fn([1.0, 2.0], [3.0, 4.0])


def test_a_local_named_like_a_builtin_the_pass_calls():
    fn, ctx = normalized("""
        def f(xs, ws):
            min = 0.0
            for x, w in zip(xs, ws):
                min = min + x * w
            return min
    """)
    assert as_function(fn, ctx)([1.0, 2.0], [3.0, 4.0]) == fn([1.0, 2.0], [3.0, 4.0])
