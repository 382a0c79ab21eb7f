"""The autograd tutorial's five-neuron network: L = 10 - (w3*w1*a + w4*w2*a).

    python -m srcgrad examples/neuron.py:loss --wrt w1,w2,w3,w4 --at 2,1,2,3,4

prints the gradient code srcgrad generates and its value at a=2, w1..w4 = 1, 2, 3, 4. By hand,
with the chain rule ("multiply along each path, add over paths"):
dL/dd = -1, dL/dw3 = -b, dL/dw4 = -c, dL/dw1 = -w3 * a, dL/dw2 = -w4 * a.
"""


def loss(a: float, w1: float, w2: float, w3: float, w4: float):
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    return L
