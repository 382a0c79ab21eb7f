"""The key of an entry of the cache of generated code on disk (disk_cache.py): what must be the
same in the process that loads code for it to be the code this process would generate, before
the checks an entry holds (references.py) are made.

Guarantees: two keys are equal only where srcgrad's version and code (each file's size and time
in a source tree, each folder's time in an installed copy), Python's, NumPy's and gast's
versions, the rules the user registered, the function (its file, first line and qualified
name), the mode, `wrt`, `check_finite` and the argument signature are; `key_of` raises
`Unstable` where there can be no key (a gradient of a gradient, a function without a file of
its own, an argument that is a function or an array of another library).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import gast
import numpy as np

from ..front.context import Mode
from ..rules import registry
from .references import Unstable, Walk, file_hash

FORMAT = "srcgrad-cache 1"

_environment: list | None = None
_rules: list | None = None


def _installation() -> list:
    """srcgrad's version and how its code stands (an edit to it makes every entry another's),
    Python's, NumPy's and gast's versions."""
    global _environment
    if _environment is None:
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        # a source tree (an editable install) is edited in place: each file's size and time;
        # an installed copy changes only by being installed again, which makes new files
        source_tree = os.path.exists(os.path.join(os.path.dirname(package), "pyproject.toml"))
        found: list[str] = []
        _sources(package, "", found, source_tree)
        version = getattr(sys.modules.get("srcgrad"), "__version__", "?")
        digest = hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()
        _environment = [version, digest, sys.version, sys.implementation.cache_tag,
                        np.__version__, gast.__version__]  # fmt: skip
    return _environment


def _sources(folder: str, prefix: str, found: list[str], files: bool) -> None:
    """`name size time` of each Python file under `folder` (or, not `files`, of each folder)."""
    if not files:
        info = os.stat(folder)
        found.append(f"{prefix} {info.st_mtime_ns}")
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(".py"):
                if files:
                    info = entry.stat()
                    found.append(f"{prefix}{name} {info.st_size} {info.st_mtime_ns}")
            elif name != "__pycache__" and "." not in name and entry.is_dir(follow_symlinks=False):
                _sources(entry.path, f"{prefix}{name}/", found, files)


def _users_rules() -> list:
    """The rules the user registered (`register_vjp`, `custom_vjp`, ...): for which object,
    and where each rule is, with its file's text. Parsed when registered, unlike srcgrad's
    own, which wait for their first use."""
    global _rules
    if _rules is None:
        own = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
        walk, made = Walk(_users_rules), []  # (a walk that records nothing)
        try:
            for table, rules in (("reverse", registry.REVERSE), ("tangent", registry.TANGENT)):
                for obj, rule in list(rules.items()):
                    attributes = rule.__dict__
                    if "_load" in attributes or "origin" not in attributes:
                        continue  # (one of srcgrad's own, not used yet)
                    origin = attributes["origin"]
                    path = os.path.abspath(origin.filename)
                    if path.startswith(own):
                        continue
                    made.append([table, walk.fingerprint(obj, None, True), path,
                                 origin.lineno, origin.function, file_hash(origin.filename)])  # fmt: skip
            _rules = sorted(made, key=repr)
        except Unstable:
            _rules = ["unstable"]
    if _rules == ["unstable"]:
        raise Unstable("a rule of the user's for an object that cannot be found again")
    return _rules


def forget() -> None:
    """A rule was registered: the key's part that lists the user's rules is made again."""
    global _rules
    _rules = None


def _plain(structure):
    """A container's structure (`Structured.structure`) as JSON."""
    if isinstance(structure, (tuple, list)):
        return [_plain(part) for part in structure]
    if structure is None or type(structure) in (str, int, bool):
        return structure
    raise Unstable(structure)


def signature_key(signature: tuple, walk: Walk) -> list:
    """Each argument's `of_value` as JSON: scalars, NumPy arrays, containers and records;
    anything else (a function passed as an argument, a dask array) is not cached."""
    made = []
    for part in signature:
        if part is None:
            made.append(None)
            continue
        if len(part) != 2:
            raise Unstable(part)  # (an array of another library: code of its own)
        shape, dtype = part
        structure = getattr(dtype, "structure", None)
        if type(dtype) is str and dtype in ("float", "int") and shape == ():
            made.append([[], dtype])
        elif isinstance(dtype, np.dtype) and type(shape) is tuple:
            made.append([list(shape), walk.fingerprint(dtype, None, True)])
        elif shape is None and isinstance(structure, tuple) and structure[:1] == ("class",):
            fingerprint = walk.fingerprint(structure[1], None, False)
            made.append(["record", fingerprint, dtype.complex])
        elif shape is None and str(dtype) in ("tree", "dict", "record"):
            # (whether a leaf may be complex: analyse/reals.py makes other code for that)
            made.append([str(dtype), _plain(structure), dtype.complex])
        else:
            raise Unstable(part)
    return made


def key_of(transform, signature: tuple, mode: Mode, check_finite: bool) -> str:
    """The key of the code of `transform` for `signature` (raises Unstable where there is
    none: a gradient of a gradient, a function without a file of its own)."""
    fn = transform.fn
    if transform.inner is not None:
        raise Unstable("a gradient of a gradient")
    code = fn.__code__
    file_hash(code.co_filename)  # (a file of its own)
    key = [
        FORMAT,
        _installation(),
        _users_rules(),
        [os.path.abspath(code.co_filename), code.co_firstlineno, fn.__qualname__],
        mode.value,
        list(transform.wrt),
        transform.wrt_is_tuple,
        check_finite,
        transform.bound is not None,
        signature_key(signature, Walk(fn)),
    ]
    return json.dumps(key, separators=(",", ":"))
