"""`torch.no_grad()` is `with srcgrad.no_grad():`; `tensor.detach()` is `srcgrad.stop_gradient`.

The block runs as written; its values are constants to the gradient, and the generated code
shows it: the block is copied into the forward sweep and nothing in it gets an adjoint.
"""

import numpy as np

import srcgrad


def normalized_loss(w, x):
    with srcgrad.no_grad():
        scale = np.max(np.abs(x @ w))  # a constant to the gradient
    return np.sum((x @ w / scale) ** 2)


if __name__ == "__main__":
    rng = np.random.default_rng(2)
    w, x = rng.normal(size=3), rng.normal(size=(4, 3))
    gradient = srcgrad.grad(normalized_loss)
    dw = gradient(w, x)
    print(gradient.source)  # the code for these arguments' shapes
    scale = np.max(np.abs(x @ w))
    assert np.allclose(dw, 2 * x.T @ (x @ w) / scale**2)
