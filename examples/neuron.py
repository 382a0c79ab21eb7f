"""The autograd tutorial's five-neuron network: L = 10 - (w3*w1*a + w4*w2*a).

    python -m srcgrad examples/neuron.py:loss --wrt w1,w2,w3,w4 --at 2,1,2,3,4

prints the gradient code and its value at a=2, w1..w4 = 1..4 (as `python neuron.py` does). By hand,
with the chain rule ("multiply along each path, add over paths"):
dL/dd = -1, dL/dw3 = -b, dL/dw4 = -c, dL/dw1 = -w3 * a, dL/dw2 = -w4 * a.
"""


def loss(a: float, w1: float, w2: float, w3: float, w4: float):
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    return L


if __name__ == "__main__":
    import srcgrad

    gradient = srcgrad.grad(loss, wrt=("w1", "w2", "w3", "w4"))
    print(gradient.source)
    a, w1, w2, w3, w4 = 2.0, 1.0, 2.0, 3.0, 4.0
    generated = gradient(a, w1, w2, w3, w4)
    by_hand = (-w3 * a, -w4 * a, -(w1 * a), -(w2 * a))  # dL/dd = -1, times each path
    for name, got, want in zip(("w1", "w2", "w3", "w4"), generated, by_hand):
        print(f"dL/d{name} = {got:5.1f}   (by hand: {want:5.1f})")
    assert generated == by_hand
