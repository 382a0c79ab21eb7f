"""Derivatives of `scipy.linalg`, registered the first time a transformation looks a rule up after
the user's program has imported `scipy.linalg` (registry.load_optional_rules).

Each SciPy function is a definition here (`defined_by`): a Python function of SciPy's parameters,
in SciPy's order and with SciPy's defaults, that srcgrad reads and differentiates as it does the
user's helpers, so that both modes and every order come with it. A definition checks the
arguments as SciPy does (`check_finite`, the names `assume_a` takes), refuses at the user's line
what srcgrad cannot differentiate soundly, and computes SciPy's values with NumPy functions that
have rules (`np.linalg.cholesky`, `np.linalg.solve`, `np.linalg.svd` ...) or with the primitives
below.

A primitive is a function of this module whose value is SciPy's own (a triangular solve, an LU
factorization, the eigenvalues of a symmetric matrix, expm, a matrix square root or logarithm,
a Sylvester solve) and whose reverse and forward rules are written here in terms of primitives
again, so that they can be differentiated in turn: the adjoint of a triangular solve is a
triangular solve, that of an LU factorization two of them, that of expm its Fréchet derivative
(`scipy.linalg.expm_frechet`, itself defined here through the expm of a block matrix), that of
a matrix square root a Sylvester solve. Adjoints of complex values follow JAX's convention (the
transpose of the derivative, not its conjugate), as np.linalg's rules do.

What SciPy returns is reproduced where a user can see it: `cho_factor`'s other triangle holds
the entries of `a` (SciPy before 1.18 leaves them there; 1.18 zeros them) and its flag is the
`lower` given (a 0-d array of it in 1.18); `lu_factor`'s pivots are LAPACK's; eigenvectors are
SciPy's, signs included. A function that reads only part of a matrix (one triangle for
`cholesky`, `cho_solve`, `solve(..., assume_a="pos")` and `eigh`; the diagonals `assume_a`
names) has the derivative of what it computes: an entry it does not read moves nothing. Where
SciPy chooses a solver by looking at the matrix (`assume_a=None`), the solution is the general
one, and so is its derivative.

`overwrite_a=True` (`overwrite_b=True`) lets SciPy write over the caller's array, whose values
the derivative reads: refused at the user's line, as are the arguments srcgrad has no
derivative for (a generalized eigenproblem, a subset of eigenvalues). Functions not defined here
are refused where they are called, as any function without a rule is.
"""

import numpy as np
import scipy.linalg

from ..runtime import refusal, unbroadcast
from .decompositions import eigh_adjoint
from .linalg import mirrored, solve_shape
from .registry import adjoint, defined_by, first_shape, nondifferentiable, tangent

# ---- checks of the arguments, as SciPy makes them -----------------------------------------------


def refuse_overwrite(function, argument, value):
    """Refuse `overwrite_a=True` (`overwrite_b=True`): SciPy may then write over the caller's
    array, whose values the derivative reads."""
    if value:
        raise refusal(
            f"srcgrad does not differentiate scipy.linalg.{function} with {argument}=True, "
            "which lets SciPy write over the array it is given",
            f"leave out {argument}=True: the result is the same, and the array is kept",
        )


def refuse_argument(function, argument, value, default=None):
    """Refuse an argument that asks for what srcgrad has no derivative of, where it is given."""
    if value is not default:
        raise refusal(
            f"srcgrad differentiates scipy.linalg.{function} without its argument "
            f"'{argument}' (given {value!r})",
            f"call scipy.linalg.{function} without '{argument}', or write the computation with "
            "functions srcgrad differentiates",
        )


def check_finite_values(check, *arrays):
    """SciPy's `check_finite`: a ValueError for an array holding an infinity or a nan."""
    if check:
        for array in arrays:
            np.asarray_chkfinite(array)


def flag_of(lower):
    """The `lower` flag of a Cholesky factor as `cho_factor` returns it: a bool, or for a stack
    of matrices SciPy's array of one bool per matrix (all equal)."""
    flags = np.ravel(np.asarray(lower, dtype=bool))
    if flags.size == 0:
        return bool(lower)
    if not np.all(flags == flags[0]):
        raise ValueError("the `lower` flags of a stack of Cholesky factors differ")
    return bool(flags[0])


def _cho_factor_convention() -> tuple[bool, bool]:
    """How this SciPy's cho_factor returns a factor: whether the other triangle keeps the
    entries of `a` (as LAPACK leaves them; before SciPy 1.18) or is zero (as `cholesky`'s), and
    whether the flag of one matrix is a 0-d array (1.18) or the `lower` given."""
    c, flag = scipy.linalg.cho_factor(np.array([[4.0, 1.0], [1.0, 4.0]]), lower=True)
    return bool(c[0, 1] != 0.0), isinstance(flag, np.ndarray)


