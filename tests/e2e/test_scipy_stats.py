"""scipy.stats distributions, differentiated through the definitions of srcgrad/rules/scipy_stats.py.

Every distribution and method (tests/fixtures/stats_cases.py) with respect to the point and each
parameter: the values equal SciPy's, inside the support, across its edges, where a parameter is
out of its range and where arrays broadcast; the gradient (reverse mode) and the tangent (forward
mode) equal finite differences; a sample of Hessians equals finite differences of the gradient.
Then what users write around them: frozen distributions, points off the support whose
derivative must be 0 and not nan, the multivariate normal and the Dirichlet distribution, and
the derivatives srcgrad refuses, at the user's line.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.special
import scipy.stats
import scipy.stats as st
import stats_cases as cases
from finite_differences import gradient as finite_differences
from scipy.stats import dirichlet, multivariate_normal, norm

import srcgrad
from srcgrad.rules import registry

RTOL = 1e-6
ATOL = 1e-8


def _scipy(distribution: str, method: str):
    return getattr(getattr(scipy.stats, distribution), method)


def _definition(distribution: str, method: str):
    found = registry.definition(_scipy(distribution, method))
    assert found is not None, f"scipy.stats.{distribution}.{method} has no definition"
    return found


def _close(got, want, what: str = "", rtol: float = RTOL):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=ATOL, err_msg=what)


# ---- signatures and values ---------------------------------------------------------------------


def _scipy_parameters(distribution: str, method: str) -> list[tuple[str, object]]:
    """SciPy's parameters of the method, as its documentation gives them: the point, the
    shape parameters, loc and scale (an rv_discrete has no scale)."""
    obj = getattr(scipy.stats, distribution)
    required = inspect.Parameter.empty
    shapes = [(s, required) for s in (getattr(obj, "shapes", None) or "").split(", ") if s]
    if isinstance(obj, scipy.stats.rv_continuous):
        return [("x", required), *shapes, ("loc", 0), ("scale", 1)]
    if isinstance(obj, scipy.stats.rv_discrete):
        return [("k", required), *shapes, ("loc", 0)]
    return [
        (p.name, p.default) for p in inspect.signature(getattr(obj, method)).parameters.values()
    ]


METHODS = [
    *((d.name, m) for d in cases.DISTRIBUTIONS.values() for m in d.methods),
    ("multivariate_normal", "logpdf"),
    ("multivariate_normal", "pdf"),
    ("dirichlet", "logpdf"),
    ("dirichlet", "pdf"),
]


@pytest.mark.parametrize("distribution, method", METHODS, ids=[".".join(m) for m in METHODS])
def test_the_definition_has_scipys_parameters_in_order_with_their_defaults(distribution, method):
    signature = inspect.signature(_definition(distribution, method))
    got = [(p.name, p.default) for p in signature.parameters.values()]
    assert got == _scipy_parameters(distribution, method)


# points across the edges of each support, standardized (x = loc + scale * y)
EDGES = {
    "real": [-np.inf, -40.0, -8.0, -1e-9, 0.0, 0.7, 8.0, 40.0, np.inf, np.nan],
    "positive": [-np.inf, -1.0, 0.0, 1e-8, 0.5, 3.0, 30.0, np.inf, np.nan],
    "unit": [-np.inf, -0.5, 0.0, 1e-8, 0.3, 0.5, 1.0 - 1e-8, 1.0, 1.5, np.inf, np.nan],
    "counts": [-np.inf, -1.0, 0.0, 0.5, 1.0, 2.0, 30.0, np.inf, np.nan],
}
SUPPORTS = {
    "norm": "real",
    "t": "real",
    "laplace": "real",
    "logistic": "real",
    "gamma": "positive",
    "chi2": "positive",
    "expon": "positive",
    "lognorm": "positive",
    "invgamma": "positive",
    "halfnorm": "positive",
    "beta": "unit",
    "poisson": "counts",
}


def _edge_points(case) -> np.ndarray:
    d = case.distribution
    named = dict(zip(d.parameters, d.values))
    y = np.array(EDGES[SUPPORTS[d.name]])
    return named.get("loc", 0.0) + named.get("scale", 1.0) * y


def _out_of_range(case) -> list[tuple]:
    """Parameter values SciPy gives nan for: a scale at or below 0, a shape at or below 0 (a
    Poisson mean below 0), nan."""
    d = case.distribution
    wrong = []
    for i, name in enumerate(d.parameters):
        if name == "loc":
            continue
        for bad in (0.0, -1.0, np.nan) if name != "mu" else (-1.0, np.nan):
            values = list(d.values)
            values[i] = bad
            wrong.append(tuple(values))
    return wrong


@pytest.mark.parametrize("case", [c for c in cases.CASES if not c.spread], ids=lambda c: c.id)
def test_values_equal_scipys_inside_across_the_edges_and_out_of_range(case):
    d = case.distribution
    ours, theirs = _definition(d.name, case.method), _scipy(d.name, case.method)
    inputs = [
        (d.point, *d.values),
        (_edge_points(case), *d.values),
        (d.point, *d.spread),
        *((d.point, *values) for values in _out_of_range(case)),
    ]
    for args in inputs:
        with np.errstate(all="ignore"):  # (infinite points: inf - inf, log 0)
            want, got = theirs(*args), ours(*args)
        assert np.shape(got) == np.shape(want), args
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=str(args))


@pytest.mark.parametrize("case", [c for c in cases.CASES if not c.spread], ids=lambda c: c.id)
def test_numbers_in_make_a_number_out(case):
    d = case.distribution
    args = (float(d.point[1]), *d.values)
    got = _definition(d.name, case.method)(*args)
    assert np.ndim(got) == 0
    np.testing.assert_allclose(got, _scipy(d.name, case.method)(*args), rtol=1e-12)


# ---- derivatives of every method ---------------------------------------------------------------


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case):
    f, args, wrt = case.function, case.arguments(), case.differentiated()
    value, got = srcgrad.value_and_grad(f, wrt)(*args)
    _close(value, f(*args), "value", rtol=1e-12)
    want = finite_differences(f, args, wrt)
    for position, g, fd in zip(wrt, got, want):
        assert np.shape(g) == np.shape(args[position])
        _close(g, fd, f"d/d{f.__code__.co_varnames[position]}")


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_forward_mode_matches_finite_differences(case):
    """Each argument alone moved along a random tangent (the others' tangents 0)."""
    f, args, wrt = case.function, case.arguments(), case.differentiated()
    want = finite_differences(f, args, wrt)
    rng = np.random.default_rng(7)
    for k, position in enumerate(wrt):
        tangents = [np.zeros_like(args[p]) if np.ndim(args[p]) else 0.0 for p in wrt]
        shape = np.shape(args[position])
        tangents[k] = rng.standard_normal(shape) if shape else float(rng.standard_normal())
        value, tangent = srcgrad.jvp(f, args, tuple(tangents), wrt=wrt)
        _close(value, f(*args), "value", rtol=1e-12)
        _close(tangent, np.sum(want[k] * tangents[k]), f"along {f.__code__.co_varnames[position]}")


HESSIANS = [
    ("norm", "logpdf"),
    ("norm", "logcdf"),
    ("t", "logpdf"),
    ("t", "sf"),
    ("gamma", "logpdf"),
    ("gamma", "cdf"),
    ("chi2", "pdf"),
    ("beta", "logpdf"),
    ("beta", "logsf"),
    ("expon", "logcdf"),
    ("laplace", "cdf"),
    ("logistic", "logpdf"),
    ("lognorm", "logpdf"),
    ("invgamma", "logpdf"),
    ("halfnorm", "logsf"),
    ("poisson", "logpmf"),
    ("poisson", "sf"),
]


def _jacobian_of_gradient(gradient, args) -> np.ndarray:
    p = args[0]
    rows = [
        finite_differences(lambda q, *rest, i=i: gradient(q, *rest)[i], args, 0)
        for i in range(np.size(p))
    ]
    return np.array(rows)


@pytest.mark.parametrize("distribution, method", HESSIANS, ids=[".".join(h) for h in HESSIANS])
def test_hessian_in_the_parameters_matches_finite_differences_of_the_gradient(distribution, method):
    case = cases.Case(cases.DISTRIBUTIONS[distribution], method)
    f, args = case.packed, case.packed_arguments()
    got = srcgrad.hessian(f)(*args)
    want = _jacobian_of_gradient(srcgrad.grad(f), args)
    _close(got, want, "Hessian", rtol=1e-5)
    _close(got, got.T, "symmetry", rtol=1e-9)


@pytest.mark.parametrize(
    "distribution, method", HESSIANS[:4], ids=[".".join(h) for h in HESSIANS[:4]]
)
def test_hessian_in_the_point_matches_finite_differences_of_the_gradient(distribution, method):
    case = cases.Case(cases.DISTRIBUTIONS[distribution], method)
    f, args = case.function, case.arguments()
    got = srcgrad.hessian(f)(*args)
    want = _jacobian_of_gradient(srcgrad.grad(f), args)
    _close(got, want, "Hessian", rtol=1e-5)


# ---- points off the support: a derivative of 0, never nan --------------------------------------

# standardized points off each bounded support (a Poisson count below 0)
OFF = {"positive": [-2.0, -0.5], "unit": [-0.5, 1.5], "counts": [-3.0, -1.0]}
BOUNDED = [c for c in cases.CASES if SUPPORTS[c.distribution.name] in OFF and not c.spread]


def _with_points_off_the_support(case) -> tuple:
    x, *values, w = case.arguments()
    named = dict(zip(case.distribution.parameters, case.distribution.values))
    off = named.get("loc", 0.0) + named.get("scale", 1.0) * np.array(
        OFF[SUPPORTS[case.distribution.name]]
    )
    return (np.concatenate([x, off]), *values, np.concatenate([w, [1.0, 1.0]]))


@pytest.mark.parametrize("case", BOUNDED, ids=lambda c: c.id)
def test_points_off_the_support_add_nothing_to_the_gradient(case):
    """The gradient is that of the points inside (finite differences there), and 0 for each
    point outside, in both modes, also where the value is -inf."""
    f, inside, wrt = case.function, case.arguments(), case.differentiated()
    mixed = _with_points_off_the_support(case)
    got = srcgrad.grad(f, wrt)(*mixed)
    want = finite_differences(f, inside, wrt)
    for position, g, fd in zip(wrt, got, want):
        assert np.all(np.isfinite(g)), f"d/d{f.__code__.co_varnames[position]}: {g}"
        if position == 0:
            _close(g[:4], fd, "d/dx inside")
            assert np.all(g[4:] == 0.0), f"d/dx outside: {g[4:]}"
        else:
            _close(g, fd, f"d/d{f.__code__.co_varnames[position]}")
    tangents = tuple(np.ones_like(mixed[p]) if np.ndim(mixed[p]) else 1.0 for p in wrt)
    _, tangent = srcgrad.forward(f, wrt)(tangents, *mixed)
    expected = sum(np.sum(fd[:4] if p == 0 else fd) for p, fd in zip(wrt, want))
    _close(tangent, expected, "forward mode")


@pytest.mark.parametrize(
    "distribution, method",
    [("gamma", "logpdf"), ("beta", "cdf"), ("expon", "pdf"), ("poisson", "logpmf")],
    ids=lambda v: v,
)
def test_points_off_the_support_add_nothing_to_the_hessian(distribution, method):
    case = cases.Case(cases.DISTRIBUTIONS[distribution], method)
    p, x, *rest = case.packed_arguments()
    mixed = _with_points_off_the_support(case)
    got = srcgrad.hessian(case.packed)(p, mixed[0], *rest[:-1], mixed[-1])
    want = srcgrad.hessian(case.packed)(p, x, *rest)
    _close(got, want, "Hessian", rtol=1e-12)


def t_and_normal(x, mu):
    return np.sum(
        scipy.stats.t.logpdf(x, np.inf, mu, 1.3) + scipy.stats.t.cdf(x, np.inf, mu, 1.3)
    ) - np.sum(scipy.stats.norm.logpdf(x, mu, 1.3) + scipy.stats.norm.cdf(x, mu, 1.3))


def test_infinitely_many_degrees_of_freedom_make_t_the_normal_distribution():
    for method in cases.CONTINUOUS:
        got = _definition("t", method)(cases.REAL, np.inf, 0.3, 1.3)
        _close(got, _scipy("norm", method)(cases.REAL, 0.3, 1.3), method, rtol=1e-14)
    dx, dmu = srcgrad.grad(t_and_normal, (0, 1))(cases.REAL, 0.3)
    _close(dx, np.zeros(4))
    _close(dmu, 0.0)


def log_tails(x):
    return (
        scipy.stats.norm.logcdf(-x)
        + scipy.stats.norm.logsf(x)
        + scipy.stats.logistic.logcdf(-x)
        + scipy.stats.laplace.logsf(x)
        + scipy.stats.t.logcdf(-x, 4.0)
    )


@pytest.mark.parametrize("x", [0.5, 6.0, 30.0, 200.0])
def test_log_distribution_functions_have_their_derivative_far_in_the_tails(x):
    got = srcgrad.grad(log_tails)(x)
    _close(got, finite_differences(log_tails, (x,), 0), f"at {x}")
    _, tangent = srcgrad.jvp(log_tails, (x,), (1.0,))
    _close(tangent, got, "forward mode")


def poisson_counts(k, mu):
    return np.sum(scipy.stats.poisson.logpmf(k, mu) + scipy.stats.poisson.cdf(k, mu))


def test_a_poisson_count_has_no_derivative_and_the_mean_has_its_own():
    k = np.array([0.0, 2.0, 5.0])
    dk, dmu = srcgrad.grad(poisson_counts, (0, 1))(k, 2.5)
    assert np.all(dk == 0.0)
    _close(dmu, finite_differences(poisson_counts, (k, 2.5), 1))


# ---- multivariate normal and Dirichlet ------------------------------------------------------------

RNG = np.random.default_rng(3)
POINTS = RNG.standard_normal((5, 3))
MEAN = np.array([0.2, -0.1, 0.4])
ROOT = RNG.standard_normal((3, 3))
COV = ROOT @ ROOT.T + 0.5 * np.eye(3)


def normal_logpdf(x, mean, root, w):
    cov = root @ root.T + 0.5 * np.eye(3)
    return np.sum(w * multivariate_normal.logpdf(x, mean, cov))


def normal_pdf(x, mean, root, w):
    cov = root @ root.T + 0.5 * np.eye(3)
    return np.sum(w * scipy.stats.multivariate_normal.pdf(x, mean=mean, cov=cov))


def normal_diagonal(x, variances):
    return multivariate_normal.logpdf(x, MEAN, cov=variances)  # one point: a number


def normal_centred(x, root):
    return np.sum(multivariate_normal.logpdf(x, cov=root @ root.T + 0.5 * np.eye(3)))


def normal_isotropic(x, mean, variance):
    return np.sum(multivariate_normal.logpdf(x, mean, variance))


def normal_one_dimensional(x, mean, variance):
    return np.sum(multivariate_normal.logpdf(x, mean, variance))  # x: points of one dimension


NORMALS = {
    "points": (normal_logpdf, (POINTS, MEAN, ROOT, RNG.uniform(0.5, 1.5, 5)), (0, 1, 2)),
    "pdf": (normal_pdf, (POINTS, MEAN, ROOT, RNG.uniform(0.5, 1.5, 5)), (0, 1, 2)),
    "diagonal": (normal_diagonal, (POINTS[0], np.array([0.5, 1.2, 2.0])), (0, 1)),
    "centred": (normal_centred, (POINTS, ROOT), (0, 1)),
    "isotropic": (normal_isotropic, (POINTS, MEAN, 1.3), (0, 1, 2)),
    "one dimension": (normal_one_dimensional, (POINTS[:, 0], 0.3, 1.3), (0, 1, 2)),
}


@pytest.mark.parametrize("name", NORMALS)
def test_multivariate_normal_gradient_and_tangent_match_finite_differences(name):
    f, args, wrt = NORMALS[name]
    value, got = srcgrad.value_and_grad(f, wrt)(*args)
    _close(value, f(*args), "value", rtol=1e-12)
    want = finite_differences(f, args, wrt)
    for g, fd in zip(got, want):
        _close(g, fd)
    tangents = tuple(np.ones_like(args[p]) if np.ndim(args[p]) else 1.0 for p in wrt)
    _, tangent = srcgrad.forward(f, wrt)(tangents, *args)
    _close(tangent, sum(np.sum(fd) for fd in want), "forward mode")


MULTIVARIATE_VALUES = [
    (POINTS, MEAN, COV),
    (POINTS[0], MEAN, COV),  # one point: a number
    (POINTS[:1], MEAN, COV),  # one point in a (1, 3) array: a number too
    (POINTS.reshape(5, 1, 3), MEAN, COV),
    (POINTS, MEAN, np.array([0.5, 1.2, 2.0])),
    (POINTS, None, COV),
    (POINTS, MEAN, 2.5),
    (POINTS[:, 0], 0.3, 1.3),
    (0.4, None, 1),
    (POINTS, MEAN, COV, True),
]


@pytest.mark.parametrize("args", MULTIVARIATE_VALUES, ids=range(len(MULTIVARIATE_VALUES)))
@pytest.mark.parametrize("method", ["logpdf", "pdf"])
def test_multivariate_normal_values_and_shapes_equal_scipys(method, args):
    got = _definition("multivariate_normal", method)(*args)
    want = _scipy("multivariate_normal", method)(*args)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def normal_mean_only(mean, x):
    return np.sum(multivariate_normal.logpdf(x, mean, COV))


def test_multivariate_normal_hessian_in_the_mean_is_minus_the_precision_times_the_points():
    got = srcgrad.hessian(normal_mean_only)(MEAN, POINTS)
    _close(got, -len(POINTS) * np.linalg.inv(COV), rtol=1e-10)


def normal_singular_allowed(mean, x):
    return np.sum(multivariate_normal.logpdf(x, mean, np.diag([1.0, 1.0, 0.0]), True))


def normal_singular(mean, x):
    return np.sum(multivariate_normal.logpdf(x, mean, np.diag([1.0, 1.0, 0.0])))


def test_a_singular_covariance_is_refused_where_scipy_allows_it_and_scipys_error_elsewhere():
    with pytest.raises(srcgrad.NoRuleError, match="nonsingular covariance only"):
        srcgrad.grad(normal_singular_allowed)(MEAN, POINTS)
    with pytest.raises(np.linalg.LinAlgError):
        scipy.stats.multivariate_normal.logpdf(POINTS, MEAN, np.diag([1.0, 1.0, 0.0]))
    with pytest.raises(np.linalg.LinAlgError):
        srcgrad.grad(normal_singular)(MEAN, POINTS)


def dirichlet_first_components(x, alpha):
    return dirichlet.logpdf(x, alpha)  # the last component is 1 - sum(x)


def dirichlet_density(alpha, x):
    return np.sum(scipy.stats.dirichlet.pdf(x, alpha))


SIMPLEX = np.array([[0.2, 0.1, 0.5, 0.3], [0.5, 0.6, 0.1, 0.3], [0.3, 0.3, 0.4, 0.4]])
ALPHA = np.array([1.5, 2.0, 3.2])


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (dirichlet_first_components, (np.array([0.2, 0.5]), ALPHA), (0, 1)),
        (dirichlet_density, (ALPHA, SIMPLEX), 0),
        (dirichlet_density, (ALPHA, SIMPLEX[:2]), (0, 1)),
    ],
    ids=["first components", "points", "points without their last components"],
)
def test_dirichlet_gradient_and_tangent_match_finite_differences(f, args, wrt):
    got = srcgrad.grad(f, wrt)(*args)
    want = finite_differences(f, args, wrt)
    for g, fd in zip(
        got if isinstance(wrt, tuple) else (got,), want if isinstance(wrt, tuple) else (want,)
    ):
        _close(g, fd)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = tuple(np.ones_like(args[p]) for p in positions)
    _, tangent = srcgrad.forward(f, wrt)(tangents if isinstance(wrt, tuple) else tangents[0], *args)
    _close(tangent, sum(np.sum(fd) for fd in (want if isinstance(wrt, tuple) else (want,))))


