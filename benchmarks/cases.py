"""The benchmark's functions, each as plain NumPy user code with its hand-written gradient next to it.

Every user function reads NumPy only through the module name `np`, so the peers run the very same
code with `np` bound to `autograd.numpy`, `jax.numpy` or a small torch shim (see `peers.py`).

The hand-written gradients are what a careful NumPy programmer writes: no value computed twice,
the textbook simplifications of standard derivatives (sigmoid + cross-entropy gives `p - y`,
softmax + cross-entropy gives `p - Y`, tanh' = 1 - h**2, the time steps of an RNN stacked into
one matrix product), in-place updates where they come naturally, and no `out=` acrobatics. Each
returns a tuple with one gradient per `wrt` argument, in order.
"""

import numpy as np

# ---------------------------------------------------------------- the autograd tutorial's neuron


def neuron(a, w1, w2, w3, w4):
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    return L


def neuron_by_hand(a, w1, w2, w3, w4):
    return -w3 * a, -w4 * a, -w1 * a, -w2 * a


# ------------------------------------------------------------------------- logistic regression


def logistic(w, x, y):
    z = x @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_by_hand(w, x, y):
    p = 1 / (1 + np.exp(-(x @ w)))
    p -= y
    p /= len(y)
    return (x.T @ p,)


# ------------------------------------------------- two-layer tanh MLP, softmax cross-entropy


def mlp(W1, b1, W2, b2, x, Y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    zs = z - np.max(z, axis=1, keepdims=True)
    logp = zs - np.log(np.sum(np.exp(zs), axis=1, keepdims=True))
    return -np.sum(Y * logp) / x.shape[0]


def mlp_by_hand(W1, b1, W2, b2, x, Y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    e -= Y  # the rows of Y are one-hot, so d loss / d z = (softmax(z) - Y) / n
    e /= x.shape[0]
    dh = e @ W2.T
    dh *= 1 - h * h
    return x.T @ dh, dh.sum(axis=0), h.T @ e, e.sum(axis=0)


# ------------------------------------------------------------------------- RNN over time steps


def rnn(W, U, x):
    h = np.zeros(W.shape[0])
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h * h)


def rnn_by_hand(W, U, x):
    steps = x.shape[0]
    hs = np.zeros((steps + 1, W.shape[0]))  # hs[t] is the state before step t
    for t in range(steps):
        hs[t + 1] = np.tanh(W @ hs[t] + U @ x[t])
    da = np.empty((steps, W.shape[0]))  # d loss / d (pre-activation) at every step
    dh = 2 * hs[steps]
    for t in range(steps - 1, -1, -1):
        da[t] = dh * (1 - hs[t + 1] * hs[t + 1])
        dh = W.T @ da[t]
    return da.T @ hs[:steps], da.T @ x


# ------------------------------------------------------------ while / if piecewise iteration


def piecewise(x, a):
    y = x
    k = 0
    while k < 6:
        if np.mean(y) > 0.0:  # noqa: SIM108  (the case is an if statement)
            y = np.sin(y) * a + y
        else:
            y = np.cos(y) * a - 0.5 * y
        k += 1
    return np.sum(y * y)


def piecewise_by_hand(x, a):
    saved = []  # per step: its input, the sine or cosine of it, which branch
    y = x
    for _ in range(6):
        upper = np.mean(y) > 0.0
        t = np.sin(y) if upper else np.cos(y)
        saved.append((y, t, upper))
        y = t * a + y if upper else t * a - 0.5 * y
    dy = 2 * y
    da = 0.0
    for y, t, upper in reversed(saved):
        da += np.vdot(dy, t)
        dy *= a * np.cos(y) + 1 if upper else -a * np.sin(y) - 0.5
    return dy, da


# ------------------------------------------------------------------------ elementwise chain


def chain(x):
    y = np.sqrt(np.log1p(np.exp(np.sin(x))))
    return np.sum(np.maximum(y, 0.9))


def chain_by_hand(x):
    e = np.exp(np.sin(x))
    r = np.sqrt(np.log1p(e))
    g = np.cos(x)
    g *= e
    g /= (1 + e) * r
    g *= 0.5 * (r > 0.9)
    return (g,)


# ------------------------------------------------------- layer norm: reductions, broadcasting


def layer_norm(x, gamma, beta, c):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    xn = xc / np.sqrt(var + 1e-5)
    y = xn * gamma + beta
    return np.sum(y * c)


def layer_norm_by_hand(x, gamma, beta, c):
    xc = x - x.mean(axis=1, keepdims=True)
    inv = 1 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + 1e-5)
    xn = xc * inv
    dxn = c * gamma
    dx = dxn - dxn.mean(axis=1, keepdims=True)
    dx -= xn * (dxn * xn).mean(axis=1, keepdims=True)
    dx *= inv
    return dx, (c * xn).sum(axis=0), c.sum(axis=0)


# --------------------------------------------------------- slicing and a fancy-index gather


def gather(x, idx, w):
    d = x[1:] - x[:-1]
    picked = d[idx]
    return np.sum(picked * picked) + np.sum(x[::2] * w)


def gather_by_hand(x, idx, w):
    d = x[1:] - x[:-1]
    dd = np.bincount(idx, weights=2 * d[idx], minlength=d.shape[0])
    dx = np.zeros_like(x)
    dx[1:] = dd
    dx[:-1] -= dd
    dx[::2] += w
    return (dx,)
