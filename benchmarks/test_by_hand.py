"""The hand-written gradients the benchmark compares against agree with central differences.

    python -m pytest benchmarks/test_by_hand.py

(`run.py` checks srcgrad and the peers against the hand-written gradients; this checks those.)
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import catalogue

STEP = 1e-6


def central_differences(function, args: tuple, position: int):
    args = list(args)
    x = args[position]

    def at(value):
        args[position] = value
        return function(*args)

    if isinstance(x, float):
        return (at(x + STEP) - at(x - STEP)) / (2 * STEP)
    slopes = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += STEP
        down[index] -= STEP
        slopes[index] = (at(up) - at(down)) / (2 * STEP)
    return slopes


@pytest.mark.parametrize("case", catalogue.CASES, ids=lambda case: case.name)
def test_by_hand_matches_central_differences(case):
    args = case.arguments("small")
    names = case.function.__code__.co_varnames[: case.function.__code__.co_argcount]
    by_hand = case.by_hand(*args)
    assert len(by_hand) == len(case.wrt)
    for name, gradient in zip(case.wrt, by_hand):
        expected = central_differences(case.function, args, names.index(name))
        np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-7, err_msg=name)
