"""PyTorch's `requires_grad` is srcgrad's `wrt`: decided once, visible in the generated code.

Freezing a parameter is leaving it out of `wrt`: the generated code computes no adjoint for it
and for nothing that only it depends on (activity analysis; PyTorch's contagion, statically).
"""

import numpy as np

import srcgrad


def layer(W, b, x):
    return np.sum(np.tanh(x @ W + b) ** 2)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    both = srcgrad.grad(layer, wrt=("W", "b"))
    frozen = srcgrad.grad(layer, wrt="b")  # W frozen: requires_grad=False
    dW, db = both(W, b, x)
    assert np.allclose(frozen(W, b, x), db)
    print(frozen.source)  # the code for these arguments' shapes
    assert "dW" not in frozen.source
    print("dW computed only when asked for:", "dW" in both.source, "dW" in frozen.source)
    # output: dW computed only when asked for: True False
