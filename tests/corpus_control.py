"""The control-flow corpus: branches, loops, jumps and loop-carried values, with sample inputs.

Each function here is registered with `corpus.case` into the same `corpus.CASES` list, so the
one parametrized test in `test_corpus.py` runs them all. The first part is control flow that
srcgrad differentiates today; the last part ("not supported yet") documents the next work and
is listed as strict xfails in `test_corpus.KNOWN_GAPS`.

Inputs keep every branch decision and every trip count the same at x ± a few finite-difference
steps (the stencil reaches 2e-3 · max(1, |x|)): conditions are kept at least ~0.1 from their
thresholds, and loops run at most 20 times. Integer loop bounds, flags and arrays that are only
read are plain arguments not named in `wrt`.
"""

# ruff: noqa: SIM108  (if/else blocks here test if statements, not conditional expressions)

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pytest imports with importlib mode
from corpus import away_from_zero, case, distinct, normal, positive

# --doctest-modules imports this file as "tests.corpus_control" and test_corpus.py imports it as
# "corpus_control": both names must find this one module, or every case would register twice.
sys.modules.setdefault("corpus_control", sys.modules[__name__])
sys.modules.setdefault("tests.corpus_control", sys.modules[__name__])


def spaced(rng, *values, jitter=0.05):
    """The given values, each moved by at most `jitter`: inputs that pick known branches."""
    return np.asarray(values, dtype=float) + rng.uniform(-jitter, jitter, size=len(values))


def with_norm(rng, size, low, high):
    """A random direction scaled to a norm drawn from [low, high]."""
    direction = rng.normal(size=size)
    return direction / np.sqrt(np.sum(direction**2)) * rng.uniform(low, high)


def contraction(rng, size, radius=0.6):
    """A square matrix with spectral norm `radius`: iterations with it stay bounded."""
    a = rng.normal(size=(size, size))
    return a / np.linalg.norm(a, 2) * radius


def symmetric_gap(rng, size):
    """A symmetric matrix with a clear largest eigenvalue: power iteration converges fast."""
    q, _ = np.linalg.qr(rng.normal(size=(size, size)))
    values = np.array([3.0] + [0.5 * (k + 1) / size for k in range(size - 1)])
    return q @ np.diag(values) @ q.T


# ================================================================ supported today

# ---------------------------------------------------------------- if / elif / else


@case(lambda rng: (normal(rng, 4), True))
def if_python_flag_true(x, use_sine):
    if use_sine:
        y = np.sin(x)
    else:
        y = np.cos(x)
    return np.sum(y * x)


@case(lambda rng: (normal(rng, 4), False))
def if_python_flag_false(x, use_sine):
    if use_sine:
        y = np.sin(x)
    else:
        y = np.cos(x)
    return np.sum(y * x)


@case(lambda rng: (normal(rng, 5), 3))
def if_on_integer_argument(x, mode):
    if mode == 1:
        y = np.exp(x)
    elif mode == 2:
        y = np.tanh(x)
    elif mode == 3:
        y = x * x * x
    else:
        y = x
    return np.sum(y)


@case(lambda rng: (np.concatenate([positive(rng, 2), normal(rng, 3)]),))
def if_any_positive(x):
    if np.any(x > 0):
        y = np.sum(np.maximum(x, 0.0) ** 2)
    else:
        y = np.sum(np.exp(x))
    return y


@case(lambda rng: (-positive(rng, 5),))
def if_any_positive_else_branch(x):
    if np.any(x > 0):
        y = np.sum(x**2)
    else:
        y = np.sum(np.exp(x))
    return y


@case(lambda rng: (positive(rng, 4, low=0.6, high=1.2),))
def if_sum_threshold(x):
    if x.sum() > 1:
        y = np.log(x.sum()) * np.sum(x * x)
    else:
        y = np.sum(x)
    return y


@case(lambda rng: (positive(rng, 4, low=0.05, high=0.15),))
def if_sum_threshold_low(x):
    if x.sum() > 1:
        y = np.log(x.sum())
    else:
        y = np.sum(np.sin(x)) * 3.0
    return y


@case(lambda rng: (normal(rng, 3, 2) + 1.0, normal(rng, 3, 2)), wrt=(0, 1))
def if_without_else_reassigns(x, y):
    z = x * y
    if np.mean(x) > 0.0:
        z = z + np.tanh(x)
    return np.sum(z * z)


@case(lambda rng: (positive(rng, 6),))
def nested_ifs(x):
    s = np.sum(x)
    if s > 2.0:
        if np.max(x) > 1.0:
            out = np.sum(np.sqrt(x)) * s
        else:
            out = np.sum(x**3)
    else:
        out = -s
    return out


