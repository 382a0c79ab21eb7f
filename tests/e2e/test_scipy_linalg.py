"""scipy.linalg, differentiated through the definitions and rules of srcgrad/rules/scipy_linalg.py.

Every function srcgrad defines takes SciPy's parameters and returns SciPy's values (the other
triangle of `cho_factor`'s factor, its flag, LU pivots, eigenvectors with SciPy's signs); the
gradient (reverse mode) and the tangent (forward mode) of a function of each equal finite
differences, with respect to each differentiated argument; a sample of Hessians equals finite
differences of the gradient; a Gaussian process's marginal likelihood through cho_factor and
cho_solve has its derivatives in the kernel's hyperparameters in every mode. What srcgrad does
not differentiate (`overwrite_a=True`, a generalized eigenproblem, functions it has no
definition of) is refused at the user's line.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.linalg
from finite_differences import gradient as finite_differences
from scipy.linalg import cho_factor, cho_solve, lu_factor, lu_solve, solve_triangular

import srcgrad
from srcgrad.rules import registry

RTOL = 1e-6
ATOL = 1e-8
RNG = np.random.default_rng(2024)
N = 4


def _close(got, want, what: str = "", rtol: float = RTOL):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=ATOL, err_msg=what)


def _spd(n: int) -> np.ndarray:
    root = RNG.normal(size=(n, n))
    return root @ root.T + n * np.eye(n)


GENERAL = RNG.normal(size=(N, N)) + N * np.eye(N)
PIVOTED = GENERAL[[2, 0, 3, 1]]  # (LU's partial pivoting swaps its rows back)
SPD = _spd(N)
# positive definite in each triangle, and the two triangles different: which one is read shows
LOPSIDED = SPD + 0.3 * np.triu(RNG.normal(size=(N, N)), 1)
UPPER = np.triu(RNG.normal(size=(N, N))) + N * np.eye(N)
LOWER = UPPER.T.copy()
VECTOR = RNG.normal(size=N)
MATRIX = RNG.normal(size=(N, 2))
STACK = np.stack([GENERAL, GENERAL.T + np.eye(N)])
SMALL = 0.4 * RNG.normal(size=(3, 3))  # expm's argument
SPD3 = _spd(3)


def _batches() -> bool:
    """SciPy takes stacks of matrices (1.16 and later)."""
    try:
        scipy.linalg.cholesky(np.stack([SPD, SPD]))
    except ValueError:
        return False
    return True


STACKS = pytest.mark.skipif(not _batches(), reason="this SciPy takes one matrix at a time")


def _stacked(*case):
    return pytest.param(*case, marks=STACKS)


# ---- the definitions: SciPy's parameters, SciPy's values ------------------------------------------

DEFINED = [
    "cholesky",
    "cho_factor",
    "cho_solve",
    "solve_triangular",
    "solve",
    "inv",
    "det",
    "lu_factor",
    "lu_solve",
    "lu",
    "eigh",
    "eigvalsh",
    "expm_frechet",
    "sqrtm",
    "logm",
    "svd",
    "svdvals",
    "qr",
    "block_diag",
    "norm",
]
RULES = ["expm", "solve_sylvester"]  # differentiated by a rule of their own: no definition

# parameters one SciPy version has and another not (the definition takes them all)
ACROSS_VERSIONS = {"inv": {"assume_a", "lower"}, "sqrtm": {"disp", "blocksize"}, "logm": {"disp"}}


def _parameters(fn) -> dict:
    return {p.name: p for p in inspect.signature(fn).parameters.values()}


def _sentinel(value) -> bool:
    return type(value) is object or type(value).__name__ == "_NoValueType"


@pytest.mark.parametrize("name", DEFINED)
def test_the_definition_has_scipys_parameters_in_order_with_their_defaults(name):
    ours = _parameters(registry.definition(getattr(scipy.linalg, name)))
    theirs = _parameters(getattr(scipy.linalg, name))
    extra = ACROSS_VERSIONS.get(name, set())
    assert [p for p in ours if p not in extra] == [p for p in theirs if p not in extra]
    for p, parameter in theirs.items():
        assert ours[p].kind == parameter.kind, p
        if not _sentinel(parameter.default):
            assert ours[p].default == parameter.default, p


@pytest.mark.parametrize("name", RULES)
def test_expm_and_solve_sylvester_have_rules_of_their_own(name):
    function = getattr(scipy.linalg, name)
    assert registry.reverse_rule(function) is not None
    assert registry.tangent_rule(function) is not None


def _ours(name: str):
    return registry.definition(getattr(scipy.linalg, name))


VALUES = [
    ("cholesky", (LOPSIDED,), {}),
    ("cholesky", (LOPSIDED,), {"lower": True}),
    _stacked("cholesky", (np.stack([SPD, LOPSIDED]),), {"lower": True}),
    ("cho_factor", (LOPSIDED,), {}),
    ("cho_factor", (LOPSIDED,), {"lower": True}),
    _stacked("cho_factor", (np.stack([SPD, LOPSIDED]),), {"lower": True}),
    ("cho_factor", (LOPSIDED.astype(np.float32),), {}),
    ("cho_factor", (np.round(3 * SPD).astype(int),), {}),
    ("solve_triangular", (UPPER, VECTOR), {}),
    ("solve_triangular", (LOWER, MATRIX), {"lower": True, "trans": "T"}),
    ("solve_triangular", (LOWER, MATRIX), {"lower": True, "trans": 2, "unit_diagonal": True}),
    _stacked("solve_triangular", (np.stack([UPPER, UPPER.T]), VECTOR), {"trans": 1}),
    ("solve", (GENERAL, VECTOR), {}),
    ("solve", (GENERAL, MATRIX), {"transposed": True}),
    ("solve", (LOPSIDED, VECTOR), {"assume_a": "pos"}),
    ("solve", (LOPSIDED, MATRIX), {"assume_a": "pos", "lower": True}),
    ("solve", (LOPSIDED, VECTOR), {"assume_a": "sym"}),
    ("solve", (LOPSIDED, VECTOR), {"assume_a": "her", "lower": True}),
    ("solve", (GENERAL, VECTOR), {"assume_a": "diagonal"}),
    ("solve", (GENERAL, VECTOR), {"assume_a": "tridiagonal"}),
    ("solve", (GENERAL, MATRIX), {"assume_a": "upper triangular", "transposed": True}),
    ("solve", (GENERAL, VECTOR), {"assume_a": "lower triangular"}),
    ("solve", (GENERAL, VECTOR), {"assume_a": "banded"}),
    _stacked("solve", (STACK, VECTOR), {}),
    ("inv", (GENERAL,), {}),
    _stacked("inv", (STACK,), {}),
    ("det", (GENERAL,), {}),
    _stacked("det", (STACK,), {}),
    ("lu_factor", (PIVOTED,), {}),
    _stacked("lu_factor", (STACK,), {}),
    ("lu", (PIVOTED,), {}),
    ("lu", (PIVOTED,), {"permute_l": True}),
    ("lu", (PIVOTED,), {"p_indices": True}),
    ("lu", (RNG.normal(size=(5, 3)),), {}),
    ("lu", (RNG.normal(size=(3, 5)).astype(np.float32),), {}),
    ("eigh", (LOPSIDED,), {}),
    ("eigh", (LOPSIDED,), {"lower": False}),
    ("eigh", (LOPSIDED,), {"eigvals_only": True, "driver": "evd"}),
    ("eigvalsh", (LOPSIDED,), {"lower": False}),
    ("sqrtm", (SPD,), {}),
    ("logm", (SPD,), {}),
    ("svd", (RNG.normal(size=(5, 3)),), {}),
    ("svd", (RNG.normal(size=(3, 5)),), {"full_matrices": False}),
    ("svd", (GENERAL,), {"compute_uv": False}),
    ("svdvals", (GENERAL,), {}),
    ("qr", (RNG.normal(size=(5, 3)),), {}),
    ("qr", (RNG.normal(size=(5, 3)),), {"mode": "economic"}),
    ("qr", (RNG.normal(size=(5, 3)),), {"mode": "r"}),
    ("block_diag", (GENERAL, [1.0, 2.0], 3.0, np.ones((2, 0))), {}),
    ("block_diag", (), {}),
    ("block_diag", (np.array([[1, 2]]), np.array([[3]])), {}),
    ("norm", (GENERAL,), {}),
    ("norm", (GENERAL,), {"ord": 2}),
    _stacked("norm", (STACK,), {"ord": "fro", "axis": (1, 2), "keepdims": True}),
    ("norm", (VECTOR,), {"ord": 3}),
]
if "assume_a" in inspect.signature(scipy.linalg.inv).parameters:
    VALUES += [
        ("inv", (LOPSIDED,), {"assume_a": "pos"}),
        ("inv", (LOPSIDED,), {"assume_a": "pos", "lower": True}),
        ("inv", (LOPSIDED,), {"assume_a": "sym", "lower": True}),
        ("inv", (GENERAL,), {"assume_a": "upper triangular"}),
    ]


def _case_id(case) -> str:
    return (case.values if hasattr(case, "values") else case)[0]


def _flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for part in value for leaf in _flat(part)]
    return [value]


@pytest.mark.parametrize(
    "name, args, kwargs", VALUES, ids=[f"{_case_id(v)}-{i}" for i, v in enumerate(VALUES)]
)
def test_values_equal_scipys(name, args, kwargs):
    want = getattr(scipy.linalg, name)(*args, **kwargs)
    got = _ours(name)(*args, **kwargs)
    # (SciPy's batching returns a list where it returns a tuple for one matrix: either is kept)
    assert isinstance(got, (tuple, list)) == isinstance(want, (tuple, list))
    got, want = _flat(got), _flat(want)
    assert len(got) == len(want)
    for ours, theirs in zip(got, want):
        assert np.shape(ours) == np.shape(theirs)
        assert np.result_type(ours) == np.result_type(theirs)
        rtol = 1e-5 if np.result_type(theirs) == np.float32 else 1e-12
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)


def test_cho_factor_returns_the_other_triangle_and_the_flag_as_this_scipy_does():
    """SciPy before 1.18 leaves the entries of `a` in the other triangle and returns `lower`
    as given; 1.18 zeros that triangle and returns the flag as a 0-d array."""
    kept = scipy.linalg.cho_factor(np.array([[4.0, 1.0], [1.0, 4.0]]), lower=True)[0][0, 1]
    for lower in (True, False):
        c, flag = _ours("cho_factor")(LOPSIDED, lower=lower)
        want, want_flag = scipy.linalg.cho_factor(LOPSIDED, lower=lower)
        other = np.triu(np.ones((N, N)), 1) if lower else np.tril(np.ones((N, N)), -1)
        assert np.array_equal(c * other, want * other)  # bit for bit
        assert np.array_equal(c * other, LOPSIDED * other if kept else 0 * other)
        assert type(flag) is type(want_flag) and flag == want_flag == lower


def test_lu_pivots_and_eigenvectors_are_scipys_bit_for_bit():
    lu, piv = _ours("lu_factor")(PIVOTED)
    want_lu, want_piv = scipy.linalg.lu_factor(PIVOTED)
    assert not np.array_equal(piv, np.arange(N))  # (rows swapped)
    assert np.array_equal(lu, want_lu)
    assert np.array_equal(piv, want_piv) and piv.dtype == want_piv.dtype
    w, v = _ours("eigh")(LOPSIDED)
    want_w, want_v = scipy.linalg.eigh(LOPSIDED)
    assert np.array_equal(w, want_w) and np.array_equal(v, want_v)


def test_check_finite_raises_scipys_error_and_false_lets_the_values_through():
    bad = GENERAL.copy()
    bad[0, 0] = np.nan
    for name, args in [("solve", (bad, VECTOR)), ("cholesky", (bad,)), ("det", (bad,))]:
        with pytest.raises(ValueError, match="infs or NaNs"):
            getattr(scipy.linalg, name)(*args)
        with pytest.raises(ValueError, match="infs or NaNs"):
            _ours(name)(*args)
    with np.errstate(invalid="ignore"):
        assert np.isnan(_ours("det")(bad, check_finite=False))


def test_a_matrix_that_is_not_positive_definite_raises_scipys_error():
    indefinite = SPD - 10 * N * np.eye(N)
    for call in (
        lambda f: f(indefinite, lower=True),
        lambda f: f(indefinite),
    ):
        with pytest.raises(np.linalg.LinAlgError):
            call(scipy.linalg.cho_factor)
        with pytest.raises(np.linalg.LinAlgError):
            call(_ours("cho_factor"))
    with pytest.raises(np.linalg.LinAlgError):
        _ours("solve")(indefinite, VECTOR, assume_a="pos")
    with pytest.raises(ValueError, match="not a recognized matrix structure"):
        _ours("solve")(GENERAL, VECTOR, assume_a="triangular")


# ---- derivatives: gradients and tangents against finite differences --------------------------------
# Each function ends in a sum of sines of what SciPy returns, so that every element counts, each
# with its own weight. Eigenvectors and singular vectors enter through sign-free expressions.


def score(x):
    return np.sum(np.sin(x))


def cholesky_upper(a):
    return score(scipy.linalg.cholesky(a))


def cholesky_lower_stack(a):
    return score(scipy.linalg.cholesky(a, lower=True))


def cho_factor_then_solve(a, b):
    c, low = cho_factor(a)
    return score(cho_solve((c, low), b)) + score(c)  # (the other triangle: `a`'s entries)


def cho_factor_then_solve_lower(a, b):
    factor = cho_factor(a, lower=True, check_finite=False)
    return score(cho_solve(factor, b))


def triangular_plain(a, b):
    return score(solve_triangular(a, b))


def triangular_transposed_lower(a, b):
    return score(solve_triangular(a, b, trans="T", lower=True))


def triangular_conjugate_unit(a, b):
    return score(solve_triangular(a, b, trans=2, lower=True, unit_diagonal=True))


def triangular_stack(a, b):
    return score(solve_triangular(a, b, trans=1))


def solve_general(a, b):
    return score(scipy.linalg.solve(a, b))


def solve_transposed(a, b):
    return score(scipy.linalg.solve(a, b, transposed=True))


def solve_positive(a, b):
    return score(scipy.linalg.solve(a, b, assume_a="pos"))


def solve_positive_lower(a, b):
    return score(scipy.linalg.solve(a, b, lower=True, assume_a="positive definite"))


def solve_symmetric(a, b):
    return score(scipy.linalg.solve(a, b, assume_a="sym", lower=True))


def solve_diagonal(a, b):
    return score(scipy.linalg.solve(a, b, assume_a="diagonal"))


def solve_tridiagonal(a, b):
    return score(scipy.linalg.solve(a, b, assume_a="tridiagonal"))


def solve_upper_triangular(a, b):
    return score(scipy.linalg.solve(a, b, assume_a="upper triangular", transposed=True))


def inverse(a):
    return score(scipy.linalg.inv(a))


def determinant(a):
    return scipy.linalg.det(a) + score(scipy.linalg.det(a[:3, :3]))


def lu_factor_then_solve(a, b):
    lu, piv = lu_factor(a)
    return score(lu_solve((lu, piv), b)) + score(lu)


def lu_solve_transposed(a, b):
    lu, piv = lu_factor(a)
    return score(lu_solve((lu, piv), b, trans=1))


def lu_factors(a):
    p, lower, upper = scipy.linalg.lu(a)
    permuted_lower, upper_again = scipy.linalg.lu(a, permute_l=True)
    return score(lower) + score(upper) + score(permuted_lower @ upper_again) + score(p @ lower)


def eigen(a):
    w, v = scipy.linalg.eigh(a)
    return score(w) + score(v * v * np.arange(1.0, N + 1.0))


def eigen_upper_values(a):
    return score(scipy.linalg.eigh(a, lower=False, eigvals_only=True))


def eigenvalues(a):
    return score(scipy.linalg.eigvalsh(a))


def exponential(a):
    return score(scipy.linalg.expm(a))


def exponential_stack(a):
    return score(scipy.linalg.expm(a))


def frechet(a, e):
    value, derivative = scipy.linalg.expm_frechet(a, e)
    return score(value) + score(derivative)


def square_root(a):
    return score(scipy.linalg.sqrtm(a))


def logarithm(a):
    return score(scipy.linalg.logm(a))


def sylvester(a, b, q):
    return score(scipy.linalg.solve_sylvester(a, b, q))


def blocks(a, b, c):
    return score(scipy.linalg.block_diag(a, b, c) * np.arange(1.0, 31.0).reshape(5, 6))


def norms(a):
    return (
        scipy.linalg.norm(a)
        + scipy.linalg.norm(a, 2)
        + score(scipy.linalg.norm(a, 3, axis=0))
        + scipy.linalg.norm(a, "nuc")
    )


def singular(a):
    u, s, vt = scipy.linalg.svd(a, full_matrices=False)
    return score(s) + score(u * u) + score(vt * vt) + score(scipy.linalg.svdvals(a))


def orthogonal(a):
    q, r = scipy.linalg.qr(a, mode="economic")
    (r_only,) = scipy.linalg.qr(a, mode="r")
    return score(q) + score(r) + score(r_only)


TALL = RNG.normal(size=(5, 3))
CASES = {
    "cholesky": (cholesky_upper, (LOPSIDED,), 0),
    "cholesky, a stack": (cholesky_lower_stack, (np.stack([SPD, LOPSIDED]),), 0, STACKS),
    "cho_factor, cho_solve": (cho_factor_then_solve, (LOPSIDED, MATRIX), (0, 1)),
    "cho_factor, cho_solve, lower": (cho_factor_then_solve_lower, (LOPSIDED, VECTOR), (0, 1)),
    "solve_triangular": (triangular_plain, (UPPER, VECTOR), (0, 1)),
    "solve_triangular, T": (triangular_transposed_lower, (LOWER, MATRIX), (0, 1)),
    "solve_triangular, C, unit": (triangular_conjugate_unit, (LOWER, MATRIX), (0, 1)),
    "solve_triangular, a stack": (
        triangular_stack,
        (np.stack([UPPER, UPPER + 1]), VECTOR),
        (0, 1),
        STACKS,
    ),
    "solve": (solve_general, (GENERAL, MATRIX), (0, 1)),
    "solve, a stack": (solve_general, (STACK, VECTOR), (0, 1), STACKS),
    "solve, transposed": (solve_transposed, (GENERAL, VECTOR), (0, 1)),
    "solve, pos": (solve_positive, (LOPSIDED, VECTOR), (0, 1)),
    "solve, pos, lower": (solve_positive_lower, (LOPSIDED, MATRIX), (0, 1)),
    "solve, sym": (solve_symmetric, (LOPSIDED, VECTOR), (0, 1)),
    "solve, diagonal": (solve_diagonal, (GENERAL, MATRIX), (0, 1)),
    "solve, tridiagonal": (solve_tridiagonal, (GENERAL, VECTOR), (0, 1)),
    "solve, upper triangular": (solve_upper_triangular, (GENERAL, VECTOR), (0, 1)),
    "inv": (inverse, (GENERAL,), 0),
    "det": (determinant, (GENERAL,), 0),
    "lu_factor, lu_solve": (lu_factor_then_solve, (PIVOTED, MATRIX), (0, 1)),
    "lu_solve, trans": (lu_solve_transposed, (PIVOTED, VECTOR), (0, 1)),
    "lu": (lu_factors, (PIVOTED,), 0),
    "eigh": (eigen, (LOPSIDED,), 0),
    "eigh, eigenvalues of the upper triangle": (eigen_upper_values, (LOPSIDED,), 0),
    "eigvalsh": (eigenvalues, (LOPSIDED,), 0),
    "expm": (exponential, (SMALL,), 0),
    "expm, a stack": (exponential_stack, (np.stack([SMALL, SMALL.T]),), 0),
    "expm_frechet": (frechet, (SMALL, SMALL.T @ SMALL), (0, 1)),
    "sqrtm": (square_root, (SPD3,), 0),
    "logm": (logarithm, (SPD3,), 0),
    "solve_sylvester": (sylvester, (GENERAL, SPD, MATRIX @ MATRIX.T), (0, 1, 2)),
    "block_diag": (blocks, (GENERAL[:3, :2], VECTOR[:3], 2.0), (0, 1, 2)),
    "norm": (norms, (TALL,), 0),
    "svd, svdvals": (singular, (TALL,), 0),
    "qr": (orthogonal, (TALL,), 0),
}


def _positions(wrt) -> tuple:
    return wrt if isinstance(wrt, tuple) else (wrt,)


NAMES = [pytest.param(name, marks=case[3:]) for name, case in CASES.items()]


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name):
    f, args, wrt = CASES[name][:3]
    value, got = srcgrad.value_and_grad(f, wrt)(*args)
    _close(value, f(*args), "value", rtol=1e-12)
    want = finite_differences(f, args, wrt)
    for position, g, fd in zip(_positions(wrt), *(_positions(x) for x in (got, want))):
        assert np.shape(g) == np.shape(args[position])
        _close(g, fd, f"d/d{f.__code__.co_varnames[position]}")


@pytest.mark.parametrize("name", NAMES)
def test_forward_mode_matches_finite_differences(name):
    """Each argument alone moved along a random tangent (the others' tangents 0)."""
    f, args, wrt = CASES[name][:3]
    positions = _positions(wrt)
    want = _positions(finite_differences(f, args, wrt))
    rng = np.random.default_rng(5)
    for k, position in enumerate(positions):
        tangents = [np.zeros_like(args[p]) if np.ndim(args[p]) else 0.0 for p in positions]
        shape = np.shape(args[position])
        tangents[k] = rng.standard_normal(shape) if shape else float(rng.standard_normal())
        value, tangent = srcgrad.jvp(f, args, tuple(tangents), wrt=positions)
        _close(value, f(*args), "value", rtol=1e-12)
        _close(tangent, np.sum(want[k] * tangents[k]), f"along {f.__code__.co_varnames[position]}")


# ---- second order -------------------------------------------------------------------------------------


def _jacobian_of_gradient(gradient, args) -> np.ndarray:
    first = np.asarray(args[0], dtype=float)
    rows = []
    for i in range(first.size):
        rows.append(
            finite_differences(lambda p, *rest, i=i: np.ravel(gradient(p, *rest))[i], args, 0)
        )
    return np.reshape(np.array(rows), (*first.shape, *first.shape))


HESSIANS = [
    "cholesky",
    "cho_factor, cho_solve",
    "solve_triangular, T",
    "solve, pos",
    "inv",
    "lu_factor, lu_solve",
    "lu_solve, trans",
    "lu",
    "eigh",
    "eigvalsh",
    "expm",
    "sqrtm",
    "logm",
    "solve_sylvester",
    "block_diag",
]


@pytest.mark.parametrize("name", HESSIANS)
def test_hessian_times_a_vector_matches_finite_differences_of_the_gradient(name):
    """w^T H v for random v and w: H v by srcgrad.hvp (reverse mode over the forward-mode code
    of the function), against the derivative of w^T grad(x + t v) at t = 0."""
    f, args, _ = CASES[name][:3]
    rng = np.random.default_rng(9)
    v, w = rng.standard_normal((2, *np.shape(args[0])))
    got = srcgrad.hvp(f)(v, *args)
    gradient = srcgrad.grad(f)

    def along(t):
        return np.sum(w * gradient(args[0] + t * v, *args[1:]))

    _close(np.sum(w * got), finite_differences(along, (0.0,), 0), "w^T H v", rtol=1e-5)


@pytest.mark.parametrize("name", ["solve, pos", "eigh", "expm"])
def test_the_hessian_matches_finite_differences_of_the_gradient(name):
    f, args, _ = CASES[name][:3]
    got = srcgrad.hessian(f)(*args)
    want = _jacobian_of_gradient(srcgrad.grad(f), args)
    _close(got, want, "Hessian", rtol=1e-5)


# ---- a Gaussian process's marginal likelihood in its kernel's hyperparameters -------------------------

POINTS = RNG.normal(size=(7, 2))
TARGETS = np.sin(POINTS[:, 0]) + 0.1 * RNG.normal(size=7)
HYPERPARAMETERS = np.log(np.array([0.8, 1.3, 0.1]))  # log lengthscale, variance, noise


def kernel(x, lengthscale, variance):
    differences = x[:, None, :] - x[None, :, :]
    return variance * np.exp(-0.5 * np.sum(differences**2, axis=-1) / lengthscale**2)


def negative_log_marginal_likelihood(log_params, x, y):
    lengthscale, variance, noise = np.exp(log_params)
    k = kernel(x, lengthscale, variance) + noise * np.eye(len(y))
    c, lower = cho_factor(k, lower=True)
    alpha = cho_solve((c, lower), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c))) + 0.5 * len(y) * np.log(2 * np.pi)


