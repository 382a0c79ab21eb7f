"""The `mutators` pass alone, and its programs end to end: calls that write into an argument
become the updates in place they are (`np.copyto(y, v)` is `y[...] = v`; `out=y` computes the
value, then `y[...] = value`, and the call's value is `y`; `np.fill_diagonal`, `np.put`,
`np.place`, `np.add.at` and the methods `sort`, `fill`, `partition` and `put` write at the
positions they change; `xs.extend(ys)` is a loop of appends; `d.update({k: v})` is `d[k] = v`), other calls made for their effect
stay, and calls that write in ways srcgrad does not follow are refused with an
`UnsupportedSyntaxError` naming the line. The programs the pass rewrites give plain Python's
values and gradients equal to finite differences, and leave the caller's arrays as they were.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import finite_differences
import numpy as np
import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import mutators

X = np.array([0.5, -1.0, 2.0])


def run(fn):
    ctx = normalized_until(fn, mutators)
    mutators.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str) -> str:
    return text(run(define(source)).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def line_of(fn, fragment: str) -> int:
    lines = Path(fn.__code__.co_filename).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if fragment in line)


def _fresh(args) -> list:
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def right(fn, *args) -> None:
    """srcgrad's value is plain Python's, its gradient (first argument) that of finite
    differences, and the caller's arrays stay as they were (each call gets fresh copies)."""
    given = _fresh(args)
    value, grad = srcgrad.value_and_grad(fn)(*given)
    assert all(np.array_equal(a, b) for a, b in zip(given, args))
    np.testing.assert_allclose(value, fn(*_fresh(args)))
    numeric = finite_differences.gradient(lambda *a: fn(*_fresh(a)), tuple(args))
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def right_or_refused(source: str, *args) -> None:
    """Right, or a clear refusal: what srcgrad owes every program."""
    fn = define(source)
    try:
        srcgrad.grad(fn)(*_fresh(args))
    except UnsupportedSyntaxError:
        return
    right(fn, *args)


# ---- the pass, as text -----------------------------------------------------------------------


def test_copyto_and_out_become_updates_of_the_whole_array():
    assert after("""
        def f(x, w):
            y = np.zeros(3)
            np.copyto(y, x * w)
            z = np.multiply(x, w, out=y)
            np.copyto(y, x, where=x > 0)
            return np.sum(z)
    """) == code("""
        def f(x, w):
            y = np.zeros(3)
            y[...] = x * w
            _t1 = np.multiply(x, w)
            y[...] = _t1
            z = y
            y[...] = np.where(x > 0, x, y)
            return np.sum(z)
    """)


def test_out_inside_an_expression_and_in_an_ifs_test_runs_first_and_out_none_is_dropped():
    assert after("""
        def f(x):
            y = np.zeros(3)
            s = np.sum(np.exp(x, out=y), out=None)
            if np.add(x, 1.0, out=(y,))[0] > 0:
                s = s + 1
            print(x)
            return s
    """) == code("""
        def f(x):
            y = np.zeros(3)
            _t1 = np.exp(x)
            y[...] = _t1
            s = np.sum(y)
            _t2 = np.add(x, 1.0)
            y[...] = _t2
            if y[0] > 0:
                s = s + 1
            print(x)
            return s
    """)


def test_numpys_writing_functions_write_at_the_positions_they_change():
    assert after("""
        def f(a, v):
            b = np.zeros((3, 3))
            np.fill_diagonal(b, v)
            np.fill_diagonal(a, v, wrap=True)
            np.put(b, [0, 2], v)
            np.put(b, [0, 2], v, mode='clip')
            np.place(b, b > 0, v)
            np.add.at(b, [0, 0], v)
            return np.sum(b)
    """) == code("""
        def f(a, v):
            b = np.zeros((3, 3))
            b[diagonal_positions(b)] = v
            a[diagonal_positions(a, True)] = v
            b[flat_positions(b, [0, 2])] = np.resize(v, np.size([0, 2]))
            b[flat_positions(b, [0, 2], 'clip')] = np.resize(v, np.size([0, 2]))
            b[b > 0] = np.resize(v, np.count_nonzero(b > 0))
            b[...] = added_at(b, [0, 0], v)
            return np.sum(b)
    """)


def test_an_arrays_writing_methods_become_updates():
    assert after("""
        def f(x, k):
            y = x * 2
            y.sort()
            y.sort(axis=0)
            y.fill(k)
            y.partition(1)
            y.put([0], k)
            return y
    """) == code("""
        def f(x, k):
            y = x * 2
            y[...] = np.sort(y, axis=-1)
            y[...] = np.sort(y, axis=0)
            y[...] = k
            y[...] = np.partition(y, 1)
            y[flat_positions(y, [0])] = np.resize(k, np.size([0]))
            return y
    """)


