"""The guard in front of a transformed function: one test per argument of the signature the
latest call had, then the generated function, with nothing built per call.

`grad(f)(*args)` must decide which generated function serves these arguments. Building a
signature tuple and looking it up costs a microsecond, which is several times the gradient of
a small scalar function. So once a signature has been seen twice, a `Gradient` writes a
`__call__` that tests for it (and for the few others seen most recently), like

    def __call__(self, a0=MISSING, a1=MISSING, /, *more, **keywords):
        if not more and not keywords:
            try:
                function = (
                    f0 if type(a0) is t0_0 and type(a1) is t0_1 and a1.shape == (3, 4)
                    and a1.dtype is d0_1 and h0_0.__code__ is o0_0 and h0_1["ACT"] is o0_1
                    else None
                )
            except Exception:  # (a binding gone: an emptied cell, a deleted global)
                function = None
            if function is not None:
                try:
                    return function(a0, a1)
                except Exception as exc:
                    annotate(exc)  # (the user's line, as a note)
                    raise
        return retry(self, (a0, a1), more, keywords)

and `retry` is the full look-up, which adds a signature it has not got a test for. A test only
says yes to arguments the full look-up would map to the same generated function, made from
bindings (globals, closure cells, attributes) that still denote the objects they denoted then:
a test that cannot be decided, or raises, sends the call to the full look-up, which decides.

What a call costs (CPython 3.11, this project's 2-core benchmark machine): calling an instance
of a class whose `__call__` is written in Python packs the arguments into a tuple and makes a
`**keywords` dict, about 60 ns more than calling the function itself; a Python float's test,
about 10 ns; an array's, about 75 ns (45 of them `.shape`, which makes a new tuple); a binding's,
15 to 20 ns. None of these can be made cheaper without giving up a test: an array's shape and
dtype can be changed in place (`a.shape = ...`), a function's code can be replaced, and a
module's global can be rebound by plain assignment, which tells nobody.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from keyword import iskeyword
from types import MethodType

import numpy as np

from ..analyse.shapes import Callee
from ..runtime.checks import annotate

MISSING = object()  # an argument not given by position: the full look-up binds the call
_COMPILED: dict[str, object] = {}  # guard source -> code (a new object of an old signature)


def guard(
    count: int,
    entries: list[tuple],
    retry: Callable,
    parameters: list | None = None,
    named_as: Callable | None = None,
):
    """A `__call__` for `count` positional parameters that calls the function of the first
    entry `(signature, types, function, bindings)` whose signature (as `shapes.of_value` says
    it) and argument types match, and whose bindings (the globals, closure cells and
    attributes the code was made from) still denote the same objects; None if an entry holds
    an argument no test can decide. `parameters`: the user's parameter names, where each may
    be given by position or by name; the guard then takes them by those names and no
    `**keywords` (Python makes a dict for those at every call), and a call Python cannot bind
    to them raises the `TypeError` that `named_as`, the user's function, would raise."""
    named = parameters is not None and _may_name(parameters)
    names = list(parameters) if named else [f"a{i}" for i in range(count)]
    namespace = {"MISSING": MISSING, "retry": retry, "annotate": annotate}
    given = ", ".join(names)
    choices = []
    for k, (signature, types, function, bindings) in enumerate(entries):
        tests = _tests(k, names, signature, types, namespace)
        if tests is None:
            return None
        tests += _binding_tests(k, bindings, namespace)
        namespace[f"f{k}"] = function
        choices.append(f"f{k} if {' and '.join(tests) or 'True'} else ")
    head = ", ".join(f"{n}=MISSING" for n in names)
    lines = [
        f"def __call__(self, {head}, *more):"
        if named
        else f"def __call__(self, {head}, /, *more, **keywords):",
        "    if not more:" if named else "    if not more and not keywords:",
        "        try:",
        f"            function = {''.join(choices)}None",
        "        except Exception:",  # (a binding gone: the full look-up decides)
        "            function = None",
        "        if function is not None:",
        "            try:",
        f"                return function({given})",
        "            except Exception as exc:",  # (the user's line, as a note)
        "                annotate(exc)",
        "                raise",
        *(_named_retry(names, given) if named else []),
        f"    return retry(self, ({given}{',' if count == 1 else ''}), more, "
        + ("{})" if named else "keywords)"),
    ]
    source = "\n".join(lines) + "\n"
    code = _COMPILED.get(source)
    if code is None:
        if len(_COMPILED) >= 512:
            _COMPILED.clear()
        code = _COMPILED[source] = compile(source, "<srcgrad guard>", "exec")
    exec(code, namespace)
    made = namespace["__call__"]
    if named and named_as is not None:  # ("f() got an unexpected keyword argument 'z'")
        made.__qualname__ = named_as.__qualname__
        if hasattr(made.__code__, "co_qualname"):  # (Python 3.11 and later)
            made.__code__ = made.__code__.replace(
                co_name=named_as.__name__, co_qualname=named_as.__qualname__
            )
    return made


