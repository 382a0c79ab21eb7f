"""Rules for `np.linalg`'s matrix functions (`inv`, `solve`, `det`, `slogdet`, `matrix_power`,
`pinv`) and norms, both modes; its decompositions are in decompositions.py.

A function that returns a tuple (`slogdet`) receives `g` as the tuple of the components'
adjoints (zeros for a component the user did not use), and its forward rule returns the tuple
of the components' tangents, in the order of `ans`, as its one term: hence `return ((ds, dl),)`.
Helpers that no single NumPy call expresses are defined here, above the rules that call them:
they never mutate their inputs and create arrays only with `*_like`.
"""

import numpy as np

from ..runtime import product_of_others, refusal, unbroadcast
from .products import _ranks
from .registry import adjoint, first_shape, nondifferentiable, tangent, variable, variant

# ---- helpers -------------------------------------------------------------------------------------


def _matrix_rank(param: str, rank: int = 2):
    def holds(facts) -> bool:
        shape = facts.shape(param)
        return shape is not None and len(shape) == rank

    return holds


def _transposed(x):
    return np.swapaxes(x, -1, -2)


# A function that reads only one triangle of a symmetric matrix argument (`eigh`'s `UPLO`,
# `cholesky`'s `upper`, `pinv(..., hermitian=True)`): an entry of the triangle that is read
# stands for itself and its mirror image, and the other triangle gets zero adjoint; the tangent
# it sees is that triangle's, mirrored, so a move of the other triangle moves nothing.


def one_triangle(m, lower=True):
    """The adjoint of a function that reads only the lower (or upper) triangle of its matrix
    argument, from `m`, its adjoint for a symmetric argument: an entry off the diagonal in the
    triangle that is read stands for itself and its mirror image; the other triangle is unread."""
    m = 0.5 * (m + _transposed(m))
    diagonal = np.triu(np.tril(m))
    return np.tril(2.0 * m) - diagonal if lower else np.triu(2.0 * m) - diagonal


def mirrored(t, triangle="L"):
    """The tangent a function that reads only the lower ('L') or upper ('U') triangle of its
    matrix argument sees, from the argument's tangent `t`: that triangle and its mirror image."""
    if triangle.upper() == "L":
        return np.tril(t) + _transposed(np.tril(t, -1))
    return np.triu(t) + _transposed(np.triu(t, 1))


# ---- matrix functions ----------------------------------------------------------------------------


@adjoint(np.linalg.inv, shape=first_shape)
def inv(g, ans, a):
    return -np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)


@variant(np.linalg.inv, when=_matrix_rank("a"))
def inv_matrix(g, ans, a):
    return -ans.T @ g @ ans.T


@tangent(np.linalg.inv)
def inv_tangent(ans, a):
    return -ans @ a_dot @ ans


def solve_shape(a, b):
    """The shape of `np.linalg.solve(a, b)` (NumPy 2: `b` is a vector only when 1-d)."""
    if len(b) == 1:
        return (*a[:-1],)
    return (*np.broadcast_shapes(a[:-2], b[:-2]), *b[-2:])


def solve_transposed(a, g, b):
    """`solve(a.T, g)` for `g` shaped like `solve(a, b)`: the adjoint of `b`, before it is
    summed over the axes `b` was broadcast along."""
    if np.ndim(b) == 1:
        return np.linalg.solve(_transposed(a), g[..., None])[..., 0]
    return np.linalg.solve(_transposed(a), g)


def solve_adjoint_left(gb, x, a, b):
    """The adjoint of `a` in `x = solve(a, b)`, given `gb = solve(a.T, g)`: `-gb x^T`."""
    if np.ndim(b) == 1:
        return unbroadcast(-gb[..., :, None] * x[..., None, :], a)
    return unbroadcast(-gb @ _transposed(x), a)


@adjoint(np.linalg.solve, shape=solve_shape)
def solve(g, ans, a, b):
    gb = solve_transposed(a, g, b)
    return solve_adjoint_left(gb, ans, a, b), unbroadcast(gb, b)


@variant(np.linalg.solve, when=_ranks(2, 1, "a", "b"))
def solve_vector(g, ans, a, b):
    gb = np.linalg.solve(a.T, g)
    return -np.outer(gb, ans), gb


@variant(np.linalg.solve, when=_ranks(2, 2, "a", "b"))
def solve_matrix(g, ans, a, b):
    gb = np.linalg.solve(a.T, g)
    return -gb @ ans.T, gb


