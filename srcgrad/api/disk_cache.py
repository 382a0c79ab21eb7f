"""A cache of generated code on disk: a new process (a worker, a script run again) loads the code
an earlier one generated instead of transforming the function again.

An entry is one file, named by the sha256 of its *key*: srcgrad's version and the size and time
of each of its files, Python's, NumPy's and gast's versions, the user's own derivative rules,
the function (file, first line, qualified name), the mode, `wrt`, `check_finite` and the
argument signature. The entry holds that key in full, the generated text and its code object,
and what the code was made from, each in terms another process can check (references.py): every
name it resolved
(`Generated.bindings`: a global, closure cell or attribute, with a fingerprint of its value),
the text of every file of the user's code the function reaches, a check of each global those
functions read, and how to find again each object the code is given (`Support.injected`: a
library's object by module and qualified name, the transform of a callee through `Callees`).

Guarantees: an entry is used only when its checksum, its key and every check hold in the
loading process; the bindings of the `Generated` it gives are those of this process, so a
global rebound later makes the code again exactly as for code generated here. Anything that
cannot be checked or found again is not cached (no error): the function is transformed as
without the cache. It is code that will run, so the directory must be the user's own and
writable by no one else (else the cache is off, with one warning), and an entry that is
truncated, corrupted, foreign or not the user's own file is ignored and made again, never run.
Entries are written to a temporary file in the same directory and renamed into place, so
processes writing the same entry at once leave one whole entry.

The cache is off unless asked for: `SRCGRAD_CACHE=1` (or `srcgrad.set_disk_cache(True)`) turns
it on, `SRCGRAD_CACHE_DIR` names its directory (by default `$XDG_CACHE_HOME/srcgrad`, or
`~/.cache/srcgrad`); `srcgrad.set_disk_cache` overrides both. On a system without Unix users and
permissions (no `os.getuid`) the cache is off.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import linecache
import marshal
import os
import re
import stat
import types
import warnings

from ..errors import Origin
from ..front.context import Mode
from ..front.reading import MISSING, Binding
from ..pipeline import Generated
from ..runtime import checks
from . import cache_key
from .references import Unstable, Walk, file_hash, library_locator, resolve

FORMAT = cache_key.FORMAT
_MAGIC = FORMAT.encode() + b"\n"
_LARGEST_ENTRY = 1 << 24  # bytes: a larger file is not an entry of ours
_ON = {"1", "on", "true", "yes"}

_setting: tuple[bool, str | None] | None = None  # set_disk_cache's, else the environment's
_warned: set[str] = set()
errors: list[str] = []  # what went wrong unexpectedly (a bug of srcgrad's: nothing is cached)


def set_disk_cache(
    enabled: bool | None = True, directory: str | os.PathLike[str] | None = None
) -> None:
    """Turn the cache of generated code on disk on or off for this process, and say where it
    is (by default `$SRCGRAD_CACHE_DIR`, else `$XDG_CACHE_HOME/srcgrad` or `~/.cache/srcgrad`).
    `enabled=None` goes back to what the environment says (`SRCGRAD_CACHE=1`: on)."""
    global _setting
    _setting = (
        None
        if enabled is None
        else (bool(enabled), None if directory is None else os.fspath(directory))
    )


def directory() -> str | None:
    """The cache's directory, or None where the cache is off."""
    if _setting is not None:
        enabled, chosen = _setting
        if not enabled:
            return None
    else:
        if os.environ.get("SRCGRAD_CACHE", "").strip().lower() not in _ON:
            return None  # (off unless asked for: code kept across processes is opt-in)
        chosen = None
    chosen = chosen or os.environ.get("SRCGRAD_CACHE_DIR")
    if not chosen:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        chosen = os.path.join(base, "srcgrad")
    return os.path.abspath(chosen)


# ---- the directory: the user's own, written by no one else ----------------------------------


