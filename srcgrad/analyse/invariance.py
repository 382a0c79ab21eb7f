"""Analyse stage, shift invariance: a maximum subtracted to keep `exp` finite carries no derivative.

A log-softmax, a softmax and a log-sum-exp subtract their input's maximum first:

    zs = z - np.max(z, axis=1, keepdims=True)
    logp = zs - np.log(np.sum(np.exp(zs), axis=1, keepdims=True))

What comes out does not depend on the number subtracted: call it `c`; `zs` is `z - c`,
`np.exp(zs)` is `np.exp(z) * e**-c`, its sum along the axis where `c` is constant is the sum of
`np.exp(z)` times `e**-c`, the log of that is `log(...) - c`, and `zs` minus it has no `c` left.
So the derivative through the maximum is exactly 0, and the reverse sweep need not compute it:
not `-dzs.sum(axis=1, keepdims=True)` (zero up to rounding), nor the spread of that over the
elements equal to the maximum. Treating the maximum as a constant is a proof, not a guess: each
value the maximum reaches is written as a function of `c` of one of two forms,

    shift k:   base + k * c          (z - c, a log of a scale, a max or mean of a shift)
    scale k:   base * exp(k * c)     (exp of a shift, products and quotients, sums and means)

and the maximum is let go only if every value that reaches past these forms has k = 0 (no `c`
at all). Anything else that reads a value with `c` in it (an index, a call of the user's,
a branch, a loop, a name bound twice, the function's result) leaves the maximum as it is. A
reduction keeps a form only along axes where `c` is constant (its size-1 axes, kept with
`keepdims=True`), and only where the shapes say which axes those are.
"""

from __future__ import annotations

import operator
from collections import Counter

import gast
import numpy as np

from ..front import nodes
from ..normalize.ir import Kind, Operation

_EXTREMES = (np.max, np.amax, np.min, np.amin)
_SHIFT, _SCALE = "shift", "scale"


def invariant_extremes(
    tree: gast.FunctionDef, ops: dict, output: str, shapes: dict
) -> frozenset[str]:
    """The names, each assigned once from a max or min, whose value the function's result
    does not depend on (see the module's docstring). `ops`: the operation of each assignment,
    by the statement's id."""
    if not any(op.kind is Kind.CALL and op.key in _EXTREMES for op in ops.values()):
        return frozenset()
    counts = Counter(op.target for op in ops.values())
    params = {a.id for a in tree.args.args + tree.args.kwonlyargs if isinstance(a, gast.Name)}
    # the function's own statements, not a loop's or a branch's: each runs once, in order
    straight = [
        ops[id(stmt)] for stmt in tree.body if id(stmt) in ops and counts[ops[id(stmt)].target] == 1
    ]
    reads = Counter(
        node.id
        for node in gast.walk(tree)
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)
    )
    found = set()
    for i, op in enumerate(straight):
        if op.key in _EXTREMES and op.target not in params and op.target != output:
            axes = _constant_axes(op, shapes)
            later = straight[i + 1 :]
            if axes is not None and _cancels(op.target, axes, later, reads, output, shapes):
                found.add(op.target)
    return frozenset(found)


def _constant_axes(op: Operation, shapes: dict):
    """`(ndim, axes)`: the maximum is constant along `axes` of arrays of `ndim` axes; `(None,
    None)` when it is one number (no axis), None when this cannot be said."""
    axis, keepdims = _reduction(op)
    if axis is _UNKNOWN:
        return None
    if axis is None:  # (with keepdims=True, one number in as many axes of length 1)
        return (None, None)
    shape = shapes.get(op.args[0].id) if isinstance(op.args[0], gast.Name) else None
    if shape is None or not keepdims:
        return None
    return (len(shape), _normalized(axis, len(shape)))


_UNKNOWN = object()


def _reduction(op: Operation):
    """`(axis, keepdims)` of `np.max(a, axis, keepdims=...)` and the like, as constants;
    `(_UNKNOWN, _)` for any other argument or one not written as a constant."""
    if len(op.args) > 2 or set(op.keywords) - {"axis", "keepdims"}:
        return _UNKNOWN, False
    given = dict(op.keywords)
    if len(op.args) == 2:
        if "axis" in given:
            return _UNKNOWN, False
        given["axis"] = op.args[1]
    values = {}
    for key, node in given.items():
        try:
            values[key] = _constant(node)
        except ValueError:
            return _UNKNOWN, False
    return values.get("axis"), bool(values.get("keepdims", False))


