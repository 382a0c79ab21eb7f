"""Rules for reductions: sum, mean, prod, max and min, with `axis` and `keepdims`."""

import numpy as np

from ..runtime import choose_adjoint, expand_to, mean_count, product_of_others
from .registry import adjoint, variant


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


def _whole_array(facts) -> bool:
    return facts.floating and facts.constant("axis") is None


def _size(facts):
    shape = facts.shape("a")
    return None if shape is None else max(int(np.prod(shape)), 1)


def _like(facts):
    return facts.like("a")


@variant(np.sum, when=_whole_array, like=_like)
def sum_all(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, like):
    return np.full_like(like, g)


@variant(np.mean, when=_whole_array, count=_size, like=_like)
def mean_all(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, count, like):
    return np.full_like(like, g / count)
