"""Rules for `np.linalg`: matrix functions (`inv`, `solve`, `det`, `slogdet`, `matrix_power`,
`pinv`), decompositions (`cholesky`, `eigh`, `eig`, `svd`, `qr`) and norms.

Decompositions of a symmetric matrix read one triangle of it (`eigh`'s `UPLO`, `cholesky`'s
`upper`); their adjoints are the true derivatives of what NumPy computes, so an entry of the
triangle that is read stands for itself and its mirror image, and the other triangle gets zero.
Functions that return a tuple (`slogdet`, `eigh`, `eig`, `svd`, `qr`) receive `g` as the tuple of the
components' adjoints (zeros for a component the user did not use). Helpers that no single NumPy
call expresses are defined here, above the rules that call them: they never mutate their inputs
and create arrays only with `*_like`.
"""

import numpy as np

from ..runtime import unbroadcast
from .products import _ranks
from .registry import SAME, adjoint, tangent, variant

# ---- matrix functions --------------------------------------------------------------------------


def _matrix_rank(param: str, rank: int = 2):
    def holds(facts) -> bool:
        shape = facts.shape(param)
        return shape is not None and len(shape) == rank

    return holds


def _transposed(x):
    return np.swapaxes(x, -1, -2)


@adjoint(np.linalg.inv, shape=SAME)
def inv(g, ans, a):
    return -np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)


@variant(np.linalg.inv, when=_matrix_rank("a"))
def inv_matrix(g, ans, a):
    return -ans.T @ g @ ans.T


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


