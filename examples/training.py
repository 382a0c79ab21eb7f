"""A small training loop: logistic regression on data made here, `w = w - lr * dw`.

The gradient is generated once (on the first call) and reused at every step.
"""

import numpy as np

import srcgrad


def loss(w, b, x, y):
    p = 1 / (1 + np.exp(-(x @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x @ np.array([2.0, -1.0]) + 0.5 + 0.3 * rng.normal(size=200) > 0).astype(float)
    w, b = np.zeros(2), 0.0
    step = srcgrad.value_and_grad(loss, wrt=("w", "b"))
    losses = []
    for epoch in range(201):
        value, (dw, db) = step(w, b, x, y)
        w, b = w - 0.5 * dw, b - 0.5 * db
        losses.append(value)
        if epoch % 50 == 0:
            print(f"epoch {epoch:3d}  loss {value:.4f}")
    assert losses[-1] < 0.5 * losses[0]
    # output:
    # epoch   0  loss 0.6931
    # epoch  50  loss 0.2...  (falling)
