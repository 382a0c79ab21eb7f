"""The optimizer's while tests (`srcgrad/optimize/loop_tests.py`): a temporary computed before a
while loop and again as the last statement of its body, read by the loop's test alone, is the
loop's test; statements between the first computation and the loop stay where they are when
they bind nothing the test reads and have no effect.
"""

from __future__ import annotations

import textwrap

import gast
import numpy as np
import pytest
from passes import text

from srcgrad.optimize.loop_tests import while_tests

TEMPORARIES = {"_t1", "_t2", "_n"}


def parse(code: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(code)).body[0]


def body(fn: gast.FunctionDef) -> str:
    return textwrap.dedent(text(fn).split("\n", 1)[1]).strip()


def fold(fn: gast.FunctionDef) -> bool:
    return while_tests(fn, TEMPORARIES)


NEWTON = """
    def g(a):
        y = a
        _t1 = abs(y * y - a) > 1e-12 * a
        _n = 0
        while _t1:
            _n = _n + 1
            y = 0.5 * (y + a / y)
            _t1 = abs(y * y - a) > 1e-12 * a
        return (y, _n)
    """


def test_the_test_computed_before_the_loop_and_at_the_end_of_its_body_is_the_loops_test():
    fn = parse(NEWTON)
    assert fold(fn) is True
    assert body(fn) == textwrap.dedent(
        """\
        y = a
        _n = 0
        while abs(y * y - a) > 1e-12 * a:
            _n = _n + 1
            y = 0.5 * (y + a / y)
        return (y, _n)"""
    )
    assert fold(fn) is False


def test_the_loop_computes_what_it_computed():
    before, after = parse(NEWTON), parse(NEWTON)
    assert fold(after) is True
    results = []
    for fn in (before, after):
        scope = {"np": np}
        exec(text(fn), scope)
        results.append(scope["g"](2.0))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "source",
    [
        # the temporary is read after the loop too
        "def g(k):\n    _t1 = k < 6\n    while _t1:\n        k = k + 1\n        _t1 = k < 6\n"
        "    return _t1\n",
        # the body ends with another computation of it (a `break` flag, say)
        "def g(k, b):\n    _t1 = k < 6\n    while _t1:\n        k = k + 1\n"
        "        _t1 = k < 6 and b\n    return k\n",
        # a statement between binds what the test reads
        "def g(k):\n    _t1 = k < 6\n    k = 0\n    while _t1:\n        k = k + 1\n"
        "        _t1 = k < 6\n    return k\n",
        # a statement between has an effect
        "def g(k, log):\n    _t1 = k < 6\n    _n = log.pop()\n    while _t1:\n"
        "        k = k + 1\n        _t1 = k < 6\n    return k\n",
        # the user's own name, not a temporary
        "def g(k):\n    more = k < 6\n    while more:\n        k = k + 1\n        more = k < 6\n"
        "    return k\n",
        # the test is not the last statement of the body
        "def g(k):\n    _t1 = k < 6\n    while _t1:\n        _t1 = k < 5\n        k = k + 1\n"
        "    return k\n",
    ],
)
def test_the_test_stays_a_name_where_writing_it_in_the_loop_could_change_when_it_is_computed(
    source,
):
    fn = parse(source)
    assert fold(fn) is False
    assert gast.dump(fn) == gast.dump(parse(source))
