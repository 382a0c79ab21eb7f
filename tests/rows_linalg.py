"""Rule-table rows for the linalg rules (see rule_table.py for the row format).

Matrices are drawn where each rule is smooth: well-conditioned for `inv`, `solve` and `det`,
symmetric positive definite for `cholesky`, symmetric with well-separated eigenvalues for
`eigh`, and with well-separated singular values for `svd` (equal ones make eigen- and singular
vectors non-unique, and their adjoints infinite).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rule_table import Const, Fixed, normal, row


@dataclass(frozen=True)
class Matrix:
    """A random (stack of) matrices of `kind`, the last two axes of `shape` the matrix axes.

    kinds: "square" (the identity times 4 plus a normal draw: well-conditioned), "spd"
    (b b^T + n I), "symmetric" (eigenvalues spread over [-3, 3]), "diagonalizable" (the same
    real eigenvalues, eigenvectors not orthogonal), "spread" (singular values spread over [1, 3],
    any shape).
    """

    kind: str
    shape: tuple[int, ...]

    def __call__(self, rng: np.random.Generator):
        *batch, m, n = self.shape
        draw = rng.standard_normal(self.shape)
        if self.kind == "square":
            return draw + 4.0 * np.eye(n)
        if self.kind == "spd":
            return draw @ np.swapaxes(draw, -1, -2) + n * np.eye(n)
        k = min(m, n)
        values = np.linspace(1.0, 3.0, k) + 0.1 * rng.uniform(size=(*batch, k))
        if self.kind == "symmetric":
            q, _ = np.linalg.qr(draw)
            return (q * (2.0 * values - 4.0)[..., None, :]) @ np.swapaxes(q, -1, -2)
        if self.kind == "diagonalizable":  # q diag(values) q^-1: real, well-separated values
            q = draw + 3.0 * np.eye(n)
            return (q * (2.0 * values - 4.0)[..., None, :]) @ np.linalg.inv(q)
        if self.kind == "spread":
            u, _ = np.linalg.qr(rng.standard_normal((*batch, m, k)))
            v, _ = np.linalg.qr(rng.standard_normal((*batch, n, k)))
            return (u * values[..., None, :]) @ np.swapaxes(v, -1, -2)
        raise ValueError(self.kind)

    @property
    def label(self) -> str:
        return f"{self.kind}{'x'.join(map(str, self.shape))}"


def square(*shape):
    return Matrix("square", shape)


def spd(*shape):
    return Matrix("spd", shape)


def symmetric(*shape):
    return Matrix("symmetric", shape)


def spread(*shape):
    return Matrix("spread", shape)


def diagonalizable(*shape):
    return Matrix("diagonalizable", shape)


# Eigenvalues 2 and 1.5 ± 2.4i.
_ROTATING = [[1.0, -2.0, 0.3], [3.0, 2.0, 0.2], [0.1, 0.4, 2.0]]


# ---- tensor products ---------------------------------------------------------------------------

row(np.tensordot, "np.tensordot(x, y)", x=normal(2, 3, 4), y=normal(3, 4, 5))
row(np.tensordot, "np.tensordot(x, y, axes=1)", x=normal(2, 3), y=normal(3, 4))
row(np.tensordot, "np.tensordot(x, y, axes=0)", x=normal(2, 3), y=normal(4))
row(np.tensordot, "np.tensordot(x, y, axes=([0, 2], [2, 1]))", x=normal(3, 2, 4), y=normal(5, 4, 3))
row(np.tensordot, "np.tensordot(x, y, axes=(1, 0))", x=normal(2, 3), y=normal(3, 4))
row(np.tensordot, "np.tensordot(x, w, 1)", x=normal(2, 3), const={"w": Const(np.eye(3)[:, :2])})

row(np.kron, "np.kron(x, y)", x=normal(2, 3), y=normal(3, 2))
row(np.kron, "np.kron(x, y)", x=normal(3), y=normal(2))
row(np.kron, "np.kron(x, y)", x=normal(2, 2), y=normal(3))
row(np.kron, "np.kron(x, y)", x=normal(), y=normal(2, 3))

row(np.cross, "np.cross(x, y)", x=normal(3), y=normal(3))
row(np.cross, "np.cross(x, y)", x=normal(4, 3), y=normal(4, 3))
row(np.cross, "np.cross(x, y)", x=normal(4, 3), y=normal(3))
row(np.cross, "np.cross(x, y, axis=0)", x=normal(3, 4), y=normal(3, 4))
row(np.cross, "np.cross(x, y, axisa=0, axisc=0)", x=normal(3, 2), y=normal(2, 3))

row(np.inner, "np.inner(x, y)", x=normal(4), y=normal(4))
row(np.inner, "np.inner(x, y)", x=normal(2, 4), y=normal(3, 4))
row(np.inner, "np.inner(x, y)", x=normal(2, 3, 4), y=normal(4))
row(np.inner, "np.inner(x, y)", x=normal(), y=normal(3))

# ---- einsum: readable two- and one-operand forms, and the general helper ----------------------

EINSUM = [
    ("'ij,jk->ik'", [(3, 4), (4, 5)]),
    ("'ij,ij->'", [(3, 4), (3, 4)]),
    ("'i,j->ij'", [(3,), (4,)]),
    ("'bij,bjk->bik'", [(2, 3, 4), (2, 4, 5)]),
    ("'ij,jk'", [(3, 4), (4, 5)]),  # implicit output
    ("'ji'", [(3, 4)]),
    ("'ij->ji'", [(3, 4)]),
    ("'ij->i'", [(3, 4)]),  # an index only the operand carries
    ("'ii->i'", [(4, 4)]),  # the diagonal
    ("'ii'", [(4, 4)]),  # the trace
    ("'ij,j->'", [(3, 4), (4,)]),
    ("'...ij,...jk->...ik'", [(2, 3, 4), (4, 5)]),
    ("'...i,...i'", [(2, 3), (3,)]),
    ("'i...->...'", [(3, 2, 4)]),
    ("'ij,jk,kl->il'", [(2, 3), (3, 4), (4, 2)]),
    ("'ij,kj->ik'", [(3, 1), (2, 4)]),  # j broadcast from size 1
    ("'i,i,i->'", [(4,), (4,), (4,)]),
]
for spec, shapes in EINSUM:
    names = ["x", "y", "z"][: len(shapes)]
    row(
        np.einsum,
        f"np.einsum({spec}, {', '.join(names)})",
        **{name: normal(*shape) for name, shape in zip(names, shapes)},
    )
row(np.einsum, "np.einsum('ij,jk->ik', x, y, optimize=True)", x=normal(2, 3), y=normal(3, 2))
row(np.einsum, "np.einsum('ij,jk->ik', w, y)", y=normal(3, 2), const={"w": Const(np.ones((2, 3)))})
row(np.einsum, "np.einsum(x, [0, 1], y, [1, 2], [0, 2])", x=normal(2, 3), y=normal(3, 4))
row(np.einsum, "np.einsum(x, [0, 1], y, [1, 0])", x=normal(2, 3), y=normal(3, 2))

# ---- matrix functions --------------------------------------------------------------------------

row(np.linalg.inv, "np.linalg.inv(x)", x=square(3, 3))
row(np.linalg.inv, "np.linalg.inv(x)", x=square(2, 3, 3))
row(np.linalg.solve, "np.linalg.solve(x, y)", x=square(3, 3), y=normal(3))
row(np.linalg.solve, "np.linalg.solve(x, y)", x=square(3, 3), y=normal(3, 2))
row(np.linalg.solve, "np.linalg.solve(x, y)", x=square(2, 3, 3), y=normal(3))
row(np.linalg.solve, "np.linalg.solve(x, y)", x=square(2, 3, 3), y=normal(3, 4))
row(np.linalg.solve, "np.linalg.solve(x, y)", x=square(3, 3), y=normal(2, 3, 4))
row(np.linalg.solve, "np.linalg.solve(w, y)", y=normal(3), const={"w": Const(np.eye(3) * 2.0)})
row(np.linalg.det, "np.linalg.det(x)", x=square(3, 3))
row(np.linalg.det, "np.linalg.det(x)", x=square(2, 3, 3))
# A row is an expression, so it cannot unpack `sign, logdet = np.linalg.slogdet(x)`; indexing
# the result gives the rule the tuple's adjoint as an array (fine here: both parts are scalars).
row(np.linalg.slogdet, "np.linalg.slogdet(x)[1]", x=square(3, 3))
row(np.linalg.slogdet, "np.linalg.slogdet(-x)[1]", x=spd(2, 3, 3))
row(np.linalg.matrix_power, "np.linalg.matrix_power(x, 3)", x=normal(3, 3))
row(np.linalg.matrix_power, "np.linalg.matrix_power(x, 1)", x=normal(3, 3))
row(np.linalg.matrix_power, "np.linalg.matrix_power(x, 0)", x=normal(3, 3))
row(np.linalg.matrix_power, "np.linalg.matrix_power(x, -2)", x=square(3, 3))
row(np.linalg.matrix_power, "np.linalg.matrix_power(x, 2)", x=normal(2, 3, 3))
row(np.linalg.pinv, "np.linalg.pinv(x)", x=spread(4, 3))
row(np.linalg.pinv, "np.linalg.pinv(x)", x=spread(3, 4))
row(np.linalg.pinv, "np.linalg.pinv(x)", x=spread(2, 3, 3))
row(np.linalg.pinv, "np.linalg.pinv(x, hermitian=True)", x=spd(3, 3))

# ---- decompositions (one triangle read) --------------------------------------------------------

row(np.linalg.cholesky, "np.linalg.cholesky(x)", x=spd(3, 3))
row(np.linalg.cholesky, "np.linalg.cholesky(x)", x=spd(2, 4, 4))
row(np.linalg.cholesky, "np.linalg.cholesky(x, upper=True)", x=spd(3, 3))
row(np.linalg.eigvalsh, "np.linalg.eigvalsh(x)", x=symmetric(4, 4))
row(np.linalg.eigvalsh, "np.linalg.eigvalsh(x, UPLO='U')", x=symmetric(2, 3, 3))
# `eigh` shares its rule with `eigvalsh`; its eigenvector path needs `w, v = np.linalg.eigh(x)`,
# which no expression can write (indexing `eigh(x)[1]` fails in the adjoint of the index).
row(np.linalg.eigh, "np.linalg.eigvalsh(x)", x=symmetric(3, 3))
# `eig` shares its rule with `eigvals` (eigenvectors: as for `eigh`). Real eigenvalues, and
# complex pairs, measured by their real and imaginary parts.
row(np.linalg.eig, "np.linalg.eigvals(x)", x=diagonalizable(3, 3))
row(np.linalg.eigvals, "np.linalg.eigvals(x)", x=diagonalizable(2, 4, 4))
row(np.linalg.eigvals, "np.real(np.linalg.eigvals(x))", x=Fixed(_ROTATING, "complex"))
row(np.linalg.eigvals, "np.imag(np.linalg.eigvals(x)) ** 2", x=Fixed(_ROTATING, "complex"))
row(np.linalg.svd, "np.linalg.svd(x, compute_uv=False)", x=spread(4, 3))
row(np.linalg.svd, "np.linalg.svd(x, compute_uv=False)", x=spread(2, 3, 5))
row(np.linalg.svdvals, "np.linalg.svdvals(x)", x=spread(3, 4))
row(np.linalg.qr, "np.linalg.qr(x, mode='r')", x=spread(4, 3))
row(np.linalg.qr, "np.linalg.qr(x, mode='r')", x=spread(3, 5))

# ---- norms -------------------------------------------------------------------------------------

NORMS = [
    ("", (5,)),
    ("", (3, 4)),
    ("", (2, 3, 4)),
    (", keepdims=True", (3, 4)),
    (", 2", (5,)),
    (", 1", (5,)),
    (", np.inf", (5,)),
    (", -np.inf", (5,)),
    (", 3", (5,)),
    (", 0.5", (5,)),
    (", axis=1", (3, 4)),
    (", axis=0, keepdims=True", (3, 4)),
    (", 1, axis=-1", (2, 3, 4)),
    (", np.inf, axis=0", (3, 4)),
    (", 'fro'", (3, 4)),
    (", 'nuc'", (3, 4)),
    (", 2", (3, 4)),
    (", -2", (4, 3)),
    (", 1", (3, 4)),
    (", -1", (3, 4)),
    (", np.inf", (3, 4)),
    (", -np.inf", (3, 4)),
    (", 'fro', axis=(0, 2)", (3, 2, 4)),
    (", 2, axis=(2, 1), keepdims=True", (2, 3, 4)),
    (", 1, axis=(1, 2)", (2, 3, 4)),
]
for args, shape in NORMS:
    row(np.linalg.norm, f"np.linalg.norm(x{args})", x=normal(*shape))
row(np.linalg.norm, "np.linalg.norm(x)", x=normal())
# At zero the norm has no derivative: the adjoint is the subgradient zero.
row(np.linalg.norm, "np.linalg.norm(x) + np.sum(x)", x=Fixed(np.zeros(4), "zero"))
row(np.linalg.norm, "np.linalg.norm(x, axis=1)", x=Fixed([[0.0, 0.0], [3.0, -4.0]], "a zero row"))
# Ties of the largest entry (row, column) share the adjoint equally.
row(np.linalg.norm, "np.linalg.norm(x, np.inf)", x=Fixed([2.0, -2.0, 1.0], "tie"))
row(np.linalg.norm, "np.linalg.norm(x, 1)", x=Fixed([[1.0, -2.0], [-3.0, 2.0]], "columns tie"))

# ---- fft: real inputs; complex values measured by np.real, np.imag and z * conj(z) ----------
# (np.abs of a complex value needs the conjugate in its rule: see fft.py's convention)

row(np.fft.fft, "np.real(np.fft.fft(x))", x=normal(6))
row(np.fft.fft, "np.imag(np.fft.fft(x, 8, norm='ortho'))", x=normal(6))
row(np.fft.fft, "np.imag(np.fft.fft(x, 4, axis=0))", x=normal(6, 2))
row(np.fft.fft, "np.real(np.fft.fft(x) * np.conj(np.fft.fft(x)))", x=normal(5))
row(np.fft.ifft, "np.imag(np.fft.ifft(x))", x=normal(2, 5))
row(np.fft.ifft, "np.real(np.fft.ifft(x, norm='forward'))", x=normal(5))
row(np.fft.ifft, "np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(x)))", x=normal(6))
row(np.fft.fft2, "np.imag(np.fft.fft2(x))", x=normal(3, 4))
row(np.fft.fft2, "np.real(np.fft.fft2(x, s=(4, 3), norm='ortho'))", x=normal(2, 3, 4))
row(np.fft.ifft2, "np.imag(np.fft.ifft2(x, axes=(0, 2)))", x=normal(3, 2, 4))
row(np.fft.fftn, "np.imag(np.fft.fftn(x))", x=normal(2, 3, 4))
row(np.fft.fftn, "np.real(np.fft.fftn(x, s=(2, 5), axes=(0, 2)))", x=normal(2, 3, 4))
row(np.fft.ifftn, "np.imag(np.fft.ifftn(x, axes=(1,)))", x=normal(3, 4))
row(np.fft.ifftn, "np.imag(np.fft.ifftn(x, s=(2, 2), axes=(0, 1), norm='ortho'))", x=normal(3, 4))
row(np.fft.rfft, "np.imag(np.fft.rfft(x))", x=normal(6))
row(np.fft.rfft, "np.real(np.fft.rfft(x))", x=normal(7))
row(np.fft.rfft, "np.imag(np.fft.rfft(x, 10, axis=0, norm='forward'))", x=normal(7, 2))
row(np.fft.irfft, "np.fft.irfft(x)", x=normal(5))
row(np.fft.irfft, "np.fft.irfft(x, 7)", x=normal(5))
row(np.fft.irfft, "np.fft.irfft(x, 4, axis=0, norm='ortho')", x=normal(5, 2))
row(np.fft.irfft, "np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(x))", x=normal(8))
row(np.fft.irfft, "np.fft.irfft(np.fft.fft(x)[:4] * 1j, 6)", x=normal(6))
row(np.fft.rfft2, "np.imag(np.fft.rfft2(x))", x=normal(3, 4))
row(np.fft.rfft2, "np.real(np.fft.rfft2(x, s=(4, 5), norm='ortho'))", x=normal(2, 3, 4))
row(np.fft.rfftn, "np.real(np.fft.rfftn(x))", x=normal(2, 3, 5))
row(np.fft.rfftn, "np.imag(np.fft.rfftn(x, axes=(0, 2), norm='forward'))", x=normal(3, 2, 4))
row(np.fft.rfftn, "np.imag(np.fft.rfftn(x, s=(2, 6), axes=(0, 1)))", x=normal(3, 4))
row(np.fft.irfft2, "np.fft.irfft2(x)", x=normal(3, 4))
row(np.fft.irfft2, "np.fft.irfft2(x, s=(2, 5), norm='ortho')", x=normal(2, 3, 4))
row(np.fft.irfftn, "np.fft.irfftn(x)", x=normal(2, 3, 4))
row(np.fft.irfftn, "np.fft.irfftn(x, s=(4, 7), axes=(0, 2))", x=normal(3, 2, 4))
row(np.fft.irfftn, "np.fft.irfftn(np.fft.rfftn(x) * np.fft.rfftn(x))", x=normal(3, 4))
row(np.fft.fftshift, "np.fft.fftshift(x)", x=normal(3, 4))
row(np.fft.fftshift, "np.fft.fftshift(x, axes=1)", x=normal(3, 5))
row(np.fft.fftshift, "np.imag(np.fft.fftshift(np.fft.fft(x)))", x=normal(5))
row(np.fft.ifftshift, "np.fft.ifftshift(x)", x=normal(5))
row(np.fft.ifftshift, "np.fft.ifftshift(x, axes=(0,))", x=normal(3, 4))
