"""The types the public API is annotated with (srcgrad ships `py.typed`).

`P` stands for the parameters of the user's function, so that `grad(f)` is called as `f` is:
a type checker flags `grad(f)(x, y)` where `f` takes one argument. Values and gradients are
arrays, numbers or trees of them, whose types depend on the call: they are `Any`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ParamSpec, TypeAlias, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# an argument index or name, or a sequence of them (then the result is a tuple)
Wrt: TypeAlias = int | str | Sequence[int | str]