def test_extend_is_a_loop_of_appends():
    assert after("""
        def f(x):
            xs = [x]
            ys = [x, x]
            xs.extend(ys)
            xs.extend([x * 2, x])
            return xs
    """) == code("""
        def f(x):
            xs = [x]
            ys = [x, x]
            for _e in ys:
                xs.append(_e)
            for _e_1 in [x * 2, x]:
                xs.append(_e_1)
            return xs
    """)


def test_a_dict_update_with_a_display_or_keywords_is_its_assignments_values_first():
    assert after("""
        def f(x):
            d = {'a': x, 'b': x}
            d.update({'a': d['b'], 'b': d['a'] * 2}, c=x)
            return d
    """) == code("""
        def f(x):
            d = {'a': x, 'b': x}
            _t1 = d['b']
            _t2 = d['a'] * 2
            d['a'] = _t1
            d['b'] = _t2
            d['c'] = x
            return d
    """)


def test_a_function_without_writing_calls_is_unchanged():
    source = """
        def f(x, h):
            y = np.sort(x)
            h(y)
            print(y)
            return np.sum(y, axis=0)
    """
    assert after(source) == code(source)


# ---- refusals --------------------------------------------------------------------------------

REFUSED = {
    "x.resize((4,))": "'.resize()'",
    "np.random.shuffle(x)": "shuffle",
    "rng = np.random.default_rng(0); rng.shuffle(x)": "rng.permutation(x)",
    "xs = [x]; xs.insert(0, x)": "'.insert()'",
    "xs = [x]; xs.reverse()": "xs = xs[::-1]",
    "xs = [x]; xs.remove(x)": "'.remove()'",
    "xs = [x]; xs.clear()": "'.clear()'",
    "d = {'a': x}; e = {'b': x}; d.update(e)": "'.update()'",
    "np.putmask(x, x > 0, 1.0)": "'putmask'",
    "np.multiply.at(x, [0], 2.0)": "'ufunc.at'",
    "xs = [x, x]; xs.sort()": "'.sort()' of a list",
    "xs = [x, x]; v = xs.pop()": "'.pop()' of a list",
    "np.exp(x, out=x[1:])": "a call that writes into an expression",
    "np.copyto(x[:2], 1.0)": "a call that writes into an expression",
    "np.divmod(x, 2.0, out=(x, x))": "a call with several out= arrays",
}


@pytest.mark.parametrize("statement", REFUSED, ids=list(REFUSED))
def test_calls_that_write_in_ways_srcgrad_does_not_follow_are_refused_at_their_line(statement):
    fn = define(f"""
        def f(x):
            {statement}
            return x
    """)
    with pytest.raises(UnsupportedSyntaxError) as caught:
        run(fn)
    message = str(caught.value)
    line = line_of(fn, statement)
    assert message.startswith(f"{fn.__code__.co_filename}:{line}:"), message
    assert "which writes into an array or list in place, is not supported" in message
    assert REFUSED[statement] in message


# ---- end to end --------------------------------------------------------------------------------

PROGRAMS = {
    "copyto": "y = np.zeros(3); np.copyto(y, x * x); return np.sum(y * x)",
    "copyto where": "y = np.ones(3); np.copyto(y, x * x, where=x > 0); return np.sum(y * x)",
    "out=": "y = np.zeros(3); z = np.multiply(x, x, out=y); return np.sum(z * y)",
    "out= of a sum": "y = np.zeros(3); np.sum(np.outer(x, x), axis=0, out=y); return y @ x",
    "out= an argument": "np.exp(x, out=x); return np.sum(x * x)",
    "fill_diagonal": "a = np.zeros((3, 3)); np.fill_diagonal(a, x); return np.sum(a @ x) * x[0]",
    "put": "y = x * 1.0; np.put(y, [0, 2], x[1] * x[1]); return np.sum(y * y)",
    "place": "y = x * 1.0; np.place(y, y > 0, x[1]); return np.sum(y * x)",
    "add.at": "y = x * 1.0; np.add.at(y, [0, 0, 2], x * x); return np.sum(y * y)",
    "sort": "y = x * 2.0; y.sort(); return y[0] * 3.0 + y[2]",
    "sort of an argument": "x.sort(); return x[0] * 3.0 + x[2] * x[1]",
    "fill": "y = x * 1.0; y.fill(x[0]); return np.sum(y * x)",
    "partition": "y = x * 1.0; y.partition(1); return y[1] * 3.0 + y[0]",
    ".put": "y = x * 1.0; y.put([1], x[2] * x[0]); return np.sum(y * y)",
    "extend": "xs = [x]; xs.extend([x * 2.0, np.sin(x)]); return np.sum(xs[1] * xs[2])",
    "update (a swap)": "d = {'a': x, 'b': x * 2.0}; d.update({'a': d['b'], 'b': d['a']});"
    " return np.sum(d['a'] * 3.0 + d['b'] * x)",
    "update by keywords": "d = {'a': x}; d.update(a=x * x, b=np.sin(x)); return np.sum(d['a'] * d['b'])",
}