def _opened(path: str, create: bool) -> int | None:
    """A descriptor of the directory, checked: a directory of this user's that no one else may
    write to (else None, with one warning). Entries are opened relative to it."""
    if not hasattr(os, "getuid") or os.open not in os.supports_dir_fd:
        return None  # (no owners to check on this system: no cache)
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            fd = os.open(path, flags)
        except OSError:
            return None
    except OSError:
        return None
    found = os.fstat(fd)
    problem = None
    if not stat.S_ISDIR(found.st_mode):
        problem = "it is not a directory"
    elif found.st_uid != os.getuid():
        problem = f"it is owned by another user (uid {found.st_uid})"
    elif found.st_mode & 0o022:
        problem = f"group or others may write to it (mode {stat.filemode(found.st_mode)})"
    if problem is None:
        return fd
    os.close(fd)
    if path not in _warned:
        _warned.add(path)
        warnings.warn(
            f"srcgrad: the cache of generated code in {path} is not used: {problem}. Generated "
            "code runs, so srcgrad reads it only from a directory of your own that no one else "
            "may write to: set SRCGRAD_CACHE_DIR to one (or SRCGRAD_CACHE=0 to turn the cache off)",
            RuntimeWarning,
            stacklevel=2,
        )
    return None


def entry_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest() + ".srcgrad"


def encoded(body: dict) -> bytes:
    """An entry's bytes: the format line, the sha256 of the payload, the payload (JSON)."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    return _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _read(path: str, key: str) -> dict | None:
    """The entry of `key`, if there is a whole one of this user's whose key is `key`."""
    folder = _opened(path, create=False)
    if folder is None:
        return None
    try:
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)  # (no link, no pipe)
        fd = os.open(entry_name(key), flags | getattr(os, "O_CLOEXEC", 0), dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    with os.fdopen(fd, "rb") as file:
        found = os.fstat(file.fileno())
        if (
            not stat.S_ISREG(found.st_mode)
            or found.st_uid != os.getuid()
            or found.st_mode & 0o022
            or found.st_size > _LARGEST_ENTRY
        ):
            return None
        data = file.read(found.st_size + 1)
    magic, _, rest = data.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if magic + b"\n" != _MAGIC or hashlib.sha256(payload).hexdigest().encode() != digest:
        return None  # (truncated, corrupted or not an entry)
    body = json.loads(payload)
    return body if isinstance(body, dict) and body.get("key") == key else None


def _write(path: str, key: str, body: dict) -> None:
    """Write the entry to a new temporary file beside it, then rename it into place."""
    folder = _opened(path, create=True)
    if folder is None:
        return
    name = entry_name(key)
    temporary = f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(temporary, flags, 0o600, dir_fd=folder)
        with os.fdopen(fd, "wb") as file:
            file.write(encoded(body))
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        with contextlib.suppress(OSError):  # (nothing left behind)
            os.unlink(temporary, dir_fd=folder)
    finally:
        os.close(folder)


def forget() -> None:
    """A rule was registered: the part of the key that lists the user's rules is made again."""
    cache_key.forget()


# ---- store ----------------------------------------------------------------------------------


def store(transform, signature: tuple, mode: Mode, check_finite: bool, callees, made) -> None:
    """Keep `made` (just generated for `signature`) on disk, if every object its code was made
    from can be found again and checked in another process."""
    path = directory()
    if path is None:
        return
    try:
        key = cache_key.key_of(transform, signature, mode, check_finite)
        body = _entry(transform.fn, signature, mode, made, callees)
    except Unstable:
        return
    except Exception as exc:  # (a bug of srcgrad's: the code made is right, it is not kept)
        errors[:] = [*errors[-9:], f"{type(exc).__name__}: {exc}"]
        return
    body["key"] = key
    _write(path, key, body)


def _entry(fn: types.FunctionType, signature: tuple, mode: Mode, made: Generated, callees) -> dict:
    """The entry's body (all but its key), or Unstable."""
    function = made.function
    if (
        not isinstance(function, types.FunctionType)
        or getattr(function, "source", None) != made.source
    ):
        raise Unstable("a wrapped function")  # (dask's guard)
    walk = Walk(fn, recording=True)
    walk.fingerprint(fn, ["self"], False)
    cache_key.signature_key(signature, walk)  # (the classes of records: their files, functions)
    bindings, located = [], []
    for binding in made.bindings:
        spec, locator = _binding_spec(binding, walk, located)
        bindings.append(spec)
        located.append((binding.value, locator))
    own = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    injected = {
        name: _reference(cell.cell_contents, walk, located, callees)
        for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ())
        if name not in own
    }
    filename = function.__code__.co_filename
    origins = getattr(checks, "_ORIGINS", {}).get(filename, {})
    return {
        "text": made.source,
        "code": base64.b64encode(marshal.dumps(function.__code__)).decode(),
        "tangents": list(made.tangents),
        "label": _label(filename, mode),
        "origins": [
            [line, o.filename, o.lineno, o.col, o.function, o.text] for line, o in origins.items()
        ],
        "injected": injected,
        "bindings": bindings,
        "checks": walk.checks,
        "files": walk.files,
    }


