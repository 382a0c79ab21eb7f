"""Rules for NumPy's discrete Fourier transforms (`np.fft`).

Complex adjoints follow JAX's convention: for a real loss L of a complex z, the adjoint is
dL/d(re z) - i dL/d(im z). In it the adjoint of a linear map is its transpose (no conjugate),
so a holomorphic rule reads as the real one (`g * y` for `x * y`), and, the DFT matrix being
symmetric, each transform's adjoint is the same transform with the same `norm`: cut or
zero-padded back to the input's length where `n` or `s` changed it, and real where the input
was real. The half-spectrum transforms weigh the entries that stand for two (themselves and
their conjugate mirror images) twice.

Every transform is linear in its input (over the reals, where a real signal or a real result is
involved), so each is declared `linear`: its tangent is the same transform, with the same
lengths, axes and norm, of the input's tangent. A shift is a permutation, linear too.
"""

import numpy as np

from .registry import STANDIN, linear


def fit_adjoint(adjoint, a):
    """`adjoint` cut or zero-padded to `a`'s shape (where `n` or `s` changed the length of the
    transform), and real where `a` is."""
    if np.shape(adjoint) != np.shape(a):
        kept = tuple(slice(0, min(m, n)) for m, n in zip(np.shape(adjoint), np.shape(a)))
        out = np.zeros_like(a, dtype=adjoint.dtype)
        out[kept] = adjoint[kept]
        adjoint = out
    return adjoint if np.iscomplexobj(a) else np.real(adjoint)


def transformed_axes(s, axes):
    """The axes `np.fft.fftn(a, s, axes)` transforms, or None for all of them."""
    if axes is not None or s is None:
        return axes
    return tuple(range(-len(s), 0))


def rfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """d(np.fft.rfft(a, n, axis, norm))/da applied to g: the real part of the full transform of
    g padded with zeros to the signal's length."""
    length = np.shape(a)[axis] if n is None else n
    return fit_adjoint(np.fft.fft(g, length, axis=axis, norm=norm), a)


def irfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """d(np.fft.irfft(a, n, axis, norm))/da applied to g: the half of g's inverse transform
    that `a` stands for, with the entries that stand for two (all but the zero and the Nyquist
    frequency) counted twice."""
    length = 2 * (np.shape(a)[axis] - 1) if n is None else n
    spectrum = np.moveaxis(np.fft.ifft(g, axis=axis, norm=norm), axis, -1)[..., : length // 2 + 1]
    weights = np.full_like(spectrum, 2.0)
    weights[..., 0] = 1.0
    if length % 2 == 0:
        weights[..., length // 2] = 1.0
    return fit_adjoint(np.moveaxis(spectrum * weights, -1, axis), a)


def _lengths(a, s, axes):
    """The transform's lengths along `axes` (the input's own where `s` is None)."""
    return list(s) if s is not None else [np.shape(a)[axis] for axis in axes]


def _all_axes(a, s, axes):
    """The axes `np.fft.rfftn(a, s, axes)` transforms, as a list."""
    axes = transformed_axes(s, axes)
    return list(range(np.ndim(a))) if axes is None else list(axes)


def rfftn_adjoint(g, a, s=None, axes=None, norm=None):
    """d(np.fft.rfftn(a, s, axes, norm))/da applied to g: the half spectrum along the last axis
    is padded with zeros to the full length, then transformed back as `rfft_adjoint` does."""
    axes = _all_axes(a, s, axes)
    full = np.fft.fftn(g, s=_lengths(a, s, axes), axes=axes, norm=norm)
    return fit_adjoint(full, a)


def irfftn_adjoint(g, a, s=None, axes=None, norm=None):
    """d(np.fft.irfftn(a, s, axes, norm))/da applied to g: the inverse transforms along the
    other axes are their own adjoints, and along the last axis as in `irfft_adjoint`."""
    axes = _all_axes(a, s, axes)
    last = axes[-1]
    length = 2 * (np.shape(a)[last] - 1) if s is None else s[-1]
    spectrum = np.fft.ifftn(g, axes=axes, norm=norm)
    spectrum = np.moveaxis(spectrum, last, -1)[..., : length // 2 + 1]
    weights = np.full_like(spectrum, 2.0)
    weights[..., 0] = 1.0
    if length % 2 == 0:
        weights[..., length // 2] = 1.0
    return fit_adjoint(np.moveaxis(spectrum * weights, -1, last), a)


@linear(np.fft.fft, shape=STANDIN)
def fft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return fit_adjoint(np.fft.fft(g, axis=axis, norm=norm), a)


@linear(np.fft.ifft, shape=STANDIN)
def ifft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return fit_adjoint(np.fft.ifft(g, axis=axis, norm=norm), a)


@linear(np.fft.fft2, shape=STANDIN)
def fft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return fit_adjoint(np.fft.fft2(g, axes=axes, norm=norm), a)


@linear(np.fft.ifft2, shape=STANDIN)
def ifft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return fit_adjoint(np.fft.ifft2(g, axes=axes, norm=norm), a)


@linear(np.fft.fftn, shape=STANDIN)
def fftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    return fit_adjoint(np.fft.fftn(g, axes=transformed_axes(s, axes), norm=norm), a)


@linear(np.fft.ifftn, shape=STANDIN)
def ifftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    return fit_adjoint(np.fft.ifftn(g, axes=transformed_axes(s, axes), norm=norm), a)


@linear(np.fft.rfft, shape=STANDIN)
def rfft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return rfft_adjoint(g, a, n, axis, norm)


@linear(np.fft.irfft, shape=STANDIN)
def irfft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return irfft_adjoint(g, a, n, axis, norm)


@linear(np.fft.rfft2, shape=STANDIN)
def rfft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return rfftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.irfft2, shape=STANDIN)
def irfft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return irfftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.rfftn, shape=STANDIN)
def rfftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    return rfftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.irfftn, shape=STANDIN)
def irfftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    return irfftn_adjoint(g, a, s, axes, norm)


# A shift is a permutation: its adjoint is the opposite shift.
@linear(np.fft.fftshift, shape=STANDIN)
def fftshift(g, ans, x, axes=None):
    return fit_adjoint(np.fft.ifftshift(g, axes), x)


@linear(np.fft.ifftshift, shape=STANDIN)
def ifftshift(g, ans, x, axes=None):
    return fit_adjoint(np.fft.fftshift(g, axes), x)
