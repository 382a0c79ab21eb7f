"""Loops, branches and calls: generated code as text, the tape's size, and the gradients."""

import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.api.gradient import CALLEES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from control_functions import (
    layer,
    leaky_power,
    piecewise,
    power,
    reads_only,
    rnn,
    two_layers,
)
from finite_differences import gradient

RNN = """\
def grad_rnn(W, U, xs, h0):
    _tape = []
    h = h0
    _t2 = xs.shape[0]
    for t in range(_t2):
        _tape.append(h)
        h = np.tanh(W @ h + U @ xs[t])
    # control_functions.py:10  return np.sum(h * h)
    dh = 2.0 * h
    # control_functions.py:8  for t in range(xs.shape[0]):
    _d_t6s = []
    _hs = []
    for t in reversed(range(_t2)):
        # control_functions.py:9  h = np.tanh(W @ h + U @ xs[t])
        d_t6 = dh * (1.0 - h * h)
        h = _tape.pop()
        _d_t6s.append(d_t6)
        _hs.append(h)
        dh = W.T @ d_t6
    # control_functions.py:9  h = np.tanh(W @ h + U @ xs[t])
    dU = np.stack(_d_t6s, axis=1) @ xs[:_t2][::-1]
    dW = np.stack(_d_t6s, axis=1) @ np.stack(_hs)
    return (dW, dU, dh)
"""

PIECEWISE = """\
def grad_piecewise(x):
    _t1 = x < -1.0
    if not _t1:
        _t2 = x < 1.0
    # control_functions.py:14  if x < -1.0:
    if _t1:
        # control_functions.py:15  y = -x
        dx = -1.0
    else:
        # control_functions.py:16  elif x < 1.0:
        if _t2:
            # control_functions.py:17  y = x * x
            dx = 2.0 * x
        else:
            # control_functions.py:19  y = 2.0 * x - 1.0
            dx = 2.0
    return dx
"""

TWO_LAYERS = """\
def grad_two_layers(W1, b1, W2, b2, x):
    h, layer_back = vjp_layer(x, W1, b1)
    y, layer_back_1 = vjp_layer_1(h, W2, b2)
    # control_functions.py:45  return np.sum(y * y)
    dy = 2.0 * np.full_like(y * y, 1.0) * y
    # control_functions.py:44  y = layer(h, W2, b2)
    dh, dW2, db2 = layer_back_1(dy)
    # control_functions.py:43  h = layer(x, W1, b1)
    dW1, db1 = layer_back(dh)
    return (dW1, db1, dW2, db2)
"""


def _text(source: str) -> str:
    """Generated code with this folder's path taken out of error locations."""
    return source.replace(str(Path(__file__).resolve().parents[1] / "fixtures") + "/", "")


def test_rnn_loop_reads_like_handwritten_backprop():
    shapes = [(4, 4), (4, 3), (5, 3), (4,)]
    source = srcgrad.grad(rnn, wrt=(0, 1, 3)).source_for(*map(np.ones, shapes))
    assert _text(source) == RNN


def test_elif_chain_replays_the_branch_taken():
    assert _text(srcgrad.grad(piecewise).source) == PIECEWISE


def test_helper_calls_show_as_calls_and_pullbacks():
    shapes = [(4, 3), (4,), (2, 4), (2,), (3,)]
    source = srcgrad.grad(two_layers, wrt=(0, 1, 2, 3)).source_for(*map(np.ones, shapes))
    assert _text(source) == TWO_LAYERS


def test_callee_code_is_readable_on_its_own():
    vjp = CALLEES.pullback(layer, ("W", "b"))
    vjp(np.ones(3), np.ones((4, 3)), np.ones(4))
    source = vjp.source
    assert source.startswith("def vjp_layer(x, W, b):")
    assert "def layer_back(d_out):" in source
    assert source.rstrip().endswith("return (_out, layer_back)")


# ---- the tape holds what is overwritten, nothing else -------------------------------------


class CountingTape(list):
    """A tape that counts what is pushed on it."""

    pushed = 0

    def append(self, value):
        CountingTape.pushed += 1
        super().append(value)


