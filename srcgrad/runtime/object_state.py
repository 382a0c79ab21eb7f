"""Checks, as the code runs, that what srcgrad reads of an object is what plain Python reads.

`not_cached(obj, name)`: a `functools.cached_property` is read through its getter
(normalize/objects.py), which gives the value the property would cache; where the object holds a
value of that name already (cached before, or set), plain Python reads that value instead, and
the read is refused at the user's line.
"""

from __future__ import annotations

from ..errors import UnsupportedSyntaxError
from .checks import calling_line


def not_cached(obj, name: str) -> None:
    held = getattr(obj, "__dict__", None)
    if isinstance(held, dict) and name in held:
        raise UnsupportedSyntaxError(
            f"reading the cached property '{name}' of a {type(obj).__name__} that holds a "
            "value of it already (cached or set before the call) is not supported: srcgrad "
            "cannot tell how that value depends on the differentiated ones",
            calling_line(),
            f"make '{name}' a @property, or read it from an object that has not cached it",
        )


not_cached.opaque = True  # (called as it is, never read: it computes nothing)
