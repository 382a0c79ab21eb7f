"""Functions with loops and branches whose generated code is checked in test_control.py."""

import numpy as np


def rnn(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def piecewise(x: float):
    if x < -1.0:
        y = -x
    elif x < 1.0:
        y = x * x
    else:
        y = 2.0 * x - 1.0
    return y


def reads_only(x, w, n):
    total = 0.0
    for i in range(n):
        total = total + np.sum(x * w) * i
    return total


def leaky_power(w, x, steps):
    y = x
    for _ in range(steps):
        y = np.maximum(w @ y, 0.1 * (w @ y))
        y = y / np.sqrt(np.sum(y * y))
    return np.sum(y)


def layer(x, W, b):
    return np.tanh(W @ x + b)


def two_layers(W1, b1, W2, b2, x):
    h = layer(x, W1, b1)
    y = layer(h, W2, b2)
    return np.sum(y * y)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def checked(x, w):
    if x.ndim != 1:
        raise ValueError(f"expected a vector, got shape {x.shape}")
    print("loss for", x.shape)
    return np.sum(np.tanh(x * w))


import srcgrad  # noqa: E402  (here, so that the golden texts' line numbers stay put)


def frozen_scale(x, w):
    with srcgrad.no_grad():
        scale = np.max(np.abs(w))
        scale += 1.0
    y = srcgrad.stop_gradient(x * 2.0)
    return np.sum(x * w / scale + y * w)
