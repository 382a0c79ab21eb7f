"""What users write inside differentiated code to keep values out of the gradient.

`stop_gradient(x)` is `x`, with no derivative; `with no_grad():` runs its block as it is, and
none of its values carry a derivative (PyTorch's `torch.no_grad()`, decided from the code).
Both do nothing when the function runs undifferentiated.
"""

from __future__ import annotations

from typing import Literal, TypeVar

T = TypeVar("T")


def stop_gradient(x: T) -> T:
    """`x` itself; srcgrad gives it no derivative (the value is a constant to the gradient)."""
    return x


class no_grad:
    """`with srcgrad.no_grad():` — values computed in the block carry no derivative."""

    def __enter__(self) -> no_grad:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        return False
