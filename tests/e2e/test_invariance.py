"""A maximum subtracted before a log-softmax, a softmax or a log-sum-exp carries no derivative
(srcgrad/analyse/invariance.py): the gradient made without it, the tangent and the Hessian all
agree with finite differences, and the code has no spread of an adjoint over the elements equal
to the maximum. Functions where the maximum does not cancel keep their derivative through it
and are right too.
"""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as reference

import srcgrad


def log_softmax_loss(W, h, Y):
    z = h @ W
    zs = z - np.max(z, axis=1, keepdims=True)
    logp = zs - np.log(np.sum(np.exp(zs), axis=1, keepdims=True))
    return -np.sum(Y * logp) / h.shape[0]


def softmax_entropy(W, h, Y):
    z = h @ W
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return np.sum(p * np.log(p + 1.0)) + np.sum(Y * p)


def logsumexp(W, h, Y):
    z = h @ W
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m))) + np.sum(Y * z)


def row_logsumexp(W, h, Y):
    z = h @ W
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.mean(np.exp(z - m), axis=1, keepdims=True))
    return np.sum(lse * lse)


def min_shift_in_a_product(W, h, Y):
    z = h @ W
    low = np.min(z, axis=0, keepdims=True)
    e = np.exp(z - low)
    return np.sum(Y * (e / np.sum(e, axis=0, keepdims=True)))


# the maximum does not cancel in these: its derivative must stay
def shift_kept(W, h, Y):
    z = h @ W
    zs = z - np.max(z, axis=1, keepdims=True)
    return np.sum(zs - np.log(np.sum(np.exp(zs), axis=0, keepdims=True)))


def shift_doubled(W, h, Y):
    z = h @ W
    zs = z - np.max(z)
    return np.sum(Y * (zs - 2.0 * np.log(np.sum(np.exp(zs)))))


def shift_returned(W, h, Y):
    z = h @ W
    return np.sum(np.exp(z - np.max(z, axis=1, keepdims=True)) * Y)


CANCELS = [log_softmax_loss, softmax_entropy, logsumexp, row_logsumexp, min_shift_in_a_product]
KEEPS = [shift_kept, shift_doubled, shift_returned]


def _args(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(4, 5)), rng.normal(size=(6, 4)), rng.random((6, 5))


@pytest.mark.parametrize("fn", CANCELS + KEEPS, ids=lambda f: f.__name__)
def test_gradient_matches_finite_differences(fn):
    args = _args()
    got = srcgrad.grad(fn)(*args)
    np.testing.assert_allclose(got, reference(fn, args, wrt=0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", CANCELS, ids=lambda f: f.__name__)
def test_the_maximum_gets_no_adjoint(fn):
    code = srcgrad.grad(fn).source_for(*_args())
    assert "choose_adjoint" not in code and " == " not in code, code


@pytest.mark.parametrize("fn", KEEPS, ids=lambda f: f.__name__)
def test_a_maximum_that_does_not_cancel_keeps_its_adjoint(fn):
    code = srcgrad.grad(fn).source_for(*_args())
    assert "choose_adjoint" in code or " == " in code, code


@pytest.mark.parametrize("fn", CANCELS + KEEPS, ids=lambda f: f.__name__)
def test_tangent_matches_the_gradient(fn):
    args = _args()
    direction = np.random.default_rng(1).normal(size=args[0].shape)
    _, tangent = srcgrad.jvp(fn, args, direction, wrt=0)
    assert np.isclose(tangent, np.sum(srcgrad.grad(fn)(*args) * direction), rtol=1e-9)


@pytest.mark.parametrize("fn", [log_softmax_loss, logsumexp], ids=lambda f: f.__name__)
def test_hessian_matches_differences_of_the_gradient(fn):
    W, h, Y = _args()
    hessian = srcgrad.hessian(fn)(W, h, Y).reshape(W.size, W.size)
    step = 1e-5
    columns = []
    for k in range(W.size):
        e = np.zeros(W.size)
        e[k] = step
        e = e.reshape(W.shape)
        up, down = srcgrad.grad(fn)(W + e, h, Y), srcgrad.grad(fn)(W - e, h, Y)
        columns.append(((up - down) / (2 * step)).ravel())
    np.testing.assert_allclose(hessian, np.array(columns).T, rtol=1e-5, atol=1e-7)
