"""Statements there for their effects on the module (issue 15, item 6): a list the function
only appends to is kept for the caller as plain Python keeps it, once per call, in both
modes; a library call given a class or a string (`warnings.simplefilter("ignore",
RuntimeWarning)`) changes no memory the function computes from; a module-level list or dict
the function also reads is refused, with advice that leads to a right program."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

HISTORY: list = []
STORE: dict = {}
X = np.array([0.5, -1.0, 2.0])


def recorded(w):
    loss = np.sum(np.sin(w) ** 2)
    HISTORY.append(float(loss))
    for k in range(2):
        HISTORY.append(k)
    return loss


def quiet(w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = np.log(np.abs(w))
    return np.sum(p * w)


def read_back(w):
    HISTORY.append(w * 2.0)
    return np.sum(HISTORY[-1] * w)


def read_back_fixed(w):
    history_own = list(HISTORY)
    history_own.append(w * 2.0)
    return np.sum(history_own[-1] * w)


def stored(w):
    STORE["last"] = np.sum(w)
    return np.sum(w**2)


@pytest.fixture(autouse=True)
def _empty():
    HISTORY.clear()
    STORE.clear()


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "forward"])
def test_a_record_is_kept_once_per_call_as_plain_python_keeps_it(mode):
    want = recorded(X)
    plain = list(HISTORY)
    HISTORY.clear()
    if mode == "grad":
        srcgrad.grad(recorded)(X)
    elif mode == "value_and_grad":
        assert srcgrad.value_and_grad(recorded)(X)[0] == pytest.approx(want, rel=1e-12)
    else:
        assert srcgrad.forward(recorded)(np.ones(3), X)[0] == pytest.approx(want, rel=1e-12)
    assert plain == HISTORY


def test_a_record_goes_to_the_list_the_name_denotes_at_each_call():
    global HISTORY
    expected = finite_differences(recorded, (X,))
    HISTORY.clear()
    df = srcgrad.grad(recorded)
    df(X)
    old, HISTORY = HISTORY, []
    try:
        np.testing.assert_allclose(df(X), expected, rtol=1e-6)
        assert len(HISTORY) == 3 and len(old) == 3
    finally:
        HISTORY = old


def test_warnings_simplefilter_given_a_class_changes_nothing():
    got = srcgrad.grad(quiet)(X)
    np.testing.assert_allclose(got, finite_differences(quiet, (X,)), rtol=1e-6)


@pytest.mark.parametrize(("fn", "kind"), [(read_back, "list 'HISTORY'"), (stored, "dict 'STORE'")])
def test_a_module_level_container_read_or_stored_into_is_refused_with_advice(fn, kind):
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=f"module-level {kind}") as caught:
        srcgrad.grad(fn)(X)
    assert "_own = " in caught.value.hint


def test_the_advice_leads_to_a_right_program():
    HISTORY.append(np.zeros(3))
    got = srcgrad.grad(read_back_fixed)(X)
    np.testing.assert_allclose(got, finite_differences(read_back_fixed, (X,)), rtol=1e-6)
    assert len(HISTORY) == 1


# ---- the caller's containers that are not differentiated end as plain Python leaves them


def _normalized(x, running, momentum=0.1):
    mu = x.mean(axis=0)
    running["mean"] = (1 - momentum) * running["mean"] + momentum * mu
    return (x - mu) / np.std(x, axis=0)


def batch_norm_loss(W, x, running, history):
    h = _normalized(x @ W, running)
    loss = np.sum(np.tanh(h) ** 2)
    history.append(float(loss))
    return loss


def state_buffer(w, state):
    state[0] = state[0] + 1.0
    return np.sum(w**2) * state[0]


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp", "forward"])
def test_running_statistics_and_a_history_are_left_as_plain_python_leaves_them(mode):
    rng = np.random.default_rng(0)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(5, 3))
    plain_running, plain_history = {"mean": np.zeros(2)}, []
    want = batch_norm_loss(W, x, plain_running, plain_history)
    running, history = {"mean": np.zeros(2)}, []
    if mode == "grad":
        srcgrad.grad(batch_norm_loss)(W, x, running, history)
    elif mode == "value_and_grad":
        assert srcgrad.value_and_grad(batch_norm_loss)(W, x, running, history)[0] == want
    elif mode == "vjp":
        value, pullback = srcgrad.vjp(batch_norm_loss, W, x, running, history)
        pullback(1.0)
        assert value == want
    else:
        assert srcgrad.forward(batch_norm_loss)(np.ones_like(W), W, x, running, history)[0] == want
    np.testing.assert_allclose(running["mean"], plain_running["mean"], rtol=1e-15)
    assert plain_history == history


def test_the_gradient_is_the_one_at_the_statistics_the_call_started_from():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(5, 3))
    start = {"mean": np.ones(2)}
    expected = finite_differences(lambda w: batch_norm_loss(w, x, {"mean": np.ones(2)}, []), (W,))
    running = dict(start)
    got = srcgrad.grad(batch_norm_loss)(W, x, running, [])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    assert running["mean"] is not start["mean"]


def test_an_array_argument_updated_in_place_is_left_unchanged():
    state, w = np.zeros(1), np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(state_buffer)(w, state), 2 * w)
    assert state[0] == 0.0  # (plain Python leaves 1.0: srcgrad never changes an array argument)
