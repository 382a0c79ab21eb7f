"""The optimizer's dead code (`srcgrad/optimize/dead_code.py`): `dead_code` removes assignments to
names that nothing reads, anywhere; `dead_stores` removes, flow-sensitively, values overwritten
before any read, following both branches of an if and a loop's next iteration. Both keep a
pop from the tape (the tape must shrink as it grew) where they drop its target, keep writes
into arrays, and leave `pass` in a block they empty. `empty_branches`, in every block (a
pullback's too), drops `else: pass`, an `if` with nothing in it whose test has no effect, and
writes `if c: pass else: s` as `if not c: s`.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
from passes import text

from srcgrad.front import nodes
from srcgrad.optimize.dead_code import dead_code, dead_stores, empty_branches, written_through


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def body(fn: gast.FunctionDef) -> str:
    """The function's body as code, without the `def` line, dedented."""
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def code(text: str) -> str:
    return textwrap.dedent(text).strip()


def test_dead_code_removes_an_assignment_nothing_reads_and_leaves_pass_in_an_empty_block():
    fn = parse(
        """
        def g(x, c):
            _t1 = x * 2
            if c:
                _t3 = x
            _t2 = np.sin(x)
            return _t2
        """
    )
    assert dead_code(fn) is True
    assert body(fn) == code(
        """
        if c:
            pass
        _t2 = np.sin(x)
        return _t2
        """
    )
    assert dead_code(fn) is False  # nothing else to do


def test_dead_code_keeps_what_is_read_anywhere_and_writes_into_arrays():
    source = """
        def g(x, n):
            y = np.zeros(3)
            y[0] = x
            for i in range(n):
                z = y
            return z
        """
    fn = parse(source)
    assert dead_code(fn) is False
    assert gast.dump(fn) == gast.dump(parse(source))


def test_a_dead_pop_from_the_tape_stays_as_a_pop():
    fn = parse(
        """
        def g(_tape):
            h = _tape.pop()
            x = _tape.pop()
            return x
        """
    )
    dead_code(fn)
    assert body(fn) == "_tape.pop()\nx = _tape.pop()\nreturn x"
    assert nodes.is_adjoint(fn.body[0])  # a statement of the reverse sweep, for emit


def test_dead_stores_remove_a_value_overwritten_before_any_read():
    fn = parse(
        """
        def g(a, b):
            dx = a * 2
            dx = b
            return dx
        """
    )
    assert dead_stores(fn.body, set()) is True
    assert body(fn) == "dx = b\nreturn dx"


def test_a_value_one_branch_of_an_if_reads_is_kept():
    source = """
        def g(a, b, c):
            dx = a
            if c:
                dx = b
            return dx
        """
    fn = parse(source)
    assert dead_stores(fn.body, set()) is False
    assert gast.dump(fn) == gast.dump(parse(source))


def test_a_value_both_branches_of_an_if_overwrite_is_dead():
    fn = parse(
        """
        def g(a, b, c):
            dx = a
            if c:
                dx = b
            else:
                dx = 2 * b
            return dx
        """
    )
    assert dead_stores(fn.body, set()) is True
    assert body(fn).startswith("if c:")


def test_an_if_left_with_nothing_is_removed_and_an_empty_then_is_negated():
    fn = parse(
        """
        def g(a, b, c):
            if c:
                pass
            if c:
                pass
            else:
                dx = b
            return dx
        """
    )
    assert dead_stores(fn.body, set()) is True
    assert body(fn) == code(
        """
        if not c:
            dx = b
        return dx
        """
    )


def test_a_value_read_at_the_next_iteration_of_a_loop_is_kept():
    source = """
        def g(W, dh, n):
            for i in range(n):
                d = dh * 2
                dh = W @ d
            return dh
        """
    fn = parse(source)
    assert dead_stores(fn.body, set()) is False  # `dh = W @ d` is read by the next iteration
    assert gast.dump(fn) == gast.dump(parse(source))