@case(lambda rng: (spaced(rng, 0.8, -1.2, 0.4),))
def value_defined_in_branches_used_after(x):
    if x[0] > 0.0:
        scale = np.exp(x[1])
        shift = x[2] * x[2]
    else:
        scale = np.cos(x[1])
        shift = x[2]
    return scale * x[0] + shift


@case(lambda rng: (spaced(rng, -0.8, -1.2, 0.4),))
def value_defined_in_branches_else_taken(x):
    if x[0] > 0.0:
        scale = np.exp(x[1])
        shift = x[2] * x[2]
    else:
        scale = np.cos(x[1])
        shift = x[2]
    return scale * x[0] + shift


@case(lambda rng: (positive(rng, 5), normal(rng, 5)), wrt=(0, 1))
def conditional_expression(x, y):
    z = np.log(x) if np.mean(y) > -10.0 else x
    w = y * y if z.sum() < -100.0 else np.sin(y)
    return np.sum(z * w)


@case(lambda rng: (positive(rng, 4),))
def bool_and_or_not(x):
    y = x
    if x.sum() > 0 and x.max() < 10.0:
        y = y * 2.0
    if x.min() < 0.0 or x.sum() > 100.0:
        y = y * 100.0
    if not x.min() < 0.0:
        y = np.sqrt(y)
    return np.sum(y * x)


@case(lambda rng: (rng.uniform(-0.5, 0.5, size=5),))
def chained_comparison(x):
    if -1.0 < x.mean() < 1.0:
        y = np.sum(np.sin(x) * x)
    else:
        y = np.sum(x)
    return y


@case(lambda rng: (0.7, normal(rng, 4)), wrt=(0, 1))
def branch_on_differentiated_float(a, x):
    if a > 0.5:
        y = a * a * np.sum(x)
    else:
        y = a * np.sum(x * x)
    return y


@case(lambda rng: (normal(rng, 4),))
def return_inside_if_elif_chain(x):
    m = np.mean(x * x)
    if m > 100.0:
        return np.sum(x)
    elif m > 0.0:
        return np.sum(np.tanh(x)) * m
    else:
        return m
    return m * 0.0


@case(lambda rng: (spaced(rng, -2.0, -0.5, 0.5, 2.0, 1.3, -1.7),))
def piecewise_elif_all_branches(x):
    # every branch is taken by some element; none is within 0.2 of a boundary
    total = 0.0
    for i in range(len(x)):
        v = x[i]
        if v < -1.0:
            total = total + 2.0 * v + 1.0
        elif v < 0.0:
            total = total + v * v * v
        elif v < 1.0:
            total = total + np.sin(v)
        else:
            total = total + np.log(v) + v * v
    return total


@case(lambda rng: (spaced(rng, -1.4),))
def piecewise_scalar_low(x):
    v = x[0]
    if v < -1.0:
        y = 2.0 * v + 1.0
    elif v < 1.0:
        y = v * v * v
    else:
        y = np.log(v)
    return y


@case(lambda rng: (spaced(rng, 1.6),))
def piecewise_scalar_high(x):
    v = x[0]
    if v < -1.0:
        y = 2.0 * v + 1.0
    elif v < 1.0:
        y = v * v * v
    else:
        y = np.log(v) * v
    return y


# ---------------------------------------------------------------- for over range


@case(lambda rng: (normal(rng, 3), 5))
def range_one_argument(x, n):
    y = x
    for _ in range(n):
        y = np.sin(y) + 0.5 * x
    return np.sum(y)


@case(lambda rng: (normal(rng, 6),))
def range_two_arguments(x):
    s = 0.0
    for i in range(1, len(x)):
        s = s + x[i] * x[i - 1]
    return s


@case(lambda rng: (normal(rng, 9),))
def range_with_step(x):
    s = 0.0
    for i in range(0, 9, 2):
        s = s + np.exp(x[i]) * (i + 1)
    return s


@case(lambda rng: (normal(rng, 7),))
def range_negative_step(x):
    acc = 0.0
    for i in range(6, -1, -1):
        acc = acc * 0.5 + x[i] ** 2
    return acc


@case(lambda rng: (normal(rng, 8),))
def range_negative_step_by_two(x):
    acc = 1.0
    for i in range(len(x) - 1, 0, -2):
        acc = acc * np.cos(x[i]) + x[i - 1]
    return acc


@case(lambda rng: (normal(rng, 5),))
def reversed_range(x):
    acc = 0.0
    for i in reversed(range(5)):
        acc = np.tanh(acc + x[i])
    return acc


@case(lambda rng: (normal(rng, 4), 0))
def range_zero_trips(x, n):
    y = x * 2.0
    for _ in range(n):
        y = y * y
    return np.sum(y)


