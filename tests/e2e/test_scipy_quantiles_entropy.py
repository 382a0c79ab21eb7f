"""scipy.stats's normal quantiles (`norm.ppf`, `norm.isf`) and `entropy`, differentiated through
the definitions of srcgrad/rules/scipy_stats_scales.py: the values equal SciPy's, inside,
across the edges and where a parameter is out of its range; the gradient and the tangent equal
finite differences; a Hessian equals finite differences of the gradient; and a
`nan_policy` srcgrad does not follow is refused at the user's line. (The distributions of that
file, lognorm, invgamma and halfnorm, are among tests/fixtures/stats_cases.py's.)"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.stats as st
from finite_differences import gradient as finite_differences

import srcgrad
from srcgrad.rules import registry

Q = np.array([0.1, 0.3, 0.5, 0.8, 0.9])
P = np.array([0.5, 1.2, 2.0, 0.3])
R = np.array([1.1, 0.4, 0.9, 2.5])


def _close(got, want, rtol=1e-6):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-8)


@pytest.mark.parametrize("method", ["ppf", "isf"])
def test_the_quantiles_have_scipys_parameters_and_values(method):
    ours, theirs = registry.definition(getattr(st.norm, method)), getattr(st.norm, method)
    assert list(inspect.signature(ours).parameters) == ["q", "loc", "scale"]
    edges = np.array([-0.1, 0.0, 1e-300, 0.5, 1.0 - 1e-12, 1.0, 1.5, np.nan])
    for args in [(Q, 0.2, 1.3), (edges, 0.2, 1.3), (Q, 0.2, 0.0), (Q, 0.2, -1.0), (0.3,)]:
        with np.errstate(all="ignore"):
            _close(ours(*args), theirs(*args), rtol=1e-12)


def quantile_loss(q, loc, scale):
    return np.sum(st.norm.ppf(q, loc, scale) ** 2) + np.sum(st.norm.isf(q, loc=loc, scale=scale))


def reparameterised(scale):
    return np.sum(st.norm.ppf([0.1, 0.9], loc=0.2, scale=scale) ** 3)


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_the_quantiles_gradient_and_tangent_match_finite_differences(wrt):
    args = (Q, 0.2, 1.3)
    _close(srcgrad.grad(quantile_loss, wrt)(*args), finite_differences(quantile_loss, args, wrt))
    tangent = np.ones_like(args[wrt]) if np.ndim(args[wrt]) else 1.0
    _, got = srcgrad.jvp(quantile_loss, args, tangent, wrt=wrt)
    _close(got, np.sum(finite_differences(quantile_loss, args, wrt) * tangent))


def test_a_quantile_of_a_list_in_a_reparameterisation():
    _close(srcgrad.grad(reparameterised)(1.3), finite_differences(reparameterised, [1.3], 0))
    gradient = srcgrad.grad(reparameterised)
    want = finite_differences(gradient, [1.3], 0)
    _close(srcgrad.grad(srcgrad.grad(reparameterised))(1.3), want, rtol=1e-5)


def test_the_quantiles_hessian_in_the_point():
    gradient, q = srcgrad.grad(quantile_loss), Q[1:]
    want = np.array(
        [finite_differences(lambda q, k=k: gradient(q, 0.2, 1.3)[k], [q], 0) for k in range(4)]
    )
    _close(srcgrad.hessian(quantile_loss)(q, 0.2, 1.3), want, rtol=1e-5)


# ---- entropy -----------------------------------------------------------------------------------


def test_entropy_has_scipys_parameters():
    ours = inspect.signature(registry.definition(st.entropy)).parameters.values()
    theirs = inspect.signature(st.entropy).parameters.values()
    assert [(p.name, p.default, p.kind) for p in ours] == [
        (p.name, p.default, p.kind) for p in theirs
    ]


ENTROPY_CALLS = [
    ((P,), {}),
    ((P, R), {}),
    ((P,), {"base": 2.0}),
    ((P, R), {"base": 10.0}),
    ((np.outer(P, R),), {}),
    ((np.outer(P, R),), {"axis": 1}),
    ((np.outer(P, R), np.outer(R, P)), {"axis": -1, "keepdims": True}),
    ((np.array([0.0, 1.0, 2.0]),), {}),
    ((np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.0, 2.0])), {}),
    (([0.5, 1.5, 2.0],), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), ENTROPY_CALLS)
def test_entropy_values_equal_scipys(args, kwargs):
    got = registry.definition(st.entropy)(*args, **kwargs)
    want = st.entropy(*args, **kwargs)
    assert np.shape(got) == np.shape(want)
    _close(got, want, rtol=1e-12)


def entropy_of(p):
    return st.entropy(p)


def entropy_against(p, q):
    return st.entropy(p, q, base=2.0)


def entropy_of_rows(p):
    return np.sum(st.entropy(p, axis=1) ** 2)


def entropy_of_a_list(s):
    return st.entropy([s, 1.0, 2.0])


ENTROPIES = [
    (entropy_of, (P,), 0),
    (entropy_against, (P, R), 0),
    (entropy_against, (P, R), 1),
    (entropy_of_rows, (np.outer(P, R),), 0),
    (entropy_of_a_list, (1.3,), 0),
]


@pytest.mark.parametrize(("fn", "args", "wrt"), ENTROPIES, ids=lambda v: getattr(v, "__name__", ""))
def test_entropy_gradient_tangent_and_hessian_match_finite_differences(fn, args, wrt):
    want = finite_differences(fn, args, wrt)
    _close(srcgrad.grad(fn, wrt)(*args), want)
    tangent = np.linspace(0.5, 1.5, np.size(args[wrt])).reshape(np.shape(args[wrt]))
    tangent = tangent if np.ndim(args[wrt]) else 1.0
    _, got = srcgrad.jvp(fn, args, tangent, wrt=wrt)
    _close(got, np.sum(want * tangent))
    if np.ndim(args[wrt]) == 1:
        gradient = srcgrad.grad(fn, wrt)
        rows = []
        for k in range(np.size(args[wrt])):
            row = lambda *a, k=k: gradient(*a)[k]  # noqa: E731
            rows.append(finite_differences(row, args, wrt))
        _close(srcgrad.hessian(fn, wrt)(*args), np.array(rows), rtol=1e-5)


def entropy_omitting_nans(p):
    return st.entropy(p, nan_policy="omit")


def test_a_nan_policy_srcgrad_does_not_follow_is_refused_at_the_users_line():
    with pytest.raises(srcgrad.NoRuleError, match="nan_policy") as caught:
        srcgrad.grad(entropy_omitting_nans)(P)
    assert caught.value.origin.lineno == entropy_omitting_nans.__code__.co_firstlineno + 1
