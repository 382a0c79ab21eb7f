"""Parameter trees at the public layer: the numbers and arrays ("leaves") that a list, tuple,
dict, namedtuple, dataclass or SimpleNamespace argument holds, in a fixed order, and trees of
the same structure rebuilt around new leaves. `jacobian`, `hessian` and `hvp` use them to take
derivatives with respect to a tree one leaf element at a time.

Parts that are not numbers (a name, a function, None) are static: they are kept as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..runtime.containers import is_record, record_fields, record_like


def is_tree(value) -> bool:
    return isinstance(value, (list, tuple, dict)) or is_record(value)


def _is_leaf(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float, np.ndarray, np.generic))


def leaves(tree) -> list:
    """The leaves of `tree` in order (a leaf is a tree of one leaf)."""
    if _is_leaf(tree):
        return [tree]
    if isinstance(tree, dict):
        return [leaf for part in tree.values() for leaf in leaves(part)]
    if isinstance(tree, (list, tuple)):
        return [leaf for part in tree for leaf in leaves(part)]
    if is_record(tree):
        return [leaf for part in record_fields(tree).values() for leaf in leaves(part)]
    return []  # a static part


def rebuild(tree, new: Iterator):
    """`tree` with each leaf replaced by the next of `new`."""
    if _is_leaf(tree):
        return next(new)
    if isinstance(tree, dict):
        return {key: rebuild(part, new) for key, part in tree.items()}
    if isinstance(tree, (list, tuple)):
        parts = [rebuild(part, new) for part in tree]
        if hasattr(tree, "_fields"):
            return type(tree)(*parts)
        return tuple(parts) if isinstance(tree, tuple) else parts
    if is_record(tree):
        return record_like(tree, {k: rebuild(v, new) for k, v in record_fields(tree).items()})
    return tree


def mapped(fn: Callable, tree):
    """`tree` with each leaf replaced by `fn(leaf)`."""
    return rebuild(tree, (fn(leaf) for leaf in leaves(tree)))


def same_structure(a, b) -> bool:
    """`a` and `b` are trees of the same types, keys and leaf shapes."""
    if _is_leaf(a) or _is_leaf(b):
        return _is_leaf(a) and _is_leaf(b) and np.shape(a) == np.shape(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    if is_record(a):
        fa, fb = record_fields(a), record_fields(b)
        return fa.keys() == fb.keys() and all(same_structure(fa[k], fb[k]) for k in fa)
    return True
