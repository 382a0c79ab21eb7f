"""What the reverse sweep knows of each adjoint where it is: one value per name.

A name absent from the table has the adjoint zero: no path from here to the output has used its
value yet (JAX's symbolic `Zero`), and nothing is computed for it. Otherwise its adjoint is

* `Uniform(value)`: one number (`value`, a constant or a name that holds a number) repeated over
  the shape of the name's value. The adjoint of `np.sum(x)` is 1.0 everywhere; the array is made
  (`np.full_like`) only where something needs it.
* `Array(owned)`: the value held by the adjoint's name, `dx`. `owned`: srcgrad made that array
  and no other name holds it, so a later contribution may add to it in place.
* `Masked(mask, inner)`: `inner`, known to be exactly zero wherever `np.where(condition, ...)`
  chose the other branch (`mask` is `(condition, chosen)`). The elementwise steps before it keep
  those zeros, which gives the finite gradient of `np.where(x > 0, np.sqrt(x), 0.0)` that the
  user means (the classic NaN trap: sqrt's derivative at negative x is nan, and nan * 0 is nan).

The table changes only through its methods, so the facts about a name never disagree with each
other; the sweep copies it where control flow splits and joins the copies where it meets.
"""

from __future__ import annotations

from dataclasses import dataclass

import gast


@dataclass(frozen=True, eq=False)
class Uniform:
    value: gast.expr  # a number: a constant, or a name no one rebinds that holds one


@dataclass(frozen=True, eq=False)
class Array:
    owned: bool = False


@dataclass(frozen=True, eq=False)
class Masked:
    mask: tuple  # (condition, chosen): the adjoint is 0.0 where np.where chose the other value
    inner: Uniform | Array


State = Uniform | Array | Masked


def _unmasked(state: State) -> Uniform | Array:
    return state.inner if isinstance(state, Masked) else state


class AdjointTable:
    """Name -> `State` of its adjoint; absent means zero."""

    def __init__(self, states: dict[str, State] | None = None):
        self._states: dict[str, State] = dict(states or {})

    def copy(self) -> AdjointTable:
        return AdjointTable(self._states)

    def __contains__(self, name: str) -> bool:
        return name in self._states

    def names(self) -> set[str]:
        return set(self._states)

    def get(self, name: str) -> State | None:
        return self._states.get(name)

    def uniform(self, name: str) -> gast.expr | None:
        """The number a uniform adjoint repeats, or None."""
        state = self._states.get(name)
        inner = _unmasked(state) if state is not None else None
        return inner.value if isinstance(inner, Uniform) else None

    def uniform_names(self) -> list[str]:
        return sorted(name for name in self._states if self.uniform(name) is not None)

    def owned(self, name: str) -> bool:
        state = self._states.get(name)
        inner = _unmasked(state) if state is not None else None
        return isinstance(inner, Array) and inner.owned

    def owned_names(self) -> set[str]:
        return {name for name in self._states if self.owned(name)}

    def mask(self, name: str) -> tuple | None:
        state = self._states.get(name)
        return state.mask if isinstance(state, Masked) else None

    # ---- changes --------------------------------------------------------------------------

    def set_uniform(self, name: str, value: gast.expr) -> None:
        self._states[name] = Uniform(value)

    def set_array(self, name: str, owned: bool = False) -> None:
        self._states[name] = Array(owned)

    def materialized(self, name: str) -> None:
        """A uniform adjoint now held as an array, srcgrad's own (its mask, if any, holds)."""
        self.set_owned(name)

    def set_owned(self, name: str) -> None:
        """The adjoint is now an array srcgrad made that no other name holds (its mask, if any,
        still holds: zeroing more of it keeps the zeros)."""
        mask = self.mask(name)
        self._states[name] = Masked(mask, Array(True)) if mask is not None else Array(True)

    def contributed_in_place(self, name: str) -> None:
        """Something was added to part of the adjoint's array (`dx[i] += g`): it stays an
        array of srcgrad's own, but may no longer be zero where a mask said it was."""
        self._states[name] = Array(self.owned(name))

    def pop(self, name: str) -> State | None:
        """The adjoint is used up (its statement is reversed): zero from here on."""
        return self._states.pop(name, None)

    def discard_all(self, names) -> None:
        for name in names:
            self._states.pop(name, None)

    def shared(self, name: str) -> None:
        """The adjoint's array is handed to another name as it is: no longer owned."""
        state = self._states.get(name)
        if state is not None and self.owned(name):
            inner = Array(False)
            self._states[name] = Masked(state.mask, inner) if isinstance(state, Masked) else inner

    def set_mask(self, name: str, mask: tuple) -> None:
        self._states[name] = Masked(mask, _unmasked(self._states[name]))

    def drop_masks(self) -> None:
        """Forget every mask: a mask describes one value of a name, and in a loop the name
        takes a value per step."""
        self._states = {name: _unmasked(state) for name, state in self._states.items()}

    def __repr__(self) -> str:
        return f"AdjointTable({self._states!r})"
