"""The idioms of a params dict argument, whose keys srcgrad specialises on: `p.get(k, d)`
(the item where `k` is a key, else the default), `k in p`, loops over `p`, `p.keys()`,
`p.items()`, `p.values()`; gradients against finite differences, for dicts with and without
the key asked for."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

X = np.random.default_rng(4).normal(size=(4, 3))


def get_default(p):
    b = p.get("b", 0.0)
    return np.sum((X @ p["w"] + b) ** 2)


def get_without_default(p):
    w = p.get("w")
    scale = p.get("scale", np.ones(1))  # (a default computed by a call: computed)
    return np.sum(np.tanh(X @ w) * scale)


def in_and_loops(p):
    s = np.sum(p["w"])
    if "b" in p:
        s = s + p["b"] * 2.0
    for k in p.keys():  # noqa: SIM118
        s = s + np.sum(p[k] ** 2)
    for _k, v in p.items():
        s = s + np.sum(np.sin(v))
    return s + sum(np.sum(v) for v in p.values())


DICTS = {
    "with b": lambda: {"w": np.array([0.3, -0.2, 0.5]), "b": 0.7},
    "without b": lambda: {"w": np.array([0.3, -0.2, 0.5])},
    "with scale": lambda: {"w": np.array([0.3, -0.2, 0.5]), "scale": np.array([1.5])},
}


@pytest.mark.parametrize("fn", [get_default, get_without_default, in_and_loops])
@pytest.mark.parametrize("which", sorted(DICTS))
def test_gradient_of_a_dict_argument(fn, which):
    p = DICTS[which]()
    value, got = srcgrad.value_and_grad(fn)(p)
    assert value == pytest.approx(fn(p), rel=1e-12)
    want = finite_differences(fn, [p], 0)
    assert set(got) == set(p)
    for key in p:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6, atol=1e-8)
