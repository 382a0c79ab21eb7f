"""Programs written as users of other tools write them (tests/fixtures/programs.py): srcgrad's
value is plain Python's, and its gradient (reverse mode), its directional derivative (forward
mode) and, for some, its Hessian agree with finite differences."""

from __future__ import annotations

import numpy as np
import programs
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

NAMES = sorted(programs.CASES)


def _setup(name):
    fn, make_args, wrt, hessian = programs.CASES[name]
    return fn, make_args(np.random.default_rng(0)), wrt, hessian


@pytest.mark.parametrize("name", NAMES)
def test_reverse_mode(name):
    fn, args, wrt, _ = _setup(name)
    value, got = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, finite_differences(fn, args, wrt), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_forward_mode(name):
    fn, args, wrt, _ = _setup(name)
    direction = np.random.default_rng(1).normal(size=np.shape(args[wrt]))
    if not np.ndim(args[wrt]):
        direction = float(direction)
    value, tangent = srcgrad.jvp(fn, args, (direction,), wrt=wrt)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12, atol=1e-12)
    want = np.sum(finite_differences(fn, args, wrt) * direction)
    np.testing.assert_allclose(tangent, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", [n for n in NAMES if programs.CASES[n][3]])
def test_hessian(name):
    fn, args, wrt, _ = _setup(name)
    got = srcgrad.hessian(fn, wrt=wrt)(*args)

    def gradient_at(value):
        changed = list(args)
        changed[wrt] = value
        return srcgrad.grad(fn, wrt=wrt)(*changed)

    x = np.asarray(args[wrt], dtype=float)
    columns = []
    for k in range(x.size):  # central differences of the gradient, one input at a time
        step = np.zeros(x.size)
        step[k] = 1e-5
        step = step.reshape(x.shape)
        columns.append((gradient_at(x + step) - gradient_at(x - step)) / 2e-5)
    want = np.stack(columns, axis=-1).reshape(np.shape(got))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
