"""Forward mode, Jacobians, Hessians and derivatives of derivatives: all of them code you read.

PyTorch gets a second derivative with `create_graph=True` and a Hessian-vector product by
differentiating through the graph it recorded. srcgrad writes the forward-mode code of the
function (`x_dot`, the tangent of `x`, after each statement), and differentiates that code
again, as it would any code of yours.
"""

import numpy as np

import srcgrad


def energy(x, k):
    """A chain of springs with a soft wall: loops, a branch, a reduction."""
    e = 0.0
    for i in range(x.shape[0] - 1):
        stretch = x[i + 1] - x[i] - 1.0
        e = e + 0.5 * k * stretch * stretch
    if x[0] < 0.0:
        e = e + np.exp(-x[0]) - 1.0 + x[0]
    return e


def forces(x, k):
    """Minus the energy's gradient, written out: a function with a vector output."""
    stretch = x[1:] - x[:-1] - 1.0
    f = np.zeros_like(x)
    f[1:] = f[1:] - k * stretch
    f[:-1] = f[:-1] + k * stretch
    if x[0] < 0.0:
        f[0] = f[0] + np.exp(-x[0]) - 1.0
    return f


def cubic(x):
    return x**3 - 2.0 * x


if __name__ == "__main__":
    x = np.array([-0.2, 1.1, 1.9, 3.2])
    k = 4.0

    # forward mode: how the energy moves when the springs move along t
    t = np.array([1.0, 0.0, 0.0, -1.0])
    value, slope = srcgrad.jvp(energy, (x, k), t, wrt=0)
    print(srcgrad.forward(energy).source_for(x, k))
    assert np.isclose(slope, srcgrad.grad(energy)(x, k) @ t)

    # the Hessian: reverse mode over the forward-mode code above
    H = srcgrad.hessian(energy)(x, k)
    assert np.allclose(H, H.T)
    print(np.round(H, 3))
    step = 1e-6
    column = (srcgrad.grad(energy)(x + step * t, k) - srcgrad.grad(energy)(x - step * t, k)) / (
        2 * step
    )
    assert np.allclose(H @ t, column, atol=1e-5)

    # a Jacobian, by columns (forward mode) or by rows (pullbacks)
    by_columns = srcgrad.jacobian(forces, mode="forward")(x, k)
    by_rows = srcgrad.jacobian(forces, mode="reverse")(x, k)
    assert np.allclose(by_columns, -H) and np.allclose(by_rows, -H)

    # grad of grad of ...: each is the derivative of the one before, exactly
    d1 = srcgrad.grad(cubic)
    d2 = srcgrad.grad(d1)
    d3 = srcgrad.grad(d2)
    assert (d1(2.0), d2(2.0), d3(2.0)) == (10.0, 12.0, 6.0)
    print(d2.source)