_KEEPS_OTHER_TRIANGLE, _FLAG_ARRAY = _cho_factor_convention()


def keeps_other_triangle(a):
    """Whether cho_factor leaves the entries of `a` in the other triangle: always before SciPy
    1.18; in 1.18 where it works on a converted copy of one matrix (of integers, say)."""
    if _KEEPS_OTHER_TRIANGLE:
        return True
    array = np.asarray(a)
    converted = array.dtype.char not in "fdFD" or not array.dtype.isnative
    return converted and array.ndim == 2


def factor_flag(a, lower):
    """`cho_factor`'s flag: `lower` as given (a 0-d array of it in SciPy 1.18), and for a
    stack of matrices an array of it."""
    batch = np.shape(a)[:-2]
    return np.tile(lower, batch) if batch or _FLAG_ARRAY else lower


def trans_code(trans):
    """SciPy's `trans` as a number: 0 (a x = b), 1 (a^T x = b) or 2 (a^H x = b)."""
    codes = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}
    if trans not in codes:
        raise ValueError(f"trans={trans!r} is not one of 0, 1, 2, 'N', 'T', 'C'")
    return codes[trans]


# the names `assume_a` takes, and the structure each stands for
_STRUCTURES = {
    None: "general",
    "general": "general",
    "gen": "general",
    "banded": "general",  # (the band is read from `a` itself: the general solution)
    "diagonal": "diagonal",
    "tridiagonal": "tridiagonal",
    "upper triangular": "upper triangular",
    "lower triangular": "lower triangular",
    "symmetric": "symmetric",
    "sym": "symmetric",
    "hermitian": "hermitian",
    "her": "hermitian",
    "positive definite": "positive",
    "pos": "positive",
}


def structure_of(assume_a, a):
    """The structure `assume_a` names; a real Hermitian matrix is a symmetric one."""
    if assume_a not in _STRUCTURES:
        raise ValueError(f"{assume_a} is not a recognized matrix structure")
    kind = _STRUCTURES[assume_a]
    if kind == "hermitian" and not np.iscomplexobj(a):
        return "symmetric"
    return kind


def refuse_complex_transposed(a, transposed):
    """SciPy's error for `transposed=True` with a complex matrix."""
    if transposed and np.iscomplexobj(a):
        raise NotImplementedError(
            "scipy.linalg.solve can currently not solve a^T x = b or a^H x = b for complex "
            "matrices."
        )


def nonzero_diagonal(d):
    """SciPy's error for a diagonal matrix with a zero on its diagonal."""
    if np.any(d == 0):
        raise np.linalg.LinAlgError("A singular matrix detected.")


def identity_of(a):
    """The identity matrix of `a`'s size, in `a`'s floating dtype."""
    return np.eye(np.shape(a)[-1], dtype=np.result_type(a, 1.0))


nondifferentiable(
    refuse_overwrite,
    refuse_argument,
    check_finite_values,
    flag_of,
    keeps_other_triangle,
    factor_flag,
    trans_code,
    structure_of,
    refuse_complex_transposed,
    nonzero_diagonal,
    identity_of,
)


# ---- helpers --------------------------------------------------------------------------------------


def _transposed(x):
    return np.swapaxes(x, -1, -2)


def triangle(a, lower, unit_diagonal=False):
    """The triangle of `a` a triangular solve reads: the lower (upper) one, without the
    diagonal where that is taken to be ones."""
    if lower:
        return np.tril(a, -1) if unit_diagonal else np.tril(a)
    return np.triu(a, 1) if unit_diagonal else np.triu(a)


def symmetric_from(a, lower, hermitian=False):
    """The symmetric (Hermitian) matrix whose lower (upper) triangle is `a`'s."""
    strict = np.tril(a, -1) if lower else np.triu(a, 1)
    other = _transposed(np.conj(strict) if hermitian else strict)
    return (np.tril(a) if lower else np.triu(a)) + other


def structured(a, kind, lower):
    """The matrix SciPy's solver for the structure `kind` reads of `a`."""
    if kind in ("symmetric", "hermitian"):
        return symmetric_from(a, lower, kind == "hermitian")
    if kind == "tridiagonal":
        return np.triu(np.tril(a, 1), -1)
    if kind == "upper triangular":
        return np.triu(a)
    if kind == "lower triangular":
        return np.tril(a)
    return a


# ---- triangular solves -----------------------------------------------------------------------------
# x = op(T)^-1 b, T the triangle of `a` (with ones on its diagonal for `unit_diagonal`), op the
# identity (trans=0), the transpose (1) or the conjugate transpose (2). A 1-d `b` is a vector,
# one of more dimensions a (stack of) matrices, as SciPy reads them.


