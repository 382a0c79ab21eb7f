"""Golden text: the generated code of a few functions, exactly as a user reads it.

A change here is a change in what users see: check that the new text reads at least as well.
"""

import sys
from pathlib import Path

import numpy as np

import srcgrad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import neuron
from golden_functions import logistic_loss, mlp_loss

NEURON = """\
def grad_loss(a, w1, w2, w3, w4):
    b = w1 * a
    c = w2 * a
    # neuron.py:15  L = 10 - d
    dd = -1.0
    # neuron.py:14  d = w3 * b + w4 * c
    dw3 = dd * b
    db = dd * w3
    dw4 = dd * c
    dc = dd * w4
    # neuron.py:13  c = w2 * a
    dw2 = dc * a
    # neuron.py:12  b = w1 * a
    dw1 = db * a
    return (dw1, dw2, dw3, dw4)
"""

LOGISTIC = """\
def grad_logistic_loss(w, x, y):
    z = x @ w
    p = sigmoid(z)
    # golden_functions.py:9  return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dz = -0.125 * (y - p)
    # golden_functions.py:7  z = x @ w
    dw = x.T @ dz
    return dw
"""

MLP = """\
def grad_mlp_loss(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    _t5 = np.exp(shifted)
    # golden_functions.py:17  return -np.mean(np.sum(y * log_probs, axis=1))
    dlog_probs = -1.0 / 6 * y
    # golden_functions.py:16  log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    d_t7 = -dlog_probs.sum(axis=1, keepdims=True)
    dshifted = dlog_probs + d_t7 / _t5.sum(axis=1, keepdims=True) * _t5
    # golden_functions.py:14  logits = h @ W2 + b2
    db2 = dshifted.sum(axis=0)
    dh = dshifted @ W2.T
    dW2 = h.T @ dshifted
    # golden_functions.py:13  h = np.tanh(x @ W1 + b1)
    d_t2 = dh * (1.0 - h * h)
    db1 = d_t2.sum(axis=0)
    dW1 = x.T @ d_t2
    return (dW1, db1, dW2, db2)
"""


def test_five_neuron_example():
    generated = srcgrad.grad(neuron.loss, wrt=("w1", "w2", "w3", "w4"))
    assert generated.source == NEURON


def test_five_neuron_has_no_adjoint_for_a_and_no_zero_arrays():
    source = srcgrad.grad(neuron.loss, wrt=("w1", "w2", "w3", "w4")).source
    assert " da " not in source and "da =" not in source
    assert "zeros" not in source and "unbroadcast" not in source


def test_logistic_regression():
    source = srcgrad.grad(logistic_loss).source_for(np.ones(3), np.ones((8, 3)), np.ones(8))
    assert source == LOGISTIC


def test_two_layer_mlp():
    shapes = [(4, 5), (5,), (5, 3), (3,), (6, 4), (6, 3)]
    source = srcgrad.grad(mlp_loss, wrt=(0, 1, 2, 3)).source_for(*map(np.ones, shapes))
    assert source == MLP