@pytest.mark.parametrize("x", [SIMPLEX[:, 0], SIMPLEX, SIMPLEX[:2], SIMPLEX[:2, 1]], ids=range(4))
@pytest.mark.parametrize("method", ["logpdf", "pdf"])
def test_dirichlet_values_and_shapes_equal_scipys(method, x):
    got = _definition("dirichlet", method)(x, ALPHA)
    want = _scipy("dirichlet", method)(x, ALPHA)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_point_off_the_simplex_raises_scipys_error():
    with pytest.raises(ValueError, match="simplex"):
        srcgrad.grad(dirichlet_density)(ALPHA, SIMPLEX * 1.1)


def test_the_hessian_of_the_dirichlet_log_density_in_alpha_is_the_trigamma_matrix():
    got = srcgrad.hessian(dirichlet_first_components, 1)(np.array([0.2, 0.5]), ALPHA)
    trigamma = scipy.special.polygamma(1, ALPHA)
    _close(got, scipy.special.polygamma(1, ALPHA.sum()) - np.diag(trigamma), rtol=1e-10)


# ---- frozen distributions ------------------------------------------------------------------------


def frozen_by_name(mu, s, x):
    d = scipy.stats.norm(mu, s)
    return np.sum(d.logpdf(x) + d.cdf(x))


