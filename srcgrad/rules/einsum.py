"""Rules for `np.einsum`, in both of NumPy's forms (`einsum('ij,jk->ik', a, b)` and
`einsum(a, [0, 1], b, [1, 2])`), with readable variants for one or two plain operands.

An einsum is linear in each operand separately (`bilinear`, as every product is): its tangent
is the user's own call with one active operand at a time replaced by its tangent, for each
operand slot of the rule (in `einsum(a, [0, 1], b, [1, 2])` the subscripts slot is `a`). Each
operand's adjoint is itself an einsum of `g` and the other operands (`einsum_adjoint`).
"""

import numpy as np

from .registry import bilinear, variant

# ---- reading the subscripts ----------------------------------------------------------------------

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


# ---- the rule, and its variants for plain subscripts ---------------------------------------------

_EINSUM_SLOTS = ["subscripts", "x0", "x1", "x2", "x3", "x4", "x5", "optimize"]


# NumPy's einsum takes `*operands`; the rule names six operand slots (x0 ... x5) after the
# subscripts, each differentiable by its position among the arguments. The subscripts are
# differentiable too (in `einsum(a, [0, 1], b, [1, 2])` they are an operand), and so is
# `optimize`: bound to an active value, it is a seventh operand, and its adjoint an error.
@bilinear(np.einsum, differentiable=_EINSUM_SLOTS)
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