@case(lambda rng: (normal(rng, 4, 5),))
def loop_over_shape(X):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.sum(X[i, :] * X[i, :]) * (i + 1)
    return s


@case(lambda rng: (normal(rng, 4, 3),))
def loop_over_columns(X):
    s = 0.0
    for j in range(X.shape[1]):
        s = s + np.sum(np.tanh(X[:, j])) * (j - 1)
    return s


@case(lambda rng: (normal(rng, 6),))
def loop_variable_parity(x):
    s = 0.0
    for i in range(len(x)):
        if i % 2 == 0:
            s = s + np.sin(x[i])
        else:
            s = s + x[i] * x[i]
    return s


@case(lambda rng: (normal(rng, 5),))
def loop_variable_used_after_loop(x):
    s = 0.0
    for i in range(4):
        s = s + x[i]
    return s * x[i + 1]


# ---------------------------------------------------------------- for over arrays and sequences


@case(lambda rng: (normal(rng, 4, 3),))
def for_rows_of_array(X):
    s = 0.0
    for row in X:
        s = s + np.sum(np.exp(row)) * np.sum(row)
    return s


@case(lambda rng: (normal(rng, 3), [normal(rng, 3, 3) * 0.5 for _ in range(3)]))
def for_over_list_of_arrays(h, layers):
    for W in layers:
        h = np.tanh(W @ h)
    return np.sum(h * h)


@case(lambda rng: ([normal(rng, 3, 3) * 0.5 for _ in range(2)], normal(rng, 3)), wrt=1)
def for_over_tuple_of_arrays(mats, v):
    for M in tuple(mats):
        v = M @ v + v
    return np.sum(np.sin(v))


@case(lambda rng: (normal(rng, 4, 3), positive(rng, 4)), wrt=(0,))
def enumerate_rows(X, weights):
    s = 0.0
    for i, row in enumerate(X):
        s = s + weights[i] * np.sum(row**2) * (i + 1)
    return s


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 3, 4)), wrt=(0, 1))
def zip_rows_of_two_arrays(X, Y):
    s = 0.0
    for a, b in zip(X, Y):
        s = s + np.sum(a * b) ** 2
    return s


@case(lambda rng: (normal(rng, 3), [normal(rng, 3) for _ in range(4)], [0.5, 1.0, 1.5, 2.0]))
def zip_list_and_floats(w, xs, scales):
    total = 0.0
    for x, c in zip(xs, scales):
        total = total + c * np.tanh(np.sum(w * x))
    return total


@case(lambda rng: (normal(rng, 5, 2),))
def reversed_rows(X):
    acc = np.zeros(2)
    for row in reversed(X):
        acc = np.tanh(acc * 0.8 + row)
    return np.sum(acc)


@case(lambda rng: (normal(rng, 2), [normal(rng, 2) for _ in range(3)]))
def enumerate_zip_over_lists(w, xs):
    total = 0.0
    for i, x in enumerate(xs):
        total = total + (i + 1) * np.sum(w * x) ** 2
    return total


# ---------------------------------------------------------------- while loops


@case(lambda rng: (positive(rng, 1)[0] * 4.0,))
def newton_sqrt(a):
    y = a
    while abs(y * y - a) > 1e-12 * a:
        y = 0.5 * (y + a / y)
    return y


@case(lambda rng: (positive(rng, 4, low=0.5, high=5.0),))
def newton_sqrt_vector(a):
    y = a + 1.0
    while np.max(np.abs(y * y - a)) > 1e-12:
        y = 0.5 * (y + a / y)
    return np.sum(y * np.arange(4.0))


@case(lambda rng: (positive(rng, 3, low=1.0, high=3.0),))
def newton_cube_root(a):
    y = np.ones_like(a)
    count = 0
    while count < 20 and np.max(np.abs(y**3 - a)) > 1e-13:
        y = y - (y**3 - a) / (3.0 * y * y)
        count = count + 1
    return np.sum(y)


@case(lambda rng: (with_norm(rng, 3, 2.6, 3.3),))
def while_halving_data_dependent(x):
    # |x|^2 in [6.8, 10.9]: exactly two halvings bring it under 1
    y = x
    while np.sum(y * y) > 1.0:
        y = y * 0.5
    return np.sum(np.sin(y) * y)


@case(lambda rng: (normal(rng, 5),))
def while_counter(x):
    i = 0
    s = 0.0
    while i < len(x):
        s = s + np.cos(x[i]) * x[i]
        i = i + 1
    return s


@case(lambda rng: (positive(rng, 1, low=0.3, high=0.35)[0],))
def while_growth_until_threshold(r):
    # trip count depends on r: r * 1.5**k > 2 first at k = 5 for r in [0.3, 0.35]
    total = r
    steps = 0
    while total < 2.0:
        total = total * 1.5
        steps = steps + 1
    return total * steps