def _pushes(transform, *args) -> int:
    """Run the generated code with a counting tape; return how many values it saved."""
    source = transform.source_for(*args)
    function = transform._latest.function
    namespace = dict(function.__globals__)
    cells = function.__closure__ or ()
    namespace.update(zip(function.__code__.co_freevars, (c.cell_contents for c in cells)))
    namespace["CountingTape"] = CountingTape
    exec(
        compile(source.replace("_tape = []", "_tape = CountingTape()"), "<test>", "exec"), namespace
    )
    CountingTape.pushed = 0
    namespace[function.__name__](*args)
    return CountingTape.pushed


def test_straight_line_code_saves_nothing():
    assert "_tape" not in srcgrad.grad(piecewise).source_for(0.5)


def test_a_loop_that_only_reads_arrays_saves_none_of_them():
    transform = srcgrad.grad(reads_only, wrt=(0, 1))
    assert _pushes(transform, np.ones(1000), np.ones(1000), 50) == 0


def test_saved_entries_grow_with_what_the_loop_overwrites():
    transform = srcgrad.grad(rnn, wrt=(0, 1, 3))
    W, U, h0 = np.ones((4, 4)) * 0.1, np.ones((4, 3)), np.ones(4)
    short = _pushes(transform, W, U, np.ones((5, 3)), h0)
    long = _pushes(transform, W, U, np.ones((10, 3)), h0)
    # per step, h before it: h after it is the next step's h before (the step back before
    # gives it back), and x_t is indexed again
    assert short == 5 and long == 10


# ---- gradients --------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_loop_gradients_for_any_trip_count(steps):
    rng = np.random.default_rng(steps)
    args = (rng.normal(size=(3, 3)), rng.normal(size=3), steps)
    assert np.allclose(srcgrad.grad(leaky_power)(*args), gradient(leaky_power, args, 0))


@pytest.mark.parametrize("n", [0, 1, 5])
def test_recursion_with_a_data_dependent_base_case(n):
    assert np.isclose(srcgrad.grad(power)(1.3, n), n * 1.3 ** (n - 1) if n else 0.0)


def test_pullbacks_of_helpers_compose():
    rng = np.random.default_rng(0)
    args = tuple(rng.normal(size=s) for s in [(4, 3), (4,), (2, 4), (2,), (3,)])
    got = srcgrad.grad(two_layers, wrt=(0, 1, 2, 3))(*args)
    want = gradient(two_layers, args, (0, 1, 2, 3))
    assert all(np.allclose(a, b) for a, b in zip(got, want))


def test_input_checks_and_prints_stay_in_the_forward_sweep(capsys):
    from control_functions import checked

    g = srcgrad.grad(checked, wrt=1)
    x, w = np.linspace(-1, 1, 4), 0.7
    assert np.isclose(g(x, w), np.sum(x * (1 - np.tanh(x * w) ** 2)))
    assert "loss for (4,)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="expected a vector"):
        g(np.ones((2, 2)), w)


def test_no_grad_and_stop_gradient_keep_values_out_of_the_gradient():
    from control_functions import frozen_scale

    x, w = np.array([1.0, 2.0]), np.array([0.5, -3.0])
    transform = srcgrad.grad(frozen_scale, wrt=(0, 1))
    dx, dw = transform(x, w)
    scale = np.max(np.abs(w)) + 1.0  # a constant to the gradient
    assert np.allclose(dx, w / scale) and np.allclose(dw, x / scale + 2 * x)
    source = transform.source
    assert "scale = stop_gradient(np.max(np.abs(w)))" in source  # the block, copied
    assert "dscale" not in source  # no adjoint inside it
    assert frozen_scale(x, w) == pytest.approx(np.sum(x * w / scale + 2 * x * w))


def test_other_with_statements_run_their_block_inside_the_context(tmp_path):
    path = tmp_path / "withs.py"
    path.write_text(
        "import numpy as np\n\ndef f(x):\n    with np.errstate(all='ignore'):\n"
        "        y = np.log(x)\n    return np.sum(y)\n"
    )
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    import linecache

    linecache.checkcache(str(path))
    x = np.array([0.5, 2.0])
    np.testing.assert_allclose(srcgrad.grad(namespace["f"])(x), 1.0 / x)
