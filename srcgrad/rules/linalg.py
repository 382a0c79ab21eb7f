"""Rules for products: `@`, `matmul`, `dot`, `outer`, `vdot`."""

import operator

import numpy as np

from ..runtime import (
    dot_adjoint_left,
    dot_adjoint_right,
    matmul_adjoint_left,
    matmul_adjoint_right,
)
from .registry import adjoint, variant


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


@adjoint(operator.matmul, np.matmul, shape=matmul_shape)
def matmul(g, ans, x, y):
    return matmul_adjoint_left(g, x, y), matmul_adjoint_right(g, x, y)


@adjoint(np.dot, shape=dot_shape)
def dot(g, ans, a, b):
    return dot_adjoint_left(g, a, b), dot_adjoint_right(g, a, b)


@adjoint(np.outer)
def outer(g, ans, a, b):
    return np.reshape(np.dot(g, np.ravel(b)), np.shape(a)), np.reshape(
        np.dot(np.ravel(a), g), np.shape(b)
    )


@adjoint(np.vdot, shape=lambda a, b: ())
def vdot(g, ans, a, b):
    return np.reshape(g * np.ravel(b), np.shape(a)), np.reshape(g * np.ravel(a), np.shape(b))


# ---- variants for vectors and matrices of known rank -----------------------------------------


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