@case(lambda rng: (spaced(rng, 0.3, 0.9, 0.2, 0.8, 0.4, 1.7),))
def while_with_break(x):
    i = 0
    s = 0.0
    while i < len(x):
        s = s + x[i] * x[i]
        if s > 1.4:
            break
        i = i + 1
    return s * x[0]


# ---------------------------------------------------------------- break, continue, for-else, returns


@case(lambda rng: (spaced(rng, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5),))
def break_on_running_sum(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] ** 2
        if s > 2.0:
            break
    return s * np.sum(x)


@case(lambda rng: (spaced(rng, 0.5, -0.7, 1.2, -0.3, 0.9),))
def continue_skips_negatives(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0.0:
            continue
        s = s + np.log(x[i] + 1.0) * x[i]
    return s


@case(lambda rng: (spaced(rng, 0.2, 0.5, 3.0, 0.1),))
def for_else_break_taken(x):
    for i in range(len(x)):
        if x[i] > 2.0:
            y = x[i] ** 2
            break
    else:
        y = np.sum(x)
    return y * x[0]


@case(lambda rng: (spaced(rng, 0.2, 0.5, 1.0, 0.1),))
def for_else_no_break(x):
    for i in range(len(x)):
        if x[i] > 2.0:
            y = x[i] ** 2
            break
    else:
        y = np.sum(np.sin(x))
    return y * x[0]


@case(lambda rng: (spaced(rng, 0.3, 0.6, 1.5, 0.2),))
def return_inside_loop(x):
    for i in range(len(x)):
        if x[i] > 1.0:
            return x[i] ** 2 * np.sum(x)
    return np.sum(x)


@case(lambda rng: (spaced(rng, 0.3, 0.6, 0.5, 0.2),))
def return_inside_loop_falls_through(x):
    for i in range(len(x)):
        if x[i] > 1.0:
            return x[i] ** 2
    return np.sum(x * x * x)


@case(lambda rng: (spaced(rng, 0.1, 0.2, 0.3, 2.0, 0.4, 0.5).reshape(2, 3),))
def break_inner_loop_only(X):
    s = 0.0
    for i in range(2):
        for j in range(3):
            if X[i, j] > 1.5:
                break
            s = s + X[i, j] * (j + 1)
    return s * X[0, 0]


@case(lambda rng: (spaced(rng, 0.1, 0.2, 0.3, 2.0, 0.4, 0.5).reshape(2, 3),))
def return_from_nested_loop(X):
    s = 0.0
    for i in range(2):
        for j in range(3):
            s = s + X[i, j]
            if X[i, j] > 1.5:
                return s * X[i, j]
    return s


@case(lambda rng: (spaced(rng, 0.5, 0.7, 0.9, 0.2, 1.1),))
def continue_and_break_together(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0.3:
            continue
        if x[i] > 1.0:
            break
        s = s + np.sqrt(x[i]) * x[i]
    return s


# ---------------------------------------------------------------- nested loops


@case(lambda rng: (normal(rng, 3, 3),))
def nested_loops_index_pairs(X):
    s = 0.0
    for i in range(3):
        for j in range(3):
            s = s + X[i, j] * X[j, i]
    return s


@case(lambda rng: (normal(rng, 4),))
def nested_loops_triangular(x):
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + np.sin(x[i] - x[j])
    return s


@case(lambda rng: (normal(rng, 3), 3, 2))
def nested_loops_carried(x, outer, inner):
    y = x
    for _ in range(outer):
        for _ in range(inner):
            y = 0.5 * np.tanh(y) + 0.25 * x
        y = y * 1.1
    return np.sum(y * y)


# ---------------------------------------------------------------- loop-carried values


@case(
    lambda rng: (normal(rng, 4, 4) * 0.4, normal(rng, 4, 3) * 0.5, normal(rng, 5, 3)),
    wrt=(0, 1, 2),
)
def rnn_tanh(W, U, xs):
    h = np.zeros(4)
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


@case(
    lambda rng: (
        normal(rng, 3, 3) * 0.4,
        normal(rng, 3, 2) * 0.5,
        normal(rng, 4, 2),
        normal(rng, 3),
    ),
    wrt=(0, 1, 3),
)
def rnn_loss_every_step(W, U, xs, v):
    h = np.zeros(3)
    loss = 0.0
    for x in xs:
        h = np.tanh(W @ h + U @ x)
        loss = loss + (v @ h - 0.5) ** 2
    return loss


@case(lambda rng: (normal(rng, 6),))
def running_sum(x):
    s = 0.0
    total = 0.0
    for i in range(len(x)):
        s = s + x[i]
        total = total + s * s
    return total


@case(lambda rng: (positive(rng, 5),))
def running_product(x):
    p = 1.0
    for i in range(len(x)):
        p = p * x[i]
    return p


@case(lambda rng: (normal(rng, 4), normal(rng, 5)), wrt=(0, 1))
def horner_polynomial(x, coefficients):
    y = np.zeros_like(x)
    for c in coefficients:
        y = y * x + c
    return np.sum(y)


@case(lambda rng: (0.7, np.array([1.0, -2.0, 0.5, 3.0])), wrt=0)
def horner_scalar_python_float(x, coefficients):
    y = 0.0
    for i in range(len(coefficients)):
        y = y * x + coefficients[i]
    return y


@case(lambda rng: (symmetric_gap(rng, 4), normal(rng, 4), 12), wrt=0)
def power_iteration(A, v, steps):
    for _ in range(steps):
        v = A @ v
        v = v / np.sqrt(np.sum(v * v))
    return v @ A @ v


@case(lambda rng: (positive(rng, 3), 0.3 + positive(rng, 1)[0] * 0.2, 10), wrt=(0, 1))
def euler_ode(y0, k, steps):
    dt = 0.05
    y = y0
    for _ in range(steps):
        y = y + dt * (-k * y + np.sin(y))
    return np.sum(y * y)


@case(lambda rng: (normal(rng, 2), 0.2 + positive(rng, 1)[0] * 0.1, 15), wrt=0)
def euler_harmonic_oscillator(state, damping, steps):
    dt = 0.1
    position = state[0]
    velocity = state[1]
    for _ in range(steps):
        acceleration = -position - damping * velocity
        position = position + dt * velocity
        velocity = velocity + dt * acceleration
    return position * position + velocity * velocity


@case(lambda rng: (normal(rng, 5, 3), normal(rng, 5), normal(rng, 3)), wrt=(0, 1, 2))
def gradient_descent_inner_loop(A, b, w0):
    w = w0
    lr = 0.05
    for _ in range(6):
        residual = A @ w - b
        w = w - lr * (A.T @ residual)
    return np.sum((A @ w - b) ** 2)


@case(lambda rng: (normal(rng, 5), normal(rng, 5)), wrt=(0, 1))
def softmax_denominator_loop(x, w):
    total = 0.0
    for i in range(len(x)):
        total = total + np.exp(x[i])
    p = np.exp(x) / total
    return np.sum(p * w)


@case(lambda rng: (normal(rng, 5),))
def softmax_stable_max_loop(x):
    m = x[0]
    for i in range(1, len(x)):
        m = np.maximum(m, x[i])
    e = np.exp(x - m)
    total = 0.0
    for v in e:
        total = total + v
    return np.sum(e / total * np.arange(5.0))


@case(lambda rng: (distinct(rng, 6),))
def cumulative_max(x):
    m = x[0]
    s = m
    for i in range(1, len(x)):
        m = np.maximum(m, x[i])
        s = s + m * x[i]
    return s


@case(lambda rng: (normal(rng, 3), normal(rng, 3)), wrt=(0, 1))
def fibonacci_like_swap(a, b):
    for _ in range(6):
        a, b = b, 0.5 * a + 0.5 * np.sin(b)
    return np.sum(a * b)


@case(lambda rng: (normal(rng, 4),))
def reassign_parameter_in_loop(x):
    for _ in range(3):
        x = x - 0.1 * np.tanh(x) * x
    return np.sum(x * x)


@case(lambda rng: (positive(rng, 4), positive(rng, 4)), wrt=(0, 1))
def exponential_moving_average(x, y):
    avg = x
    for t in range(5):
        avg = 0.8 * avg + 0.2 * y * (t + 1)
    return np.sum(np.log(avg))


@case(lambda rng: (normal(rng, 3), contraction(rng, 3)), wrt=(0, 1))
def matrix_power_series(v, M):
    term = v
    total = v
    for k in range(1, 6):
        term = M @ term / k
        total = total + term
    return np.sum(total * total)


@case(lambda rng: (normal(rng, 5), spaced(rng, 0.7, -0.4, 1.1, -1.5, 0.6)), wrt=0)
def loop_reads_only_non_differentiated(x, data):
    count = 0
    total = 0.0
    for v in data:
        if v > 0.0:
            count = count + 1
            total = total + v
    return np.sum(np.sin(x)) * count + total * np.sum(x)


@case(lambda rng: (normal(rng, 5), positive(rng, 5)), wrt=0)
def loop_body_ignores_input(x, data):
    scale = 1.0
    for i in range(len(data)):
        scale = scale * 0.5 + data[i]
    return np.sum(x * x) * scale


@case(lambda rng: (spaced(rng, 0.5, 1.5, -0.6, 0.8, -1.3, 0.4),))
def branch_inside_loop_carried(x):
    h = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            h = np.tanh(h + x[i])
        else:
            h = h * x[i]
    return h


@case(lambda rng: (normal(rng, 6),))
def conditional_expression_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = s + (x[i] ** 2 if i < 3 else np.sin(x[i]))
    return s


@case(lambda rng: (positive(rng, 4),))
def if_on_loop_carried_array(x):
    y = x
    for _ in range(4):
        if np.sum(y) > 50.0:
            y = y * 0.5
        else:
            y = y * 2.0
    return np.sum(np.sqrt(y))


# ---------------------------------------------------------------- mixtures and corner cases


@case(lambda rng: (normal(rng, 5),))
def cyclic_neighbour_negative_index(x):
    # at i = 0, x[i - 1] is x[-1]: the scatter must wrap around too
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i - 1] * (i + 1)
    return s


@case(lambda rng: (normal(rng, 4), 3))
def name_first_bound_inside_loop(x, n):
    for k in range(n):
        h = np.sin(x * (k + 1))
    return np.sum(h * x)


@case(lambda rng: (normal(rng, 4),))
def integer_accumulator_start(x):
    s = 0
    for i in range(len(x)):
        s = s + x[i] ** 2
    return s + 0.0


@case(lambda rng: (normal(rng, 4).astype(np.float32), normal(rng, 4, 4).astype(np.float32) * 0.5))
def float32_loop_carried(h, W):
    for _ in range(3):
        h = np.tanh(W @ h) + 0.5 * h
    return np.sum(h * h)


@case(lambda rng: (normal(rng, 4), True))
def loop_inside_branch(x, iterate):
    y = x
    if iterate:
        for _ in range(3):
            y = np.cos(y) * x
    else:
        y = y * 2.0
    return np.sum(y)


@case(lambda rng: (spaced(rng, 0.4, 0.3, 0.5, 0.6, 0.2, 0.7),))
def while_true_with_break(x):
    i = 0
    s = 0.0
    while True:
        s = s + np.exp(x[i])
        i = i + 1
        if s > 4.0 or i >= len(x):
            break
    return s * x[0]


@case(lambda rng: (normal(rng, 3, 3),))
def continue_in_inner_loop(X):
    s = 0.0
    for i in range(3):
        for j in range(3):
            if i == j:
                continue
            s = s + X[i, j] * X[j, i] * X[i, i]
    return s


@case(lambda rng: (normal(rng, 4, 3),))
def outer_products_over_rows(X):
    acc = np.zeros((3, 3))
    for row in X:
        acc = acc + np.outer(row, row)
    return np.sum(acc * acc)


@case(lambda rng: (spaced(rng, 0.3, 0.6, 1.5, 0.2),))
def return_loop_carried_from_inside_loop(x):
    h = 1.0
    for i in range(len(x)):
        h = h * x[i] + 0.1
        if x[i] > 1.0:
            return h
    return h * 2.0


@case(lambda rng: (spaced(rng, 0.3, 0.6, 0.5, 0.2),))
def multiple_returns_from_one_loop(x):
    for i in range(len(x)):
        if x[i] > 5.0:
            return x[i]
        elif x[i] < -5.0:
            return -x[i]
    return np.sum(np.exp(x))


@case(lambda rng: (normal(rng, 3), normal(rng, 3)), wrt=(0, 1))
def while_on_python_counter_two_carried(a, b):
    k = 0
    while k < 4:
        a, b = a * np.cos(b), b + 0.1 * a
        k = k + 1
    return np.sum(a + b * b)


@case(lambda rng: (normal(rng, 4), 1.5), wrt=(0, 1))
def augmented_assignment_on_local_array(x, s):
    y = x + 0.0
    for _ in range(2):
        y *= s
    y **= 2
    return np.sum(y)


# ---------------------------------------------------------------- user helper functions


def _affine(W, x):
    return W @ x


def _layer(W, h):
    return np.tanh(W @ h)


def _scaled_softplus(x, scale=2.0):
    return np.log1p(np.exp(scale * x)) / scale


def _polynomial(coefficients, x):
    y = np.zeros_like(x)
    for c in coefficients:
        y = y * x + c
    return y


def _soft_threshold(x, limit):
    if np.max(np.abs(x)) < limit:
        return x
    return limit * np.tanh(x / limit)


@case(lambda rng: (normal(rng, 3, 4), normal(rng, 4)), wrt=0)
def calls_module_helper(W, x):
    return np.sum(np.tanh(_affine(W, x)))


@case(lambda rng: (normal(rng, 4, 3) * 0.5, normal(rng, 2, 4) * 0.5, normal(rng, 3)), wrt=(0, 1))
def helper_called_twice(W1, W2, x):
    h = _layer(W1, x)
    out = _layer(W2, h)
    return np.sum(out * out)


@case(lambda rng: (normal(rng, 3), normal(rng, 3, 3) * 0.5), wrt=0)
def helper_called_in_loop(h, W):
    for _ in range(3):
        h = _layer(W, h) + h
    return np.sum(h)


@case(lambda rng: (with_norm(rng, 3, 2.6, 3.3),))
def recursive_halving(x):
    if np.sum(x * x) < 1.0:
        return np.sum(np.sin(x))
    return 2.0 * recursive_halving(x * 0.5)


@case(lambda rng: (normal(rng, 4),))
def helper_default_and_keyword_arguments(x):
    return np.sum(_scaled_softplus(x) + _scaled_softplus(x, scale=0.5))


@case(lambda rng: (normal(rng, 4), normal(rng, 3)), wrt=(0, 1))
def helper_with_loop_inside(x, coefficients):
    return np.sum(np.sin(_polynomial(coefficients, x)))


@case(lambda rng: (away_from_zero(rng, 4, low=0.5, high=1.0), normal(rng, 4) * 3.0 + 6.0))
def helper_with_early_return_inside(x, y):
    small = _soft_threshold(x, 2.0)
    large = _soft_threshold(y, 2.0)
    return np.sum(small * small) + np.sum(large * x)


# ================================================================ not supported yet


def _moments(x):
    return np.mean(x), np.mean(x * x)


def _lstm_cell(Wx, Wh, x, h, c):
    z = Wx @ x + Wh @ h
    gate = 1.0 / (1.0 + np.exp(-z[:3]))
    c = gate * c + (1.0 - gate) * np.tanh(z[3:])
    return np.tanh(c) * gate, c


@case(lambda rng: (normal(rng, 5),))
def lambda_bound_to_name(x):
    activation = lambda z: np.tanh(z) * z  # noqa: E731
    return np.sum(activation(x) + activation(2.0 * x))


@case(lambda rng: (normal(rng, 6),))
def helper_returns_tuple_unpacked(x):
    mean, second = _moments(x)
    return second - mean * mean


@case(lambda rng: (normal(rng, 3, 3) * 0.5, normal(rng, 4, 3)), wrt=0)
def list_append_read_by_index(W, xs):
    h = np.zeros(3)
    states = []
    for x in xs:
        h = np.tanh(W @ h + x)
        states.append(h)
    return np.sum(states[-1] * states[0])


@case(lambda rng: (normal(rng, 3), normal(rng, 5, 3)), wrt=0)
def list_append_builtin_sum(w, xs):
    losses = []
    for x in xs:
        losses.append((np.sum(w * x) - 1.0) ** 2)
    return sum(losses)


@case(lambda rng: (normal(rng, 3, 3) * 0.5, normal(rng, 4, 3)), wrt=0)
def list_append_np_stack(W, xs):
    h = np.zeros(3)
    states = []
    for x in xs:
        h = np.tanh(W @ h + x)
        states.append(h)
    return np.sum(np.stack(states) ** 2)


@case(lambda rng: (normal(rng, 6),))
def list_comprehension_over_range(x):
    return np.sum(np.array([x[i] * x[i + 1] for i in range(len(x) - 1)]))


@case(lambda rng: (normal(rng, 4, 3),))
def list_comprehension_over_rows(X):
    return np.sum(np.stack([np.tanh(row) * row for row in X]))


@case(lambda rng: (normal(rng, 5),))
def copy_then_assign_element(x):
    y = x.copy()
    y[0] = y[0] * 3.0
    return np.sum(y * y)


@case(lambda rng: (normal(rng, 4, 3),))
def row_add_assign_in_loop(X):
    Y = X * 1.0
    for i in range(1, Y.shape[0]):
        Y[i, :] += Y[i - 1, :]
    return np.sum(np.sin(Y))


@case(lambda rng: (normal(rng, 5),))
def zeros_filled_in_loop(x):
    out = np.zeros(len(x) - 1)
    for k in range(len(x) - 1):
        out[k] = x[k + 1] - x[k]
    return np.sum(out * out)


@case(lambda rng: (normal(rng, 4),))
def element_assign_in_loop(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = 0.5 * y[i - 1] + x[i]
    return np.sum(y**2)


@case(lambda rng: ((normal(rng, 3), normal(rng, 3)), normal(rng, 3)), wrt=0)
def params_tuple(params, x):
    w, b = params
    return np.sum(np.tanh(w * x + b))


@case(lambda rng: ([normal(rng, 3, 3) * 0.5 for _ in range(2)], normal(rng, 3)), wrt=0)
def params_list_of_layers(params, x):
    h = x
    for W in params:
        h = np.tanh(W @ h)
    return np.sum(h * h)


@case(lambda rng: ({"w": normal(rng, 3), "b": normal(rng, 3)}, normal(rng, 3)), wrt=0)
def params_dict(params, x):
    return np.sum(np.tanh(params["w"] * x + params["b"]))


@case(lambda rng: (normal(rng, 6, 3) * 0.4, normal(rng, 6, 3) * 0.4, normal(rng, 4, 3)), wrt=(0, 1))
def lstm_helper_tuple_in_loop(Wx, Wh, xs):
    h = np.zeros(3)
    c = np.zeros(3)
    for x in xs:
        h, c = _lstm_cell(Wx, Wh, x, h, c)
    return np.sum(h * h) + np.sum(c)


@case(lambda rng: (away_from_zero(rng, 6),))
def mask_assign_relu(x):
    y = x.copy()
    y[y < 0.0] = 0.0
    return np.sum(y * np.sin(x))


@case(lambda rng: (normal(rng, 5),))
def slice_assign_shifted(x):
    out = np.ones(len(x))
    out[1:] = x[:-1] * x[1:]
    return np.sum(out * x)


def _scaled_model(w, x, scale, shift):
    return np.tanh(x @ w * scale + shift)


@case(lambda rng: (normal(rng, 3), normal(rng, 4, 3), 0.5, 0.1))
def args_passed_through(w, *data):
    out = _scaled_model(w, *data)
    return np.sum(out**2)


# ---- nested tuples (were silently zero: a tuple inside a tuple, unpacked in two steps) -------


def _nested_moments(x):
    return (np.sum(x), np.sum(x * x)), (x[0], x[1])


@case(lambda rng: (normal(rng, 3),))
def helper_returns_nested_tuple(x):
    p, q = _nested_moments(x)
    a, b = p
    c, d = q
    return a * b + c * d


@case(lambda rng: (normal(rng, 3),))
def nested_tuple_unpacked_twice(x):
    t = ((np.sum(x), x[1]), x[0])
    u, v = t
    w, z = u
    return w * z + v * v


# ---- rank-1 updates in a loop, batched into one product after it --------------------------


@case(lambda rng: (normal(rng, 3, 3) * 0.5, normal(rng, 3, 3) * 0.5, normal(rng, 3)), wrt=(0, 1))
def two_matrices_in_a_loop(W, V, x):
    h = x
    for _ in range(3):
        a = np.tanh(W @ h)
        h = np.tanh(V @ a) + 0.5 * a
    return np.sum(h * h)


@case(lambda rng: (normal(rng, 3, 3) * 0.5, normal(rng, 3)), wrt=(0,))
def same_matrix_twice_per_step(W, x):
    h = x
    for _ in range(3):
        a = np.tanh(W @ h)
        h = np.tanh(W @ a)
    return np.sum(h * h)


@case(lambda rng: (normal(rng, 3, 3) * 0.5, normal(rng, 3)), wrt=(0,))
def rank_one_update_in_a_while_loop(W, x):
    h = x
    k = 0
    while k < 4:
        h = np.tanh(W @ h) + 0.1 * h
        k += 1
    return np.sum(h * h)


# ---- indices computed from the loop variable (`x[i + 1]`): a basic index, read from the tape


@case(lambda rng: (normal(rng, 5), 4.0), wrt=(0, 1))
def spring_chain_energy(x, k):
    e = 0.0
    for i in range(x.shape[0] - 1):
        stretch = x[i + 1] - x[i] - 1.0
        e = e + 0.5 * k * stretch * stretch
    return e


@case(lambda rng: (normal(rng, 6),))
def pairs_two_apart(x):
    total = 0.0
    for i in range(len(x) - 2):
        j = i + 2
        total = total + x[j] * x[i] - x[j - 1]
    return total


@case(lambda rng: (normal(rng, 2, 3),))
def branch_reading_a_dimension_the_argument_lacks(x):
    # the shape analysis read x.shape[2] of a 2-d x, in the branch not taken, and crashed
    if x.ndim == 3:
        n = x.shape[2]
    else:
        n = x.shape[0]
    return np.sum(x**2) * n


@case(lambda rng: (normal(rng, 3), 0.5, 1.2), wrt=0)
def where_mask_of_this_step_in_a_loop(x, s, t):
    # the mask np.where put on v's adjoint was applied to the statement before it with the
    # condition the tape held for that statement: the step before's (wrong, silently)
    out = np.zeros((3, 3))
    c = s > t
    for k in range(3):
        v = np.sin(x * (k + 1))
        c = s * (k + 1) > t
        out[k] = np.where(c, v, s)
    return np.sum(out) + np.sum(c * x)
