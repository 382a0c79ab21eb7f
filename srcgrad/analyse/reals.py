"""Analyse stage, real values: where complex numbers meet the values that carry a derivative.

A real value's adjoint and tangent are real (JAX's convention: the cotangent of a real-to-complex
promotion is the real part of the complex one). Derivative rules applied to complex values give
a real operand an adjoint with an imaginary part that means nothing, and that part is not
harmless: multiplied by a complex factor further back (`np.abs(x * c + d)`), it changes the real
part too. So the transforms take the real part where a real value meets a complex one.

Guarantees: `real_values(ctx, ops, params, active)` is None where no value that carries a
derivative meets a complex number: nothing in the function makes one (no complex literal,
argument, leaf of a list, dict or object argument that may be complex as its signature says
(analyse/leaves.py), module constant, or call that makes complex values of real ones), or none
reaches a statement with an active value. Otherwise each name has a kind: REAL where every
value it may hold is real numbers (an argument of a real dtype, a container argument whose
leaves are real, what NumPy makes of real values), COMPLEX where every value is complex, EITHER
where the code does not say (a part of a container that may hold complex leaves, what a
function of the user's returned, what a name holds on two paths). A statement
*mixes* where an active value takes part in it and a value that is not REAL does too (a complex
constant included): there a REAL operand's adjoint is taken as its real part (`promoted`), and so
is a REAL result's tangent (`real_tangent`); an EITHER value's adjoint, where the value is real
as the code runs (`either`).
"""

from __future__ import annotations

import builtins
import operator
from dataclasses import dataclass

import gast
import numpy as np

from ..front import reading
from ..front.reading import MISSING
from ..normalize.ir import Kind, Operation
from .shapes import TREES

REAL, COMPLEX, EITHER = frozenset("r"), frozenset("c"), frozenset("rc")
_NOTHING = frozenset()  # (a name no statement has given a value yet)

# real results whatever the operands (complex ones included)
_REAL_RESULTS = {
    np.real,
    np.imag,
    np.abs,
    np.absolute,
    builtins.abs,
    np.angle,
    np.linalg.norm,
    np.linalg.eigvalsh,
    np.var,
    np.std,
    np.nanvar,
    np.nanstd,
    len,
    float,
    int,
}
# complex results of real operands
_COMPLEX_RESULTS = {complex, np.complex64, np.complex128}
_EITHER_RESULTS = {np.linalg.eig, np.linalg.eigvals, np.real_if_close}
# SciPy's, by name (SciPy is imported only where the user's code does)
_SCIPY_EITHER = {"eig", "eigvals", "schur", "rsf2csf", "sqrtm", "logm", "funm", "hankel1"}
_SCIPY_EITHER |= {"hankel2", "hankel1e", "hankel2e", "wofz", "dawsn", "fresnel"}
_COMPLEX_MODULES = ("numpy.fft", "numpy.lib.scimath", "numpy.emath", "cmath")
_REAL_FFTS = {np.fft.irfft, np.fft.irfft2, np.fft.irfftn, np.fft.hfft, np.fft.fftfreq}
_REAL_FFTS |= {np.fft.rfftfreq}
# modules whose functions make no complex value of real ones, except those named above
_LIBRARIES = ("numpy", "operator", "_operator", "builtins", "math", "scipy", "srcgrad")
_DTYPE_SECOND = {np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray}


@dataclass(frozen=True)
class Reals:
    """The kinds of a function's names, and where the transforms take real parts."""

    kinds: dict[str, frozenset]  # name -> REAL, COMPLEX or EITHER (absent: REAL)
    mixing: frozenset[int]  # the ids of the statements that mix
    promoted: frozenset[str]  # REAL active operands of a statement that mixes
    either: frozenset[str]  # active names of kind EITHER

    def kind(self, name: str) -> frozenset:
        return self.kinds.get(name, REAL)

    def adjoint_part(self, name: str) -> str | None:
        """How a contribution to `name`'s adjoint is made real: "real" (`np.real`), "either"
        (where the value is real as the code runs), or None (it is complex, or already real)."""
        if name in self.promoted:
            return "real"
        if name in self.either:
            return "either"
        return None

    def real_tangent(self, stmt: gast.stmt, target: str) -> bool:
        """Whether the tangent `stmt` gives `target` is made real with `np.real`: a REAL value
        made of complex ones (`np.abs(z)`). (Forward code is read again for a Hessian, which
        refuses complex values anyway: no run-time test there, for a value whose kind the code
        does not say; a function of the user's makes its own result's tangent real.)"""
        return id(stmt) in self.mixing and self.kind(target) == REAL