def with_numpy(log_params, x, y):
    lengthscale, variance, noise = np.exp(log_params)
    k = kernel(x, lengthscale, variance) + noise * np.eye(len(y))
    sign, log_det = np.linalg.slogdet(k)
    return 0.5 * y @ np.linalg.solve(k, y) + 0.5 * log_det + 0.5 * len(y) * np.log(2 * np.pi)


def with_cholesky_and_triangular_solves(log_params, x, y):
    lengthscale, variance, noise = np.exp(log_params)
    k = kernel(x, lengthscale, variance) + noise * np.eye(len(y))
    factor = scipy.linalg.cholesky(k, lower=True)
    whitened = solve_triangular(factor, y, lower=True)
    return 0.5 * whitened @ whitened + np.sum(np.log(np.diag(factor))) + 3.5 * np.log(2 * np.pi)


GP_ARGS = (HYPERPARAMETERS, POINTS, TARGETS)


def test_the_marginal_likelihood_is_scipys_multivariate_normal_log_density():
    import scipy.stats

    lengthscale, variance, noise = np.exp(HYPERPARAMETERS)
    cov = kernel(POINTS, lengthscale, variance) + noise * np.eye(7)
    want = -scipy.stats.multivariate_normal.logpdf(TARGETS, np.zeros(7), cov)
    for f in (negative_log_marginal_likelihood, with_cholesky_and_triangular_solves):
        _close(f(*GP_ARGS), want, f.__name__, rtol=1e-12)


