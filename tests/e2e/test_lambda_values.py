"""Lambdas written inside the differentiated function and used as values: in a list of
activations, as `sorted`'s key, in a dict dispatch table, given to np.apply_along_axis, bound
to a name and passed around, with defaults. Values against plain Python, gradients against
finite differences in both modes; the lambdas whose meaning would change are refused with
advice at their line (a nested function used as a value too: Python reads what it reads when
it is called)."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

X = np.random.default_rng(0).normal(size=(5, 3))


def in_a_list(W):
    fs = [np.tanh, lambda z: z**3]
    h = X
    for f in fs:
        h = f(h @ W)
    return np.mean(h)


def sort_key(x):
    pairs = [(x[i], i) for i in range(3)]
    ordered = sorted(pairs, key=lambda p: p[0])
    return ordered[0][0] * 2 + ordered[-1][0]


def dispatch(w):
    table = {"l2": lambda r: np.sum(r**2), "l1s": lambda r: np.sum(np.sqrt(r**2 + 1e-3))}
    r = X @ w
    return table["l2"](r) + table["l1s"](r)


def along_axis(w):
    rows = np.apply_along_axis(lambda row: np.sum(np.sin(row * w)), 1, X)
    return np.sum(rows**2)


def named_and_passed(w):
    scale = 2.0
    act = lambda z, k=3.0: np.tanh(z * k) * scale  # noqa: E731
    fs = [act, np.sin]
    return sum(np.sum(f(X @ w)) for f in fs) + np.sum(act(w, k=0.5))


def called_at_once(w):
    return np.sum((lambda z: z * w)(X) ** 2)


def lambda_in_a_lambda(w):
    make = [lambda a: lambda z: z * a * w]
    return np.sum(make[0](2.0)(X) ** 2)


def in_a_loop(w):
    total = 0.0
    for x in X:
        f = lambda z: np.sin(z) * w  # noqa: E731
        g = f
        total = total + np.sum(g(x))
    return total


CASES = {
    "in a list": (in_a_list, lambda rng: (rng.normal(size=(3, 3)) * 0.5,)),
    "sorted key": (sort_key, lambda rng: (np.array([0.3, -1.0, 2.0]),)),
    "dict dispatch": (dispatch, lambda rng: (rng.normal(size=3),)),
    "named, with a default, passed": (named_and_passed, lambda rng: (rng.normal(size=3),)),
    "called at once": (called_at_once, lambda rng: (rng.normal(size=3),)),
    "a lambda in a lambda": (lambda_in_a_lambda, lambda rng: (rng.normal(size=3),)),
    "in a loop": (in_a_loop, lambda rng: (rng.normal(size=3),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_in_both_modes(name):
    fn, make = CASES[name]
    args = make(np.random.default_rng(0))
    value, got = srcgrad.value_and_grad(fn)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    want = finite_differences(fn, list(args), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    direction = np.random.default_rng(1).normal(size=np.shape(args[0]))
    _, tangent = srcgrad.jvp(fn, args, direction, wrt=0)
    assert tangent == pytest.approx(np.sum(want * direction), rel=1e-6, abs=1e-8)


def test_a_lambda_given_to_apply_along_axis_reaches_the_rules():
    with pytest.raises(srcgrad.NoRuleError, match="apply_along_axis"):
        srcgrad.grad(along_axis)(np.ones(3))


def rebound_after(w):
    a = w
    fs = [lambda z: z * a]
    a = w * 2.0
    return np.sum(fs[0](X))


def loop_variable(w):
    fs = []
    for k in range(3):
        fs.append(lambda z: z * k * w)  # noqa: B023
    return np.sum(fs[0](X))


def comprehension_variable(w):
    fs = [lambda z: z * k for k in range(3)]  # noqa: B023
    return np.sum(fs[1](X @ w))


def nested_function_in_a_loop(w):
    fs = []

    def g(z):
        return z * k * w

    for k in range(3):  # noqa: B007 (g reads k)
        fs.append(g)
    return np.sum(fs[0](X))


def nested_function_rebound_after(w):
    a = w

    def g(z):
        return z * a

    fs = [g]
    a = w * 2.0
    return np.sum(fs[0](X))


@pytest.mark.parametrize(
    ("fn", "said"),
    [
        (nested_function_in_a_loop, "the nested function 'g' used as a value, which reads 'k'"),
        (nested_function_rebound_after, "the nested function 'g' used as a value, which reads"),
        (rebound_after, "reads 'a', which is bound again after the lambda is made"),
        (loop_variable, "reads 'k', which is bound again after the lambda is made"),
        (comprehension_variable, "a lambda inside a comprehension that reads its variable 'k'"),
    ],
)
def test_a_lambda_whose_names_would_change_is_refused_with_advice(fn, said):
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as error:
        srcgrad.grad(fn)(np.ones(3))
    message = str(error.value)
    assert said in message
    assert "fs = [" in message or "fs.append" in message  # (its line)
    assert error.value.hint