def triangular_solve(a, b, trans=0, lower=False, unit_diagonal=False):
    """SciPy's solve_triangular, its arguments checked already."""
    return scipy.linalg.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=False
    )


def solved(a, y, vector, trans=0, lower=False, unit_diagonal=False):
    """op(T)^-1 y, where `vector` for a vector y (one for every matrix of a stack `a`: solved
    for as a column, which SciPy would read as a matrix)."""
    if vector and np.ndim(y) > 1:
        return triangular_solve(a, y[..., None], trans, lower, unit_diagonal)[..., 0]
    return triangular_solve(a, y, trans, lower, unit_diagonal)


def triangular_solve_transposed(a, g, b, trans, lower, unit_diagonal):
    """op(T)^-T g: the adjoint of b in x = op(T)^-1 b, before it is summed over the axes b
    was broadcast along."""
    vector = np.ndim(b) == 1
    if trans == 0:
        return solved(a, g, vector, 1, lower, unit_diagonal)
    if trans == 1:
        return solved(a, g, vector, 0, lower, unit_diagonal)
    return np.conj(solved(a, np.conj(g), vector, 0, lower, unit_diagonal))


def triangular_solve_adjoint_left(gb, x, a, b, trans, lower, unit_diagonal):
    """The adjoint of `a` in x = op(T)^-1 b, from gb = op(T)^-T g: -gb x^T for op the identity,
    transposed for the transpose, and conjugated too for the conjugate transpose; on the
    triangle that is read."""
    product = -gb[..., :, None] * x[..., None, :] if np.ndim(b) == 1 else -gb @ _transposed(x)
    if trans == 1:
        product = _transposed(product)
    elif trans == 2:
        product = np.conj(_transposed(product))
    return unbroadcast(triangle(product, lower, unit_diagonal), a)