@pytest.mark.parametrize(
    "f", [negative_log_marginal_likelihood, with_cholesky_and_triangular_solves], ids=str
)
def test_the_marginal_likelihood_has_its_derivatives_in_every_mode(f):
    value, got = srcgrad.value_and_grad(f)(*GP_ARGS)
    _close(value, f(*GP_ARGS), rtol=1e-12)
    want = finite_differences(f, GP_ARGS, 0)
    _close(got, want, "gradient")
    _close(got, srcgrad.grad(with_numpy)(*GP_ARGS), "as np.linalg's", rtol=1e-10)
    direction = np.array([0.3, -1.0, 0.5])
    _, tangent = srcgrad.jvp(f, GP_ARGS, (direction,), wrt=0)
    _close(tangent, want @ direction, "tangent")
    hessian = srcgrad.hessian(f)(*GP_ARGS)
    _close(hessian, _jacobian_of_gradient(srcgrad.grad(f), GP_ARGS), "Hessian", rtol=1e-5)
    _close(hessian, srcgrad.hessian(with_numpy)(*GP_ARGS), "as np.linalg's", rtol=1e-8)
    _close(hessian, hessian.T, "symmetric", rtol=1e-10)


def test_the_marginal_likelihood_in_the_points_and_the_targets():
    got = srcgrad.grad(negative_log_marginal_likelihood, (1, 2))(*GP_ARGS)
    want = finite_differences(negative_log_marginal_likelihood, GP_ARGS, (1, 2))
    for g, fd in zip(got, want):
        _close(g, fd)


