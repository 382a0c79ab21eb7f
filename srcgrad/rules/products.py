"""Rules for products: `@`, `dot`, `outer`, `vdot`, `tensordot`, `kron`, `cross`, `inner` (and
`einsum`, in einsum.py), with readable variants for vectors and matrices of known rank.

Every product is linear in each operand separately (`bilinear`): its tangent is the user's own
call with one active operand at a time replaced by its tangent (`x_dot @ y + x @ y_dot`); that
holds for vdot too, whose conjugate of `a` is real-linear. Helpers that no single NumPy call
expresses are defined here, above the rules that call them: they never mutate their inputs and
create arrays only with `*_like`.
"""

import operator

import numpy as np

from ..runtime import (
    dot_adjoint_left,
    dot_adjoint_right,
    matmul_adjoint_left,
    matmul_adjoint_right,
    unbroadcast,
)
from .registry import STANDIN, bilinear, variant

# ---- matrix products -----------------------------------------------------------------------------


def matmul_shape(x, y):
    """The shape of `x @ y` for operands shaped `x` and `y`."""
    if not x or not y:
        raise ValueError("matmul of a scalar")
    xs = (1, *x) if len(x) == 1 else x
    ys = (*y, 1) if len(y) == 1 else y
    if xs[-1] != ys[-2]:
        raise ValueError("mismatched inner dimensions")
    out = (*np.broadcast_shapes(xs[:-2], ys[:-2]), xs[-2], ys[-1])
    if len(x) == 1:
        out = out[:-2] + out[-1:]
    if len(y) == 1:
        out = out[:-1]
    return tuple(out)


def dot_shape(a, b):
    """The shape of `np.dot(a, b)`."""
    if not a or not b:
        return tuple(np.broadcast_shapes(a, b))
    if len(b) == 1:
        return tuple(a[:-1])
    return (*a[:-1], *b[:-2], b[-1])


@bilinear(operator.matmul, np.matmul, shape=matmul_shape)
def matmul(g, ans, x, y):
    return matmul_adjoint_left(g, x, y), matmul_adjoint_right(g, x, y)


@bilinear(np.dot, shape=dot_shape)
def dot(g, ans, a, b):
    return dot_adjoint_left(g, a, b), dot_adjoint_right(g, a, b)


@bilinear(np.outer)
def outer(g, ans, a, b):
    return np.reshape(np.dot(g, np.ravel(b)), np.shape(a)), np.reshape(
        np.dot(np.ravel(a), g), np.shape(b)
    )


@bilinear(np.vdot, shape=lambda a, b: ())
def vdot(g, ans, a, b):
    # (np.vdot conjugates a complex `a`: its adjoint is np.conj's of the product's)
    return np.reshape(np.conj(g * np.ravel(b)), np.shape(a)), np.reshape(
        g * np.conj(np.ravel(a)), np.shape(b)
    )


# ---- variants for vectors and matrices of known rank ---------------------------------------------


def _ranks(left: int, right: int, x: str = "x", y: str = "y"):
    def holds(facts) -> bool:
        sx, sy = facts.shape(x), facts.shape(y)
        return sx is not None and sy is not None and (len(sx), len(sy)) == (left, right)

    return holds


@variant(operator.matmul, np.matmul, when=_ranks(2, 2))
def matmul_matrices(g, ans, x, y):
    return g @ y.T, x.T @ g


@variant(operator.matmul, np.matmul, when=_ranks(2, 1))
def matmul_matrix_vector(g, ans, x, y):
    return np.outer(g, y), x.T @ g


@variant(operator.matmul, np.matmul, when=_ranks(1, 2))
def matmul_vector_matrix(g, ans, x, y):
    return y @ g, np.outer(x, g)


@variant(operator.matmul, np.matmul, when=_ranks(1, 1))
def matmul_vectors(g, ans, x, y):
    return g * y, g * x


@variant(np.dot, when=_ranks(2, 2, "a", "b"))
def dot_matrices(g, ans, a, b):
    return g @ b.T, a.T @ g


@variant(np.dot, when=_ranks(2, 1, "a", "b"))
def dot_matrix_vector(g, ans, a, b):
    return np.outer(g, b), a.T @ g


@variant(np.dot, when=_ranks(1, 2, "a", "b"))
def dot_vector_matrix(g, ans, a, b):
    return b @ g, np.outer(a, g)


@variant(np.dot, when=_ranks(1, 1, "a", "b"))
def dot_vectors(g, ans, a, b):
    return g * b, g * a


# ---- tensor products -----------------------------------------------------------------------------


def tensordot_axes(a, b, axes=2):
    """The summed axes of `a` and of `b` in `np.tensordot(a, b, axes)`, as lists of
    non-negative axes, paired in order."""
    if isinstance(axes, (int, np.integer)):
        a_axes = list(range(np.ndim(a) - axes, np.ndim(a)))
        b_axes = list(range(axes))
    else:
        a_axes, b_axes = ([n] if isinstance(n, (int, np.integer)) else list(n) for n in axes)
    return [n % np.ndim(a) for n in a_axes], [n % np.ndim(b) for n in b_axes]


def tensordot_adjoint_left(g, a, b, axes=2):
    """d(np.tensordot(a, b, axes))/da applied to g."""
    a_axes, b_axes = tensordot_axes(a, b, axes)
    a_free = [n for n in range(np.ndim(a)) if n not in a_axes]
    b_free = [n for n in range(np.ndim(b)) if n not in b_axes]
    summed = np.tensordot(g, b, (list(range(len(a_free), np.ndim(g))), b_free))
    # the result's axes: a's free axes, then b's summed axes in b's order, paired with a's
    order = a_free + [a_axes[b_axes.index(n)] for n in sorted(b_axes)]
    return np.transpose(summed, np.argsort(order))