def _binding_spec(binding: Binding, walk: Walk, located: list) -> tuple[list, list]:
    """A binding as JSON (how to find its holder, its key, its value's fingerprint), and the
    locator of its value."""
    if binding.kind == "global":
        root = walk.globals_root(binding.holder)
        if root is None:
            raise Unstable(binding)
        locator = [root, ["item", binding.key]]
        return [
            "global",
            root,
            binding.key,
            walk.fingerprint(binding.value, locator, True),
        ], locator
    if binding.kind == "cell":
        fn = walk.fn
        cells = zip(fn.__code__.co_freevars, fn.__closure__ or ())
        name = next((name for name, cell in cells if cell is binding.holder), None)
        if name is None:
            raise Unstable(binding)
        locator = ["self", ["cell", name]]
        return ["cell", name, None, walk.fingerprint(binding.value, locator, True)], locator
    holder = walk.locate(binding.holder, located)
    locator = [*holder, ["attr", binding.key]]
    return [
        "attribute",
        holder,
        binding.key,
        walk.fingerprint(binding.value, locator, True),
    ], locator


def _reference(obj: object, walk: Walk, located: list, callees) -> list:
    """How the loading process finds an object the code is given (`Support.injected`)."""
    if type(obj) in (bool, int, float, str, type(None)):
        return ["const", obj]
    if isinstance(obj, types.MethodType) and obj.__self__ is callees:
        return ["callees", obj.__func__.__name__]
    if (
        isinstance(obj, functools.partial)
        and isinstance(obj.func, types.MethodType)
        and obj.func.__self__ is callees
        and not obj.args
        and obj.keywords == {"check_finite": True}
    ):
        return ["callees checked", obj.func.__func__.__name__]
    for (target, active, check_finite), transform in list(callees.pullbacks.items()):
        if transform is obj:
            return ["pullback", _located(target, walk, located), list(active), check_finite]
    for (target, active), transform in list(callees.tangents.items()):
        if transform is obj:
            return ["tangent", _located(target, walk, located), list(active)]
    return ["locate", _located(obj, walk, located)]


def _located(obj: object, walk: Walk, located: list) -> list:
    """A locator of `obj`, and a check that what it finds is what `obj` is."""
    locator = walk.locate(obj, located)
    if library_locator(obj) is None:
        walk.check(locator, obj)
    return locator


def _label(filename: str, mode: Mode) -> list:
    """`[name, where]` of the file name the code was compiled under (pipeline.loaded)."""
    what = mode.value.replace("_", " ")
    found = re.fullmatch(rf"<srcgrad: {re.escape(what)}(?: \(\d+\))? of ([^,]+), (.+)>", filename)
    if found is None:
        raise Unstable(filename)
    return [found.group(1), found.group(2)]


# ---- load -----------------------------------------------------------------------------------


def load(transform, signature: tuple, mode: Mode, check_finite: bool, callees) -> Generated | None:
    """The code of `transform` for `signature` from disk, if there is an entry whose key and
    checks hold here (else None: the function is transformed)."""
    path = directory()
    if path is None:
        return None
    try:
        key = cache_key.key_of(transform, signature, mode, check_finite)
    except Unstable:
        return None
    try:
        body = _read(path, key)
        return None if body is None else _rebuilt(transform.fn, body, mode, callees)
    except Exception:  # (an entry that does not fit: none)
        return None