def frozen_inline(mu, s, x):
    return np.sum(st.norm(mu, s).logpdf(x)) + np.sum(norm(loc=mu, scale=s).sf(x=x))


def frozen_with_shapes(a, s, x):
    g = st.gamma(a, scale=s)
    b = scipy.stats.beta(a, 2.0 * a, loc=-1.0, scale=8.0)
    return np.sum(g.logpdf(x) - b.pdf(x))


def frozen_then_rebound(mu, s, x):
    s = s * 2.0
    d = norm(mu + 1.0, s)
    s = s + 100.0  # the frozen distribution keeps the scale it was made with
    mu = mu * 0.0
    return np.sum(d.logpdf(x)) + s + mu


def frozen_in_a_loop(mu, s, x):
    total = 0.0
    for i in range(3):
        d = scipy.stats.t(3.0 + i, mu * i, s)
        total = total + np.sum(d.logpdf(x))
    return total


def frozen_multivariate(mean, root, x):
    d = multivariate_normal(mean, root @ root.T + 0.5 * np.eye(3), seed=1)
    return np.sum(d.logpdf(x)) + dirichlet(np.exp(mean)).logpdf(np.array([0.2, 0.3, 0.5]))


def frozen_poisson(mu, k):
    d = scipy.stats.poisson(mu)
    return np.sum(d.logpmf(k) + d.sf(k))


