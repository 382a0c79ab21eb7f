"""The `attempts` pass alone (after every other): each core statement of a `try` block is an
`if` on the block's flag, whose forward code (`attempted`) is a `try` around that one statement
with what follows it in its `else`; ifs and loops inside run under the flag, through a copy of
it where they may lower it; a `while` loop stops when the flag falls; an element update is
refused."""

from __future__ import annotations

import textwrap

import gast
import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.front import nodes
from srcgrad.normalize import attempts, exceptions


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, attempts)
    attempts.run(ctx.parsed.tree, ctx)
    return ctx.parsed.tree


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_each_statement_of_the_body_is_an_attempt():
    tree = normalized("""
        def f(w, x):
            try:
                y = w / x * 2.0
            except ZeroDivisionError:
                y = w
            return y
    """)
    guarded = [n for n in gast.walk(tree) if attempts.is_attempt(n)]
    assert [text(n.body[0]).strip() for n in guarded] == ["_t1 = w / x", "y = _t1 * 2.0"]
    assert not any(exceptions.is_region(n) for n in gast.walk(tree))
    assert text(guarded[0]) == code("""
        if _ok:
            _t1 = w / x
        else:
            _ok = False
            _caught = None
    """)


def test_the_forward_code_of_an_attempt_is_a_try_with_the_rest_in_its_else():
    tree = normalized("""
        def f(w, x):
            try:
                y = w / x
            except Exception:
                y = w
            return y
    """)
    attempt = next(n for n in gast.walk(tree) if attempts.is_attempt(n))
    marker = nodes.assign("_t9", nodes.load("y"))
    attempt.body.append(marker)
    assert text(attempts.attempted(attempt)) == code("""
        if _ok:
            try:
                y = w / x
            except SrcgradError:
                raise
            except Exception as _error:
                _ok = False
                _caught = _error
            else:
                _t9 = y
    """)


def test_a_loop_in_the_body_runs_under_a_copy_of_the_flag_and_stops_when_it_falls():
    tree = normalized("""
        def f(x, k):
            total = 0.0
            i = 0
            try:
                while i < 4:
                    total = total + 1.0 / (k - i)
                    i = i + 1
            except ZeroDivisionError:
                total = total * 2.0
            return total
    """)
    source = text(tree)
    assert "_entered = _ok\n    if _entered:" in source
    assert "while _going:" in source
    loop = next(n for n in gast.walk(tree) if isinstance(n, gast.While))
    assert text(loop.body[-1]) == code("""
        if _ok:
            _going = _t1
        else:
            _going = False
    """)


def test_an_element_update_in_a_try_block_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"an update of an element \(x\[i\] = v\)"):
        normalized("""
            def f(x, k):
                z = np.copy(x)
                try:
                    z[k] = 1.0
                except IndexError:
                    pass
                return np.sum(z)
        """)