def _rebuilt(fn: types.FunctionType, body: dict, mode: Mode, callees) -> Generated | None:
    walk = Walk(fn)
    for path, digest in body["files"].items():
        if file_hash(path) != digest:
            return None
    for locator, fingerprint in body["checks"]:
        if walk.fingerprint(resolve(locator, fn), None, False) != fingerprint:
            return None
    bindings = []
    for spec in body["bindings"]:
        binding = _binding(spec, fn)
        if binding is None or walk.fingerprint(binding.value, None, True) != spec[3]:
            return None
        bindings.append(binding)
    injected = {
        name: _found(reference, fn, callees) for name, reference in body["injected"].items()
    }
    if any(value is MISSING for value in injected.values()):
        return None
    function = _compiled(fn, body, mode, injected)
    return Generated(function, body["text"], tuple(body["tangents"]), tuple(bindings))


def _binding(spec: list, fn: types.FunctionType) -> Binding | None:
    """The binding of this process that `spec` describes (its value checked by the caller)."""
    kind, where, key, _ = spec
    if kind == "global":
        holder = (
            fn.__globals__ if where == "globals" else resolve([where, ["attr", "__dict__"]], fn)
        )
        if not isinstance(holder, dict):
            return None
        return Binding(kind, holder, key, holder.get(key, MISSING))
    if kind == "cell":
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        if where not in cells:
            return None
        try:
            value = cells[where].cell_contents
        except ValueError:
            value = MISSING
        return Binding(kind, cells[where], None, value)
    holder = resolve(where, fn)
    if holder is MISSING:
        return None
    return Binding(kind, holder, key, getattr(holder, key, MISSING))


def _found(reference: list, fn: types.FunctionType, callees) -> object:
    kind, *rest = reference
    if kind == "const":
        return rest[0]
    if kind == "callees":
        return getattr(callees, rest[0])
    if kind == "callees checked":
        return functools.partial(getattr(callees, rest[0]), check_finite=True)
    target = resolve(rest[0], fn)
    if target is MISSING or kind == "locate":
        return target
    if kind == "pullback":
        return callees.pullback(target, tuple(rest[1]), rest[2])
    return callees.tangent(target, tuple(rest[1]))


def _compiled(fn: types.FunctionType, body: dict, mode: Mode, injected: dict) -> types.FunctionType:
    """The function made as `pipeline.loaded` makes it (front/loading.py), under the same file
    name, from the code object compiled then (its text is what tracebacks and `.source` show)."""
    text = body["text"]
    what = mode.value.replace("_", " ")
    name, where = body["label"]
    filename = f"<srcgrad: {what} of {name}, {where}>"
    lines = text.splitlines(keepends=True)
    copy = 1
    while linecache.cache.get(filename, (0, None, lines))[2] != lines:
        copy += 1  # (other code under that name: one of its own, as pipeline.loaded does)
        filename = f"<srcgrad: {what} ({copy}) of {name}, {where}>"
    code = marshal.loads(base64.b64decode(body["code"]))
    if code.co_filename != filename:
        code = _renamed(code, filename)
    own = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    cells = tuple(own[n] if n in own else types.CellType(injected[n]) for n in code.co_freevars)
    function = types.FunctionType(code, fn.__globals__, code.co_name, None, cells or None)
    function.__defaults__ = fn.__defaults__
    function.__kwdefaults__ = fn.__kwdefaults__
    function.__module__ = fn.__module__
    function.__qualname__ = code.co_name
    function.source = text  # type: ignore[attr-defined]
    linecache.cache[filename] = (len(text), None, lines, filename)
    origins = {line: Origin(*rest) for line, *rest in body["origins"]}
    if origins:
        checks.register_origins(filename, origins)
    if mode is Mode.TANGENT:
        tangents = dict.fromkeys(body["tangents"], 1.0)
        function.__kwdefaults__ = {**(function.__kwdefaults__ or {}), **tangents}
    return function


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    """`code` and the code objects in it (its pullback, its comprehensions) under `filename`."""
    consts = tuple(
        _renamed(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)
