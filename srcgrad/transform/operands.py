"""A statement's operands bound to a derivative rule's parameters, in either mode, and how an
error names the operation."""

from __future__ import annotations

import gast

from ..errors import NoRuleError, Origin, UnsupportedSyntaxError
from ..front import reading
from ..normalize.ir import Kind, Operation


def bind_operands(rule, op: Operation, origin: Origin | None):
    """The operands of `op` bound to the parameters of `rule` (a reverse or a forward rule),
    or a SrcgradError at the user's line saying why they cannot be."""
    if any(isinstance(a, gast.Starred) for a in op.args):
        raise UnsupportedSyntaxError(
            f"a starred argument (*args) to {describe(op)}, whose derivative is needed, is "
            "not supported",
            origin,
            "pass the arguments one by one",
        )
    try:
        return rule.signature().bind(*op.args, **op.keywords)
    except TypeError as exc:
        raise NoRuleError(
            f"the derivative rule for {describe(op)} does not accept these arguments ({exc})",
            origin,
        ) from None


def describe(op: Operation) -> str:
    """How an error names the operation: `'np.foo' (numpy.foo)`, `the method '.tolist'`."""
    if op.kind is Kind.CALL:
        name = getattr(op.key, "__name__", None) or repr(op.key)
        module = reading.module_of(op.key)
        if op.description:
            return f"'{op.description}' ({module + '.' if module else ''}{name})"
        return f"'{name}'"
    if isinstance(op.callee, gast.Attribute):
        return f"the method '.{op.callee.attr}'"
    return f"'{op.description}'" if op.description else "this operation"