def real_values(ctx, ops: dict, params: list[str], active: set[str]) -> Reals | None:
    """The kinds of the names of the function whose statements are `ops` (statement id ->
    Operation), or None where no active value meets a complex one (see the module)."""
    seeds = {p: _parameter_kind(ctx, p) for p in params}
    if not _evidence(ctx, ops, seeds):
        return None
    kinds = _fixed_point(ctx, ops, seeds)
    mixing, promoted = set(), set()
    for key, op in ops.items():
        names = _operand_names(op)
        involved = names | {op.target}
        if not involved & active:
            continue
        if any(kinds.get(n, REAL) != REAL for n in involved) or _complex_constant(op):
            mixing.add(key)
            promoted |= {n for n in names & active if kinds.get(n, REAL) == REAL}
    either = frozenset(n for n in active if kinds.get(n, REAL) == EITHER)
    if not mixing:
        return None
    kept = {n: k for n, k in kinds.items() if k != REAL}
    return Reals(kept, frozenset(mixing), frozenset(promoted), either)


# ---- where complex numbers may come from ------------------------------------------------------


def _parameter_kind(ctx, name: str) -> frozenset:
    dtype = ctx.dtypes.get(name)
    if dtype in TREES:  # (a container: whether a leaf may be complex, analyse/leaves.py)
        return EITHER if getattr(dtype, "complex", True) else REAL
    if dtype is None:  # (a value srcgrad has no signature for)
        return EITHER
    if str(dtype).startswith(("complex", "clongdouble")):
        return COMPLEX
    return REAL


def _evidence(ctx, ops: dict, seeds: dict) -> bool:
    """Whether anything in the function makes complex numbers: an argument (a leaf of a
    container argument included), a call, a literal or a module constant (every value the core
    language computes with is an operand of a statement's operation)."""
    if any(k == COMPLEX for k in seeds.values()):
        return True
    if any(k != REAL and ctx.dtypes.get(p) in TREES for p, k in seeds.items()):
        return True
    local = set(seeds) | {op.target for op in ops.values()}
    for op in ops.values():
        if op.kind is Kind.CALL and _makes_complex(ctx, op):
            return True
        for operand in op.operands():
            for node in gast.walk(operand):
                if isinstance(node, gast.Constant) and isinstance(node.value, complex):
                    return True
                if isinstance(node, gast.Attribute) or (
                    isinstance(node, gast.Name) and node.id not in local
                ):
                    value = ctx.resolve(node)
                    if value is not MISSING and _value_kind(value) != REAL:
                        return True
    return False


def _makes_complex(ctx, op: Operation) -> bool:
    made = _made(ctx, op)
    return made is not None and made != REAL


def _made(ctx, op: Operation) -> frozenset | None:
    """The kind of what a call makes whatever its operands are, or None where that depends on
    them."""
    key = op.key
    if _in(key, _REAL_RESULTS) or _in(key, _REAL_FFTS):
        return REAL
    if _in(key, _COMPLEX_RESULTS):
        return COMPLEX
    module = reading.module_of(key)
    if _in(key, _EITHER_RESULTS) or module.startswith(_COMPLEX_MODULES):
        return EITHER
    if module.startswith("scipy") and getattr(key, "__name__", None) in _SCIPY_EITHER:
        return EITHER
    dtype = op.keywords.get("dtype")
    if dtype is None and _in(key, _DTYPE_SECOND) and len(op.args) > 1:
        dtype = op.args[1]
    if dtype is None and getattr(key, "__name__", None) == "astype" and len(op.args) > 1:
        dtype = op.args[1]  # (`x.astype(t)`: runtime.astype(x, t))
    return None if dtype is None else _dtype_kind(ctx, dtype)


def _dtype_kind(ctx, node: gast.expr) -> frozenset | None:
    """The kind a dtype the code names makes; None for one the code computes (`x.dtype`),
    whose kind is that of the values it came from."""
    value = node.value if isinstance(node, gast.Constant) else ctx.resolve(node)
    if value is MISSING:
        return None
    try:
        return COMPLEX if np.dtype(value).kind == "c" else REAL
    except TypeError:
        return EITHER


def _value_kind(value: object) -> frozenset:
    """The kind of a module constant (a function, a module, a class: REAL, as they hold none)."""
    if isinstance(value, (complex, np.complexfloating)):
        return COMPLEX
    if isinstance(value, np.ndarray):
        return COMPLEX if value.dtype.kind == "c" else REAL
    if isinstance(value, (list, tuple)) and len(value) <= 64:
        kinds = {_value_kind(v) for v in value}
        return REAL if kinds <= {REAL} else EITHER
    return REAL