FROZEN = {
    "by name": (frozen_by_name, (0.3, 1.4, cases.REAL)),
    "inline": (frozen_inline, (0.3, 1.4, cases.REAL)),
    "shapes": (frozen_with_shapes, (2.5, 1.4, cases.POSITIVE)),
    "rebound": (frozen_then_rebound, (0.3, 1.4, cases.REAL)),
    "loop": (frozen_in_a_loop, (0.3, 1.4, cases.REAL)),
    "multivariate": (frozen_multivariate, (MEAN, ROOT, POINTS)),
    "poisson": (frozen_poisson, (2.5, cases.COUNTS)),
}


@pytest.mark.parametrize("name", FROZEN)
def test_a_frozen_distribution_differentiates_as_the_distribution_does(name):
    f, args = FROZEN[name]
    wrt = tuple(range(len(args) - 1))
    value, got = srcgrad.value_and_grad(f, wrt)(*args)
    _close(value, f(*args), "value", rtol=1e-12)
    for g, fd in zip(got, finite_differences(f, args, wrt)):
        _close(g, fd)


def frozen_twice(mu, x):
    d = norm(mu, 1.0)
    d = norm(mu, 2.0)
    return np.sum(d.logpdf(x))  # refused


def frozen_mean(mu, x):
    d = norm(mu, 1.0)
    return np.sum(d.logpdf(x)) + d.mean()  # refused


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, text in enumerate(lines) if "# refused" in text)


