"""Derivative rules that were silently wrong, checked where the rule table cannot: refusals that
name the user's line in both modes, NaN operands of np.fmax and np.fmin, the determinant at
singular matrices, `x ** 0` at 0, the forward rules' variants, and an audit of every parameter a
rule leaves out of its differentiable ones (a parameter the result moves with continuously, left
out, is a silent zero).

The rows of tests/fixtures/rule_table.py check the same rules against finite differences.
"""

from __future__ import annotations

import contextlib
import inspect
import re

import numpy as np
import pytest
import scipy.special

import srcgrad
from srcgrad.rules import registry
from srcgrad.rules.rule import TangentRule

# ---- refusals: a NoRuleError at the user's line, saying which argument -----------------------


def bessel_order(v, x):
    return np.sum(scipy.special.jv(v, x))  # refused


def modified_bessel_order(v, x):
    y = x * 2.0
    z = scipy.special.iv(v, y)  # refused
    return np.sum(z * y)


def scaled_bessel_order(v, x):
    return np.sum(scipy.special.ive(v, x))  # refused


def gamma_shape(a, x):
    return np.sum(scipy.special.gammainc(a, x))  # refused


def upper_gamma_shape(a, x):
    return np.sum(scipy.special.gammaincc(a, x))  # refused


def beta_shape(a, x):
    return np.sum(scipy.special.betainc(a, 2.0, x))  # refused


def beta_second_shape(b, x):
    return np.sum(scipy.special.betainc(1.5, b, x))  # refused


def matrix_norm_order(p, x):
    return np.linalg.norm(x, p)  # refused


def count_norm_order(p, x):
    return np.linalg.norm(x, p) + np.sum(x)  # refused


def gradient_on_coordinates(c, x):
    return np.sum(np.gradient(x, c) ** 2)  # refused


def nearest_quantile(q, x):
    return np.quantile(x * 1.0, q, method="nearest")  # refused


def weighted_covariance(w, x):
    return np.sum(np.cov(x, aweights=w))  # refused


def padded_with_maximum(w, x):
    return np.sum(np.pad(x, 1, mode="maximum") * w)  # refused


def nan_skipping_quantile(q, x):
    return np.nanquantile(x, q)  # refused


X3 = np.array([0.3, 0.5, 0.9])
REFUSED = [  # (function, its first argument, the words of the refusal)
    (bessel_order, 1.5, "scipy.special.jv with respect to its argument 'v'"),
    (modified_bessel_order, 0.5, "scipy.special.iv with respect to its argument 'v'"),
    (scaled_bessel_order, 1.5, "scipy.special.ive with respect to its argument 'v'"),
    (gamma_shape, 2.5, "scipy.special.gammainc with respect to its argument 'a'"),
    (upper_gamma_shape, 2.5, "scipy.special.gammaincc with respect to its argument 'a'"),
    (beta_shape, 0.5, "scipy.special.betainc with respect to its argument 'a'"),
    (beta_second_shape, 2.0, "scipy.special.betainc with respect to its argument 'b'"),
    (matrix_norm_order, 2.0, "np.linalg.norm with respect to its argument 'ord'"),
    (count_norm_order, 0.0, "np.linalg.norm with respect to its argument 'ord'"),
    (gradient_on_coordinates, np.array([0.0, 0.4, 1.1]), "spacing when it is a number"),
    (nearest_quantile, 0.4, "method='linear' only, not method='nearest'"),
    (weighted_covariance, np.array([1.0, 2.0, 0.5]), "not with y, fweights or aweights"),
    (padded_with_maximum, np.ones(5), "np.pad with mode='maximum'"),
    (nan_skipping_quantile, 0.4, "no derivative rule for 'np.nanquantile'"),
]


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, text in enumerate(lines) if "# refused" in text)


def _second_argument(fn):
    return np.array([[1.0, 2.0], [0.5, -1.0]]) if fn is matrix_norm_order else X3


