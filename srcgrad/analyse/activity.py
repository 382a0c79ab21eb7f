"""Analyse stage, activity: which variables get an adjoint.

A variable is active when it depends on a `wrt` input (varied) and the output depends on it
(useful): PyTorch's contagious `requires_grad`, decided once from the code instead of at every
operation. Non-differentiable operations (comparisons, `.shape`, `np.floor`) stop the contagion.
"""

from __future__ import annotations

from ..normalize.ir import Kind, Operation
from ..rules.registry import is_nondifferentiable


def _passes_derivative(op: Operation) -> bool:
    if op.kind is Kind.INERT:
        return False
    return not (op.kind is not Kind.COPY and op.key is not None and is_nondifferentiable(op.key))


def varied_names(ops: list[Operation], wrt: list[str]) -> set[str]:
    """The names whose value moves with the differentiated arguments."""
    flowing = [op for op in ops if _passes_derivative(op)]
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for op in flowing:
            if op.target not in varied and op.names() & varied:
                varied.add(op.target)
                changed = True
    return varied


def active_names(
    ops: list[Operation], wrt: list[str], output: str, constant: frozenset = frozenset()
) -> set[str]:
    """`ops`: every assignment of the function, in program order (loops make this a fixed
    point: a value computed late in a loop body reaches the early statements of the next
    iteration). `constant`: names assigned once whose value the output is known not to depend
    on (analyse/invariance.py), which pass no derivative."""
    ops = [op for op in ops if op.target not in constant]
    flowing = [op for op in ops if _passes_derivative(op)]
    varied = varied_names(ops, wrt)
    useful = {output}
    changed = True
    while changed:
        changed = False
        for op in reversed(flowing):
            if op.target in useful and not op.names() <= useful:
                useful |= op.names()
                changed = True
    return varied & useful