@pytest.mark.parametrize("fn", [frozen_twice, frozen_mean], ids=lambda f: f.__name__)
def test_a_frozen_distribution_srcgrad_cannot_follow_is_refused_at_its_line(fn):
    with pytest.raises(srcgrad.NoRuleError) as caught:
        srcgrad.grad(fn)(0.3, cases.REAL)
    assert caught.value.origin.filename == __file__
    assert caught.value.origin.lineno == _marked_line(fn)


# ---- refusals --------------------------------------------------------------------------------------

SPECIAL = {
    "t": "stdtr",
    "gamma": "gammainc",
    "chi2": "gammainc",
    "beta": "betainc",
    "invgamma": "gammainc",  # (and gammaincc, whose name holds gammainc's)
}
# the special function each distribution function calls, where it is not SPECIAL's
COMPLEMENT = {("gamma", "sf"): "gammaincc", ("chi2", "sf"): "gammaincc", ("beta", "sf"): "betaincc"}
REFUSED = [(case, name) for case in cases.CASES if not case.spread for name in case.refused()]


def _refusal(case, name: str, mode: str) -> srcgrad.NoRuleError:
    f, args = case.function, case.arguments()
    position = 1 + case.distribution.parameters.index(name)
    with pytest.raises(srcgrad.NoRuleError) as caught:
        if mode == "reverse":
            srcgrad.grad(f, position)(*args)
        else:
            srcgrad.forward(f, position)((1.0,), *args)
    return caught.value


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("case, name", REFUSED, ids=[f"{c.id}-{n}" for c, n in REFUSED])
def test_a_distribution_function_in_a_shape_parameter_is_refused_naming_the_argument(
    case, name, mode
):
    error = _refusal(case, name, mode)
    d = case.distribution.name
    special = COMPLEMENT.get((d, case.method), SPECIAL[d])
    argument = "df" if special == "stdtr" else {"b": "b"}.get(name, "a")
    assert f"scipy.special.{special}" in str(error) and f"'{argument}'" in str(error)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("case, name", REFUSED, ids=[f"{c.id}-{n}" for c, n in REFUSED])
def test_a_refused_distribution_function_names_the_users_line(case, name, mode):
    error = _refusal(case, name, mode)
    assert error.origin is not None
    assert (error.origin.filename, error.origin.lineno) == (
        inspect.getsourcefile(case.function),
        case.function.__code__.co_firstlineno + 1,
    )


def test_a_refused_singular_covariance_names_the_users_line():
    with pytest.raises(srcgrad.NoRuleError) as caught:
        srcgrad.grad(normal_singular_allowed)(MEAN, POINTS)
    assert caught.value.origin is not None
    assert (caught.value.origin.filename, caught.value.origin.lineno) == (
        __file__,
        normal_singular_allowed.__code__.co_firstlineno + 1,
    )


def normal_probability(mean, x):
    return multivariate_normal.cdf(x, mean, COV)  # refused


def test_the_multivariate_normal_distribution_function_is_refused_at_its_line():
    with pytest.raises(srcgrad.NoRuleError, match="multivariate_normal.cdf") as caught:
        srcgrad.grad(normal_probability)(MEAN, POINTS[0])
    assert (caught.value.origin.filename, caught.value.origin.lineno) == (
        __file__,
        _marked_line(normal_probability),
    )
