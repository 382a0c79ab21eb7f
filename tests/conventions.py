"""Functions for test_conventions.py: kinks, ties, singularities guarded by np.where, dtypes."""

import numpy as np


def gather_repeated(x):
    return np.sum(x[[0, 0, 2, 0]] * np.array([1.0, 2.0, 3.0, 4.0]))


def guarded_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def guarded_log(x):
    return np.sum(np.where(x > 0, x * np.log(x), 0.0))


def guarded_division(x):
    safe = np.where(x != 0, x, 1.0)
    return np.sum(np.where(x != 0, np.sin(x) / safe, 1.0))


def largest(x):
    return np.max(x)


def largest_per_row(x):
    return np.sum(np.max(x, axis=1))


def absolute(x):
    return np.sum(np.abs(x))


def relu_like(x):
    return np.sum(np.maximum(x, 0.0))


def square_root(x):
    return np.sum(np.sqrt(x))


def einsum_broadcast(a, b):
    return np.sum(np.einsum("...ij,j->...i", a, b) ** 2)


def float32_model(w, x):
    h = np.tanh(x @ w)
    return np.mean(h * h) + 0.5 * np.sum(w * w)


def gather_negative_repeated(x):
    return np.sum(x[[-1, 0, -1, 2]] * np.array([1.0, 2.0, 3.0, 4.0]))


def where_broadcast_against_a_matrix(x, W):
    x = x[0] + np.where(W > x, np.tanh(x), x)  # noqa: SIM300  (W is a matrix, not a constant)
    return np.sum(x)


def branch_shapes_differ(x, y):
    v = np.mean(y, axis=0, keepdims=True) if x[0, 0] >= 0.8 else np.maximum(y, 0.0)
    return np.sum(v) + np.mean(np.sin(v))
