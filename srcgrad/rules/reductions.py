"""Rules for reductions, both modes: sum, mean, prod, max and min with `axis` and `keepdims`,
their NaN-skipping forms (`nansum` ... `nanmin`), and the running ones (`cumsum`, `nancumsum`,
`cumprod`).

Adjoints of reductions are spread back over the reduced axes with `expand_to`; a reduction's
tangent is the reduction of the input's tangent weighted by each element's share, the same
shares the reverse rules spread an adjoint by (ties shared, NaN skipped). Sums and means are
`linear`: the tangent is the user's own call on the tangent.
"""

import numpy as np

from ..runtime import choose_adjoint, expand_to, mean_count, product_of_others
from .registry import adjoint, linear, tangent, variant


def reduced_shape(a, *others, axis=None, dtype=None, out=None, keepdims=False, **_):
    """The shape of a reduction of an array shaped `a` (for the shape analysis); `others`, the
    shapes of the rule's other differentiable operands (np.var's ddof), do not matter."""
    if axis is None:
        return tuple(1 for _ in a) if keepdims else ()
    axes = {ax % len(a) for ax in ((axis,) if isinstance(axis, int) else axis)}
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(a))
    return tuple(n for i, n in enumerate(a) if i not in axes)


# ---- sum, mean, prod, max and min ----------------------------------------------------------------


@linear(np.sum, shape=reduced_shape)
def sum_(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims)


@linear(np.mean, shape=reduced_shape)
def mean(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g / mean_count(a, axis), a, axis, keepdims)


@adjoint(np.prod, shape=reduced_shape)
def prod(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * product_of_others(a, axis)


@tangent(np.prod)
def prod_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(a_dot * product_of_others(a, axis), axis=axis, keepdims=keepdims)


@adjoint(np.max, np.amax, shape=reduced_shape)
def max_(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


@adjoint(np.min, np.amin, shape=reduced_shape)
def min_(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


# ties share the tangent equally, as they share the adjoint
@tangent(np.max, np.amax, np.min, np.amin)
def extreme_tangent(ans, a, axis=None, out=None, keepdims=False):
    share = choose_adjoint(np.ones_like(ans, dtype=float), ans, a, axis, keepdims)
    return np.sum(a_dot * share, axis=axis, keepdims=keepdims)


# ---- variants: what a hand-written gradient says, where the transform knows enough ---------------
# `like` is a value already computed with the input's shape (often the input itself), `count`
# the number of elements a mean averages, both worked out at transform time.


def _constant_axes(facts) -> bool:
    known = facts.constant("axis") is not facts.UNKNOWN and facts.constant("keepdims") in (
        True,
        False,
    )
    return facts.floating and known


def _dims_kept(facts) -> bool:
    return _constant_axes(facts) and (facts.constant("axis") is None or facts.constant("keepdims"))


def _dims_dropped(facts) -> bool:
    return _constant_axes(facts) and not _dims_kept(facts)


def _like(facts):
    return facts.like("a")


def _count(facts):
    shape = facts.shape("a")
    if shape is None:
        return None
    axis = facts.constant("axis")
    if axis is None:
        return max(int(np.prod(shape)), 1)
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[ax] for ax in axes]))


def _scalar(facts) -> bool:
    return facts.shape("a") == () and facts.constant("axis") is None


def _extreme_kept(facts) -> bool:
    """max/min whose result keeps the reduced axes (or reduces everything): the result
    broadcasts against the input as it is."""
    keepdims = facts.constant("keepdims")
    axis = facts.constant("axis")
    return facts.floating and axis is not facts.UNKNOWN and (axis is None or keepdims is True)


def _extreme_kept_array(facts) -> bool:
    return _extreme_kept(facts) and bool(facts.shape("a"))


# ties share the adjoint equally, as in choose_adjoint; `a == ans` is an array when `a` is one,
# and its own sum costs half np.sum's
@variant(np.max, np.amax, np.min, np.amin, when=_extreme_kept_array)
def extreme_kept_array(g, ans, a, axis=None, out=None, keepdims=False):
    hits = a == ans
    return g * hits / hits.sum(axis=axis, keepdims=True)


@variant(np.max, np.amax, np.min, np.amin, when=_extreme_kept)
def extreme_kept(g, ans, a, axis=None, out=None, keepdims=False):
    hits = a == ans
    return g * hits / np.sum(hits, axis=axis, keepdims=True)


@variant(np.sum, np.mean, when=_scalar)
def reduce_scalar(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return g


@variant(np.sum, when=_dims_kept, like=_like)
def sum_kept(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, like):
    return np.full_like(like, g)


@variant(np.sum, when=_dims_dropped, like=_like)
def sum_dropped(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, like):
    return np.full_like(like, np.expand_dims(g, axis))


@variant(np.mean, when=_dims_kept, count=_count, like=_like)
def mean_kept(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, count, like):
    return np.full_like(like, g / count)


@variant(np.mean, when=_dims_dropped, count=_count, like=_like)
def mean_dropped(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, count, like):
    return np.full_like(like, np.expand_dims(g, axis) / count)


# ---- reductions that skip NaN: the tangent at a NaN counts for nothing ---------------------------


def present_count(a, axis=None):
    """How many elements of each slice along `axis` are not NaN (dims kept, `a`'s float type)."""
    return np.sum(~np.isnan(a), axis=axis, keepdims=True, dtype=np.result_type(a, 1.0))


@adjoint(np.nansum, shape=reduced_shape)
def nansum(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, expand_to(g, a, axis, keepdims))


@tangent(np.nansum)
def nansum_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims)