def solve_left_jvp(a_dot, ans, a, b):
    """-solve(a, a_dot @ x): what `a`'s tangent adds to the tangent of x = solve(a, b). A 1-d
    `b` is one vector for every matrix of a stack `a`: a column while it is solved for."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, a_dot @ ans[..., None])[..., 0]
    return -np.linalg.solve(a, a_dot @ ans)


@tangent(np.linalg.solve)
def solve_tangent(ans, a, b):
    return solve_left_jvp(a_dot, ans, a, b), np.linalg.solve(a, b_dot)


def well_conditioned(a) -> bool:
    """Every matrix of `a` is far enough from singular that its inverse is accurate to half the
    digits of its dtype (a 1-norm condition number below 1 / sqrt(eps)); or `a` holds a nan or
    an infinity, whose derivatives are nan whichever way they are computed."""
    if not np.all(np.isfinite(a)):
        return True
    limit = 1.0 / np.sqrt(np.finfo(np.result_type(a, 1.0)).eps)
    with np.errstate(all="ignore"):
        return bool(np.all(np.linalg.cond(a, 1) < limit))


nondifferentiable(well_conditioned)


def det_cofactors(a, ans):
    """d det(a) / da for `ans = det(a)`: the cofactors of each matrix of `a` (its adjugate,
    transposed). det(a) a^-T where every matrix is well conditioned; else through the SVD
    a = u diag(s) v^T, det(u) det(v) u diag(the product of the other s) v^T (conjugated for
    complex matrices), which is finite at a singular matrix, where the inverse is not."""
    if well_conditioned(a):
        return np.expand_dims(ans, (-2, -1)) * _transposed(np.linalg.inv(a))
    u, s, vt = np.linalg.svd(a)
    signs = np.expand_dims(np.linalg.det(u) * np.linalg.det(vt), (-2, -1))
    return signs * ((np.conj(u) * np.expand_dims(product_of_others(s, -1), -2)) @ np.conj(vt))


@adjoint(np.linalg.det, shape=lambda a: (*a[:-2],))
def det(g, ans, a):
    return np.expand_dims(g, (-2, -1)) * det_cofactors(a, ans)


@variant(np.linalg.det, when=_matrix_rank("a"))
def det_matrix(g, ans, a):
    return g * det_cofactors(a, ans)


@tangent(np.linalg.det)
def det_tangent(ans, a):
    return np.sum(det_cofactors(a, ans) * a_dot, axis=(-2, -1))


# `sign, logdet = np.linalg.slogdet(a)`: the sign is piecewise constant.
@adjoint(np.linalg.slogdet)
def slogdet(g, ans, a):
    return np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@variant(np.linalg.slogdet, when=_matrix_rank("a"))
def slogdet_matrix(g, ans, a):
    return g[1] * np.linalg.inv(a).T


# d log det = t = tr(a^-1 da). Of a complex det's sign (a phase) the tangent is i Im(t) times
# the sign; for a real `a`, t - Re(t) is 0 and the sign does not move.
@tangent(np.linalg.slogdet)
def slogdet_tangent(ans, a):
    t = np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)
    return ((ans[0] * (t - np.real(t)), np.real(t)),)


def matrix_power_adjoint(g, a, n):
    """d(np.linalg.matrix_power(a, n))/da applied to g: the sum over k < n of
    (a^T)^k g (a^T)^(n-1-k), and through the inverse for negative `n`."""
    if n < 0:
        b = np.linalg.inv(a)
        gb = matrix_power_adjoint(g, b, -n)
        return -_transposed(b) @ gb @ _transposed(b)
    if n == 0:
        return np.zeros_like(a, dtype=np.result_type(a, g, 1.0))
    powers = [None, _transposed(a)]  # powers[k] = (a^T)^k, for k >= 1
    for _ in range(2, n):
        powers.append(powers[-1] @ powers[1])
    total = g @ powers[n - 1] if n > 1 else g
    for k in range(1, n):
        term = powers[k] @ g
        total = total + (term @ powers[n - 1 - k] if n - 1 - k else term)
    return total


@adjoint(np.linalg.matrix_power, differentiable=["a"], shape=first_shape)
def matrix_power(g, ans, a, n):
    return matrix_power_adjoint(g, a, n)


def matrix_power_jvp(a_dot, a, n):
    """The tangent of np.linalg.matrix_power(a, n) along a_dot: the sum over k < n of
    a^k a_dot a^(n-1-k), built up by d(a^(k+1)) = d(a^k) a + a^k a_dot; through the inverse
    for negative `n`."""
    if n < 0:
        b = np.linalg.inv(a)
        return matrix_power_jvp(-b @ a_dot @ b, b, -n)
    if n == 0:
        return np.zeros_like(a, dtype=np.result_type(a, a_dot, 1.0))
    power, total = a, a_dot
    for _ in range(1, n):
        power, total = power @ a, total @ a + power @ a_dot
    return total


@tangent(np.linalg.matrix_power)
def matrix_power_tangent(ans, a, n):
    return matrix_power_jvp(a_dot, a, n)


def pinv_adjoint(g, ans, a, hermitian=False):
    """d(np.linalg.pinv(a))/da applied to g, for `a` of constant rank (Golub and Pereyra):
    -p^T g p^T + (1 - a p) g^T p p^T + p^T p g^T (1 - p a), with p = pinv(a)."""
    p, pt, gt = ans, _transposed(ans), _transposed(g)
    left = gt @ p @ pt
    right = pt @ p @ gt
    result = -pt @ g @ pt + (left - a @ (p @ left)) + (right - (right @ p) @ a)
    return one_triangle(result) if hermitian else result


def pinv_shape(a, rcond=None, hermitian=False, rtol=None):
    """The shape of `np.linalg.pinv(a)`."""
    return (*a[:-2], a[-1], a[-2])


# `rtol` is keyword-only in NumPy (its default a sentinel); it chooses the cut-off, not the result.
@adjoint(np.linalg.pinv, shape=pinv_shape)
def pinv(g, ans, a, rcond=None, hermitian=False, rtol=None):
    return pinv_adjoint(g, ans, a, hermitian)


def pinv_jvp(a_dot, ans, a, hermitian=False):
    """The tangent of np.linalg.pinv(a) along a_dot, for `a` of constant rank (Golub and
    Pereyra): -p da p + p p^T da^T (1 - a p) + (1 - p a) da^T p^T p, with p = pinv(a)."""
    if hermitian:  # NumPy's eigh reads the lower triangle
        a_dot = mirrored(a_dot)
    p, pt, dat = ans, _transposed(ans), _transposed(a_dot)
    left = p @ (pt @ dat)
    right = dat @ (pt @ p)
    return -p @ a_dot @ p + (left - (left @ a) @ p) + (right - p @ (a @ right))


@tangent(np.linalg.pinv)
def pinv_tangent(ans, a, rcond=None, hermitian=False, rtol=None):
    return pinv_jvp(a_dot, ans, a, hermitian)


# ---- norms ---------------------------------------------------------------------------------------


def norm_shape(x, ord=None, axis=None, keepdims=False):
    """The shape of `np.linalg.norm(x, ord, axis, keepdims)`."""
    if axis is None:
        return tuple(1 for _ in x) if keepdims else ()
    axes = {n % len(x) for n in ((axis,) if isinstance(axis, int) else axis)}
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(x))
    return tuple(n for i, n in enumerate(x) if i not in axes)


def _shared_among(hits, axis):
    """`hits` divided by their number along `axis`: a tie shares the adjoint equally."""
    return hits / np.sum(hits, axis=axis, keepdims=True)


def _matrix_norm_adjoint(g, ans, x, ord, axes):
    rows, cols = axes
    if ord in (None, "fro", "f"):
        return g * x / np.where(ans == 0.0, 1.0, ans)
    if ord in (1, -1, np.inf, -np.inf):  # the largest (smallest) column or row sum of |x|
        summed, across = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        return g * np.sign(x) * _shared_among(sums == ans, across)
    moved = np.moveaxis(x, (rows, cols), (-2, -1))
    u, _, vt = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        part = u @ vt
    else:  # 2 or -2: the largest or smallest singular value
        k = 0 if ord == 2 else -1
        part = u[..., :, k, None] * vt[..., None, k, :]
    return g * np.moveaxis(part, (-2, -1), (rows, cols))


def norm_adjoint(g, ans, x, ord=None, axis=None, keepdims=False):
    """d(np.linalg.norm(x, ord, axis, keepdims))/dx applied to g, for every vector and matrix
    norm NumPy has. Where the norm is not differentiable the adjoint is a subgradient: zero at
    x = 0, shared equally among tied largest entries, rows or columns."""
    ndim = np.ndim(x)
    if axis is None:
        plain = ord is None or (ord in ("fro", "f") and ndim == 2) or (ord == 2 and ndim == 1)
        axes = tuple(range(ndim))
    else:
        plain = False
        axes = tuple(n % ndim for n in ((axis,) if isinstance(axis, int) else axis))
    if not keepdims:
        g, ans = np.expand_dims(g, axes), np.expand_dims(ans, axes)
    if plain or (ord in (None, 2) and len(axes) == 1):
        return g * x / np.where(ans == 0.0, 1.0, ans)
    if len(axes) == 2:
        return _matrix_norm_adjoint(g, ans, x, ord, axes)
    if ord in (np.inf, -np.inf):
        return g * np.sign(x) * _shared_among(np.abs(x) == ans, axes)
    if ord == 0:
        return np.zeros_like(x, dtype=np.result_type(x, g, 1.0))
    if ord == 1:
        return g * np.sign(x)
    scale = np.where(ans == 0.0, 1.0, ans)
    return g * np.sign(x) * (np.abs(x) / scale) ** (ord - 1)


def norm_order_slope(ans, x, ord=None, axis=None, keepdims=False):
    """d np.linalg.norm(x, ord, axis, keepdims) / d ord, shaped like the norm. A vector norm
    of a real order p, (sum |x|^p)^(1/p), moves with p by (norm / p) sum(w log(|x| / norm)),
    w = (|x| / norm)^p; at p = ±inf (the largest or smallest |x|) by 0. Matrix norms (of a few
    orders only) and ord=0 (a count) are not families that move with ord: refused."""
    ndim = np.ndim(x)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(n % ndim for n in ((axis,) if isinstance(axis, int) else axis))
    if len(axes) != 1 or ord == 0:
        raise refusal(
            "srcgrad has no derivative of np.linalg.norm with respect to its argument 'ord' "
            "for a matrix norm or ord=0, which are not families of norms that move with ord",
            "pass 'ord' a value that does not depend on the inputs you differentiate with "
            "respect to",
        )
    if np.isinf(ord):
        return np.zeros_like(ans, dtype=np.result_type(ans, 1.0))
    kept = ans if keepdims else np.expand_dims(ans, axes)
    ratio = np.abs(x) / np.where(kept == 0, 1.0, kept)
    present = np.where(ratio == 0, 1.0, ratio)
    weighted = np.where(ratio == 0, 0.0, present**ord * np.log(present))
    slope = kept / ord * np.sum(weighted, axis=axes, keepdims=True)
    return slope if keepdims else np.squeeze(slope, axes)


def _plain_norm(facts) -> bool:
    return facts.constant("ord") is None and facts.constant("axis") is None


# ord written as a literal (the usual call) is a constant, whose value the shape analysis reads;
# an ord that is a variable may carry a derivative: the variant.
@adjoint(np.linalg.norm, shape=norm_shape)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    return norm_adjoint(g, ans, x, ord, axis, keepdims)


@variant(np.linalg.norm, when=variable("ord"), differentiable=["x", "ord"])
def norm_of_variable_order(g, ans, x, ord=None, axis=None, keepdims=False):
    return (
        norm_adjoint(g, ans, x, ord, axis, keepdims),
        np.sum(g * norm_order_slope(ans, x, ord, axis, keepdims)),
    )


# The Euclidean (Frobenius) norm of the whole array: x / |x|, and zero at x = 0.
@variant(np.linalg.norm, when=_plain_norm, differentiable=["x"])
def norm_euclidean(g, ans, x, ord=None, axis=None, keepdims=False):
    return g * x / np.where(ans == 0.0, 1.0, ans)


def norm_jvp(x_dot, ans, x, ord=None, axis=None, keepdims=False):
    """The tangent of np.linalg.norm(x, ord, axis, keepdims) along x_dot: every norm is, at a
    point, x_dot times its slope summed over the axes it reduces; the slope is the adjoint of
    ones (a subgradient where the norm has no derivative, as in the reverse rule). For a
    complex `x` the norm moves by the real part of conj(slope) x_dot."""
    slope = norm_adjoint(np.ones_like(ans), ans, x, ord, axis, keepdims)
    return np.sum(np.real(np.conj(slope) * x_dot), axis=axis, keepdims=keepdims)


@tangent(np.linalg.norm, differentiable=["x", "ord"])
def norm_tangent(ans, x, ord=None, axis=None, keepdims=False):
    return (
        norm_jvp(x_dot, ans, x, ord, axis, keepdims),
        ord_dot * norm_order_slope(ans, x, ord, axis, keepdims),
    )
