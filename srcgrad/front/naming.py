"""Names in generated code: adjoints `dx`, tangents `x_dot`, temporaries `_t1`, never a collision.

`Names` is built from every name the user's function mentions and every global of its module,
and hands out fresh names that collide with none of them and with none it handed out before.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable


class Names:
    def __init__(self, taken: Iterable[str]):
        self.taken = set(taken)
        self._adjoints: dict[str, str] = {}
        self._tangents: dict[str, str] = {}
        self._temps = itertools.count(1)
        self.generated: set[str] = set()  # names srcgrad made up: temporaries and adjoints
        self._spelled: dict[str, str] = {}  # a new name of a user's name (x_1) -> that name

    def is_free(self, name: str) -> bool:
        # a module global the function does not read may be shadowed: the generated code
        # reads only what the function reads (in `taken`) and the names srcgrad gave out
        return name not in self.taken

    def fresh(self, base: str) -> str:
        """`base` itself if free, else `base_1`, `base_2`, ... (a trailing `_` is kept as is)."""
        candidate = base
        counter = itertools.count(1)
        while not self.is_free(candidate):
            candidate = f"{base}_{next(counter)}"
        self.taken.add(candidate)
        return candidate

    def renamed(self, name: str) -> str:
        """A new name for the user's `name` where it is assigned again (`x_1`)."""
        new = self.fresh(name)
        self._spelled[new] = self.user(name)
        return new

    def user(self, name: str) -> str:
        """The name as the user wrote it (`x` for `x_1`), for messages."""
        return self._spelled.get(name, name)

    def temporary(self) -> str:
        while True:
            candidate = f"_t{next(self._temps)}"
            if self.is_free(candidate):
                self.taken.add(candidate)
                self.generated.add(candidate)
                return candidate

    def adjoint(self, name: str) -> str:
        """The adjoint of `x` is `dx`; `_t1`'s is `d_t1`."""
        if name not in self._adjoints:
            self._adjoints[name] = self.fresh(f"d{name}")
            self.generated.add(self._adjoints[name])
        return self._adjoints[name]

    def has_adjoint(self, name: str) -> bool:
        return name in self._adjoints

    def primal_of(self, adjoint: str) -> str | None:
        """The name whose adjoint `adjoint` is, if it is one."""
        for name, held in self._adjoints.items():
            if held == adjoint:
                return name
        return None

    def adjoints_all(self) -> set[str]:
        return set(self._adjoints.values())

    def adjoints_of_user_names(self) -> set[str]:
        """The adjoints of the user's own variables (not of srcgrad's temporaries)."""
        return {adj for name, adj in self._adjoints.items() if name not in self.generated}

    def tangent(self, name: str) -> str:
        """The tangent of `x` is `x_dot`; `_t1`'s is `_t1_dot`."""
        if name not in self._tangents:
            self._tangents[name] = self.fresh(f"{name}_dot")
            self.generated.add(self._tangents[name])
        return self._tangents[name]

    def tangents_all(self) -> set[str]:
        return set(self._tangents.values())

    def tangents_of_user_names(self) -> set[str]:
        return {t for name, t in self._tangents.items() if name not in self.generated}


class Support:
    """Names for the objects that generated code calls but the user's code did not name.

    A rule that says `np.cos(x)` needs numpy in the generated code: the user's own alias is used
    when their module has one (`xp.cos(x)`), else the rule's spelling if it is free, else a fresh
    name. Objects that need a new name are handed to the loader in `injected`.
    """

    def __init__(self, names: Names, namespace, local_names: set[str]):
        self.names = names
        self.local_names = local_names
        self.namespace = namespace  # what names denote for the user's function
        self.injected: dict[str, object] = {}
        self._chosen: dict[int, str] = {}

    def name_for(self, obj: object, preferred: str) -> str:
        key = id(obj)
        if key in self._chosen:
            return self._chosen[key]
        aliases = [k for k, v in self.namespace.globals.items() if v is obj and k != preferred]
        for candidate in (preferred, *sorted(aliases, key=len)):
            if candidate not in self.local_names and self.namespace.lookup(candidate) is obj:
                self._chosen[key] = candidate
                return candidate
        name = self.names.fresh(preferred)
        self.injected[name] = obj
        self._chosen[key] = name
        return name
