"""Generators end to end (`normalize/generators.py`): the user's generator functions, at module
level or defined in the function, taken by `for`, `list`, `sum`, `zip`, `enumerate` and
comprehensions, `yield from`, generators yielding values that carry a derivative and data
slices that do not, generator expressions, and a generator held by a name. Values equal plain
Python's; gradients equal central finite differences in reverse mode and (along a direction)
in forward mode. What would take a generator's steps otherwise than Python does is refused at
its line."""

from __future__ import annotations

import finite_differences
import numpy as np
import pytest
from two_arguments import X, Y, check_forward, check_reverse, close

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError

SCALE = 0.5
DRAWS = []


# ---- the user's generators -------------------------------------------------------------------


def powers(x, n):
    for k in range(n):
        yield x**k


def pairs(x, y):
    for k in range(len(x)):
        yield x[k], y[k]


def slices(x, size):
    for start in range(0, len(x), size):
        yield x[start : start + size]


def scaled(x):
    yield x * SCALE  # (a module global, read as the generator runs)
    yield np.sin(x)


def both(x, y):
    yield from powers(x, 2)
    yield from [y, x * y]


def shuffled(x, rng):
    order = rng.permutation(len(x))  # (its start: before the first yield)
    for k in order:
        yield x[k]


def noisy(x):
    for k in range(2):
        DRAWS.append(k)
        yield x * k


def endless(x):
    while True:
        yield x


def stops_itself(x):
    for k in range(5):
        if k == 3:
            return
        yield x * k


# ---- the programs ----------------------------------------------------------------------------


def for_over_a_generator(x, y):
    s = 0.0
    for p in powers(x, 3):
        s = s + np.sum(p * y)
    return s


def list_of_a_generator(x, y):
    return np.sum(np.stack(list(powers(x, 3))) * y)


def sum_of_a_generator(x, y):
    return np.sum(sum(powers(x * y, 3)))


def zip_and_enumerate(x, y):
    s = 0.0
    for k, (p, q) in enumerate(zip(powers(x, 3), powers(y, 3))):
        s = s + k * np.sum(p * q)
    return s


def comprehension_over_a_generator(x, y):
    return np.sum(np.stack([np.tanh(p) for p in powers(x, 3)]) * y)


def pairs_of_slices(x, y):
    s = 0.0
    for a, b in pairs(x, y):
        s = s + a * b * b
    return s


def minibatches(x, y):
    losses = []
    for batch in slices(y, 2):
        losses.append(np.mean((batch * x[:2] - 1.0) ** 2))
    return np.mean(losses) + np.sum(x * y)


def yield_from(x, y):
    return sum(np.sum(v) for v in both(x, y))


def reads_a_global(x, y):
    return np.sum(sum(scaled(x)) * y)


def called_many_times(x, y):
    s = 0.0
    for k in range(3):
        for p in powers(x + k + 0.25, 2):
            s = s + np.sum(p * y)
    return s


def nested_generator(x, y):
    def steps(v):
        for k in range(3):
            yield np.tanh(v * k) * y

    return np.sum(sum(steps(x)))


def generator_expressions(x, y):
    a = sum(np.sum(x * k) for k in range(3))
    b = np.sum(np.stack(list(v * y for v in powers(x, 2))))
    return a + b + max(np.sum(v) for v in (x, y))


def held_by_a_name(x, y):
    parts = powers(x, 3)
    s = 0.0
    for p in parts:
        s = s + np.sum(p * y)
    return s


def generator_that_returns(x, y):
    return np.sum(sum(stops_itself(x)) * y)


def shuffled_batches(x, y):
    s = 0.0
    for v in shuffled(x, np.random.default_rng(0)):
        s = s + v * np.sum(y)
    return s


PROGRAMS = [
    for_over_a_generator,
    list_of_a_generator,
    sum_of_a_generator,
    zip_and_enumerate,
    comprehension_over_a_generator,
    pairs_of_slices,
    minibatches,
    yield_from,
    reads_a_global,
    called_many_times,
    nested_generator,
    generator_expressions,
    held_by_a_name,
    generator_that_returns,
    shuffled_batches,
]
NAMES = [fn.__name__ for fn in PROGRAMS]


@pytest.mark.parametrize("fn", PROGRAMS, ids=NAMES)
def test_reverse_mode_gives_the_value_and_the_gradient(fn):
    check_reverse(fn)


@pytest.mark.parametrize("fn", PROGRAMS, ids=NAMES)
def test_forward_mode_gives_the_derivative_along_a_direction(fn):
    check_forward(fn)


def test_a_global_the_generator_reads_is_read_again_at_each_call():
    global SCALE
    gradient = srcgrad.grad(reads_a_global)
    before = gradient(X, Y)
    SCALE = 2.0
    try:
        close(gradient(X, Y), finite_differences.gradient(reads_a_global, (X, Y)))
        assert not np.allclose(gradient(X, Y), before)
    finally:
        SCALE = 0.5


# ---- refused ---------------------------------------------------------------------------------


def loop_that_breaks(x, y):
    s = 0.0
    for p in powers(x, 3):
        s = s + np.sum(p * y)
        if s > 1.0:
            break
    return s


def loop_over_draws(x, y):
    s = 0.0
    for p in noisy(x):
        s = s + np.sum(p * y)
    return s


def zip_with_an_endless_generator(x, y):
    s = 0.0
    for a, b in zip(endless(x), [y, y]):
        s = s + np.sum(a * b)
    return s


def iterated_twice(x, y):
    parts = powers(x, 3)
    a = sum(parts)
    b = sum(parts)
    return np.sum(a + b)


def passed_to_numpy(x, y):
    return np.sum(np.stack(powers(x, 2)) * y)


def expression_passed_to_numpy(x, y):
    return np.sum(np.stack(v * y for v in (x, y)))


def loop_changes_what_it_reads(x, y):
    z = x * 1.0
    s = 0.0
    for p in powers(z, 3):
        z[0] = 0.0
        s = s + np.sum(p * y)
    return s


def differentiated_generator(x, y):
    yield x * y


REFUSED = {
    loop_that_breaks: "may stop early ('break')",
    loop_over_draws: "where its steps calls 'DRAWS.append(...)'",
    zip_with_an_endless_generator: "the endless generator",
    iterated_twice: "read more than once",
    passed_to_numpy: "passed to np.stack",
    expression_passed_to_numpy: "passed to np.stack",
    loop_changes_what_it_reads: "changes 'z'",
    differentiated_generator: "'yield' in the differentiated function",
}


@pytest.mark.parametrize("fn", list(REFUSED), ids=[fn.__name__ for fn in REFUSED])
def test_what_python_would_take_otherwise_is_refused_at_its_line(fn):
    with pytest.raises(UnsupportedSyntaxError) as raised:
        srcgrad.grad(fn)(X, Y)
    message = str(raised.value)
    assert "test_generators.py:" in message
    assert REFUSED[fn].split("'")[0] in message, message


def test_the_refusal_of_a_differentiated_generator_says_what_to_do():
    with pytest.raises(UnsupportedSyntaxError) as raised:
        srcgrad.grad(differentiated_generator)(X, Y)
    message = str(raised.value)
    line = differentiated_generator.__code__.co_firstlineno + 1
    assert f"test_generators.py:{line}:" in message
    assert "sum(differentiated_generator(...))" in message
