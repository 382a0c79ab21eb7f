"""The benchmark cases: which function, which gradient, with respect to what, at which sizes.

A small size (about ten elements: the cost is per-call overhead) and a large size (about 10**6
elements, or a 4096 x 256 batch: the cost is NumPy's arithmetic) per case; the RNN and the
piecewise iteration are kept to sizes that run in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cases
import numpy as np


@dataclass(frozen=True)
class Case:
    name: str
    function: Callable
    by_hand: Callable
    wrt: tuple[str, ...]
    sizes: dict[str, Callable[[np.random.Generator], tuple]]  # size name -> arguments

    def arguments(self, size: str) -> tuple:
        return self.sizes[size](np.random.default_rng(0))


def _neuron(rng):
    return 2.0, 1.0, 2.0, 3.0, 4.0


def _logistic(n, d):
    def make(rng):
        x = rng.normal(size=(n, d))
        return rng.normal(size=d) / np.sqrt(d), x, rng.integers(0, 2, n).astype(float)

    return make


def _mlp(n, d, hidden, classes):
    def make(rng):
        x = rng.normal(size=(n, d))
        W1 = rng.normal(size=(d, hidden)) / np.sqrt(d)
        W2 = rng.normal(size=(hidden, classes)) / np.sqrt(hidden)
        Y = np.eye(classes)[rng.integers(0, classes, n)]
        return W1, rng.normal(size=hidden) * 0.1, W2, rng.normal(size=classes) * 0.1, x, Y

    return make


def _rnn(steps, hidden, d):
    def make(rng):
        W = rng.normal(size=(hidden, hidden)) * (0.9 / np.sqrt(hidden))
        U = rng.normal(size=(hidden, d)) / np.sqrt(d)
        return W, U, rng.normal(size=(steps, d))

    return make


def _piecewise(n):
    return lambda rng: (rng.normal(size=n) + 0.05, 0.7)


def _chain(n):
    return lambda rng: (rng.normal(size=n) * 2,)


def _layer_norm(n, d):
    def make(rng):
        x = rng.normal(size=(n, d)) * 3 + 1
        return x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d))

    return make


def _gather(n, picks):
    def make(rng):
        x = rng.normal(size=n)
        return x, rng.integers(0, n - 1, picks), rng.normal(size=(n + 1) // 2)

    return make


CASES = [
    Case("neuron", cases.neuron, cases.neuron_by_hand, ("w1", "w2", "w3", "w4"),
         {"small": _neuron}),
    Case("logistic", cases.logistic, cases.logistic_by_hand, ("w",),
         {"small": _logistic(10, 3), "large": _logistic(4096, 256)}),
    Case("mlp", cases.mlp, cases.mlp_by_hand, ("W1", "b1", "W2", "b2"),
         {"small": _mlp(4, 3, 4, 3), "large": _mlp(4096, 256, 256, 10)}),
    Case("rnn", cases.rnn, cases.rnn_by_hand, ("W", "U"),
         {"small": _rnn(5, 3, 2), "large": _rnn(16, 1024, 256)}),
    Case("piecewise", cases.piecewise, cases.piecewise_by_hand, ("x", "a"),
         {"small": _piecewise(10), "large": _piecewise(10**6)}),
    Case("chain", cases.chain, cases.chain_by_hand, ("x",),
         {"small": _chain(10), "large": _chain(10**6)}),
    Case("layer_norm", cases.layer_norm, cases.layer_norm_by_hand, ("x", "gamma", "beta"),
         {"small": _layer_norm(2, 5), "large": _layer_norm(4096, 256)}),
    Case("gather", cases.gather, cases.gather_by_hand, ("x",),
         {"small": _gather(11, 10), "large": _gather(10**6, 10**6)}),
]  # fmt: skip

BY_NAME = {case.name: case for case in CASES}