@adjoint(triangular_solve, shape=solve_shape)
def triangular_solve_rule(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    gb = triangular_solve_transposed(a, g, b, trans, lower, unit_diagonal)
    return (
        triangular_solve_adjoint_left(gb, ans, a, b, trans, lower, unit_diagonal),
        unbroadcast(gb, b),
    )


def triangular_solve_jvp_left(a_dot, x, a, b, trans, lower, unit_diagonal):
    """-op(T)^-1 op(dT) x: what `a`'s tangent adds to that of x = op(T)^-1 b."""
    moved = triangle(a_dot, lower, unit_diagonal)
    if trans == 1:
        moved = _transposed(moved)
    elif trans == 2:
        moved = np.conj(_transposed(moved))
    if np.ndim(b) == 1:
        return -solved(a, (moved @ x[..., None])[..., 0], True, trans, lower, unit_diagonal)
    return -triangular_solve(a, moved @ x, trans, lower, unit_diagonal)


@tangent(triangular_solve)
def triangular_solve_tangent(ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return (
        triangular_solve_jvp_left(a_dot, ans, a, b, trans, lower, unit_diagonal),
        triangular_solve(a, b_dot, trans, lower, unit_diagonal),
    )


@defined_by(scipy.linalg.solve_triangular)
def solve_triangular(
    a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True
):
    refuse_overwrite("solve_triangular", "overwrite_b", overwrite_b)
    check_finite_values(check_finite, a, b)
    return triangular_solve(a, b, trans_code(trans), lower, unit_diagonal)


# ---- Cholesky ---------------------------------------------------------------------------------------


def cholesky_factor(a, lower):
    """The Cholesky factor of `a` read from its lower (upper) triangle: a = l l^H (u^H u)."""
    if lower:
        return np.linalg.cholesky(a)
    return np.linalg.cholesky(a, upper=True)


def cholesky_solve(factor, b, lower):
    """a^-1 b from the Cholesky factor of a in the lower (upper) triangle of `factor`."""
    vector = np.ndim(b) == 1
    if lower:
        return solved(factor, solved(factor, b, vector, 0, True), vector, 2, True)
    return solved(factor, solved(factor, b, vector, 2, False), vector, 0, False)


@defined_by(scipy.linalg.cholesky)
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    refuse_overwrite("cholesky", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    return cholesky_factor(np.atleast_2d(a), lower)


@defined_by(scipy.linalg.cho_factor)
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    refuse_overwrite("cho_factor", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    kept = keeps_other_triangle(a)
    a = np.atleast_2d(a)
    factor = cholesky_factor(a, lower)
    if kept:  # (left in place, as LAPACK leaves it)
        factor = factor + (np.triu(a, 1) if lower else np.tril(a, -1))
    return factor, factor_flag(a, lower)


@defined_by(scipy.linalg.cho_solve)
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = c_and_lower
    refuse_overwrite("cho_solve", "overwrite_b", overwrite_b)
    check_finite_values(check_finite, c, b)
    return cholesky_solve(c, b, flag_of(lower))


# ---- solve, inv, det ----------------------------------------------------------------------------


def diagonal_solve(a, b):
    d = np.diagonal(a, axis1=-2, axis2=-1)
    nonzero_diagonal(d)
    return b / d if np.ndim(b) == 1 else b / d[..., :, None]


@defined_by(scipy.linalg.solve)
def solve(
    a,
    b,
    lower=False,
    overwrite_a=False,
    overwrite_b=False,
    check_finite=True,
    assume_a=None,
    transposed=False,
):
    refuse_overwrite("solve", "overwrite_a", overwrite_a)
    refuse_overwrite("solve", "overwrite_b", overwrite_b)
    check_finite_values(check_finite, a, b)
    kind = structure_of(assume_a, a)
    refuse_complex_transposed(a, transposed)
    a = np.atleast_2d(a)
    if kind == "positive":
        return cholesky_solve(cholesky_factor(a, lower), b, lower)
    if kind == "diagonal":
        return diagonal_solve(a, b)
    if kind in ("upper triangular", "lower triangular"):
        return triangular_solve(a, b, 1 if transposed else 0, kind == "lower triangular")
    matrix = structured(a, kind, lower)
    return np.linalg.solve(_transposed(matrix) if transposed else matrix, b)


@defined_by(scipy.linalg.inv)
def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    refuse_overwrite("inv", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    kind = structure_of(assume_a, a)
    if kind == "diagonal":  # (what SciPy 1.17 returns there is not the inverse of the diagonal)
        refuse_argument("inv", "assume_a", assume_a)
    if kind == "positive":
        root = triangular_solve(cholesky_factor(a, lower), identity_of(a), 0, lower)
        if lower:  # a = l l^H: a^-1 = l^-H l^-1
            return np.conj(_transposed(root)) @ root
        return root @ np.conj(_transposed(root))  # a = u^H u: a^-1 = u^-1 u^-H
    if kind in ("upper triangular", "lower triangular"):
        return triangular_solve(a, identity_of(a), 0, kind == "lower triangular")
    return np.linalg.inv(structured(a, kind, lower))


@defined_by(scipy.linalg.det)
def det(a, overwrite_a=False, check_finite=True):
    refuse_overwrite("det", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    return np.linalg.det(a)


# ---- LU --------------------------------------------------------------------------------------------
# lu_factor's `lu` holds l below its diagonal (whose ones it leaves out) and u on and above it,
# with P a = l u for the permutation P of LAPACK's row swaps `piv`: row i of P a is row
# rows[i] of a. The permutation moves with nothing; l and u move as (Murray 2016)
# dl = l tril(x, -1), du = triu(x) u with x = l^-1 P da u^-1.


def pivot_rows(piv, rows):
    """The row of `a` each row of P a comes from (`rows` of them), from LAPACK's row swaps:
    row i was swapped with row piv[i], in turn."""
    piv = np.asarray(piv)
    order = np.broadcast_to(np.arange(rows), (*np.shape(piv)[:-1], rows)).copy()
    for index in np.ndindex(*np.shape(piv)[:-1]):
        line = order[index]
        for i, j in enumerate(piv[index]):
            line[i], line[j] = line[j], line[i]
    return order


def inverse_rows(rows):
    """The inverse permutation of `rows` (each along the last axis)."""
    return np.argsort(rows, axis=-1)


nondifferentiable(pivot_rows, inverse_rows)


def rows_taken(x, rows, vector=False):
    """x's rows in the order `rows` gives, P x: a vector's elements where `vector` (x a vector
    for every matrix of a stack) or x is 1-d."""
    if vector and np.ndim(x) > 1:
        return np.take_along_axis(x, rows, axis=-1)
    if np.ndim(x) <= 2:
        return x[rows]
    if np.ndim(rows) == 1:
        return x[..., rows, :]
    return np.take_along_axis(x, rows[..., :, None], axis=-2)


def lu_factorization(a):
    """SciPy's lu_factor(a), (lu, piv), its arguments checked already: values, which
    `lu_packed` gives their derivative."""
    return scipy.linalg.lu_factor(a, check_finite=False)


def refuse_rectangular_lu(a):
    if np.shape(a)[-1] != np.shape(a)[-2]:
        raise refusal(
            "srcgrad differentiates the LU factorization of square matrices only",
            "factor a square matrix, or solve a least-squares problem with np.linalg.lstsq",
        )


nondifferentiable(lu_factorization, refuse_rectangular_lu)


# A primitive returns one array: the `lu` of the factorization computed already, whose rules
# read the pivots as the constants they are.
def lu_packed(a, factorization):
    """lu_factor(a)'s `lu`, from `factorization`, lu_factor(a) computed already."""
    return np.copy(factorization[0])


def lu_factor_adjoint(g, ans, a, piv):
    """The adjoint of `a` in lu = lu_factor(a)[0], from its adjoint g: P^T l^-T M u^-T with
    M = tril(l^T gl, -1) + triu(gu u^T), gl (gu) the part of g below (on and above) the
    diagonal."""
    refuse_rectangular_lu(a)
    gl = np.tril(g, -1)
    inner = gl + np.tril(_transposed(np.tril(ans, -1)) @ gl, -1)
    inner = inner + np.triu(np.triu(g) @ _transposed(np.triu(ans)))
    left = triangular_solve(ans, inner, 1, True, True)  # l^-T M
    moved = _transposed(triangular_solve(ans, _transposed(left), 0, False))  # l^-T M u^-T
    return rows_taken(moved, inverse_rows(pivot_rows(piv, np.shape(a)[-2])))


@adjoint(lu_packed, shape=first_shape, differentiable=["a"])
def lu_packed_rule(g, ans, a, factorization):
    return lu_factor_adjoint(g, ans, a, factorization[1])


def lu_factor_jvp(a_dot, ans, a, piv):
    """The tangent of lu = lu_factor(a)[0] along a_dot: l tril(x, -1) + triu(x) u with
    x = l^-1 P da u^-1."""
    refuse_rectangular_lu(a)
    moved = rows_taken(a_dot, pivot_rows(piv, np.shape(a)[-2]))
    left = triangular_solve(ans, moved, 0, True, True)  # l^-1 P da
    x = _transposed(triangular_solve(ans, _transposed(left), 1, False))  # ... u^-1
    lower = np.tril(x, -1)
    dl = lower + np.tril(np.tril(ans, -1) @ lower, -1)  # l tril(x, -1), l = 1 + tril(lu, -1)
    return dl + np.triu(x) @ np.triu(ans)


@tangent(lu_packed)
def lu_packed_tangent(ans, a, factorization):
    return lu_factor_jvp(a_dot, ans, a, factorization[1])


def lu_factors(a):
    """(lu, piv) = lu_factor(a), SciPy's values, `lu` carrying its derivative."""
    factorization = lu_factorization(a)
    return lu_packed(a, factorization), factorization[1]


@defined_by(scipy.linalg.lu_factor)
def lu_factor(a, overwrite_a=False, check_finite=True):
    refuse_overwrite("lu_factor", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    return lu_factors(a)


@defined_by(scipy.linalg.lu_solve)
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    packed, piv = lu_and_piv
    refuse_overwrite("lu_solve", "overwrite_b", overwrite_b)
    check_finite_values(check_finite, packed, b)
    rows = pivot_rows(piv, np.shape(packed)[-2])
    code = trans_code(trans)
    vector = np.ndim(b) == 1
    if code == 0:  # a = P^T l u
        y = solved(packed, rows_taken(b, rows), vector, 0, True, True)
        return solved(packed, y, vector, 0, False)
    y = solved(packed, b, vector, code, False)  # a^T = u^T l^T P
    return rows_taken(solved(packed, y, vector, code, True, True), inverse_rows(rows), vector)


def permutation_matrix(rows, like):
    """p with a = p l u, from the rows of `a` that P a = l u takes: p[rows[i], i] = 1."""
    count = np.shape(rows)[-1]
    eye = np.eye(count, dtype=np.real(np.ones(1, dtype=np.result_type(like, 1.0))).dtype)
    return _transposed(eye[rows])


def pivot_indices(rows):
    """`lu`'s p_indices: p with a = l[p] @ u, in SciPy's dtype."""
    return np.argsort(rows, axis=-1).astype(np.int32)


nondifferentiable(permutation_matrix, pivot_indices)


@defined_by(scipy.linalg.lu)
def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    refuse_overwrite("lu", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    packed, piv = lu_factors(a)  # (the LU of a matrix that is not square has no derivative)
    rows, columns = np.shape(a)[-2:]
    k = min(rows, columns)
    lower = np.tril(packed[..., :, :k], -1) + np.eye(rows, k, dtype=packed.dtype)
    upper = np.triu(packed[..., :k, :])
    order = pivot_rows(piv, rows)
    if permute_l:
        return rows_taken(lower, inverse_rows(order)), upper
    if p_indices:
        return pivot_indices(order), lower, upper
    return permutation_matrix(order, a), lower, upper


# ---- eigenvalues and eigenvectors of symmetric matrices ---------------------------------------------
# SciPy's own eigenvectors (whose signs may differ from NumPy's), differentiated as np.linalg.eigh
# is (decompositions.py): equal eigenvalues do no harm where only the eigenvalues are used.


def symmetric_decomposition(a, lower=True, driver=None):
    """SciPy's eigh(a), (w, v), its arguments checked already: values, which
    `eigenvalues_of` and `eigenvectors_of` give their derivatives."""
    return scipy.linalg.eigh(a, lower=lower, driver=driver, check_finite=False)


def symmetric_eigenvalues(a, lower=True, driver=None):
    """SciPy's eigh(a, eigvals_only=True), its arguments checked already."""
    return scipy.linalg.eigh(a, lower=lower, eigvals_only=True, driver=driver, check_finite=False)


nondifferentiable(symmetric_decomposition)


def _uplo(lower):
    return "L" if lower else "U"


# A primitive returns one array: the eigenvalues, or the eigenvectors, of a decomposition
# computed already; each rule reads the other part through its own primitive, so that a
# tangent is differentiated again in full.
def eigenvalues_of(a, decomposition, lower=True):
    """eigh(a)'s eigenvalues, from `decomposition`, eigh(a) computed already."""
    return np.copy(decomposition[0])


def eigenvectors_of(a, decomposition, lower=True):
    """eigh(a)'s eigenvectors, from `decomposition`, eigh(a) computed already."""
    return np.copy(decomposition[1])


@adjoint(eigenvalues_of, shape=lambda a, **constants: a[:-1], differentiable=["a"])
def eigenvalues_of_rule(g, ans, a, decomposition, lower=True):
    return eigh_adjoint((g, None), (ans, decomposition[1]), a, _uplo(lower))


@tangent(eigenvalues_of)
def eigenvalues_of_tangent(ans, a, decomposition, lower=True):
    return eigenvalues_jvp(a_dot, eigenvectors_of(a, decomposition, lower), lower)


def eigenvalues_jvp(a_dot, v, lower):
    """The tangent of the eigenvalues of `a`, whose eigenvectors are v: diag(v^T da v)."""
    return np.sum(v * (mirrored(a_dot, _uplo(lower)) @ v), axis=-2)


def reciprocal_gaps(w):
    """f[..., j, k] = 1 / (w[k] - w[j]) off the diagonal, 0 on it."""
    gaps = w[..., None, :] - w[..., :, None]
    off = 1.0 - identity_of(gaps)
    return off / (gaps + (1.0 - off))


@adjoint(eigenvectors_of, shape=first_shape, differentiable=["a"])
def eigenvectors_of_rule(g, ans, a, decomposition, lower=True):
    gw = np.zeros_like(decomposition[0], dtype=np.result_type(g, decomposition[0]))
    return eigh_adjoint((gw, g), (decomposition[0], ans), a, _uplo(lower))


# with r = v^T da v: dv = v (f ∘ r), f[j, k] = 1 / (w[k] - w[j]) off the diagonal
@tangent(eigenvectors_of)
def eigenvectors_of_tangent(ans, a, decomposition, lower=True):
    return eigenvectors_jvp(a_dot, eigenvalues_of(a, decomposition, lower), ans, lower)


def eigenvectors_jvp(a_dot, w, v, lower):
    rotated = _transposed(v) @ mirrored(a_dot, _uplo(lower)) @ v
    return v @ (reciprocal_gaps(w) * rotated)


@adjoint(symmetric_eigenvalues, shape=lambda a, **constants: a[:-1])
def symmetric_eigenvalues_rule(g, ans, a, lower=True, driver=None):
    return eigh_adjoint(g, ans, a, _uplo(lower))


@tangent(symmetric_eigenvalues)
def symmetric_eigenvalues_tangent(ans, a, lower=True, driver=None):
    decomposition = symmetric_decomposition(a, lower, driver)
    return eigenvalues_jvp(a_dot, eigenvectors_of(a, decomposition, lower), lower)


def refuse_eigen_options(function, b, subset_by_index, subset_by_value):
    refuse_argument(function, "b", b)
    refuse_argument(function, "subset_by_index", subset_by_index)
    refuse_argument(function, "subset_by_value", subset_by_value)


nondifferentiable(refuse_eigen_options)


@defined_by(scipy.linalg.eigh)
def eigh(
    a,
    b=None,
    *,
    lower=True,
    eigvals_only=False,
    overwrite_a=False,
    overwrite_b=False,
    type=1,
    check_finite=True,
    subset_by_index=None,
    subset_by_value=None,
    driver=None,
):
    refuse_overwrite("eigh", "overwrite_a", overwrite_a)
    refuse_eigen_options("eigh", b, subset_by_index, subset_by_value)
    check_finite_values(check_finite, a)
    if eigvals_only:
        return symmetric_eigenvalues(a, lower, driver)
    decomposition = symmetric_decomposition(a, lower, driver)
    return eigenvalues_of(a, decomposition, lower), eigenvectors_of(a, decomposition, lower)


@defined_by(scipy.linalg.eigvalsh)
def eigvalsh(
    a,
    b=None,
    *,
    lower=True,
    overwrite_a=False,
    overwrite_b=False,
    type=1,
    check_finite=True,
    subset_by_index=None,
    subset_by_value=None,
    driver=None,
):
    refuse_overwrite("eigvalsh", "overwrite_a", overwrite_a)
    refuse_eigen_options("eigvalsh", b, subset_by_index, subset_by_value)
    check_finite_values(check_finite, a)
    return symmetric_eigenvalues(a, lower, driver)


# ---- matrix functions: expm, sqrtm, logm, and the Sylvester equation ---------------------------------
# For a function f with a power series of real coefficients, d f(a) along e is the Fréchet
# derivative L_f(a, e), and the adjoint of `a` for g is L_f(a^T, g); for a real `a` whose f(a)
# is complex (the root or logarithm of a negative eigenvalue), its real part.


def each_matrix(function, a, e):
    """function(a, e) for every pair of matrices of the stacks `a` and `e`, broadcast."""
    if np.ndim(a) == 2 and np.ndim(e) == 2:
        return function(a, e)
    shape = np.broadcast_shapes(np.shape(a), np.shape(e))
    flat_a = np.reshape(np.broadcast_to(a, shape), (-1, *shape[-2:]))
    flat_e = np.reshape(np.broadcast_to(e, shape), (-1, *shape[-2:]))
    parts = [function(flat_a[k], flat_e[k]) for k in range(len(flat_a))]
    return np.reshape(np.stack(parts), shape)


def expm_derivative(a, e):
    """The Fréchet derivative of expm at the matrix `a` along `e`."""
    return scipy.linalg.expm_frechet(a, e, compute_expm=False, check_finite=False)


def real_if_real(x, like):
    """x's real part where `like` is real: the adjoint of a real argument."""
    return x if np.iscomplexobj(like) else np.real(x)


@adjoint(scipy.linalg.expm, shape=first_shape)
def expm_rule(g, ans, A):
    return real_if_real(each_matrix(expm_derivative, _transposed(A), g), A)


@tangent(scipy.linalg.expm)
def expm_tangent(ans, A):
    return each_matrix(expm_derivative, A, A_dot)


def upper_blocks(a, e):
    """The block matrix [[a, e], [0, a]], whose function f is [[f(a), L_f(a, e)], [0, f(a)]]."""
    zeros = np.zeros_like(e, dtype=np.result_type(a, e))
    top = np.concatenate([a, e], axis=-1)
    return np.concatenate([top, np.concatenate([zeros, a], axis=-1)], axis=-2)


@defined_by(scipy.linalg.expm_frechet)
def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    check_finite_values(check_finite, A, E)
    n = np.shape(A)[-1]
    both = scipy.linalg.expm(upper_blocks(A, E))
    if compute_expm:
        return both[..., :n, :n], both[..., :n, n:]
    return both[..., :n, n:]


# y = solve_sylvester(a, b, q) solves a y + y b = q: a dy + dy b = dq - da y - y db.
@adjoint(scipy.linalg.solve_sylvester, shape=lambda a, b, q: q)
def solve_sylvester_rule(g, ans, a, b, q):
    gq = each_matrix_sylvester(_transposed(a), _transposed(b), g)
    return -gq @ _transposed(ans), -_transposed(ans) @ gq, gq


@tangent(scipy.linalg.solve_sylvester)
def solve_sylvester_tangent(ans, a, b, q):
    return (
        -each_matrix_sylvester(a, b, a_dot @ ans),
        -each_matrix_sylvester(a, b, ans @ b_dot),
        each_matrix_sylvester(a, b, q_dot),
    )


def each_matrix_sylvester(a, b, q):
    """solve_sylvester for every triple of matrices of the stacks `a`, `b` and `q`."""
    if np.ndim(a) == 2 and np.ndim(b) == 2 and np.ndim(q) == 2:
        return scipy.linalg.solve_sylvester(a, b, q)
    shape = np.broadcast_shapes(np.shape(a), np.shape(b), np.shape(q))
    flat = [np.reshape(np.broadcast_to(x, shape), (-1, *shape[-2:])) for x in (a, b, q)]
    parts = [
        scipy.linalg.solve_sylvester(flat[0][k], flat[1][k], flat[2][k])
        for k in range(len(flat[0]))
    ]
    return np.reshape(np.stack(parts), shape)


def matrix_square_root(A):
    """SciPy's sqrtm(A)."""
    return scipy.linalg.sqrtm(A)


# x = sqrtm(a) solves x x = a: x dx + dx x = da, a Sylvester equation.
@adjoint(matrix_square_root, shape=first_shape)
def matrix_square_root_rule(g, ans, A):
    return real_if_real(each_matrix_sylvester(_transposed(ans), _transposed(ans), g), A)


@tangent(matrix_square_root)
def matrix_square_root_tangent(ans, A):
    return each_matrix_sylvester(ans, ans, A_dot)


@defined_by(scipy.linalg.sqrtm)
def sqrtm(A, disp=True, blocksize=64):
    refuse_argument("sqrtm", "disp", disp, True)
    return matrix_square_root(A)


def matrix_logarithm(A):
    """SciPy's logm(A)."""
    return scipy.linalg.logm(A)


def logm_derivative(a, e):
    """The Fréchet derivative of logm at the matrix `a` along `e`: the upper right block of the
    logarithm of [[a, e], [0, a]]."""
    n = np.shape(a)[-1]
    return matrix_logarithm(upper_blocks(a, e))[..., :n, n:]


@adjoint(matrix_logarithm, shape=first_shape)
def matrix_logarithm_rule(g, ans, A):
    return real_if_real(each_matrix(logm_derivative, _transposed(A), g), A)


@tangent(matrix_logarithm)
def matrix_logarithm_tangent(ans, A):
    return each_matrix(logm_derivative, A, A_dot)


@defined_by(scipy.linalg.logm)
def logm(A, disp=True):
    refuse_argument("logm", "disp", disp, True)
    return matrix_logarithm(A)


# ---- decompositions NumPy computes as SciPy does (the same LAPACK routines, the same values) -----------


def refuse_driver(function, argument, value, expected):
    """Refuse a LAPACK driver other than the one NumPy uses, whose results may differ."""
    if value != expected:
        refuse_argument(function, argument, value, expected)


nondifferentiable(refuse_driver)


@defined_by(scipy.linalg.svd)
def svd(
    a,
    full_matrices=True,
    compute_uv=True,
    overwrite_a=False,
    check_finite=True,
    lapack_driver="gesdd",
):
    refuse_overwrite("svd", "overwrite_a", overwrite_a)
    refuse_driver("svd", "lapack_driver", lapack_driver, "gesdd")
    check_finite_values(check_finite, a)
    return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


@defined_by(scipy.linalg.svdvals)
def svdvals(a, overwrite_a=False, check_finite=True):
    refuse_overwrite("svdvals", "overwrite_a", overwrite_a)
    check_finite_values(check_finite, a)
    return np.linalg.svd(a, compute_uv=False)


_QR_MODES = {"full": "complete", "economic": "reduced", "r": "complete"}


def qr_mode(mode):
    """NumPy's name for SciPy's QR mode; 'raw' (LAPACK's Householder vectors) is refused."""
    if mode not in _QR_MODES:
        refuse_argument("qr", "mode", mode, "full")
    return _QR_MODES[mode]


nondifferentiable(qr_mode)


@defined_by(scipy.linalg.qr)
def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    refuse_overwrite("qr", "overwrite_a", overwrite_a)
    refuse_argument("qr", "pivoting", pivoting, False)
    check_finite_values(check_finite, a)
    if mode == "r":  # (R alone, as full mode has it)
        return (np.linalg.qr(a, qr_mode(mode))[1],)
    q, r = np.linalg.qr(a, qr_mode(mode))
    return q, r


# ---- building and measuring matrices ---------------------------------------------------------------


def check_blocks(arrs):
    """SciPy's error for a block of more than two dimensions."""
    deep = [k for k, block in enumerate(arrs) if np.ndim(block) > 2]
    if deep:
        raise ValueError(
            f"arguments in the following positions have dimension greater than 2: {deep}"
        )


nondifferentiable(check_blocks)


def two_blocks(top, bottom):
    """The block matrix [[top, 0], [0, bottom]]."""
    dtype = np.result_type(top, bottom)
    right = np.zeros((np.shape(top)[0], np.shape(bottom)[1]), dtype=dtype)
    left = np.zeros((np.shape(bottom)[0], np.shape(top)[1]), dtype=dtype)
    upper = np.concatenate([top, right], axis=1)
    return np.concatenate([upper, np.concatenate([left, bottom], axis=1)], axis=0)


# (one block after another: a loop over the tuple `arrs` itself would make its adjoint an array,
# which blocks of different shapes are not)
@defined_by(scipy.linalg.block_diag)
def block_diag(*arrs):
    check_blocks(arrs)
    if not arrs:
        return np.atleast_2d([])
    result = np.atleast_2d(arrs[0])
    for k in range(1, len(arrs)):
        result = two_blocks(result, np.atleast_2d(arrs[k]))
    return result


@defined_by(scipy.linalg.norm)
def norm(a, ord=None, axis=None, keepdims=False, check_finite=True):
    check_finite_values(check_finite, a)
    return np.linalg.norm(a, ord, axis, keepdims)
