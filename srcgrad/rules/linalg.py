"""Rules for linear algebra: products (`@`, `dot`, `tensordot`, `einsum`, ...), matrix functions
(`inv`, `solve`, `det`, ...), decompositions (`cholesky`, `eigh`, `svd`, `qr`) and norms.

Decompositions of a symmetric matrix read one triangle of it (`eigh`'s `UPLO`, `cholesky`'s
`upper`); their adjoints are the true derivatives of what NumPy computes, so an entry of the
triangle that is read stands for itself and its mirror image, and the other triangle gets zero.
Functions that return a tuple (`slogdet`, `eigh`, `svd`, `qr`) receive `g` as the tuple of the
components' adjoints (zeros for a component the user did not use). Helpers that no single NumPy
call expresses are defined here, above the rules that call them: they never mutate their inputs
and create arrays only with `*_like`.
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
from .registry import SAME, STANDIN, adjoint, variant


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


# ---- tensor products ---------------------------------------------------------------------------


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


@adjoint(np.tensordot, shape=STANDIN)
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


@adjoint(np.kron, shape=STANDIN)
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


@adjoint(np.cross, shape=STANDIN)
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


@adjoint(np.inner, shape=STANDIN)
def inner(g, ans, a, b):
    return inner_adjoint_left(g, a, b), inner_adjoint_right(g, a, b)


@variant(np.inner, when=_ranks(1, 1, "a", "b"))
def inner_vectors(g, ans, a, b):
    return g * b, g * a


# ---- einsum ------------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sublist_letters(sublist) -> str:
    return "".join("..." if n is Ellipsis else _LETTERS[n] for n in sublist)


def einsum_operands(arguments) -> tuple[list[str], str, list]:
    """The subscripts of each operand and of the result of `np.einsum(*arguments)`, and the
    operands; `...` is spelled out in letters of its own, and an implicit result made explicit.

    Both of NumPy's forms are read: `einsum('ij,jk->ik', a, b)` and `einsum(a, [0, 1], b, [1, 2])`.
    """
    if isinstance(arguments[0], str):
        spec, operands = arguments[0].replace(" ", ""), list(arguments[1:])
        inputs, _, output = spec.partition("->")
        inputs, output = inputs.split(","), output if "->" in spec else None
    else:
        operands = list(arguments[0::2])
        inputs = [_sublist_letters(s) for s in arguments[1::2][: len(operands)]]
        has_output = len(arguments) % 2 == 1
        output = _sublist_letters(arguments[-1]) if has_output else None
    used = set("".join(inputs)) | set(output or "")
    spare = [c for c in _LETTERS if c not in used]
    ranks = [np.ndim(x) - len(s.replace("...", "")) for s, x in zip(inputs, operands)]
    broadcast = spare[: max([r for s, r in zip(inputs, ranks) if "..." in s], default=0)]
    spelled = [
        s.replace("...", "".join(broadcast[len(broadcast) - r :])) for s, r in zip(inputs, ranks)
    ]
    if output is None:
        counts = "".join(inputs).replace("...", "")
        output = "".join(broadcast) + "".join(
            sorted(c for c in set(counts) if counts.count(c) == 1)
        )
    else:
        output = output.replace("...", "".join(broadcast))
    return spelled, output, operands


def einsum_adjoint(g, position, *arguments):
    """d(np.einsum(*arguments))/d(arguments[position]) applied to g: itself an einsum of `g` and
    the other operands, then spread along the operand's indices that nothing else carries
    (`'ij->i'`), summed where the operand was broadcast, and put on the diagonal for a repeated
    index (`'ii->i'`). Unused operand slots of the rule are None, and dropped."""
    while arguments and arguments[-1] is None:
        arguments = arguments[:-1]
    if position >= len(arguments):
        raise ValueError("srcgrad differentiates np.einsum with at most 6 operands")
    inputs, output, operands = einsum_operands(arguments)
    operand = position - 1 if isinstance(arguments[0], str) else position // 2
    own, x = inputs[operand], operands[operand]
    others = [(s, y) for k, (s, y) in enumerate(zip(inputs, operands)) if k != operand]
    others.append((output, g))
    carried = set("".join(s for s, _ in others))
    letters = "".join(dict.fromkeys(own))  # each index once, in order
    present = "".join(c for c in letters if c in carried)
    spec = ",".join(s for s, _ in others) + "->" + present
    result = np.einsum(spec, *(y for _, y in others))
    result = np.expand_dims(result, [k for k, c in enumerate(letters) if c not in carried])
    sizes = {c: n for c, n in zip(own, np.shape(x))}
    shrunk = tuple(k for k, c in enumerate(letters) if sizes[c] == 1 and result.shape[k] != 1)
    if shrunk:
        result = np.sum(result, axis=shrunk, keepdims=True)
    out = np.zeros_like(x, dtype=np.result_type(x, g, 1.0))
    if letters == own:
        return out + result
    diagonal = np.einsum(f"{own}->{letters}", out)  # a writable view of out
    diagonal[...] = result
    return out


def _einsum_plain(count: int):
    """Holds for `np.einsum('<subscripts>', x0, ...)` with `count` operands of known shapes, no
    `...`, no index repeated in one operand or broadcast, and every index of an operand carried
    by the result or another operand: the adjoints are einsums of g and the other operands."""

    def holds(facts) -> bool:
        spec = facts.constant("subscripts")
        slots = [f"x{k}" for k in range(count)]
        shapes = [facts.shape(p) for p in slots]
        if not isinstance(spec, str) or "." in spec or facts.constant(f"x{count}") is not None:
            return False
        if any(s is None for s in shapes):
            return False
        inputs, output, _ = einsum_operands([spec, *[0.0] * count])
        if len(inputs) != count or any(len(set(s)) != len(s) for s in inputs):
            return False
        sizes = {}
        for s, shape in zip(inputs, shapes):
            for c, n in zip(s, shape):
                if sizes.setdefault(c, n) != n:
                    return False
        return all(set(s) <= set(output).union(*(t for t in inputs if t is not s)) for s in inputs)

    return holds


def _einsum_spec(position: int):
    """The subscripts of the einsum that is operand `position`'s adjoint (`'ik,jk->ij'`)."""

    def compute(facts) -> str:
        spec = facts.constant("subscripts")
        inputs, output, _ = einsum_operands([spec, *[0.0] * (spec.count(",") + 1)])
        others = [*inputs[:position], output, *inputs[position + 1 :]]
        return ",".join(others) + "->" + inputs[position]

    return compute


