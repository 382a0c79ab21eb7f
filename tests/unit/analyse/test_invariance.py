"""The shift-invariance analysis (`srcgrad/analyse/invariance.py`): a maximum subtracted before
a log-softmax, a softmax or a log-sum-exp is a constant to the gradient, exactly when every
value it reaches is of the form `base + k*c` or `base * exp(k*c)` and the ones with `c` in them
go nowhere else. Each case runs `analysed` on a small function and says which names stay
active; the end-to-end check against finite differences is in tests/e2e/test_invariance.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from passes import analysed_program, context, define

from srcgrad.analyse.invariance import invariant_extremes

Z = np.arange(12.0).reshape(3, 4) / 7.0


def _constant(source: str, *args) -> frozenset:
    program = analysed_program(context(define(source), *args, wrt=0))
    assert not (program.active & invariant_extremes_of(source, *args))
    return invariant_extremes_of(source, *args)


def invariant_extremes_of(source: str, *args) -> frozenset:
    ctx = context(define(source), *args, wrt=0)
    program = analysed_program(ctx)
    return invariant_extremes(ctx.parsed.tree, program.ops, program.output, program.shapes)


CANCELS = {
    "log_softmax": """
        def f(z):
            m = np.max(z, axis=1, keepdims=True)
            zs = z - m
            return np.sum(zs - np.log(np.sum(np.exp(zs), axis=1, keepdims=True)))
    """,
    "softmax": """
        def f(z):
            m = z.max(axis=-1, keepdims=True)
            e = np.exp(z - m)
            return np.sum(e / e.sum(-1, keepdims=True) * z)
    """,
    "logsumexp_of_everything": """
        def f(z):
            m = np.max(z)
            lse = m + np.log(np.sum(np.exp(z - m)))
            return lse
    """,
    "a_mean_and_a_second_maximum": """
        def f(z):
            m = np.amin(z, axis=(0, 1), keepdims=True)
            zs = z - m
            centred = zs - np.mean(zs, axis=0, keepdims=True)
            return np.sum(centred * centred)
    """,
}

KEPT = {
    "summed_along_another_axis": """
        def f(z):
            m = np.max(z, axis=1, keepdims=True)
            zs = z - m
            return np.sum(zs - np.log(np.sum(np.exp(zs), axis=0, keepdims=True)))
    """,
    "the_shift_reaches_the_output": """
        def f(z):
            m = np.max(z)
            return np.sum(np.exp(z - m))
    """,
    "a_multiple_of_the_log": """
        def f(z):
            m = np.max(z, axis=1, keepdims=True)
            zs = z - m
            return np.sum(zs - 2.0 * np.log(np.sum(np.exp(zs), axis=1, keepdims=True)))
    """,
    "read_in_a_loop": """
        def f(z):
            m = np.max(z)
            zs = z - m
            total = 0.0
            for k in range(2):
                total = total + zs[k, 0]
            return total + np.sum(zs)
    """,
    "a_sum_of_a_shift": """
        def f(z):
            m = np.max(z)
            return np.sum(z - m) + m * 12.0
    """,
    "without_keepdims": """
        def f(z):
            m = np.max(z, axis=1)
            zs = z.T - m
            return np.sum(zs - np.log(np.sum(np.exp(zs), axis=0, keepdims=True)))
    """,
    "indexed": """
        def f(z):
            m = np.max(z)
            zs = z - m
            return zs[0, 0] - np.log(np.sum(np.exp(zs)))
    """,
}


@pytest.mark.parametrize("name", sorted(CANCELS))
def test_a_maximum_that_cancels_is_constant(name):
    assert len(_constant(CANCELS[name], Z)) == 1


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_maximum_that_may_not_cancel_keeps_its_derivative(name):
    assert invariant_extremes_of(KEPT[name], Z) == frozenset()