def _program(statements: str) -> str:
    return "def f(x):\n    " + statements.replace("; ", "\n    ") + "\n"


@pytest.mark.parametrize("case", PROGRAMS, ids=list(PROGRAMS))
def test_the_rewritten_programs_give_pythons_values_and_gradients(case):
    right(define(_program(PROGRAMS[case])), X)


def test_the_gradient_of_put_and_add_at_is_the_hand_formula():
    # y = x, y[0] += x[0]**2 twice and y[2] = x[1]**2: sum(y) = x0 + 2 x0**2 + x1 + x1**2
    fn = define(
        _program(
            "y = x * 1.0; np.add.at(y, [0, 0], x[0] ** 2); np.put(y, [2], x[1] ** 2);"
            " return np.sum(y)"
        )
    )
    x0, x1, _ = X
    np.testing.assert_allclose(srcgrad.grad(fn)(X), [1 + 4 * x0, 1 + 2 * x1, 0.0])


# ---- known gaps ------------------------------------------------------------------------------


def test_an_out_array_given_by_position_is_right_or_refused():
    right_or_refused(_program("y = np.zeros(3); np.multiply(x, x, y); return np.sum(y)"), X)


@pytest.mark.parametrize(
    "statements",
    [
        "y = np.ones(3); z = y[0] + np.exp(x, out=y)[1]; return z",
        "y = np.ones(3); z = np.exp(x, out=y) if x[0] < 0 else x; return np.sum(y * z)",
    ],
    ids=["read before the call", "conditional expression"],
)
def test_out_in_part_of_a_statement_keeps_pythons_order_of_evaluation(statements):
    right_or_refused(_program(statements), X)


def test_out_in_a_while_loops_test_is_refused():
    """The test runs before every step: a write in it cannot be moved before the loop."""
    fn = define("""
        def f(x):
            y = np.zeros(1)
            n = 0.0
            while np.add(y, 1.0, out=y)[0] < 3:
                n = n + 1.0
            return x * n
    """)
    with pytest.raises(UnsupportedSyntaxError, match="inside an expression") as caught:
        run(fn)
    assert str(caught.value).startswith(f"{fn.__code__.co_filename}:7:")


@pytest.mark.parametrize(
    "statements",
    [
        "y = np.ones(3); g = lambda v: np.exp(v, out=y); z = g(x * 2.0); return np.sum(z)",
        "y = np.ones(3); zs = [np.sum(np.exp(v, out=y)) for v in [x, x * 2.0]]; return zs[0]",
    ],
    ids=["lambda", "comprehension"],
)
def test_out_in_a_lambda_or_a_comprehension_is_right_or_refused(statements):
    right_or_refused(_program(statements), X)


@pytest.mark.parametrize(
    "statements",
    [
        "y = np.zeros(4); np.put(y, [0, 1, 2, 3], x[:2]); return np.sum(y * y)",
        "y = np.ones(4); np.place(y, y > 0, x[:2]); return np.sum(y * y)",
        "y = np.zeros(3); np.put(y, [-1], x[0]); return np.sum(y * x)",
        "y = np.zeros(3); y.put([5], x[0], mode='clip'); return np.sum(y * x)",
    ],
    ids=["put repeats v", "place repeats vals", "put at -1", "put's mode"],
)
def test_put_and_place_follow_numpys_rules_or_are_refused(statements):
    right_or_refused(_program(statements), X)


@pytest.mark.parametrize(
    "statements",
    [
        "y = x * 1.0; y[0].sort(); return np.sum(y[0] * np.arange(3.0))",
        "y = x * 1.0; y[1].fill(2.0); return np.sum(y * y)",
    ],
    ids=["sort", "fill"],
)
def test_a_writing_method_of_an_expression_is_right_or_refused(statements):
    right_or_refused(_program(statements), X.reshape(1, 3) + np.array([[0.0], [1.0]]))
