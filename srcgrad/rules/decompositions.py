"""Rules for `np.linalg`'s decompositions, both modes: `cholesky`, `eigh` and `eigvalsh`, `eig`
and `eigvals`, `svd` and `svdvals`, `qr`.

Decompositions of a symmetric matrix read one triangle of it (`eigh`'s `UPLO`, `cholesky`'s
`upper`); their adjoints are the true derivatives of what NumPy computes, so an entry of the
triangle that is read stands for itself and its mirror image, and the other triangle gets zero
(`one_triangle`); the tangent they see is that triangle's, mirrored (`mirrored`). A
decomposition that returns a tuple (`eigh`, `eig`, `svd`, `qr`) receives `g` as the tuple of the
components' adjoints (zeros for a component the user did not use), and its forward rule returns
the tuple of the components' tangents, in the order of `ans`, as its one term: hence
`return ((dw, dv),)`.
"""

import numpy as np

from .linalg import _transposed, mirrored, one_triangle
from .registry import adjoint, first_shape, tangent


def identity_like(x):
    """Identity matrices shaped like the (stack of) square matrices `x`, in a float dtype."""
    return np.triu(np.tril(np.ones_like(x, dtype=np.result_type(x, 1.0))))


def _reciprocal_gaps(values):
    """f[..., j, k] = 1 / (values[k] - values[j]) off the diagonal, 0 on it."""
    gaps = values[..., None, :] - values[..., :, None]
    eye = identity_like(gaps)
    return (1.0 - eye) / (gaps + eye)


# ---- Cholesky ------------------------------------------------------------------------------------


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


@adjoint(np.linalg.cholesky, shape=first_shape)
def cholesky(g, ans, a, upper=False):
    return cholesky_adjoint(g, ans, upper)


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


# ---- eigenvalues and eigenvectors ----------------------------------------------------------------


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


# ---- singular values and vectors -----------------------------------------------------------------


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


# ---- QR ------------------------------------------------------------------------------------------


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
