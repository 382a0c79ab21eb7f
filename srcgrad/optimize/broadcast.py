"""Optimize stage, broadcasting: `unbroadcast(g, x)` of known shapes as the exact sum.

The reverse transform sums an operand's adjoint back over the axes the operand was broadcast
along with `unbroadcast(g, x)`, which works for any shapes. Where both shapes were known when
the code was generated (the call carries them: `nodes.mark_broadcast`), this pass writes what a
person would: `g.sum(axis=0)`, `g.sum(axis=1, keepdims=True)`, factors that do not vary along
the summed axes moved out of the sum (`-(g * ans).sum(axis=0) / y`), a sum of a product of two
arrays as one BLAS dot (`np.vdot(a, b)`) or, at large sizes, `np.einsum`, which makes no
product array. The results are those of `unbroadcast`.
"""

from __future__ import annotations

import gast
import numpy as np

from ..analyse.shapes import broadcast_axes
from ..front import nodes

_EINSUM_FROM = 1 << 16  # elements: below this, einsum's own overhead costs more than it saves


def specialize(fn: gast.FunctionDef, ctx) -> None:
    """Every `unbroadcast(g, x)` of known shapes in `fn` becomes its exact sum."""
    _Specialize(ctx).visit(fn)


class _Specialize(gast.NodeTransformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        shapes = nodes.broadcast_of(node)
        if shapes is None:
            return node
        value, _ = node.args
        return _summed(self.ctx, value, *shapes) or node


def _summed(ctx, value: gast.expr, have: tuple, want: tuple) -> gast.expr | None:
    """`value`, of shape `have`, summed to the shape `want` it was broadcast from (in one sum:
    `shapes.broadcast_axes`); None where only `unbroadcast` will do."""
    found = broadcast_axes(have, want)
    if found is None:
        return None
    axes, kept = found
    lead = len(axes)
    inner, outer = _constant_factors(ctx, value, want, have)
    pair = _product_of_two(ctx, inner, have)
    # a sum of products, at large sizes: np.einsum makes no product array
    letters = "abcdef"[: len(have)]
    einsum = pair is not None and len(have) <= 6 and _size(have) >= _EINSUM_FROM
    if want == ():
        if pair is not None:  # sum(a * b): one BLAS dot, no product array
            summed = nodes.call(ctx.numpy_name("vdot"), list(pair))
        else:  # (an array's own method: half np.sum's call overhead)
            summed = nodes.call(nodes.attribute(inner, "sum"))
        return _apply_factors(summed, outer)
    if not kept:
        if einsum:
            spec = f"{letters},{letters}->{letters[lead:]}"
            product = nodes.call(ctx.numpy_name("einsum"), [nodes.const(spec), *pair])
            return _apply_factors(product, outer)
        return _apply_factors(_sum(inner, axes, keepdims=False), outer)
    if einsum:
        left = "".join(c for i, c in enumerate(letters) if i not in kept)
        spec = nodes.const(f"{letters},{letters}->{left}")
        product = nodes.call(ctx.numpy_name("einsum"), [spec, *pair])
        axis = kept[0] if len(kept) == 1 else nodes.tuple_(map(nodes.const, kept))
        axis = nodes.const(axis) if isinstance(axis, int) else axis
        product = nodes.call(ctx.numpy_name("expand_dims"), [product, axis])
        return _apply_factors(product, outer)
    return _apply_factors(_sum(inner, kept, keepdims=True), outer)


def _product_of_two(ctx, node: gast.expr, have: tuple):
    """`a * b` of two real arrays of exactly the shape `have`, or None."""
    if not (
        ctx.floating
        and not ctx.complex_values
        and isinstance(node, gast.BinOp)
        and isinstance(node.op, gast.Mult)
    ):
        return None
    pair = (node.left, node.right)
    if all(isinstance(n, gast.Name) and _shape_of(ctx, n) == have for n in pair):
        return tuple(nodes.copy(n) for n in pair)
    return None


def _constant_factors(ctx, value: gast.expr, want: tuple, have: tuple):
    """`-g * ans / y` summed to y's shape is `-(g * ans).sum(...) / y`: factors already of the
    summed shape (or numbers) are the same along the summed axes, so they move out of the sum,
    which then reads fewer full arrays. Returns (inner, [(op, factor)])."""
    outer: list = []
    node = value
    negated = False
    while True:
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            negated, node = not negated, node.operand
            continue
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
            if isinstance(node.left, gast.UnaryOp) and isinstance(node.left.op, gast.USub):
                negated = not negated  # (-a) * b is -(a * b)
                node = nodes.binop(node.left.operand, node.op.__class__(), node.right)
                continue
            right = node.right
            if _shape_of(ctx, right) in (want, ()) and want != have:
                outer.append((node.op, right))
                node = node.left
                continue
            left = node.left
            if isinstance(node.op, gast.Mult) and _shape_of(ctx, left) in (want, ()):
                outer.append((node.op, left))
                node = right
                continue
        break
    if not outer and not negated:
        return value, []
    if negated:
        outer.append((None, None))  # the sign, outermost
    return node, outer


def _shape_of(ctx, node: gast.expr):
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
        return ()
    if isinstance(node, gast.Name):
        return ctx.shapes.get(ctx.names.primal_of(node.id) or node.id)
    return None


def _sum(value: gast.expr, axes: list[int], keepdims: bool) -> gast.expr:
    keywords = {}
    if len(axes) == 1:
        keywords["axis"] = nodes.const(axes[0])
    else:
        keywords["axis"] = nodes.tuple_(nodes.const(a) for a in axes)
    if keepdims:
        keywords["keepdims"] = nodes.const(True)
    return nodes.call(nodes.attribute(value, "sum"), [], keywords)


def _size(shape: tuple) -> int:
    return int(np.prod(shape)) if shape else 1


def _apply_factors(summed: gast.expr, outer: list) -> gast.expr:
    """The factors `_constant_factors` took out, put back around the sum."""
    for op, factor in reversed(outer):  # innermost first
        if op is None:
            summed = nodes.unary(gast.USub(), summed)
        else:
            summed = nodes.binop(summed, op.__class__(), factor)
    return summed