# ---- refusals, at the user's line ------------------------------------------------------------------


def _line(fn, marker: str = "# refused") -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, text in enumerate(lines) if marker in text)


def overwriting_factor(a, b):
    c = cho_factor(a * 2.0, lower=True, overwrite_a=True)  # refused
    return np.sum(cho_solve(c, b))


def overwriting_constant_right_side(a, b):
    scaled = b * 2.0
    x = solve_triangular(a, b, overwrite_b=True)  # refused
    return np.sum(x * scaled)


def overwriting_lu(a):
    return np.sum(lu_factor(a, True)[0])  # refused


def generalized_eigenproblem(a, b):
    w = scipy.linalg.eigh(a, b, eigvals_only=True)  # refused
    return np.sum(w)


def pivoted_qr(a):
    q, r, p = scipy.linalg.qr(a, pivoting=True)  # refused
    return np.sum(r)


def rectangular_lu(a):
    lu, piv = lu_factor(a)  # refused
    return np.sum(lu)


def schur_form(a):
    t, z = scipy.linalg.schur(a)  # refused
    return np.sum(t)


REFUSED = {
    "overwrite_a": (overwriting_factor, (SPD, VECTOR), "overwrite_a=True"),
    "overwrite_b of a constant": (overwriting_constant_right_side, (UPPER, VECTOR), "overwrite_b"),
    "overwrite_a by position": (overwriting_lu, (GENERAL,), "overwrite_a=True"),
    "a generalized eigenproblem": (generalized_eigenproblem, (SPD, SPD), "'b'"),
    "pivoting": (pivoted_qr, (GENERAL,), "'pivoting'"),
    "a rectangular LU": (rectangular_lu, (TALL,), "square matrices only"),
    "no definition": (schur_form, (GENERAL,), "no derivative rule"),
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", REFUSED)
def test_what_srcgrad_does_not_differentiate_is_refused_at_the_users_line(name, mode):
    f, args, message = REFUSED[name]
    with pytest.raises(srcgrad.NoRuleError, match=message) as caught:
        if mode == "reverse":
            srcgrad.grad(f)(*args)
        else:
            srcgrad.jvp(f, args, tuple(np.ones_like(a) for a in args))
    assert caught.value.origin is not None
    assert (caught.value.origin.filename, caught.value.origin.lineno) == (__file__, _line(f))


def not_overwriting(a, b):
    c = cho_factor(a, False, overwrite_a=False, check_finite=False)
    return np.sum(cho_solve(c, b, overwrite_b=False, check_finite=False))


def test_overwrite_false_given_is_differentiated():
    got = srcgrad.grad(not_overwriting, (0, 1))(LOPSIDED, VECTOR)
    want = finite_differences(not_overwriting, (LOPSIDED, VECTOR), (0, 1))
    for g, fd in zip(got, want):
        _close(g, fd)