@pytest.mark.parametrize("fn, first, words", REFUSED, ids=[case[0].__name__ for case in REFUSED])
def test_a_refused_derivative_names_the_line_and_the_argument_in_both_modes(fn, first, words):
    args = (first, _second_argument(fn))
    where = f"{__file__}:{_marked_line(fn)}:"
    wrt = 1 if fn in (nearest_quantile, weighted_covariance, padded_with_maximum) else 0
    tangent = np.ones_like(args[wrt]) if np.ndim(args[wrt]) else 1.0
    for mode in ("reverse", "forward"):
        with pytest.raises(srcgrad.NoRuleError) as caught:
            if mode == "reverse":
                srcgrad.grad(fn, wrt=wrt)(*args)
            else:
                srcgrad.jvp(fn, args, tangent, wrt=wrt)
        message = str(caught.value)
        assert message.startswith(where), f"{mode}: {message}"
        assert words in message, f"{mode}: {message}"
        assert f"in function '{fn.__name__}'" in message


def test_an_argument_refused_is_refused_only_where_it_carries_a_derivative():
    # the order of jv is refused; the point x is differentiated as usual
    v, x = 1.5, X3
    gradient = srcgrad.grad(bessel_order, wrt=1)(v, x)
    expected = 0.5 * (scipy.special.jv(v - 1.0, x) - scipy.special.jv(v + 1.0, x))
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    _, tangent = srcgrad.jvp(bessel_order, (v, x), np.ones(3), wrt=1)
    np.testing.assert_allclose(tangent, np.sum(expected), rtol=1e-12)


# ---- np.fmax and np.fmin skip a NaN: the other operand is the result, and gets its derivative


def weighted_fmax(x, y):
    return np.sum(np.fmax(x, y) * np.array([1.0, 2.0, 3.0]))


