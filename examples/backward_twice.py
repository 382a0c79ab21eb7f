"""Calling backward twice: PyTorch frees the graph's buffers after `backward` unless
`retain_graph=True`. A srcgrad gradient is a pure function of its arguments: call it again, with
the same arguments or new ones, and nothing was freed.
"""

import numpy as np

import srcgrad


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


if __name__ == "__main__":
    rng = np.random.default_rng(1)
    w, x = rng.normal(size=3), rng.normal(size=(5, 3))
    gradient = srcgrad.grad(loss)
    first, second = gradient(w, x), gradient(w, x)
    assert np.array_equal(first, second)
    print("the same gradient twice:", np.array_equal(first, second))
    _, pullback = srcgrad.vjp(loss, w, x)
    assert np.allclose(pullback(1.0), pullback(1.0))  # vjp's pullback, too, can be called again
    # output: the same gradient twice: True
