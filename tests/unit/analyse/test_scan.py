"""The scans of normalized statements (`analyse/scan.py`): `walk_statements` yields every
statement of a body in reading order, each compound statement before its blocks (`body`, then
`orelse`); `assignments` keeps the ones that compute (assignments and `xs.append(v)`, not ifs,
loops or calls made for their effect); `bind_user_call` binds a call of the user's own function
to the callee's parameters (`op.bindings`), lists those bound to active names
(`op.active_params`), binds only the arguments before a `*`, and refuses, at the call's line, a
call the callee cannot accept and an active value passed after a `*`.
"""

from __future__ import annotations

from pathlib import Path

import gast
import pytest
from passes import context, define, text

from srcgrad.analyse.scan import assignments, bind_user_call, walk_statements
from srcgrad.errors import NoRuleError, UnsupportedSyntaxError
from srcgrad.normalize.ir import Kind, operation

LOOP = """
    def f(x, n):
        xs = []
        for i in range(n):
            if i > 0:
                xs.append(x * i)
            else:
                print(i)
        return xs[0]
"""
HELPER = """
    def h(a, b, c=2.0, *rest):
        return a * b * c

    def f(x, y, t):
        u = {call}
        return u + y
"""


def _body(source: str, *args) -> list:
    """The normalized body of `source`'s function, without its final `return`."""
    return context(define(source), *args).parsed.tree.body[:-1]


def _lines(stmts) -> list[str]:
    return [text(stmt).splitlines()[0] for stmt in stmts]


def _bound(call: str, active: set[str]):
    """The operation of `u = <call>` in HELPER after `bind_user_call`."""
    fn = define(HELPER.format(call=call))
    ctx = context(fn, 1.0, 2.0, [1.0])
    stmt = ctx.parsed.tree.body[0]
    op = operation(stmt, ctx)
    assert op.kind is Kind.USER
    bind_user_call(ctx, stmt, op, active)
    return op


def _line_of(fn, fragment: str) -> int:
    lines = Path(fn.__code__.co_filename).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if fragment in line)


def test_walk_statements_yields_each_compound_statement_before_its_blocks():
    assert _lines(walk_statements(_body(LOOP, 1.0, 3))) == [
        "xs = []",
        "for i in range(n):",
        "_t1 = i > 0",
        "if _t1:",
        "_t2 = x * i",
        "xs.append(_t2)",
        "print(i)",  # (the else block, after the if's body)
        "_out = xs[0]",
    ]


def test_walk_statements_reads_a_loops_else_block_after_its_body():
    body = gast.parse("for i in r:\n    a = i\nelse:\n    b = 1\nc = 2\n").body
    assert _lines(walk_statements(body)) == ["for i in r:", "a = i", "b = 1", "c = 2"]


def test_assignments_are_the_statements_that_compute_in_reading_order():
    assert _lines(assignments(_body(LOOP, 1.0, 3))) == [
        "xs = []",
        "_t1 = i > 0",
        "_t2 = x * i",
        "xs.append(_t2)",  # an append computes (the list grows); print(i) does not
        "_out = xs[0]",
    ]


def test_assignments_include_updates_in_place_and_are_the_very_statements():
    body = _body(
        """
        def f(x):
            y = x * 2.0
            y[0] = 1.0
            return np.sum(y)
        """,
        1.0,
    )
    found = assignments(body)
    assert _lines(found) == ["y = x * 2.0", "y[0] = 1.0", "_out = np.sum(y)"]
    assert all(any(stmt is b for b in body) for stmt in found)  # not copies: ids key the ops


def test_a_call_is_bound_by_position_and_keyword_and_its_active_parameters_found():
    op = _bound("h(x, c=y, b=3.0)", {"x", "y"})
    assert {p: text(node).strip() for p, node in op.bindings.items()} == {
        "a": "x",
        "b": "3.0",
        "c": "y",
    }
    assert op.active_params == ["a", "c"]


def test_a_default_left_out_is_not_bound_and_constants_are_never_active():
    op = _bound("h(x, 3.0)", {"x"})
    assert list(op.bindings) == ["a", "b"]
    assert op.active_params == ["a"]
    assert _bound("h(y, 3.0)", {"x"}).active_params == []


def test_only_the_arguments_before_a_star_are_bound():
    op = _bound("h(x, 1.0, *t)", {"x"})
    assert list(op.bindings) == ["a", "b"]
    assert op.active_params == ["a"]


def test_an_active_value_passed_after_a_star_is_refused_at_the_call():
    fn = define(HELPER.format(call="h(x, 1.0, *t)"))
    ctx = context(fn, 1.0, 2.0, [1.0])
    stmt = ctx.parsed.tree.body[0]
    with pytest.raises(UnsupportedSyntaxError) as caught:
        bind_user_call(ctx, stmt, operation(stmt, ctx), {"x", "t"})
    message = str(caught.value)
    assert message.startswith(f"{fn.__code__.co_filename}:{_line_of(fn, 'u = h(')}:")
    assert "after '*'" in message


def test_a_call_the_callee_cannot_accept_is_refused_naming_the_function_and_line():
    fn = define(HELPER.format(call="h(x, b=1.0, d=y)"))
    ctx = context(fn, 1.0, 2.0, [1.0])
    stmt = ctx.parsed.tree.body[0]
    with pytest.raises(NoRuleError) as caught:
        bind_user_call(ctx, stmt, operation(stmt, ctx), {"x"})
    message = str(caught.value)
    assert message.startswith(f"{fn.__code__.co_filename}:{_line_of(fn, 'u = h(')}:")
    assert "cannot call 'h'" in message and "'d'" in message