def tensordot_adjoint_right(g, a, b, axes=2):
    """d(np.tensordot(a, b, axes))/db applied to g."""
    a_axes, b_axes = tensordot_axes(a, b, axes)
    a_free = [n for n in range(np.ndim(a)) if n not in a_axes]
    summed = np.tensordot(a, g, (a_free, list(range(len(a_free)))))
    b_free = [n for n in range(np.ndim(b)) if n not in b_axes]
    order = [b_axes[a_axes.index(n)] for n in sorted(a_axes)] + b_free
    return np.transpose(summed, np.argsort(order))


@bilinear(np.tensordot, shape=STANDIN)
def tensordot(g, ans, a, b, axes=2):
    return tensordot_adjoint_left(g, a, b, axes), tensordot_adjoint_right(g, a, b, axes)


def _kron_blocks(g, a, b):
    """`g` with each axis split in two (a's index, b's index), and `a`, `b` shaped to match."""
    rank = max(np.ndim(a), np.ndim(b))
    a_shape = (1,) * (rank - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (rank - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(g, [n for pair in zip(a_shape, b_shape) for n in pair])
    a_spread = np.reshape(a, [n for m in a_shape for n in (m, 1)])
    b_spread = np.reshape(b, [n for m in b_shape for n in (1, m)])
    return blocks, a_spread, b_spread


def kron_adjoint_left(g, a, b):
    """d(np.kron(a, b))/da applied to g."""
    blocks, _, b_spread = _kron_blocks(g, a, b)
    return np.reshape(np.sum(blocks * b_spread, axis=tuple(range(1, blocks.ndim, 2))), np.shape(a))


def kron_adjoint_right(g, a, b):
    """d(np.kron(a, b))/db applied to g."""
    blocks, a_spread, _ = _kron_blocks(g, a, b)
    return np.reshape(np.sum(blocks * a_spread, axis=tuple(range(0, blocks.ndim, 2))), np.shape(b))


@bilinear(np.kron, shape=STANDIN)
def kron(g, ans, a, b):
    return kron_adjoint_left(g, a, b), kron_adjoint_right(g, a, b)


def _three_vectors(v, axis):
    """`v` with its vector axis last, and 2-vectors given a zero third component."""
    v = np.moveaxis(v, axis, -1)
    if np.shape(v)[-1] == 2:
        v = np.concatenate([v, np.zeros_like(v[..., :1])], axis=-1)
    return v


def cross_adjoint(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, right=False):
    """d(np.cross(a, b, ...))/da applied to g, or d/db if `right`: `b × g`, or `g × a`.

    By the cyclic symmetry of the triple product, g·(a × b) = a·(b × g) = b·(g × a).
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a3, b3 = _three_vectors(a, axisa), _three_vectors(b, axisb)
    if np.shape(a)[axisa] == np.shape(b)[axisb] == 2:  # the result is the third component
        g3 = np.stack([np.zeros_like(g), np.zeros_like(g), g], axis=-1)
    else:
        g3 = np.moveaxis(g, axisc, -1)
    own, own_axis = (b, axisb) if right else (a, axisa)
    adjoint = np.cross(g3, a3) if right else np.cross(b3, g3)
    adjoint = adjoint[..., : np.shape(own)[own_axis]]
    return np.moveaxis(unbroadcast(adjoint, np.moveaxis(own, own_axis, -1)), -1, own_axis)


@bilinear(np.cross, shape=STANDIN)
def cross(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return cross_adjoint(g, a, b, axisa, axisb, axisc, axis), cross_adjoint(
        g, a, b, axisa, axisb, axisc, axis, right=True
    )


def _same_shapes(*params):
    def holds(facts) -> bool:
        shapes = [facts.shape(p) for p in params]
        return shapes[0] is not None and all(s == shapes[0] for s in shapes)

    return holds


def _vectors_along_last_axis(facts) -> bool:
    defaults = all(facts.constant(p) == -1 for p in ("axisa", "axisb", "axisc"))
    shape = facts.shape("a")
    return (
        defaults
        and facts.constant("axis") is None
        and _same_shapes("a", "b")(facts)
        and shape[-1:] == (3,)
    )


@variant(np.cross, when=_vectors_along_last_axis, differentiable=["a", "b"])
def cross_vectors(g, ans, a, b):
    return np.cross(b, g), np.cross(g, a)


def inner_adjoint_left(g, a, b):
    """d(np.inner(a, b))/da applied to g (the last axes of a and b are summed)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    a_rest = np.ndim(a) - 1
    return np.tensordot(g, b, (list(range(a_rest, np.ndim(g))), list(range(np.ndim(b) - 1))))


def inner_adjoint_right(g, a, b):
    """d(np.inner(a, b))/db applied to g."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    a_rest = list(range(np.ndim(a) - 1))
    return np.moveaxis(np.tensordot(a, g, (a_rest, a_rest)), 0, -1)


@bilinear(np.inner, shape=STANDIN)
def inner(g, ans, a, b):
    return inner_adjoint_left(g, a, b), inner_adjoint_right(g, a, b)


@variant(np.inner, when=_ranks(1, 1, "a", "b"))
def inner_vectors(g, ans, a, b):
    return g * b, g * a