@adjoint(np.nanmean, shape=reduced_shape)
def nanmean(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, expand_to(g, a, axis, keepdims) / present_count(a, axis))


# A slice of NaN alone has the tangent 0, as its elements have the adjoint 0 in reverse.
@tangent(np.nanmean)
def nanmean_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    share = np.where(np.isnan(a), 0.0, a_dot / present_count(a, axis))
    return np.sum(share, axis=axis, keepdims=keepdims)


@adjoint(np.nanprod, shape=reduced_shape)
def nanprod(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    others = product_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.where(np.isnan(a), 0.0, expand_to(g, a, axis, keepdims) * others)


@tangent(np.nanprod)
def nanprod_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    others = product_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.sum(np.where(np.isnan(a), 0.0, a_dot * others), axis=axis, keepdims=keepdims)


# NaN equals nothing, so the max/min adjoint already skips it.
@adjoint(np.nanmax, shape=reduced_shape)
def nanmax(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


@adjoint(np.nanmin, shape=reduced_shape)
def nanmin(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


# NaN equals nothing, so it is never among the elements that share the extreme.
@tangent(np.nanmax, np.nanmin)
def nan_extreme_tangent(ans, a, axis=None, out=None, keepdims=False):
    share = choose_adjoint(np.ones_like(ans, dtype=np.result_type(a, 1.0)), ans, a, axis, keepdims)
    return np.sum(a_dot * share, axis=axis, keepdims=keepdims)


# ---- cumulative ----------------------------------------------------------------------------------


def cumulative_shape(a, axis=None, dtype=None, out=None):
    """The shape of a cumulative sum or product of an array shaped `a`."""
    return (int(np.prod(a)),) if axis is None else tuple(a)


# The adjoint of a running sum is the running sum of g taken from the other end. Without an
# axis the input was flattened, so the adjoint is reshaped back.
@linear(np.cumsum, shape=cumulative_shape)
def cumsum(g, ans, a, axis=None, dtype=None, out=None):
    return np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), np.shape(a))


def _along_an_axis(facts) -> bool:
    return isinstance(facts.constant("axis"), int)


@variant(np.cumsum, when=_along_an_axis)
def cumsum_along(g, ans, a, axis=None, dtype=None, out=None):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _flattened(facts) -> bool:
    return facts.constant("axis") is None


@variant(np.cumsum, when=_flattened)
def cumsum_flattened(g, ans, a, axis=None, dtype=None, out=None):
    return np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(a))


@adjoint(np.nancumsum, shape=cumulative_shape)
def nancumsum(g, ans, a, axis=None, dtype=None, out=None):
    running = np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), np.shape(a))
    return np.where(np.isnan(a), 0.0, running)


@tangent(np.nancumsum)
def nancumsum_tangent(ans, a, axis=None, dtype=None, out=None):
    return np.cumsum(np.where(np.isnan(a), 0.0, a_dot), axis=axis)


def cumprod_adjoint(g, ans, a, axis=None):
    """Adjoint of `np.cumprod(a, axis)`, exact where `a` holds zeros.

    Along the axis ans[j] = a[0] ... a[j], so the adjoint of a[i] is before[i] * h[i], with
    before[i] = a[0] ... a[i - 1] and h[i] = g[i] + a[i + 1] h[i + 1] summed from the end.
    Without zeros that is the running sum of g * ans from the end, divided by a[i].
    """
    if axis is None:
        return np.reshape(cumprod_adjoint(g, ans, np.ravel(a), 0), np.shape(a))
    if np.all(a != 0):
        return np.flip(np.cumsum(np.flip(g * ans, axis), axis), axis) / a
    x = np.moveaxis(a, axis, -1)
    h = np.copy(np.moveaxis(g, axis, -1))
    for i in range(np.shape(x)[-1] - 2, -1, -1):
        h[..., i] = h[..., i] + x[..., i + 1] * h[..., i + 1]
    before = np.cumprod(np.concatenate([np.ones_like(x[..., :1]), x[..., :-1]], axis=-1), -1)
    return np.moveaxis(before * h, -1, axis)


@adjoint(np.cumprod, shape=cumulative_shape)
def cumprod(g, ans, a, axis=None, dtype=None, out=None):
    return cumprod_adjoint(g, ans, a, axis)


def running_product_tangent(a_dot, ans, a, axis=None):
    """Tangent of `np.cumprod(a, axis)`, exact where `a` holds zeros.

    Along the axis ans[j] = ans[j - 1] a[j], so its tangent is t[j] = t[j - 1] a[j] +
    ans[j - 1] a_dot[j], from t[0] = a_dot[0]. Without zeros that is ans times the running sum
    of a_dot / a.
    """
    if axis is None:
        return running_product_tangent(np.ravel(a_dot), ans, np.ravel(a), 0)
    if np.all(a != 0):
        return ans * np.cumsum(a_dot / a, axis)
    x = np.moveaxis(a, axis, -1)
    before = np.moveaxis(ans, axis, -1)
    t = np.array(np.moveaxis(a_dot, axis, -1), dtype=np.result_type(a_dot, ans, 1.0))
    for j in range(1, np.shape(x)[-1]):
        t[..., j] = t[..., j - 1] * x[..., j] + before[..., j - 1] * t[..., j]
    return np.moveaxis(t, -1, axis)


@tangent(np.cumprod)
def cumprod_tangent(ans, a, axis=None, dtype=None, out=None):
    return running_product_tangent(a_dot, ans, a, axis)
