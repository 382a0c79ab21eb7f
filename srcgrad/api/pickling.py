"""Pickling of srcgrad's transform objects: by reference to the user's function, never by value.

A pickled `grad(f)` (or `value_and_grad`, `forward`, `jacobian`, `hessian`, `hvp`,
`elementwise_grad`) holds what made it: `f`, pickled as pickle pickles any function (its module
and qualified name), and the options (`wrt`, mode, `check_finite`, ...). Its generated code, its
caches and its guard are left behind: the process that loads it generates the code again on the
first call, from the source there. So `multiprocessing` with the spawn start method,
`concurrent.futures.ProcessPoolExecutor` and joblib can send gradients to their workers.

A transform that is itself the module-level name of its function (`@srcgrad.grad def loss`:
`module.loss` is the transform, not the function) is pickled as that name, as pickle does a
function: loading it imports the module and takes `module.loss`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def reduced(obj: object, fn: object, make: Callable[..., Any], args: tuple, state=None) -> tuple:
    """What `obj.__reduce__` returns: the module-level name `obj` is known by, or how to make it
    again (`make(*args)`, then `state` set on it)."""
    name = _module_level_name(obj, fn)
    if name is not None:
        return (named, name)
    return (make, args) if state is None else (make, args, state)


def named(module: str, qualname: str) -> object:
    """The object a module holds under `qualname` (`Class.attribute` too), importing it first."""
    found: object = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _module_level_name(obj: object, fn: object) -> tuple[str, str] | None:
    """`(module, qualname)` of `fn` where that name denotes `obj` itself (a decorated function)."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None  # (a lambda or a function defined inside another: pickle refuses it)
    found: object = sys.modules.get(module)  # (pickling imports nothing)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return (module, qualname) if found is obj else None
