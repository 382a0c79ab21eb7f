"""`normalize/yields.py`: the list-builder compiled from a generator's source returns the list
of what the generator yields, under the user's file and lines and with its closure cells; and
`Effects` finds what a generator's steps do besides yielding."""

from __future__ import annotations

import textwrap

import gast
from passes import define

from srcgrad.front import reading
from srcgrad.normalize import yields

SOURCE = """
import random

LOG = []


def counted(x):
    for k in range(3):
        LOG.append(k)
        yield x * k


def pure(x, n):
    total = 0.0
    for k in range(n):
        total += x
        yield np.tanh(total) + len([k])


def drawn(x):
    first = random.random()
    yield x * first
    yield x * random.random()


def make(scale):
    def inner(x):
        yield x * scale
        raise ValueError("stop here")

    return inner
"""


def effect(name: str, after_start: bool = True):
    fn = define(SOURCE, name)
    parsed = reading.read(fn)
    local = {n.id for n in gast.walk(parsed.tree) if isinstance(n, gast.Name)} - {
        "LOG",
        "np",
        "random",
        "range",
        "len",
    }

    def resolve(node):
        return parsed.namespace.resolve(node, local)

    found = yields.Effects().of_generator(parsed.tree, resolve, after_start)
    return None if found is None else found[1]


def test_the_effects_of_a_generators_steps():
    assert effect("counted") == "calls LOG.append(...)"
    assert effect("pure") is None
    assert "random" in effect("drawn", after_start=False)
    assert "random.random" in effect("drawn")  # (the second draw: after the first yield)


def test_a_closures_list_builder_reads_its_cells_and_names_the_users_lines():
    inner = define(SOURCE, "make")(2.0)
    builder = yields.list_builder(inner)
    try:
        builder(1.5)
    except ValueError as error:
        frame = error.__traceback__.tb_next
        line = frame.tb_frame.f_code.co_firstlineno
        assert frame.tb_frame.f_code.co_filename == inner.__code__.co_filename
        assert line == inner.__code__.co_firstlineno
        assert frame.tb_lineno == inner.__code__.co_firstlineno + 2
    assert textwrap.dedent(reading.read(builder).tree.name) == "inner"


def test_endless_loops_are_found():
    tree = gast.parse("def g(x):\n    while True:\n        yield x\n").body[0]
    assert yields.endless(tree) is not None
    tree = gast.parse("def g(x):\n    while True:\n        yield x\n        break\n").body[0]
    assert yields.endless(tree) is None
