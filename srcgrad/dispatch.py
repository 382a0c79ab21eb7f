"""The guard in front of a transformed function: one test per argument of the signature the
latest call had, then the generated function, with nothing built per call.

`grad(f)(*args)` must decide which generated function serves these arguments. Building a
signature tuple and looking it up costs a microsecond, which is several times the gradient of
a small scalar function. So after each call a `Gradient` writes, for the signature it just
served, a `__call__` like

    def __call__(self, a0=MISSING, a1=MISSING, /, *more, **keywords):
        if type(a0) is float and type(a1) is ndarray and a1.shape == (3, 4) and a1.dtype is d1
                and not more and not keywords:
            return function(a0, a1)
        return retry(self, (a0, a1), more, keywords)

and `retry` is the full look-up, which writes the next guard when the signature changed. A
guard only says yes to arguments the full look-up would map to the same generated function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MISSING = object()  # an argument not given by position: the full look-up binds the call
_COMPILED: dict[str, object] = {}  # guard source -> code (a new object of an old signature)


def guard(count: int, signature: tuple, values: tuple, function: Callable, retry: Callable):
    """A `__call__` for `count` positional parameters that calls `function` when every argument
    matches `signature` (as `shapes.of_value` says it, given the `values` it was made from)."""
    names = [f"a{i}" for i in range(count)]
    namespace = {"MISSING": MISSING, "function": function, "retry": retry, "ndarray": np.ndarray}
    tests = []
    for i, (name, value, specialised) in enumerate(zip(names, values, signature)):
        kind = namespace[f"t{i}"] = type(value)
        tests.append(f"type({name}) is t{i}")
        if specialised is not None and isinstance(specialised[1], np.dtype):
            # arrays and NumPy scalars: the code depends on their shape and dtype too
            namespace[f"d{i}"] = specialised[1]
            shape = tuple(int(n) for n in specialised[0])
            tests.append(f"{name}.shape == {shape!r} and {name}.dtype is d{i}")
        elif kind is not float and kind is not int:
            return None  # a container or another object: the full look-up decides
    given = ", ".join(names)
    source = (
        f"def __call__(self, {''.join(n + '=MISSING, ' for n in names)}/, *more, **keywords):\n"
        f"    if {' and '.join([*tests, 'not more', 'not keywords'])}:\n"
        f"        return function({given})\n"
        f"    return retry(self, ({given}{',' if count == 1 else ''}), more, keywords)\n"
    )
    code = _COMPILED.get(source)
    if code is None:
        if len(_COMPILED) >= 512:
            _COMPILED.clear()
        code = _COMPILED[source] = compile(source, "<srcgrad guard>", "exec")
    exec(code, namespace)
    made = namespace["__call__"]
    made.signature = signature
    made.function = function
    return made


def given(positional: tuple) -> tuple:
    """The arguments a guard was called with by position (the unset ones dropped)."""
    return tuple(value for value in positional if value is not MISSING)
