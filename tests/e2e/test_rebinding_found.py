"""Programs the random rebinding tester (`test_random_rebinding_programs`,
`tests/fixtures/random_programs_rebinding.py`) found srcgrad getting wrong, minimised by hand,
kept as regression tests.

Past eight argument signatures of one function, srcgrad makes one generic version of the code
that serves every new signature (`api/gradient.py`, `_MAX_SIGNATURES`). The full look-up
(`Gradient._generated`) tested whether the code it found for a signature was made from bindings
that still hold, but not the generic version's: once a function had been called with nine
signatures, a rebinding was not seen by a call with a new signature, which ran the stale
generic code (the old function's derivative with the new one's value, or the old helper's
value and derivative both).
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import random_programs_check as checking

import srcgrad

SWEPT = """import numpy as np

ACT = np.tanh


def f(x, v):
    return np.sum(ACT(x)) * np.mean(v)
"""

X = np.array([0.1, 0.2, 0.3])


def _nine_shapes(call) -> None:
    """Call with `v` of nine lengths: the ninth makes the generic version."""
    for n in range(1, 10):
        call(np.ones(n))


def test_the_kept_gradient_at_a_new_shape_after_a_rebinding():
    module = checking.load(SWEPT)
    df = srcgrad.grad(module.f)
    _nine_shapes(lambda v: df(X, v))
    module.ACT = np.sin
    np.testing.assert_allclose(df(X, np.ones(10)), np.cos(X))  # (gave 1 - tanh(x) ** 2)


def test_a_fresh_gradient_at_a_shape_seen_before_the_rebinding():
    module = checking.load(SWEPT)
    df = srcgrad.grad(module.f)
    _nine_shapes(lambda v: df(X, v))
    module.ACT = np.sin
    np.testing.assert_allclose(srcgrad.grad(module.f)(X, np.ones(2)), np.cos(X))


def test_value_and_grad_right_value_stale_gradient():
    module = checking.load(SWEPT)
    vg = srcgrad.value_and_grad(module.f)
    _nine_shapes(lambda v: vg(X, v))
    module.ACT = np.sin
    value, gradient = srcgrad.value_and_grad(module.f)(X, np.ones(10))
    np.testing.assert_allclose(value, np.sum(np.sin(X)), rtol=1e-12)  # right
    np.testing.assert_allclose(gradient, np.cos(X))  # (gave tanh's derivative)


def test_forward_mode_after_a_rebinding():
    module = checking.load(SWEPT)
    forward = srcgrad.forward(module.f, wrt=0)
    _nine_shapes(lambda v: forward(np.ones(3), X, v))
    module.ACT = np.sin
    _, tangent = forward(np.ones(3), X, np.ones(10))
    np.testing.assert_allclose(tangent, np.sum(np.cos(X)))


HELPER = """import numpy as np


def helper(z):
    return np.tanh(z)


def f(x, v):
    return np.sum(helper(x) * np.mean(v))
"""


def _redefine_helper(module, folder) -> None:
    """`helper` redefined as a notebook re-runs a cell (from a file of its own)."""
    cell = folder / "cell.py"
    cell.write_text("def helper(z):\n    return np.sin(z)\n")
    exec(compile(cell.read_text(), str(cell), "exec"), module.__dict__)


def test_a_helper_redefined_like_a_notebook_cell_after_nine_shapes(tmp_path):
    module = checking.load(HELPER)
    df = srcgrad.grad(module.f)
    _nine_shapes(lambda v: df(X, v))
    _redefine_helper(module, tmp_path)
    np.testing.assert_allclose(df(X, np.ones(10)), np.cos(X))  # (gave 1 - tanh(x) ** 2)


def test_the_value_of_a_redefined_helper_is_the_old_ones_in_both_modes(tmp_path):
    module = checking.load(HELPER)
    vg = srcgrad.value_and_grad(module.f)
    forward = srcgrad.forward(module.f, wrt=0)
    _nine_shapes(lambda v: (vg(X, v), forward(np.ones(3), X, v)))
    _redefine_helper(module, tmp_path)
    values = vg(X, np.ones(10))[0], forward(np.ones(3), X, np.ones(10))[0]
    np.testing.assert_allclose(values, np.sum(np.sin(X)), rtol=1e-12)  # (gave sum(tanh(x)))


# ---- refused, not wrong: found by the same tester, a refusal of a program README says is
# differentiated (a helper of the user's called on constants, its result carried by a loop)

CONSTANT_CALL = """import numpy as np


def helper(z):
    return z * 0.5


def f(s):
    acc = helper(0.3)
    for i in range(2):
        acc = acc + s
    return acc
"""


def test_a_helper_called_on_constants_then_carried_by_a_loop():
    module = checking.load(CONSTANT_CALL)
    assert srcgrad.grad(module.f)(0.7) == pytest.approx(2.0)


# ---- a bound method read through an attribute is a new object at every read (`stats.norm.logpdf`,
# `rng.normal`): the same method of the same object is the same binding, not a rebinding (the code
# of a helper that calls one was made again at every call)


METHODS = """import numpy as np
from scipy import stats

RNG = np.random.default_rng(0)


def helper(w):
    return np.sum(stats.norm.logpdf(w, 0.0, 2.0)) + 0.0 * RNG.random()


def f(w):
    total = 0.0
    for k in range(3):
        total = total + helper(w * k)
    return total
"""


def test_a_bound_method_is_the_same_binding_at_every_read():
    module = checking.load(METHODS)
    df = srcgrad.grad(module.f)
    w = np.array([0.3, -0.2])
    first = df(w)
    made = srcgrad.api.gradient._CACHE.get(module.helper, {})
    kept = {key: entry for key, entry in made.items()}
    np.testing.assert_allclose(df(w), first)
    assert kept and all(made.get(key) is entry for key, entry in kept.items())
    assert all(entry.holds() for entry in made.values())
    module.stats = types.SimpleNamespace(norm=module.stats.t)  # (now a rebinding: made again)
    assert not all(entry.holds() for entry in made.values())
