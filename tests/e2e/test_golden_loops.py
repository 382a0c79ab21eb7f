"""Golden text: the generated code of loops and a gather, exactly as a user reads it.

A loop's reverse sweep carries the adjoints from one iteration to the next. The code here has
no copy of an adjoint to a temporary and back (`d_t8 = dh; dh = d_t8`), no `else: pass`, and a
while loop tests what the user's loop tests; a gather's adjoint is one call that sums at the
positions, with no test of their signs before it; an RNN's rows of `xs`, read at each step, are
not copied into a list for its weight's gradient (`xs[:_t4][::-1]` is a view of them), and the
products after its loop are not guarded by a test that it ran, since the shape of `xs` says it
does. A change here is a change in what users see: check that the new text reads at least as
well, and that the values below still hold.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from finite_differences import gradient
from golden_loops import gather_loss, heat_loss, newton_sqrt, rnn_loss

RNN = """\
def grad_rnn_loss(W, U, xs):
    _tape = []
    h = np.zeros(W.shape[0])
    _t4 = xs.shape[0]
    for t in range(_t4):
        _tape.append(h)
        h = np.tanh(W @ h + U @ xs[t])
    # golden_loops.py:10  return np.sum(h * h)
    dh = 2.0 * h
    # golden_loops.py:8  for t in range(xs.shape[0]):
    _d_t8s = []
    _hs = []
    for t in reversed(range(_t4)):
        # golden_loops.py:9  h = np.tanh(W @ h + U @ xs[t])
        d_t8 = dh * (1.0 - h * h)
        h = _tape.pop()
        _d_t8s.append(d_t8)
        _hs.append(h)
        dh = W.T @ d_t8
    # golden_loops.py:9  h = np.tanh(W @ h + U @ xs[t])
    dU = np.stack(_d_t8s, axis=1) @ xs[:_t4][::-1]
    dW = np.stack(_d_t8s, axis=1) @ np.stack(_hs)
    return (dW, dU)
"""

HEAT = """\
def grad_heat_loss(u, dt, n):
    for _ in range(n):
        u = u + dt * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    # golden_loops.py:16  return np.sum(u * u)
    du = 2.0 * u
    # golden_loops.py:14  for _ in range(n):
    for _ in reversed(range(n)):
        # golden_loops.py:15  u = u + dt * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
        d_t5 = du * dt
        du = du + np.roll(d_t5, 1, None)
        du -= d_t5 * 2
        du += np.roll(d_t5, -1, None)
    return du
"""

NEWTON = """\
def grad_newton_sqrt(a):
    _tape = []
    y = a
    _n = 0
    while np.abs(y * y - a) > 1e-12 * a:
        _n = _n + 1
        _t10 = a / y
        _tape.append(_t10)
        _tape.append(y)
        y = 0.5 * (y + _t10)
    # golden_loops.py:23  return y
    dy = 1.0
    # golden_loops.py:21  while np.abs(y * y - a) > 1e-12 * a:
    da = np.zeros_like(a)
    for _ in range(_n):
        # golden_loops.py:22  y = 0.5 * (y + a / y)
        dy = dy * 0.5
        y = _tape.pop()
        _t10 = _tape.pop()
        da += dy / y
        dy = dy - dy * _t10 / y
    # golden_loops.py:20  y = a
    da += dy
    return da
"""

GATHER = """\
def grad_gather_loss(x, idx, w):
    d = x[1:] - x[:-1]
    picked = d[idx]
    # golden_loops.py:29  return np.sum(picked * picked) + np.sum(x[::2] * w)
    dpicked = 2.0 * picked
    dx = np.zeros(x.shape, x.dtype)
    dx[::2] = w
    # golden_loops.py:28  picked = d[idx]
    dd = summed_at(idx, dpicked, 8)
    # golden_loops.py:27  d = x[1:] - x[:-1]
    d_t2 = -dd
    dx[1:] += dd
    dx[:-1] += d_t2
    return dx
"""

rng = np.random.default_rng(3)
RNN_ARGS = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 2)), rng.normal(size=(4, 2)))
HEAT_ARGS = (rng.normal(size=8), 0.1, 5)
GATHER_ARGS = (rng.normal(size=9), np.array([0, 3, 3, 7, -1]), rng.normal(size=5))


def test_rnn():
    assert srcgrad.grad(rnn_loss, wrt=(0, 1)).source_for(*RNN_ARGS) == RNN


def test_time_stepping_loop():
    assert srcgrad.grad(heat_loss).source_for(*HEAT_ARGS) == HEAT


def test_gather():
    assert srcgrad.grad(gather_loss).source_for(*GATHER_ARGS) == GATHER


def test_while_loop_tests_what_the_user_wrote():
    assert srcgrad.grad(newton_sqrt).source_for(2.0) == NEWTON


def test_an_rnn_over_no_steps_has_zero_gradients():
    W, U, _ = RNN_ARGS
    no_steps = np.zeros((0, 2))
    dW, dU = srcgrad.grad(rnn_loss, wrt=(0, 1))(W, U, no_steps)
    np.testing.assert_array_equal(dW, np.zeros_like(W))
    np.testing.assert_array_equal(dU, np.zeros_like(U))


@pytest.mark.parametrize(
    ("fn", "args", "wrt"),
    [
        (rnn_loss, RNN_ARGS, (0, 1)),
        (heat_loss, HEAT_ARGS, 0),
        (newton_sqrt, (2.0,), 0),
        (gather_loss, GATHER_ARGS, 0),
    ],
    ids=["rnn", "heat", "newton", "gather"],
)
def test_the_golden_code_computes_the_gradient(fn, args, wrt):
    got, want = srcgrad.grad(fn, wrt=wrt)(*args), gradient(fn, args, wrt)
    if not isinstance(wrt, tuple):
        got, want = (got,), (want,)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)