def _constant(node: gast.expr):
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return -_constant(node.operand)
    if isinstance(node, gast.Tuple):
        return tuple(_constant(e) for e in node.elts)
    raise ValueError(node)


def _normalized(axis, ndim: int) -> frozenset | None:
    axes = axis if isinstance(axis, tuple) else (axis,)
    if axis is None:
        return frozenset(range(ndim))
    if not all(type(a) is int and -ndim <= a < ndim for a in axes):
        return None
    return frozenset(a % ndim for a in axes)


def _cancels(
    name: str, axes: tuple, later: list[Operation], reads: Counter, output: str, shapes: dict
) -> bool:
    """Every value `name` reaches through `later` (in order) is of one of the two forms, and
    those with `c` in them are read by nothing else (see the module's docstring). Where `c`
    is constant along some axes only, each such value has as many axes as the maximum's
    operand: a reduction's axis then names the same axis in all of them."""
    forms = {name: (_SHIFT, 1)}
    read_here: Counter = Counter()
    for op in later:
        operands = [a for a in op.operands() if nodes.names_read(a) & forms.keys()]
        if not operands:
            continue
        if op.kind is not Kind.CALL:
            return False
        form = _form(op, forms, axes)
        if form is None:
            return False
        for a in op.operands():
            read_here.update(n for n in nodes.names_read(a) if n in forms)
        if form[1] != 0:
            shape = shapes.get(op.target)
            if axes[0] is not None and (shape is None or len(shape) != axes[0]):
                return False
            forms[op.target] = form
    # every read of a value with `c` in it is one of those followed here
    return all(reads[n] == read_here[n] for n in forms) and output not in forms


def _form(op: Operation, forms: dict, axes: tuple):
    """The form of `op.target`, or None when it is not one of the two."""
    if not all(isinstance(a, (gast.Name, gast.Constant)) for a in op.args):
        return None
    args = [forms.get(a.id) if isinstance(a, gast.Name) else None for a in op.args]
    if op.key in _ELEMENTWISE:
        if op.keywords:
            return None
        return _ELEMENTWISE[op.key](*[f or (None, 0) for f in args])
    if not args or args[0] is None or any(args[1:]):
        return None
    kind, k = args[0]
    if op.key in (np.exp, np.log):
        wanted, made = (_SHIFT, _SCALE) if op.key is np.exp else (_SCALE, _SHIFT)
        return (made, k) if kind == wanted and not op.keywords else None
    axis, keepdims = _reduction(op)
    if axis is _UNKNOWN or not _along(axis, keepdims, axes):
        return None
    if op.key in (np.sum, np.mean):
        return args[0] if kind == _SCALE or op.key is np.mean else None
    if op.key in _EXTREMES:
        return args[0] if kind == _SHIFT else None
    return None


def _along(axis, keepdims: bool, axes: tuple) -> bool:
    """A reduction over `axis` keeps `c` as it is: `c` is one number, or the reduction is over
    axes where it is constant, keeping them."""
    ndim, constant = axes
    if ndim is None:
        return True
    reduced = _normalized(axis, ndim)
    return keepdims and reduced is not None and reduced <= constant


def _sum(sign: int):
    def combine(a, b=None):
        b = b or (None, 0)
        if (a[1] and a[0] != _SHIFT) or (b[1] and b[0] != _SHIFT):
            return None
        return (_SHIFT, a[1] + sign * b[1])

    return combine


def _product(sign: int):
    def combine(a, b):
        if (a[1] and a[0] != _SCALE) or (b[1] and b[0] != _SCALE):
            return None
        return (_SCALE, a[1] + sign * b[1])

    return combine


def _negated(a):
    return (_SHIFT, -a[1]) if not a[1] or a[0] == _SHIFT else None


_ELEMENTWISE = {
    operator.add: _sum(1),
    operator.sub: _sum(-1),
    operator.neg: _negated,
    operator.pos: lambda a: a if not a[1] or a[0] == _SHIFT else None,
    operator.mul: _product(1),
    operator.truediv: _product(-1),
}