def weighted_fmin(x, y):
    return np.sum(np.fmin(x, y) * np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize(
    "fn, dx, dy",
    [
        (weighted_fmax, [1.0, 0.0, 3.0], [0.0, 2.0, 0.0]),
        (weighted_fmin, [1.0, 0.0, 0.0], [0.0, 2.0, 3.0]),
    ],
    ids=["fmax", "fmin"],
)
def test_fmax_and_fmin_give_the_derivative_to_the_operand_that_is_not_nan(fn, dx, dy):
    x, y = np.array([1.0, np.nan, 0.5]), np.array([np.nan, 2.0, -0.5])
    gx, gy = srcgrad.grad(fn, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, dx)
    np.testing.assert_array_equal(gy, dy)
    for k, expected in enumerate((dx, dy)):
        for i in range(3):
            tangent = np.eye(3)[i]
            _, moved = srcgrad.jvp(fn, (x, y), tangent, wrt=k)
            assert moved == expected[i]


# ---- the determinant at singular matrices: its cofactors, finite ------------------------------


def determinant(a):
    return np.linalg.det(a)


def total_determinant(a):
    return np.sum(np.linalg.det(a))


def cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix of one square matrix, from its minors."""
    n = a.shape[0]
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
            out[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


SINGULAR = [
    np.array([[1.0, 2.0], [2.0, 4.0]]),
    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
    np.outer([1.0, -2.0, 0.5], [3.0, 1.0, 2.0]),  # rank 1: every cofactor is 0
    np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]),
    np.array([[2.0, 1.0], [2.0, 1.0 + 1e-12]]),  # near-singular: the inverse is inaccurate
]


@pytest.mark.parametrize("a", SINGULAR, ids=["2x2", "rank-2", "rank-1", "zero-row", "near"])
def test_the_determinant_at_a_singular_matrix_has_its_cofactors_as_derivative(a):
    expected = cofactors(a)
    gradient = srcgrad.grad(determinant)(a)
    assert np.all(np.isfinite(gradient))
    np.testing.assert_allclose(gradient, expected, rtol=1e-9, atol=1e-9)
    tangent = np.arange(a.size, dtype=float).reshape(a.shape) - 1.5
    _, moved = srcgrad.jvp(determinant, (a,), tangent, wrt=0)
    np.testing.assert_allclose(moved, np.sum(expected * tangent), rtol=1e-9, atol=1e-9)


def test_the_determinant_of_a_stack_with_a_singular_matrix():
    stack = np.stack([SINGULAR[0], np.array([[2.0, 0.5], [-1.0, 3.0]])])
    expected = np.stack([cofactors(m) for m in stack])
    np.testing.assert_allclose(srcgrad.grad(total_determinant)(stack), expected, atol=1e-12)
    tangent = np.ones_like(stack)
    _, moved = srcgrad.jvp(total_determinant, (stack,), tangent, wrt=0)
    np.testing.assert_allclose(moved, np.sum(expected), atol=1e-12)


# ---- x ** 0: no derivative at all, also at x = 0 -------------------------------------------


def power_of_zero(x):
    return np.sum(x**0 * x)


def numpy_power_of_zero(x):
    return np.sum(np.power(x, 0.0) + x)


def builtin_power_of_zero(x):
    return pow(x, 0) * x


def test_a_constant_exponent_0_has_no_derivative_in_either_mode():
    x = np.array([0.0, 1.5, -2.0])
    for fn in (power_of_zero, numpy_power_of_zero):
        np.testing.assert_array_equal(srcgrad.grad(fn)(x), np.ones(3))
        assert srcgrad.jvp(fn, (x,), np.ones(3), wrt=0)[1] == 3.0
        assert "** (-1)" not in srcgrad.grad(fn).source_for(x)
        assert "** (-1)" not in srcgrad.forward(fn).source_for(x)
    assert srcgrad.grad(builtin_power_of_zero)(0.0) == 1.0
    assert srcgrad.jvp(builtin_power_of_zero, (0.0,), 1.0, wrt=0)[1] == 1.0


def powers_by_a_loop_integer(x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(np.tanh(x**k))
    return total


def test_a_variable_exponent_0_has_a_slope_of_0_at_0_in_either_mode():
    x = np.array([0.0, 1.5])
    # (k = 0 adds nothing, also at 0; k = 1 and 2 their slopes)
    expected = (1.0 - np.tanh(x) ** 2) + (1.0 - np.tanh(x * x) ** 2) * 2.0 * x
    np.testing.assert_allclose(srcgrad.grad(powers_by_a_loop_integer)(x), expected, rtol=1e-12)
    moved = srcgrad.jvp(powers_by_a_loop_integer, (x,), np.ones(2), wrt=0)[1]
    assert moved == pytest.approx(np.sum(expected), rel=1e-12)
    assert "** np.where(2 == 0" not in srcgrad.grad(power_of_zero).source_for(x)


# ---- forward variants: each is what some call gets --------------------------------------------


def signed_log_sum(x):
    value, sign = scipy.special.logsumexp(x, b=np.array([1.0, -3.0, 0.5]), return_sign=True)
    return value * sign


FORWARD_VARIANT_CASES = [
    (power_of_zero, (np.array([0.0, 1.5]),)),
    (numpy_power_of_zero, (np.array([0.0, 1.5]),)),
    (builtin_power_of_zero, (0.0,)),
    (signed_log_sum, (X3,)),
    (powers_by_a_loop_integer, (np.array([0.0, 1.5, -0.5]),)),
]


@contextlib.contextmanager
def forward_rules_used():
    used: list[TangentRule] = []
    original = TangentRule.instantiate

    def spy(rule, *args, **kwargs):
        used.append(rule)
        return original(rule, *args, **kwargs)

    TangentRule.instantiate = spy
    try:
        yield used
    finally:
        TangentRule.instantiate = original


def test_every_forward_variant_is_chosen_by_a_call():
    variants = {id(v): v for general in registry.TANGENT.values() for v in general.variants}
    with forward_rules_used() as used:
        for fn, args in FORWARD_VARIANT_CASES:
            tangents = tuple(np.ones_like(a) if np.ndim(a) else 1.0 for a in args)
            srcgrad.jvp(fn, args, tangents[0], wrt=0)
    chosen = {id(rule) for rule in used}
    unchosen = sorted(v.name for key, v in variants.items() if key not in chosen)
    assert not unchosen, f"forward variants no call here chooses: {unchosen}"


def test_the_signed_log_sum_exp_moves_with_its_value_only():
    x = X3
    weights = np.array([1.0, -3.0, 0.5])
    value, sign = scipy.special.logsumexp(x, b=weights, return_sign=True)
    expected = sign * sign * weights * np.exp(x - value)  # d(value * sign) / dx
    np.testing.assert_allclose(srcgrad.grad(signed_log_sum)(x), expected, rtol=1e-12)
    _, moved = srcgrad.jvp(signed_log_sum, (x,), np.ones(3), wrt=0)
    np.testing.assert_allclose(moved, np.sum(expected), rtol=1e-12)


# ---- the audit: every parameter a rule leaves out does not move its result continuously -------

# names that are discrete, or choose how rather than what, wherever a rule has them
DISCRETE = {
    *("axis", "axes", "axisa", "axisb", "axisc", "axis1", "axis2", "source", "destination"),
    *("dtype", "out", "keepdims", "order", "mode", "kind", "stable", "kth", "method"),
    *("overwrite_input", "casting", "subok", "copy", "device", "shape", "new_shape", "reps"),
    *("repeats", "indices", "indices_or_sections", "index", "obj", "k", "offset", "num"),
    *("endpoint", "retstep", "pad_width", "shift", "upper", "UPLO", "full_matrices"),
    *("compute_uv", "hermitian", "edge_order", "norm", "s", "returned", "rowvar", "bias"),
    *("deg", "subscripts", "return_sign", "condition", "condlist", "key", "reverse"),
    *("lower", "trans", "unit_diagonal", "driver"),
}
# (rule, parameter): why the result does not move with it continuously
LEFT_OUT = {
    ("joined_diff_tangent", "n"): "an integer",
    ("summed_at_adjoint", "size"): "an integer: how many positions the sums are made at",
    ("joined_tangent_adjoints", "a"): "only its length is read: where the join splits",
    ("joined_tangent_adjoints", "b"): "only its length is read: where the join splits",
    ("added_tangent", "a"): "only its type and length are read: a join or a sum",
    ("added_tangent", "b"): "only its type and length are read: a join or a sum",
    # normalize/idioms.py passes p = sigmoid(z) along: its part is in z's, y - p
    ("logistic_log_likelihood_rule", "p"): "sigmoid(z), made from z: the adjoint of z holds it",
    # scipy.integrate (srcgrad/api/integrate.py): what steers the solver, not what it solves
    ("odeint", "atol"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "rtol"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "h0"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "hmax"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "hmin"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "ixpr"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "ml"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "mu"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "mxhnil"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "mxordn"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "mxords"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "mxstep"): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "odeint",
        "printmessg",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "tcrit"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "col_deriv"): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "odeint_tangent",
        "atol",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "odeint_tangent",
        "rtol",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "odeint_tangent",
        "hmax",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    ("solve_ivp", "atol"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("solve_ivp", "rtol"): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp",
        "first_step",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp",
        "max_step",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp",
        "min_step",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    ("solve_ivp", "lband"): "a solver setting: the derivative is the solution's, to the tolerance",
    ("solve_ivp", "uband"): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp",
        "vectorized",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp_tangent",
        "atol",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp_tangent",
        "rtol",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    (
        "solve_ivp_tangent",
        "max_step",
    ): "a solver setting: the derivative is the solution's, to the tolerance",
    ("odeint", "Dfun"): "the right-hand side's Jacobian: an aid to the solver, not a value",
    ("odeint", "full_output"): "a flag: what is returned, not its values",
    ("odeint", "tfirst"): "a flag: the order of the right-hand side's arguments",
    ("odeint_tangent", "tfirst"): "a flag: the order of the right-hand side's arguments",
    ("solve_ivp", "dense_output"): "a flag: sol.sol is refused where it is read",
    ("solve_ivp", "events"): "a terminal event is refused at run time; event times are refused",
    ("solve_ivp", "jac"): "the right-hand side's Jacobian: an aid to the solver, not a value",
    ("solve_ivp", "jac_sparsity"): "a pattern for the solver, not a value",
    ("arange", "stop"): "decides how many values there are, not the values",
    ("arange", "like"): "an array-protocol donor",
    ("choose", "a"): "integer indices",
    ("choose_adjoint_adjoint", "extreme"): "which elements tie: piecewise constant",
    ("choose_adjoint_adjoint", "x"): "which elements tie: piecewise constant",
    ("copysign", "y"): "only its sign is read",
    ("cov", "y"): "refused at run time (cov_variables)",
    ("cov", "fweights"): "integers; refused at run time",
    ("cov", "aweights"): "refused at run time (cov_variables)",
    ("cov", "ddof"): "NumPy requires an integer",
    ("diff", "n"): "an integer",
    ("eigenvalues_of", "decomposition"): "eigh(a) computed already: its derivative is a's",
    ("eigenvectors_of", "decomposition"): "eigh(a) computed already: its derivative is a's",
    ("fft", "n"): "an integer length",
    ("ifft", "n"): "an integer length",
    ("rfft", "n"): "an integer length",
    ("irfft", "n"): "an integer length",
    ("ldexp", "i"): "an integer exponent",
    ("lu_packed", "factorization"): "lu_factor(a) computed already: its derivative is a's",
    ("matrix_power", "n"): "an integer power",
    ("multigammaln", "d"): "an integer dimension",
    ("norm", "ord"): "a literal here: a variable ord takes the variant norm_of_variable_order",
    ("quantile", "q"): "a literal here: a variable q takes the variant quantile_of_variable",
    ("percentile", "q"): "a literal here: a variable q takes the variant percentile_of_variable",
    ("pinv", "rcond"): "a cut-off: piecewise constant",
    ("pinv", "rtol"): "a cut-off: piecewise constant",
    ("polygamma", "n"): "an integer order",
    ("real_if_close", "tol"): "a cut-off: piecewise constant",
    ("rollaxis", "start"): "an axis",
    ("tangent_like", "like"): "a shape donor",
    ("real_tangent", "like"): "a shape donor",
    ("yn", "n"): "an integer order (SciPy truncates others)",
}
# a variant leaves out a parameter its `when` requires to be a literal (a constant)
VARIANT_LITERALS = {
    ("norm_euclidean", "ord"),
    *((name, "ddof") for name in ("var_kept", "var_dropped", "std_kept", "std_dropped")),
}


def _left_out(rule) -> list[str]:
    return [p for p in rule.params if p not in rule.differentiable and p not in DISCRETE]


def test_every_parameter_a_rule_leaves_out_does_not_move_its_result():
    registry.load_optional_rules()
    unexplained = set()
    for table in (registry.REVERSE, registry.TANGENT):
        for key, rule in table.items():
            names = {getattr(key, "__name__", ""), rule.name, rule.name.split("_tangent")[0]}
            for param in _left_out(rule):
                if not any((name, param) in LEFT_OUT for name in names):
                    unexplained.add(f"{rule.name} ({getattr(key, '__name__', key)}): {param}")
    for key, variants in registry.VARIANTS.items():
        general = registry.REVERSE[key]
        for rule in variants:
            for param in general.differentiable:
                explained = (rule.name, param) in VARIANT_LITERALS
                fewer = re.fullmatch(r"einsum_\w+", rule.name)  # (operands it does not have)
                if param not in rule.differentiable and not explained and not fewer:
                    unexplained.add(f"variant {rule.name}: {param}")
    assert not unexplained, (
        "parameters left out of a rule's differentiable ones, with no reason given (a value the "
        "result moves with, left out, is a silent zero):\n  " + "\n  ".join(sorted(unexplained))
    )
