"""Analyse stage, leaves: whether a parameter tree argument may hold complex numbers.

A list, tuple, dict or object argument's signature (`shapes.Structured`) says its structure,
not its leaves' dtypes; `analyse.reals` must still know where complex numbers come from, or a
real argument multiplied by a complex leaf (`x * p["c"]`) gets a complex "gradient". So the
signature also says whether any leaf may be complex, and code made for real leaves is never
used for complex ones.

Guarantees: `may_hold_complex(value)` is False only where every leaf (an array, a number, a
NumPy scalar) of `value`'s lists, tuples, dicts and records (`runtime.containers.is_record`)
is of a real dtype or not a number at all (a string, None, a function, an object whose
attributes are not a record's); True where one is complex, and where the tree is too large
to look at each leaf (`LIMIT`), so that its code takes real parts as the code runs.
"""

from __future__ import annotations

import functools

import numpy as np

from ..runtime.containers import is_record, record_fields

LIMIT = 1 << 14  # parts looked at: a larger tree may hold complex numbers

_REAL_LEAVES = (float, int, bool, str, type(None))


def may_hold_complex(value) -> bool:
    """Whether a leaf of the tree `value` may be complex (see the module)."""
    try:
        return _Walk().holds(value)
    except (OverflowError, RecursionError):
        return True


class _Walk:
    """One look at a tree's leaves, each part once (an object may refer to itself)."""

    def __init__(self):
        self.budget = LIMIT
        self.seen: set[int] = set()

    def holds(self, value) -> bool:
        kind = type(value)
        if kind in _REAL_LEAVES:
            return False
        if kind is np.ndarray:
            return value.dtype.kind == "c"
        if id(value) in self.seen:
            return False
        self.seen.add(id(value))
        if kind is dict:
            return self.any(value.values())
        if kind is list or kind is tuple:
            return self.any(value)
        return self._other(value)

    def any(self, parts) -> bool:
        """Whether one of `parts` may be complex (arrays and numbers looked at here: a
        container of many of them is the common large tree)."""
        self.budget -= len(parts)
        if self.budget < 0:
            raise OverflowError
        for part in parts:
            kind = type(part)
            if kind is np.ndarray:
                if part.dtype.kind == "c":
                    return True
            elif kind not in _REAL_LEAVES and self.holds(part):
                return True
        return False

    def _other(self, value) -> bool:
        if isinstance(value, dict):
            return self.any(list(value.values()))
        if isinstance(value, (list, tuple)):
            return self.any(value)
        if isinstance(value, complex):
            return True
        if isinstance(value, functools.partial):  # (a closure's values: those it holds)
            return self.any([*value.args, *value.keywords.values()])
        try:  # (a NumPy scalar, another library's array; a property of anything else)
            dtype = getattr(value, "dtype", None)
        except Exception:
            dtype = None
        if dtype is not None and not callable(dtype):
            return getattr(dtype, "kind", None) == "c"
        if is_record(value):
            return self.any(list(record_fields(value).values()))
        return False