def _named_retry(names: list[str], given: str) -> list[str]:
    """A call that left a parameter out (it may have given a later one by name): the full
    look-up is given the others by name."""
    missing = " or ".join(f"{n} is MISSING" for n in names)
    passed = ", ".join(f"({n!r}, {n})" for n in names)
    return [
        f"    if {missing}:",
        f"        return retry(self, (), more, {{k: v for k, v in ({passed},) if v is not MISSING}})",
    ]


_GUARD_NAMES = re.compile(
    r"^(?:[ftcdhosm]\d+(?:_\d+)?|_?self|type|Exception|function|MISSING|retry|annotate|MethodType|exc|more|keywords|k|v)$"
)


def _may_name(parameters: list) -> bool:
    """The user's names can be the guard's parameters: none is a name the guard's code reads."""
    return all(
        n.isidentifier() and not iskeyword(n) and not _GUARD_NAMES.match(n) for n in parameters
    )


def _tests(k: int, names: list, signature: tuple, types: tuple, namespace: dict) -> list | None:
    tests = []
    for i, (name, kind, specialised) in enumerate(zip(names, types, signature)):
        namespace[f"t{k}_{i}"] = kind
        tests.append(f"type({name}) is t{k}_{i}")
        if specialised is not None and isinstance(specialised[1], Callee):
            if isinstance(specialised[1].value, MethodType):
                return None  # (a method is made anew at each access: the full look-up decides)
            namespace[f"c{k}_{i}"] = specialised[1].value  # a function: that very one
            tests.append(f"{name} is c{k}_{i}")
        elif specialised is not None and isinstance(specialised[1], np.dtype):
            # arrays and NumPy scalars: the code depends on their shape and dtype too
            if specialised[0] is None:
                return None  # (a dask array of unknown lengths: the full look-up decides)
            namespace[f"d{k}_{i}"] = specialised[1]
            shape = tuple(int(n) for n in specialised[0])
            tests.append(f"{name}.shape == {shape!r} and {name}.dtype is d{k}_{i}")
        elif kind is not float and kind is not int:
            return None  # a container or another object: the full look-up decides
    return tests


def _binding_tests(k: int, bindings: tuple, namespace: dict) -> list[str]:
    """`g['ACT'] is o`, `c.cell_contents is o`, `config.ACT is o`: each 10 to 20 ns. One that
    raises (a global deleted, a cell emptied, an attribute gone) sends the call to the full
    look-up, whose `Binding.holds` decides; so does one this test is stricter than."""
    tests = []
    for j, binding in enumerate(bindings):
        holder, value = f"h{k}_{j}", f"o{k}_{j}"
        namespace[holder], namespace[value] = binding.holder, binding.value
        if binding.kind == "global" and type(binding.holder) is dict:
            tests.append(f"{holder}[{binding.key!r}] is {value}")
        elif binding.kind == "global":
            tests.append(f"{holder}.get({binding.key!r}, MISSING) is {value}")
        elif binding.kind == "cell":
            tests.append(f"{holder}.cell_contents is {value}")
        elif not binding.key.isidentifier() or iskeyword(binding.key):
            tests.append(f"getattr({holder}, {binding.key!r}, MISSING) is {value}")
        elif type(binding.value) is MethodType:
            # a method is made anew at each attribute read: the same function of the same object
            # (as `Binding.holds` says it), `m.__self__ is s and m.__func__ is f`
            made = f"m{k}_{j}"
            namespace[f"s{k}_{j}"] = binding.value.__self__
            namespace[value] = binding.value.__func__
            tests.append(
                f"type({made} := {holder}.{binding.key}) is MethodType"
                f" and {made}.__self__ is s{k}_{j} and {made}.__func__ is {value}"
            )
        else:
            tests.append(f"{holder}.{binding.key} is {value}")
    if any(type(binding.value) is MethodType for binding in bindings):
        namespace["MethodType"] = MethodType
    return tests


def given(positional: tuple) -> tuple:
    """The arguments a guard was called with by position (the unset ones dropped)."""
    return tuple(value for value in positional if value is not MISSING)