def _in(key, table) -> bool:
    try:
        return key in table
    except TypeError:
        return False


# ---- the kinds --------------------------------------------------------------------------------


def _fixed_point(ctx, ops: dict, seeds: dict) -> dict[str, frozenset]:
    """Each name's kind: the union of what every statement that binds it gives it (a loop's
    values reach its start again), from the parameters' kinds."""
    kinds = dict(seeds)
    assigned = {op.target for op in ops.values()}
    changed = True
    while changed:
        changed = False
        for op in ops.values():
            made = _result(ctx, op, kinds, assigned)
            before = kinds.get(op.target, _NOTHING)
            if not made <= before:
                kinds[op.target] = before | made
                changed = True
    return {n: (k or REAL) for n, k in kinds.items()}


def _operand_names(op: Operation) -> set[str]:
    """The names whose values the result is made of (not an index's)."""
    if op.kind is Kind.SETITEM:
        return _names([op.args[0], op.args[2]])
    if op.kind is Kind.CALL and (op.key is operator.getitem or op.key is getattr):
        return _names(op.args[:1])
    return op.names()


def _names(nodes_: list) -> set[str]:
    found: set[str] = set()
    for node in nodes_:
        found |= {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
    return found


def _complex_constant(op: Operation) -> bool:
    return any(
        isinstance(n, gast.Constant) and isinstance(n.value, complex)
        for node in op.operands()
        for n in gast.walk(node)
    )


def _operand_kind(ctx, node: gast.expr, kinds: dict, assigned: set) -> frozenset:
    if isinstance(node, gast.Constant):
        return COMPLEX if isinstance(node.value, complex) else REAL
    if isinstance(node, gast.Name) and (node.id in kinds or node.id in assigned):
        return kinds.get(node.id, _NOTHING)
    if isinstance(node, (gast.Name, gast.Attribute)):
        value = ctx.resolve(node)
        if value is not MISSING:
            return _value_kind(value)
        return EITHER if isinstance(node, gast.Attribute) else REAL  # (a loop's integer)
    found = _NOTHING
    for part in getattr(node, "elts", None) or []:  # (a display: what it holds)
        found |= _operand_kind(ctx, part, kinds, assigned)
    return found or REAL


def _result(ctx, op: Operation, kinds: dict, assigned: set) -> frozenset:
    """The kind of what `op` binds its target to."""

    def of(node: gast.expr) -> frozenset:
        return _operand_kind(ctx, node, kinds, assigned)

    kind = op.kind
    if kind is Kind.INERT:
        return REAL
    if kind in (Kind.USER, Kind.UNKNOWN):
        return EITHER
    if kind is Kind.SETITEM:  # (an array keeps its dtype; a list or dict holds `v` too)
        return of(op.args[0]) | of(op.args[2])
    if kind is Kind.APPEND:
        return of(op.args[0]) | of(op.args[1])
    if kind in (Kind.TUPLE, Kind.LIST, Kind.DICT):
        return frozenset().union(*(of(a) for a in op.args)) or REAL
    if kind is Kind.UNPACK:  # (a tuple's parts may differ: an SVD's singular values are real)
        return REAL if of(op.args[0]) == REAL else EITHER
    if op.key is getattr:  # (a record's field: real where each of the record's is)
        return REAL if of(op.args[0]) == REAL else EITHER
    if kind is Kind.COPY or op.key is operator.getitem:
        return of(op.args[0])
    made = _made(ctx, op)
    if made is not None:
        return made
    operands = [of(a) for a in op.operands()]
    if all(k <= REAL for k in operands) and reading.module_of(op.key).startswith(_LIBRARIES):
        return REAL
    if COMPLEX in operands and _promotes(op.key):
        return COMPLEX
    return EITHER


_PROMOTING = {np.sum, np.mean, np.prod, np.cumsum, np.dot, np.outer, np.inner, np.tensordot}
_PROMOTING |= {np.einsum, np.trace, np.reshape, np.transpose, np.ravel, np.where}


def _promotes(key) -> bool:
    """NumPy's arithmetic, ufuncs and sums: a complex operand makes a complex result."""
    if isinstance(key, np.ufunc):
        return True
    return reading.module_of(key) in ("operator", "_operator") or _in(key, _PROMOTING)
