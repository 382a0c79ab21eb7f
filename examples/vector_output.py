"""The gradient of a vector: PyTorch says "grad can be implicitly created only for scalar
outputs"; srcgrad says which function, which shape, and where. `vjp` takes the seed gradient
(PyTorch's `backward(gradient=...)`): with a seed of ones it gives the gradient of the sum.
"""

import numpy as np

import srcgrad


def squares(x):
    return x * x


if __name__ == "__main__":
    x = np.array([1.0, 2.0, 3.0])
    try:
        srcgrad.grad(squares)(x)
    except srcgrad.NonScalarOutputError as error:
        print("grad:", str(error).splitlines()[0].split(": ", 1)[1])
    value, pullback = srcgrad.vjp(squares, x)
    print("vjp with ones:", pullback(np.ones(3)))  # d sum(x*x) / dx = 2x
    assert np.array_equal(pullback(np.ones(3)), 2 * x)
    # output:
    # grad: grad needs a scalar output, but 'squares' returns an array of shape (3,) ...
    # vjp with ones: [2. 4. 6.]