_EINSUM_SLOTS = ["subscripts", "x0", "x1", "x2", "x3", "x4", "x5", "optimize"]


# NumPy's einsum takes `*operands`; the rule names six operand slots (x0 ... x5) after the
# subscripts, each differentiable by its position among the arguments. The subscripts are
# differentiable too (in `einsum(a, [0, 1], b, [1, 2])` they are an operand), and so is
# `optimize`: bound to an active value, it is a seventh operand, and its adjoint an error.
@adjoint(np.einsum, differentiable=_EINSUM_SLOTS)
def einsum(
    g, ans, subscripts, x0=None, x1=None, x2=None, x3=None, x4=None, x5=None, optimize=False
):
    return (
        einsum_adjoint(g, 0, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 1, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 2, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 3, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 4, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 5, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 6, subscripts, x0, x1, x2, x3, x4, x5),
        einsum_adjoint(g, 7, subscripts, x0, x1, x2, x3, x4, x5),
    )


@variant(np.einsum, when=_einsum_plain(1), differentiable=["x0"], spec=_einsum_spec(0))
def einsum_one(g, ans, subscripts, x0, *, spec):
    return np.einsum(spec, g)


@variant(
    np.einsum,
    when=_einsum_plain(2),
    differentiable=["x0", "x1"],
    left=_einsum_spec(0),
    right=_einsum_spec(1),
)
def einsum_two(g, ans, subscripts, x0, x1, *, left, right):
    return np.einsum(left, g, x1), np.einsum(right, x0, g)


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
