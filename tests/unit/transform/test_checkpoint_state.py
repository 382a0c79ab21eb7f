"""The state of a checkpointed loop (`transform/checkpoint_state.py`): what a step assigns, and
what it changes through calls.

A helper's argument it writes into, the element a helper is given, the object whose method a
step calls: each is in the snapshots, copied (`kept`), and given back after the reverse sweep.
A helper that changes module-level memory is refused at the call; one that only logs is a
record, called once per step.
"""

from __future__ import annotations

import numpy as np
import pytest
from passes import context, define, optimized_tree, text

import srcgrad


def _code(source: str, *args, **names) -> str:
    return text(optimized_tree(context(define(source, **names), *args, wrt=0)))


def _lines(code: str) -> list[str]:
    return [line.strip() for line in code.splitlines()]


def test_a_list_a_helper_advances_is_state():
    code = _code(
        """
        import srcgrad
        def advance(c):
            c[0] += 1

        def f(u, n):
            c = [0]
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = np.sin(u) * (c[0] + 1.0)
                advance(c)
            return np.sum(u)
        """,
        np.ones(3),
        4,
    )
    lines = _lines(code)
    assert "snapshot(_ck, kept(c), kept(u))" in lines
    assert "_j, _i, c, u = restored(_ck, _k)" in lines
    assert "c, u = given_back(_ck, c, u)" in lines
    assert "_ck = checkpoints(2, len(range(n)), held=(c, u))" in lines


def test_the_list_an_element_of_which_a_helper_changes_is_state():
    code = _code(
        """
        import srcgrad
        def advance(d):
            d["k"] = d["k"] + 1

        def f(u, n):
            ds = [{"k": 0}]
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = np.sin(u) * (ds[0]["k"] + 1.0)
                advance(ds[0])
            return np.sum(u)
        """,
        np.ones(3),
        4,
    )
    assert "snapshot(_ck, kept(ds), kept(u))" in _lines(code)


def test_the_object_a_method_is_called_on_is_state():
    source = """
        import srcgrad
        class Counter:
            def __init__(self):
                self.k = 0

            def advance(self):
                self.k += 1

        def f(u, n):
            c = Counter()
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = np.sin(u) * (c.k + 1.0)
                c.advance()
            return np.sum(u)
        """
    assert "snapshot(_ck, kept(c), kept(u))" in _lines(_code(source, np.ones(3), 4))


def test_a_helper_that_writes_nothing_adds_nothing():
    code = _code(
        """
        import srcgrad
        def scaled(a, s):
            return a * s

        def f(u, n):
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = scaled(np.sin(u), 0.5)
            return np.sum(u)
        """,
        np.ones(3),
        4,
    )
    assert "snapshot(_ck, u)" in _lines(code)  # (no copies: nothing changes in place)


LOG: list = []


def test_a_helper_that_only_logs_is_a_record_and_one_that_changes_a_module_array_refused():
    logged = """
        import srcgrad
        def note(v):
            LOG.append(float(np.sum(v)))

        def f(u, n):
            for t in srcgrad.checkpointed(range(n), snapshots=2):
                u = np.sin(u)
                note(u)
            return np.sum(u)
        """
    code = _code(logged, np.ones(3), 4, LOG=LOG)
    assert code.count("note(u)") == 1  # (in the forward sweep: not in the steps run again)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="module-level 'LOG'"):
        _code(logged.replace("note(u)", "u = u + 0.0 * note(u)"), np.ones(3), 4, LOG=LOG)
