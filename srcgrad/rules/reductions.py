"""Rules for reductions: sum, mean, prod, max and min, with `axis` and `keepdims`."""

import numpy as np

from ..runtime import choose_adjoint, expand_to, mean_count, product_of_others
from .registry import adjoint, linear, tangent, variant


def reduced_shape(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    """The shape of a reduction of an array shaped `a` (for the shape analysis)."""
    if axis is None:
        return tuple(1 for _ in a) if keepdims else ()
    axes = {ax % len(a) for ax in ((axis,) if isinstance(axis, int) else axis)}
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(a))
    return tuple(n for i, n in enumerate(a) if i not in axes)


@adjoint(np.sum, shape=reduced_shape)
def sum_(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims)


@adjoint(np.mean, shape=reduced_shape)
def mean(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g / mean_count(a, axis), a, axis, keepdims)


@adjoint(np.prod, shape=reduced_shape)
def prod(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * product_of_others(a, axis)


@adjoint(np.max, np.amax, shape=reduced_shape)
def max_(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


@adjoint(np.min, np.amin, shape=reduced_shape)
def min_(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


# ---- variants: what a hand-written gradient says, where the transform knows enough ----------
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


# ---- forward rules ---------------------------------------------------------------------------

linear(np.sum, np.mean)


@tangent(np.prod)
def prod_tangent(ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(a_dot * product_of_others(a, axis), axis=axis, keepdims=keepdims)


@tangent(np.max, np.amax, np.min, np.amin)
def extreme_tangent(ans, a, axis=None, out=None, keepdims=False):
    share = choose_adjoint(np.ones_like(ans, dtype=float), ans, a, axis, keepdims)
    return np.sum(a_dot * share, axis=axis, keepdims=keepdims)
