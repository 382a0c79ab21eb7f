"""The `exceptions` pass alone: a `try` statement becomes a flag, its body a marked region under
the flag, and an `if` on the flag that runs the `else` block or the handler the exception's type
chooses; `raise` inside a region goes to its handlers; `finally` is a region that catches
everything, its block, and the exception raised again. What cannot be made sound is refused."""

from __future__ import annotations

import textwrap

import gast
import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.front import nodes
from srcgrad.normalize import exceptions


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, exceptions)
    exceptions.run(ctx.parsed.tree, ctx)
    return ctx.parsed.tree


def after(source: str) -> str:
    return text(normalized(source))


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_a_try_becomes_a_flag_a_region_and_an_if_for_the_handler():
    assert after("""
        def f(K, I):
            try:
                L = np.linalg.cholesky(K)
            except np.linalg.LinAlgError as e:
                L = np.linalg.cholesky(K + I)
            return L
    """) == code("""
        def f(K, I):
            _ok = True
            _caught = None
            if _ok:
                L = np.linalg.cholesky(K)
            if _ok:
                pass
            else:
                e = _caught
                L = np.linalg.cholesky(K + I)
            return L
    """)


def test_the_region_is_marked_with_what_it_catches():
    tree = normalized("""
        def f(x):
            try:
                y = 1.0 / x
            except (ZeroDivisionError, ValueError):
                y = x
            return y
    """)
    regions = [n for n in gast.walk(tree) if exceptions.is_region(n)]
    assert len(regions) == 1
    region = nodes.guard_of(regions[0])
    assert (region.flag, region.caught) == ("_ok", "_caught")
    assert [nodes.dotted_name(t) for t in region.types] == ["ZeroDivisionError", "ValueError"]


def test_handlers_are_chosen_in_order_and_else_runs_when_nothing_was_raised():
    assert after("""
        def f(x):
            try:
                y = x[0]
            except IndexError:
                y = 1.0
            except KeyError:
                y = 2.0
            else:
                y = y * 2
            return y
    """) == code("""
        def f(x):
            _ok = True
            _caught = None
            if _ok:
                y = x[0]
            if _ok:
                y = y * 2
            elif isinstance(_caught, IndexError):
                y = 1.0
            else:
                y = 2.0
            return y
    """)


def test_a_raise_in_the_body_goes_to_the_handlers_and_a_bare_raise_raises_again():
    assert after("""
        def f(x):
            try:
                if x > 0:
                    raise ValueError
            except ValueError:
                raise
            return x
    """) == code("""
        def f(x):
            _ok = True
            _caught = None
            if _ok:
                if x > 0:
                    _raised = ValueError()
                    if isinstance(_raised, ValueError):
                        _caught = _raised
                        _ok = False
                    else:
                        raise _raised
            if _ok:
                pass
            else:
                raise _caught
            return x
    """)


def test_finally_catches_everything_runs_its_block_and_raises_again():
    assert after("""
        def f(x):
            try:
                y = 1.0 / x
            finally:
                print(x)
            return y
    """) == code("""
        def f(x):
            _ok = True
            _caught = None
            if _ok:
                y = 1.0 / x
            print(x)
            if _ok:
                pass
            else:
                raise _caught
            return y
    """)


def test_an_inner_region_catches_what_the_outer_one_does_and_hands_it_on():
    tree = normalized("""
        def f(x):
            try:
                try:
                    y = 1.0 / x
                except ZeroDivisionError:
                    y = 0.0
            except IndexError:
                y = 1.0
            return y
    """)
    regions = [nodes.guard_of(n) for n in gast.walk(tree) if exceptions.is_region(n)]
    caught = sorted([nodes.dotted_name(t) for t in r.types] for r in regions)
    assert caught == [["IndexError"], ["IndexError", "ZeroDivisionError"]]
    assert "raise _caught_1" in text(tree) or "isinstance(_caught_1, ZeroDivisionError)" in text(
        tree
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            """
            def f(x):
                try:
                    return x
                finally:
                    print(x)
            """,
            "'return' inside a 'try' statement with a 'finally' block",
        ),
        (
            """
            def f(x):
                try:
                    raise ValueError() from None
                except ValueError:
                    pass
                return x
            """,
            "'raise ... from ...' inside a 'try' block",
        ),
        (
            """
            def f(x, kinds):
                try:
                    y = x + 1
                except kinds:
                    y = x
                return y
            """,
            "whose exception type is not a class named at module level",
        ),
    ],
)
def test_refused(source, message):
    with pytest.raises(
        UnsupportedSyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        normalized(source)


def test_a_function_without_try_is_left_alone():
    source = """
        def f(x):
            return x * 2
    """
    assert after(source) == code(source)