def test_a_value_overwritten_in_a_loop_before_the_next_read_is_dead():
    fn = parse(
        """
        def g(a, n):
            t = 0.0
            for i in range(n):
                t = a * i
                s = t
                t = 2.0
            return s
        """
    )
    assert dead_stores(fn.body, set()) is True
    assert body(fn) == code(
        """
        for i in range(n):
            t = a * i
            s = t
        return s
        """
    )  # `t = 0.0` and `t = 2.0` are overwritten by `t = a * i` before any read


def test_a_value_read_after_a_while_loop_that_may_not_run_is_kept():
    source = """
        def g(a, n):
            s = a
            while n > 0:
                s = s * 2
                n = n - 1
            return s
        """
    fn = parse(source)
    assert dead_stores(fn.body, set()) is False
    assert gast.dump(fn) == gast.dump(parse(source))


def test_dead_stores_keep_pops_and_augmented_updates():
    fn = parse(
        """
        def g(_tape, c, k):
            h = _tape.pop()
            h = _tape.pop()
            dx = np.zeros(3)
            dx[k] += c * h
            return dx
        """
    )
    dead_stores(fn.body, set())
    assert body(fn) == code(
        """
        _tape.pop()
        h = _tape.pop()
        dx = np.zeros(3)
        dx[k] += c * h
        return dx
        """
    )


def test_dead_stores_dry_changes_nothing_and_says_what_is_live_at_the_start():
    source = """
        def g(a, b, c):
            dx = a
            dx = b + c
            return dx
        """
    fn = parse(source)
    live = set()
    assert dead_stores(fn.body, live, dry=True) is False
    assert gast.dump(fn) == gast.dump(parse(source))
    assert live == {"b", "c"}  # as if `dx = a` were gone


def test_a_name_read_after_a_pullback_that_stores_it_is_live():
    fn = parse(
        """
        def g(a):
            h = a
            def back(dy):
                h = dy
            return (h, back)
        """
    )
    dead_stores(fn.body, set())
    assert body(fn).startswith("h = a")


def test_removing_dead_stores_keeps_results():
    source = """
        def g(a, b, c, n):
            t = a
            for i in range(n):
                t = a * i
                if c:
                    s = t + b
                else:
                    s = t - b
                t = s
                u = t * 3
            u = t + 1
            return u
        """
    fn = parse(source)
    assert dead_stores(fn.body, set()) is True
    for args in [(1.5, 2.0, True, 3), (1.5, 2.0, False, 2), (1.5, 2.0, True, 0)]:
        results = []
        for tree in (parse(source), fn):
            scope = {"np": np}
            exec(text(tree), scope)
            results.append(scope["g"](*args))
        assert results[0] == results[1], args


def test_written_through_sees_item_writes_and_list_changes_in_nested_blocks():
    fn = parse(
        """
        def g(a, b, c, d):
            if c:
                a[0] = 1
            b.append(2)
            c = d[0]
        """
    )
    assert written_through(fn.body[0], "a")
    assert written_through(fn.body[1], "b")
    assert not written_through(fn.body[2], "d")  # read, not changed
    assert not written_through(fn.body[2], "c")  # rebound, the old object is unchanged


def test_else_pass_goes_and_an_empty_then_is_negated_in_loops_and_pullbacks():
    fn = parse(
        """
        def g(a, c, n):
            for i in range(n):
                if c:
                    a = a * 2
                else:
                    pass
            def back(d):
                if c:
                    pass
                else:
                    d = d * 3
                if not c:
                    pass
                else:
                    d = d + 1
                return d
            return (a, back)
        """
    )
    assert empty_branches(fn) is True
    assert body(fn) == code(
        """
        for i in range(n):
            if c:
                a = a * 2

        def back(d):
            if not c:
                d = d * 3
            if c:
                d = d + 1
            return d
        return (a, back)
        """
    )
    assert empty_branches(fn) is False


def test_an_empty_if_goes_where_its_test_has_no_effect_and_stays_where_it_has_one():
    fn = parse(
        """
        def g(c, tape):
            if c:
                pass
            else:
                pass
            if tape.pop():
                pass
            else:
                pass
            return c
        """
    )
    assert empty_branches(fn) is True
    assert body(fn) == code("if tape.pop():\n    pass\nreturn c")
