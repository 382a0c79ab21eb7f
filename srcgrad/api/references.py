"""How an object that generated code was made from is found again in another process, and how to
tell that it is the same there: the locators and fingerprints of the cache on disk
(disk_cache.py).

A *locator* is a path to an object from a root that every process has: `["module:numpy",
["attr", "tanh"]]`; `["globals", ["item", "SCALE"]]`, the transformed function's own module
globals (so `__main__` in a script and `__mp_main__` in its spawned workers are one); `["self",
["cell", "k"]]`, a closure cell of the transformed function. A *fingerprint* says what an object
is in terms another process can check: a constant's type and repr, an array's dtype, shape and
sha256, a function's file, first line and qualified name (the file's text is hashed too), a
library object's module and qualified name. Anything else (an instance of a class of the user's,
a random generator, a function srcgrad made) is `Unstable`: code made from it is not cached.

Guarantees: `Walk.fingerprint` of equal constants is equal in every process, and of two objects
that are not interchangeable (another function, another array, another library object) is not;
what a recording walk reached of the user's code (the text of its files, a check per global or
closure value a reached function reads) is listed, for the loading process to check again.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import sys
import types

import numpy as np

from ..front.reading import MISSING, module_of
from ..normalize.yields import is_user_generator, list_builder

# the top-level modules whose objects are found by module and qualified name alone: their code
# is the installed version's (srcgrad's own files are part of the cache's key), never read
_LIBRARIES = frozenset(
    {"numpy", "scipy", "math", "builtins", "srcgrad", "operator", "gast", *sys.stdlib_module_names}
)
_CONSTANTS = (type(None), bool, int, float, complex, str, bytes)
LARGEST_ARRAY = 1 << 20  # bytes: a larger array the code was made from is not hashed, not cached
_MOST_VISITS = 256  # functions and classes a walk reaches before it gives up (not cached)


class Unstable(Exception):
    """An object another process cannot be shown to have too."""


def is_library(obj: object) -> bool:
    name = obj.__name__ if isinstance(obj, types.ModuleType) else module_of(obj)
    return name.split(".")[0] in _LIBRARIES


# ---- files ----------------------------------------------------------------------------------

_HASHED: dict[str, tuple[object, str]] = {}  # path -> (linecache's entry, sha256 of its text)


def file_hash(path: str) -> str:
    """The sha256 of the text srcgrad reads for a file (linecache's, as `reading.read` does,
    made again where the file changed since: an edit, a module reloaded)."""
    linecache.checkcache(path)
    lines = linecache.getlines(path)
    if not lines or not os.path.isfile(path):
        raise Unstable(path)  # (no file: typed at a prompt, exec'd, a notebook cell)
    entry = linecache.cache.get(path)
    stamp = (entry[0], entry[1], id(entry[2])) if entry else None
    known = _HASHED.get(path)
    if known is not None and known[0] == stamp and stamp is not None:
        return known[1]
    digest = hashlib.sha256("".join(lines).encode("utf-8", "surrogatepass")).hexdigest()
    _HASHED[path] = (stamp, digest)
    return digest


# ---- locators -------------------------------------------------------------------------------


def _item(current, key):
    if isinstance(current, types.ModuleType):
        current = vars(current)
    return current.get(key, MISSING) if isinstance(current, dict) else MISSING


def _cell(current, key):
    code = getattr(current, "__code__", None)
    if code is None or key not in code.co_freevars:
        return MISSING
    try:
        return current.__closure__[code.co_freevars.index(key)].cell_contents
    except ValueError:  # (an empty cell)
        return MISSING


def _default(current, key):
    defaults = getattr(current, "__defaults__", None) or ()
    return defaults[key] if isinstance(key, int) and 0 <= key < len(defaults) else MISSING


def _keyword_default(current, key):
    return (getattr(current, "__kwdefaults__", None) or {}).get(key, MISSING)


def _member(current, key):
    return vars(current).get(key, MISSING) if isinstance(current, type) else MISSING


def _builder(current, key):
    """The function srcgrad makes of a generator function of the user's: the list of what it
    yields (normalize/yields.py)."""
    return list_builder(current) if is_user_generator(current) else MISSING


_STEPS = {
    "builder": _builder,
    "item": _item,
    "attr": lambda current, key: getattr(current, key, MISSING),
    "cell": _cell,
    "default": _default,
    "kwdefault": _keyword_default,
    "member": _member,
}


def resolve(locator: list, fn: types.FunctionType) -> object:
    """The object `locator` finds from `fn` (the transformed function) in this process, or
    MISSING. Modules are looked for among those imported: finding an object imports nothing."""
    root, *steps = locator
    if root == "self":
        current: object = fn
    elif root == "globals":
        current = fn.__globals__
    elif isinstance(root, str) and root.startswith("module:"):
        current = sys.modules.get(root[len("module:") :], MISSING)
    else:
        return MISSING
    for kind, key in steps:
        if current is MISSING:
            return MISSING
        current = _STEPS[kind](current, key)
    return current


# ---- fingerprints ---------------------------------------------------------------------------


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


class Walk:
    """Fingerprints of objects (`fingerprint`); a recording walk also lists what the code
    depends on beside them (`files`: path -> sha256; `checks`: `[locator, fingerprint]` of each
    global, closure value and default that a function of the user's it reached reads)."""

    def __init__(self, fn: types.FunctionType, recording: bool = False):
        self.fn = fn
        self.recording = recording
        self.files: dict[str, str] = {}
        self.checks: list = []
        self._seen: set[int] = set()
        self._checked: set[str] = set()

    def fingerprint(self, value: object, locator: list | None, deep: bool) -> list:
        """What `value` is. `deep`: an array by its contents (else by dtype and shape), and
        nothing by its type alone (else an object of a findable class by that class)."""
        kind = type(value)
        if value is MISSING:
            return ["missing"]
        if kind in _CONSTANTS:
            return [kind.__name__, repr(value)]
        if kind in (tuple, list):
            return [kind.__name__, [self.fingerprint(v, None, deep) for v in value]]
        if kind is dict:
            items = value.items()
            return ["dict", [[self.fingerprint(k, None, deep), self.fingerprint(v, None, deep)]
                             for k, v in items]]  # fmt: skip
        if kind in (set, frozenset):
            return [kind.__name__, sorted(repr(self.fingerprint(v, None, deep)) for v in value)]
        if kind is np.ndarray or isinstance(value, (np.generic, np.dtype)):
            return _numpy(value, deep)
        if isinstance(value, types.ModuleType):
            if sys.modules.get(value.__name__) is not value:
                raise Unstable(value)
            return ["module", value.__name__]
        if isinstance(value, types.CodeType):
            return ["code", self._file(value.co_filename), value.co_firstlineno, value.co_name]
        if isinstance(value, types.FunctionType) and not is_library(value):
            self._visit_function(value, locator)
            code = value.__code__
            return ["function", self._file(code.co_filename), code.co_firstlineno,
                    value.__qualname__]  # fmt: skip
        if isinstance(value, type) and not is_library(value):
            path = self._file(getattr(sys.modules.get(value.__module__), "__file__", None))
            self._visit_class(value, locator)
            return ["class", path, value.__qualname__]
        return self._other(value, locator, deep)

    def _other(self, value, locator, deep) -> list:
        kind = type(value)
        if kind is types.MethodType:
            inner = [*locator, ["attr", "__func__"]] if locator else None
            return ["method", self.fingerprint(value.__self__, None, deep),
                    self.fingerprint(value.__func__, inner, deep)]  # fmt: skip
        if kind in (staticmethod, classmethod):
            inner = [*locator, ["attr", "__func__"]] if locator else None
            return [kind.__name__, self.fingerprint(value.__func__, inner, deep)]
        if kind is property:
            parts = [
                self.fingerprint(getattr(value, part), [*locator, ["attr", part]] if locator else None, deep)
                for part in ("fget", "fset", "fdel")
            ]  # fmt: skip
            return ["property", parts]
        found = library_locator(value)
        if found is not None:
            return ["object", *found]
        if deep or isinstance(value, type):
            raise Unstable(value)
        return ["instance", self.fingerprint(kind, None, False)]

    def _file(self, path: str | None) -> str:
        if not isinstance(path, str):
            raise Unstable(path)
        digest = file_hash(path)
        if self.recording:
            self.files[os.path.abspath(path)] = digest
        return os.path.abspath(path)

    def _seen_before(self, obj: object) -> bool:
        if not self.recording or id(obj) in self._seen:
            return True
        self._seen.add(id(obj))
        if len(self._seen) > _MOST_VISITS:
            raise Unstable("too much code to follow")
        return False

    def _visit_function(self, g: types.FunctionType, locator: list | None) -> None:
        """What `g` reads: its file's text, and each global, closure value and default."""
        if self._seen_before(g):
            return
        names = _code_names(g.__code__)
        root = self.globals_root(g.__globals__)
        for name in sorted(names & g.__globals__.keys()):
            if root is None:
                raise Unstable(g)
            value = g.__globals__[name]
            self.check([root, ["item", name]], value)
            if isinstance(value, types.ModuleType) and not is_library(value):
                members = vars(value)  # (`helpers.h`: the attributes it may read)
                for attribute in sorted(names & members.keys()):
                    self.check(
                        [f"module:{value.__name__}", ["item", attribute]], members[attribute]
                    )
        held = [
            *(("cell", name, contents) for name, contents in _cells(g) if name != "__class__"),
            *(("default", i, d) for i, d in enumerate(g.__defaults__ or ())),
            *(("kwdefault", k, d) for k, d in (g.__kwdefaults__ or {}).items()),
        ]
        locator = locator or (self._quietly_located(g) if held else None)
        for kind, key, value in held:
            if locator is None:
                raise Unstable(g)
            self.check([*locator, [kind, key]], value)

    def _visit_class(self, cls: type, locator: list | None) -> None:
        """A class of the user's: its bases and the functions it holds."""
        if self._seen_before(cls):
            return
        locator = locator or self._quietly_located(cls)
        for base in cls.__mro__[1:]:
            if not is_library(base):
                self.fingerprint(base, None, False)
        for name, member in sorted(vars(cls).items()):
            if isinstance(member, (types.FunctionType, staticmethod, classmethod, property)):
                if locator is None:
                    self.fingerprint(member, None, False)
                else:
                    self.check([*locator, ["member", name]], member)

    def _quietly_located(self, obj: object) -> list | None:
        try:
            return self.locate(obj, [])
        except Unstable:
            return None

    def check(self, locator: list, value: object) -> None:
        if repr(locator) not in self._checked:
            self._checked.add(repr(locator))
            self.checks.append([locator, self.fingerprint(value, locator, False)])

    def globals_root(self, namespace: dict) -> str | None:
        """The root of a locator into a module's globals: the transformed function's own, or a
        module's that is imported."""
        if namespace is self.fn.__globals__:
            return "globals"
        name = namespace.get("__name__")
        module = sys.modules.get(name) if isinstance(name, str) else None
        if module is not None and vars(module) is namespace:
            return f"module:{name}"
        return None

    def locate(self, obj: object, located: list[tuple[object, list]]) -> list:
        """A locator of `obj`: the transformed function itself, the value of a name the code
        was made from (`located`), a module, or a module's object by its qualified name."""
        if obj is self.fn:
            return ["self"]
        for value, locator in located:
            if value is obj:
                return locator
        if isinstance(obj, types.ModuleType) and sys.modules.get(obj.__name__) is obj:
            return [f"module:{obj.__name__}"]
        parts = _qualified(obj)
        if parts is None:
            raise Unstable(obj)
        module, qualname = parts
        names = qualname.split(".")
        candidates = [[f"module:{module}", *(["attr", n] for n in names)]]
        if module == module_of(self.fn):  # (its own module first: `__main__` in a script)
            candidates.insert(0, ["globals", ["item", names[0]], *(["attr", n] for n in names[1:])])
        for locator in candidates:
            found = resolve(locator, self.fn)
            if found is obj:
                return locator
            if isinstance(found, property) and found.fget is obj:
                return [*locator, ["attr", "fget"]]
            if hasattr(obj, "__srcgrad_tree__") and _builder(found, None) is obj:
                return [*locator, ["builder", None]]
        raise Unstable(obj)


def _cells(g: types.FunctionType) -> list[tuple[str, object]]:
    found = []
    for name, cell in zip(g.__code__.co_freevars, g.__closure__ or ()):
        try:
            found.append((name, cell.cell_contents))
        except ValueError:
            found.append((name, MISSING))
    return found


def _numpy(value, deep: bool) -> list:
    if isinstance(value, np.dtype):
        if value.fields is not None or value.hasobject:
            raise Unstable(value)
        return ["dtype", value.str]
    if value.dtype.hasobject or value.dtype.fields is not None:
        raise Unstable(value)
    if isinstance(value, np.generic):
        return ["scalar", type(value).__name__, value.dtype.str, value.tobytes().hex()]
    if not deep:
        return ["ndarray", value.dtype.str, list(value.shape)]
    if value.nbytes > LARGEST_ARRAY:
        raise Unstable("an array too large to hash")
    digest = hashlib.sha256(np.ascontiguousarray(value)).hexdigest()  # (its buffer: no copy)
    return ["ndarray", value.dtype.str, list(value.shape), digest]


def _qualified(obj: object) -> tuple[str, str] | None:
    """`(module, qualified name)` as the object says (a method descriptor's through its class)."""
    module = module_of(obj) or module_of(getattr(obj, "__objclass__", None))
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not module or not isinstance(qualname, str) or "<" in qualname:
        return None
    return module, qualname


def library_locator(obj: object) -> list | None:
    """`[module, qualified name]` of a library's object found under that name (NumPy's
    functions, srcgrad's runtime helpers, builtins), or None."""
    if not is_library(obj) and not is_library(getattr(obj, "__objclass__", None)):
        return None
    parts = _qualified(obj)
    if parts is None:
        return None
    current = sys.modules.get(parts[0], MISSING)
    for name in parts[1].split("."):
        current = getattr(current, name, MISSING)
    return list(parts) if current is obj else None