@adjoint(np.linalg.det, shape=lambda a: (*a[:-2],))
def det(g, ans, a):
    return np.expand_dims(g * ans, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@variant(np.linalg.det, when=_matrix_rank("a"))
def det_matrix(g, ans, a):
    return g * ans * np.linalg.inv(a).T


# `sign, logdet = np.linalg.slogdet(a)`: the sign is piecewise constant.
@adjoint(np.linalg.slogdet)
def slogdet(g, ans, a):
    return np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@variant(np.linalg.slogdet, when=_matrix_rank("a"))
def slogdet_matrix(g, ans, a):
    return g[1] * np.linalg.inv(a).T


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


@adjoint(np.linalg.matrix_power, differentiable=["a"], shape=SAME)
def matrix_power(g, ans, a, n):
    return matrix_power_adjoint(g, a, n)


def one_triangle(m, lower=True):
    """The adjoint of a function that reads only the lower (or upper) triangle of its matrix
    argument, from `m`, its adjoint for a symmetric argument: an entry off the diagonal in the
    triangle that is read stands for itself and its mirror image; the other triangle is unread."""
    m = 0.5 * (m + _transposed(m))
    diagonal = np.triu(np.tril(m))
    return np.tril(2.0 * m) - diagonal if lower else np.triu(2.0 * m) - diagonal


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


# ---- decompositions ----------------------------------------------------------------------------


def identity_like(x):
    """Identity matrices shaped like the (stack of) square matrices `x`, in a float dtype."""
    return np.triu(np.tril(np.ones_like(x, dtype=np.result_type(x, 1.0))))


def _reciprocal_gaps(values):
    """f[..., j, k] = 1 / (values[k] - values[j]) off the diagonal, 0 on it."""
    gaps = values[..., None, :] - values[..., :, None]
    eye = identity_like(gaps)
    return (1.0 - eye) / (gaps + eye)


def cholesky_adjoint(g, ans, upper=False):
    """d(np.linalg.cholesky(a, upper=upper))/da applied to g (Murray 2016): with l the factor,
    l^-T Φ(l^T g) l^-1, Φ taking the lower triangle with the diagonal halved; `a`'s other
    triangle is never read."""
    low, g_low = (_transposed(ans), _transposed(g)) if upper else (ans, g)
    product = _transposed(low) @ g_low
    phi = np.tril(product) - 0.5 * np.triu(np.tril(product))
    left = np.linalg.solve(_transposed(low), phi)  # l^-T Φ
    return one_triangle(
        _transposed(np.linalg.solve(_transposed(low), _transposed(left))), not upper
    )


@adjoint(np.linalg.cholesky, shape=SAME)
def cholesky(g, ans, a, upper=False):
    return cholesky_adjoint(g, ans, upper)


def eigh_adjoint(g, ans, a, UPLO="L"):
    """d(np.linalg.eigh(a, UPLO))/da applied to g = (gw, gv), with ans = (w, v), or
    d(np.linalg.eigvalsh(a, UPLO))/da applied to g = gw: v (diag(gw) + f ∘ (v^T gv)) v^T, with
    f[j, k] = 1 / (w[k] - w[j]) off the diagonal. Where only the eigenvalues are used (gv is
    zero), equal eigenvalues do no harm."""
    if isinstance(ans, tuple):
        (gw, gv), (w, v) = g, ans
    else:
        (gw, gv), (w, v) = (g, None), np.linalg.eigh(a, UPLO)
    inside = v * gw[..., None, :]
    if gv is not None and np.any(gv):
        inside = inside + v @ (_reciprocal_gaps(w) * (_transposed(v) @ gv))
    return one_triangle(inside @ _transposed(v), UPLO.upper() == "L")


# One rule for both: `w, v = np.linalg.eigh(a)` gives the tuple (gw, gv), `eigvalsh` gw alone.
@adjoint(np.linalg.eigh, np.linalg.eigvalsh)
def eigh(g, ans, a, UPLO="L"):
    return eigh_adjoint(g, ans, a, UPLO)


def eig_adjoint(g, ans, a):
    """d(np.linalg.eig(a))/da applied to g = (gw, gv), with ans = (w, v), or
    d(np.linalg.eigvals(a))/da applied to g = gw: v^-T (diag(gw) + f ∘ (v^T gu)) v^T, with
    f[j, k] = 1 / (w[k] - w[j]) off the diagonal, in JAX's complex convention (real for a real
    `a`). NumPy scales each eigenvector to length 1, so gu is gv less its part along that
    scale; the eigenvectors' phase is arbitrary, and only functions that do not depend on it
    have a derivative. Where only the eigenvalues are used, equal eigenvalues do no harm."""
    if isinstance(ans, tuple):
        (gw, gv), (w, v) = g, ans
    else:
        (gw, gv), (w, v) = (g, None), np.linalg.eig(a)
    inside = identity_like(v) * gw[..., None, :]
    if gv is not None and np.any(gv):
        gu = gv - np.conj(v) * np.real(np.sum(v * gv, axis=-2, keepdims=True))
        inside = inside + _reciprocal_gaps(w) * (_transposed(v) @ gu)
    result = np.linalg.solve(_transposed(v), inside @ _transposed(v))
    return result if np.iscomplexobj(a) else np.real(result)


# One rule for both: `w, v = np.linalg.eig(a)` gives the tuple (gw, gv), `eigvals` gw alone.
@adjoint(np.linalg.eig, np.linalg.eigvals)
def eig(g, ans, a):
    return eig_adjoint(g, ans, a)


def singular_values_adjoint(g, a, hermitian=False):
    """d(singular values of a)/da applied to g: u diag(g) v^T."""
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    result = (u * g[..., None, :]) @ vt
    return one_triangle(result) if hermitian else result


def _svd_vectors_adjoint(gu, gvt, u, s, vt):
    """The part of svd's adjoint that comes from the singular vectors (Townsend 2016)."""
    v, gv = _transposed(vt), _transposed(gvt)
    f = _reciprocal_gaps(s * s)
    ut_gu, vt_gv = _transposed(u) @ gu, vt @ gv
    core = f * (ut_gu - _transposed(ut_gu)) * s[..., None, :]
    core = core + s[..., :, None] * (f * (vt_gv - _transposed(vt_gv)))
    result = u @ core @ vt
    m, n = np.shape(u)[-2], np.shape(vt)[-1]
    if m > n:  # the part of gu outside the span of u
        result = result + ((gu - u @ ut_gu) / s[..., None, :]) @ vt
    elif m < n:
        result = result + u @ _transposed((gv - v @ vt_gv) / s[..., None, :])
    return result


def svd_adjoint(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """d(np.linalg.svd(a, ...))/da applied to g (the singular values' adjoint if not
    `compute_uv`, else the tuple (gu, gs, gvt)). The columns that `full_matrices` adds to u or
    v^T for a matrix that is not square are not determined by `a`: using them is an error."""
    if not compute_uv:
        return singular_values_adjoint(g, a, hermitian)
    (gu, gs, gvt), (u, s, vt) = g, ans
    k = np.shape(s)[-1]
    if full_matrices and np.shape(u)[-1] != np.shape(vt)[-2]:
        if np.any(gu[..., k:]) or np.any(gvt[..., k:, :]):
            raise ValueError(
                "the singular vectors np.linalg.svd adds with full_matrices=True are not "
                "differentiable: use full_matrices=False"
            )
        u, gu, vt, gvt = u[..., :k], gu[..., :k], vt[..., :k, :], gvt[..., :k, :]
    result = (u * gs[..., None, :]) @ vt
    if np.any(gu) or np.any(gvt):
        result = result + _svd_vectors_adjoint(gu, gvt, u, s, vt)
    return one_triangle(result) if hermitian else result


@adjoint(np.linalg.svd)
def svd(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_adjoint(g, ans, a, full_matrices, compute_uv, hermitian)


@adjoint(np.linalg.svdvals, shape=lambda x: (*x[:-2], min(x[-2:])))
def svdvals(g, ans, x):
    return singular_values_adjoint(g, x)


def _qr_tall_adjoint(gq, gr, q, r):
    """The adjoint of `a` in `q, r = qr(a)` for a with at least as many rows as columns:
    (gq + q copyltu(m)) r^-T, m = r gr^T - gq^T q (copyltu mirrors the lower triangle)."""
    m = r @ _transposed(gr) - _transposed(gq) @ q
    lower = np.tril(m)
    b = gq + q @ (lower + _transposed(np.tril(m, -1)))
    return _transposed(np.linalg.solve(r, _transposed(b)))


def qr_adjoint(g, ans, a, mode="reduced"):
    """d(np.linalg.qr(a, mode))/da applied to g: (gq, gr) for 'reduced' and 'complete', gr for
    'r'. A wide `a` = [x y] is x's QR and r's right block q^T y."""
    rows, cols = np.shape(a)[-2:]
    k = min(rows, cols)
    if mode == "r":
        q, r = np.linalg.qr(a)
        gq, gr = np.zeros_like(q), g[..., :k, :]
    elif mode in ("reduced", "complete"):
        (gq, gr), (q, r) = g, ans
        if np.any(gq[..., k:]):
            raise ValueError(
                "the columns np.linalg.qr adds with mode='complete' are not differentiable: "
                "use mode='reduced'"
            )
        q, gq, r, gr = q[..., :k], gq[..., :k], r[..., :k, :], gr[..., :k, :]
    else:
        raise ValueError(
            f"srcgrad differentiates np.linalg.qr in modes 'reduced', 'complete', 'r'; not {mode!r}"
        )
    if rows >= cols:
        return _qr_tall_adjoint(gq, gr, q, r)
    y, gr_right = a[..., k:], gr[..., k:]
    gx = _qr_tall_adjoint(gq + y @ _transposed(gr_right), gr[..., :k], q, r[..., :k])
    return np.concatenate([gx, q @ gr_right], axis=-1)


@adjoint(np.linalg.qr)
def qr(g, ans, a, mode="reduced"):
    return qr_adjoint(g, ans, a, mode)


# ---- norms -------------------------------------------------------------------------------------


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


def _plain_norm(facts) -> bool:
    return facts.constant("ord") is None and facts.constant("axis") is None


@adjoint(np.linalg.norm, shape=norm_shape)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    return norm_adjoint(g, ans, x, ord, axis, keepdims)


# The Euclidean (Frobenius) norm of the whole array: x / |x|, and zero at x = 0.
@variant(np.linalg.norm, when=_plain_norm, differentiable=["x"])
def norm_euclidean(g, ans, x, ord=None, axis=None, keepdims=False):
    return g * x / np.where(ans == 0.0, 1.0, ans)


# ---- forward rules -----------------------------------------------------------------------------
# A rule whose result is a tuple (`eigh`, `eig`, `svd`, `qr`, `slogdet`) returns the tuple of
# the components' tangents, in the order of `ans`, as its one term: hence `return ((dw, dv),)`.
# Where a decomposition reads one triangle of its argument, the tangent it sees is that
# triangle's, mirrored (`mirrored`): a move of the other triangle moves nothing.


def mirrored(t, triangle="L"):
    """The tangent a function that reads only the lower ('L') or upper ('U') triangle of its
    matrix argument sees, from the argument's tangent `t`: that triangle and its mirror image."""
    if triangle.upper() == "L":
        return np.tril(t) + _transposed(np.tril(t, -1))
    return np.triu(t) + _transposed(np.triu(t, 1))


@tangent(np.linalg.inv)
def inv_tangent(ans, a):
    return -ans @ a_dot @ ans


def solve_left_jvp(a_dot, ans, a, b):
    """-solve(a, a_dot @ x): what `a`'s tangent adds to the tangent of x = solve(a, b). A 1-d
    `b` is one vector for every matrix of a stack `a`: a column while it is solved for."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, a_dot @ ans[..., None])[..., 0]
    return -np.linalg.solve(a, a_dot @ ans)


@tangent(np.linalg.solve)
def solve_tangent(ans, a, b):
    return solve_left_jvp(a_dot, ans, a, b), np.linalg.solve(a, b_dot)


@tangent(np.linalg.det)
def det_tangent(ans, a):
    return ans * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


# d log det = t = tr(a^-1 da). Of a complex det's sign (a phase) the tangent is i Im(t) times
# the sign; for a real `a`, t - Re(t) is 0 and the sign does not move.
@tangent(np.linalg.slogdet)
def slogdet_tangent(ans, a):
    t = np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)
    return ((ans[0] * (t - np.real(t)), np.real(t)),)


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


def cholesky_jvp(a_dot, ans, upper=False):
    """The tangent of np.linalg.cholesky(a, upper=upper) along a_dot (Murray 2016): with l the
    lower factor, l Φ(l^-1 da l^-T), Φ taking the lower triangle with the diagonal halved, and
    da the triangle of a_dot that is read, mirrored."""
    low = _transposed(ans) if upper else ans
    da = mirrored(a_dot, "U" if upper else "L")
    inner = np.linalg.solve(low, _transposed(np.linalg.solve(low, da)))  # da is symmetric
    phi = np.tril(inner) - 0.5 * np.triu(np.tril(inner))
    return _transposed(low @ phi) if upper else low @ phi


@tangent(np.linalg.cholesky)
def cholesky_tangent(ans, a, upper=False):
    return cholesky_jvp(a_dot, ans, upper)


# w, v = eigh(a): with r = v^T da v, dw = diag(r) and dv = v (f ∘ r), f[j, k] = 1 / (w[k] - w[j])
# off the diagonal (so each eigenvector moves orthogonally to itself, keeping its length).
@tangent(np.linalg.eigh)
def eigh_tangent(ans, a, UPLO="L"):
    w, v = ans
    rotated = np.swapaxes(v, -1, -2) @ mirrored(a_dot, UPLO) @ v
    return ((np.diagonal(rotated, axis1=-2, axis2=-1), v @ (_reciprocal_gaps(w) * rotated)),)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent(ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    return np.sum(v * (mirrored(a_dot, UPLO) @ v), axis=-2)


def eig_jvp(a_dot, ans, a):
    """The tangent of np.linalg.eig(a) along a_dot, (dw, dv) with ans = (w, v): with
    r = v^-1 da v, dw = diag(r) and du = v (f ∘ r), f[j, k] = 1 / (w[k] - w[j]) off the
    diagonal; NumPy scales each eigenvector to length 1, so dv is du less its part along that
    scale. The eigenvectors' phase is arbitrary: this is the tangent that leaves it alone."""
    w, v = ans
    rotated = np.linalg.solve(v, a_dot @ v)
    du = v @ (_reciprocal_gaps(w) * rotated)
    dv = du - v * np.real(np.sum(np.conj(v) * du, axis=-2, keepdims=True))
    return np.diagonal(rotated, axis1=-2, axis2=-1), dv


@tangent(np.linalg.eig)
def eig_tangent(ans, a):
    return eig_jvp(a_dot, ans, a)


@tangent(np.linalg.eigvals)
def eigvals_tangent(ans, a):
    v = np.linalg.eig(a)[1]
    return np.diagonal(np.linalg.solve(v, a_dot @ v), axis1=-2, axis2=-1)


def singular_values_jvp(a_dot, a, hermitian=False):
    """The tangent of the singular values of `a` along a_dot: diag(u^T da v)."""
    if hermitian:  # NumPy's eigh reads the lower triangle
        a_dot = mirrored(a_dot)
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * (a_dot @ _transposed(vt)), axis=-2)


def _completion_jvp(basis, d_basis, rest):
    """The tangent of the columns `rest` that complete the orthonormal columns `basis` to a
    square orthogonal matrix, as `basis` moves by `d_basis`. NumPy's choice of them is not
    determined by `a`; this tangent turns them with `basis` and no further, so that the whole
    stays orthogonal and what depends only on their span (rest rest^T) is right."""
    return -basis @ (_transposed(d_basis) @ rest)


def svd_jvp(a_dot, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The tangent of np.linalg.svd(a, ...) along a_dot: that of the singular values if not
    `compute_uv`, else the tuple (du, ds, dvt) (Townsend 2016). With r = u^T da v (k x k),
    ds = diag(r), du = u (f ∘ (r s + s r^T)), dv = v (f ∘ (s r + r^T s)), f[j, k] =
    1 / (s[k]^2 - s[j]^2) off the diagonal, and the parts of da outside the span of u (or v)
    where `a` is not square. Columns that `full_matrices` adds: see `_completion_jvp`."""
    if not compute_uv:
        return singular_values_jvp(a_dot, a, hermitian)
    if hermitian:
        a_dot = mirrored(a_dot)
    full_u, s, full_vt = ans
    k = np.shape(s)[-1]
    u, vt = full_u[..., :k], full_vt[..., :k, :]
    v, dat = _transposed(vt), _transposed(a_dot)
    rotated = _transposed(u) @ a_dot @ v
    f = _reciprocal_gaps(s * s)
    right, left = rotated * s[..., None, :], s[..., :, None] * rotated
    du = u @ (f * (right + _transposed(right)))
    dv = v @ (f * (left + _transposed(left)))
    m, n = np.shape(a)[-2:]
    if m > k:
        moved = a_dot @ v
        du = du + (moved - u @ (_transposed(u) @ moved)) / s[..., None, :]
    if n > k:
        moved = dat @ u
        dv = dv + (moved - v @ (vt @ moved)) / s[..., None, :]
    if np.shape(full_u)[-1] > k:
        du = np.concatenate([du, _completion_jvp(u, du, full_u[..., k:])], axis=-1)
    if np.shape(full_vt)[-2] > k:
        rest = _transposed(full_vt[..., k:, :])
        dv = np.concatenate([dv, _completion_jvp(v, dv, rest)], axis=-1)
    return du, np.diagonal(rotated, axis1=-2, axis2=-1), _transposed(dv)


# its source does not differentiate yet (the generated reverse code failed at run time):
# Hessians through svd are refused, naming it
svd_jvp.opaque = True


@tangent(np.linalg.svd)
def svd_tangent(ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_jvp(a_dot, ans, a, full_matrices, compute_uv, hermitian)


@tangent(np.linalg.svdvals)
def svdvals_tangent(ans, x):
    return singular_values_jvp(x_dot, x)


def _qr_tall_jvp(da, q, r):
    """(dq, dr) of q, r = qr(a), reduced, for `a` with at least as many rows as columns: with
    x = q^T da r^-1, q^T dq is the antisymmetric o = tril(x, -1) - tril(x, -1)^T and
    dr r^-1 = x - o (upper triangular)."""
    da_rinv = _transposed(np.linalg.solve(_transposed(r), _transposed(da)))
    x = _transposed(q) @ da_rinv
    lower = np.tril(x, -1)
    upper = x - (lower - _transposed(lower))
    return da_rinv - q @ upper, upper @ r


def qr_jvp(a_dot, ans, a, mode="reduced"):
    """The tangent of np.linalg.qr(a, mode) along a_dot: (dq, dr) for 'reduced' and
    'complete', dr for 'r'. A wide `a` = [x y] is x's QR and r's right block q^T y. Columns that
    'complete' adds: see `_completion_jvp`."""
    rows, cols = np.shape(a)[-2:]
    k = min(rows, cols)
    if mode == "r":
        q, r = np.linalg.qr(a)
    elif mode in ("reduced", "complete"):
        q, r = ans[0][..., :k], ans[1][..., :k, :]
    else:
        raise ValueError(
            f"srcgrad differentiates np.linalg.qr in modes 'reduced', 'complete', 'r'; not {mode!r}"
        )
    if rows >= cols:
        dq, dr = _qr_tall_jvp(a_dot, q, r)
    else:
        dq, dr = _qr_tall_jvp(a_dot[..., :k], q, r[..., :k])
        right = _transposed(dq) @ a[..., k:] + _transposed(q) @ a_dot[..., k:]
        dr = np.concatenate([dr, right], axis=-1)
    if mode == "r":
        return dr
    if np.shape(ans[0])[-1] > k:  # 'complete' for a tall `a`: r's added rows are zeros
        dq = np.concatenate([dq, _completion_jvp(q, dq, ans[0][..., k:])], axis=-1)
        dr = np.concatenate([dr, np.zeros_like(ans[1][..., k:, :])], axis=-2)
    return dq, dr


@tangent(np.linalg.qr)
def qr_tangent(ans, a, mode="reduced"):
    return qr_jvp(a_dot, ans, a, mode)


def norm_jvp(x_dot, ans, x, ord=None, axis=None, keepdims=False):
    """The tangent of np.linalg.norm(x, ord, axis, keepdims) along x_dot: every norm is, at a
    point, x_dot times its slope summed over the axes it reduces; the slope is the adjoint of
    ones (a subgradient where the norm has no derivative, as in the reverse rule). For a
    complex `x` the norm moves by the real part of conj(slope) x_dot."""
    slope = norm_adjoint(np.ones_like(ans), ans, x, ord, axis, keepdims)
    return np.sum(np.real(np.conj(slope) * x_dot), axis=axis, keepdims=keepdims)


@tangent(np.linalg.norm)
def norm_tangent(ans, x, ord=None, axis=None, keepdims=False):
    return norm_jvp(x_dot, ans, x, ord, axis, keepdims)
