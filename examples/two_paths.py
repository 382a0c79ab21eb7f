"""A variable reached along two paths: the gradients of the paths add.

`a` reaches L through b and through c, so dL/da = dL/db * db/da + dL/dc * dc/da. In the
generated code that is one assignment and one addition to `da`: the tutorial's "multiply along
each path, add over paths", written out.
"""

import srcgrad


def loss(a: float, w1: float, w2: float, w3: float, w4: float):
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    return 10 - d


if __name__ == "__main__":
    gradient = srcgrad.grad(loss, wrt="a")
    print(gradient.source)
    a, w1, w2, w3, w4 = 2.0, 1.0, 2.0, 3.0, 4.0
    da = gradient(a, w1, w2, w3, w4)
    print(f"dL/da = {da}   (path through b: {-w3 * w1}, path through c: {-w4 * w2})")
    assert da == -w3 * w1 - w4 * w2
    # output:
    # dL/da = -11.0   (path through b: -3.0, path through c: -8.0)
