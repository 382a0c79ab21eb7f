"""`export`: a generated gradient as a standalone module that needs only NumPy.

The module holds the generated function, the runtime helpers it calls (their own source, and
the helpers those call), imports for the modules it names, and the values of the constants it
reads. It is written for the argument signature given (or the one the annotations give).

Guarantees: the module starts with a docstring that says which srcgrad made it, from which
function (file and line) and for which signature; its imports are sorted and its top-level
statements spaced as linters expect (`ruff check` passes with its default rules); it ends with
a newline. Where the helpers srcgrad's own code calls would name the user's line in an error
(`refusal`), the module has a version that names none: it stands alone.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import os
import sys
import textwrap
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..analyse.shapes import of_value
from ..errors import SrcgradError
from ..front import reading
from ..runtime import checks
from .gradient import Gradient, _annotated_signature
from .hints import Wrt

_OWN_MODULES = ("srcgrad.",)

# srcgrad's helpers that find the user's line for an error message, as a module that stands
# alone has them (no line to find; the same message), with the names they read
_STANDALONE: dict[object, tuple[str, tuple[str, ...]]] = {
    checks.calling_line: ("def calling_line():\n    return None\n", ()),
    checks.refusal: (
        "def refusal(message, hint=None):\n    return NoRuleError(message, None, hint)\n",
        ("NoRuleError",),
    ),
}


def export(fn: Callable[..., Any], path: str, *args: Any, wrt: Wrt = 0, **kwargs: Any) -> str:
    """Write the gradient of `fn` (for the signature of `args`) to `path`; return the text."""
    transform = Gradient(fn, wrt)
    if args or kwargs:
        values = transform._bind(args, kwargs)
        signature = tuple(of_value(v) for v in values)
        source = transform.source_for(*args, **kwargs)
    else:
        signature = _annotated_signature(transform.fn, transform.params)
        source = transform.source
    function = transform._latest.function
    text = _module_text(transform, source, function, signature)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    return text


def _module_text(
    transform: Gradient, source: str, function: types.FunctionType, signature: tuple
) -> str:
    cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
    known = {name: cell.cell_contents for name, cell in cells.items()}
    collected = _Collected(function.__globals__)
    for name in sorted(_free_names(source)):
        if name in known:
            collected.add(name, known[name])
        elif name in function.__globals__:
            collected.add(name, function.__globals__[name])
        elif not hasattr(builtins, name):
            raise SrcgradError(f"export: the generated code reads '{name}', which is not defined")
    text = _docstring(transform, signature)
    if collected.imports:
        text += "\n\n" + _sorted_imports(collected.imports)
    if collected.constants:
        text += "\n\n" + "\n".join(collected.constants)
    for definition in [*collected.sources, source]:
        text += "\n\n\n" + definition.strip("\n")
    return text + "\n"


def _docstring(transform: Gradient, signature: tuple) -> str:
    """What the module is: which function's gradient, made by which srcgrad, from which file
    and line, for which arguments."""
    code = transform.fn.__code__
    filename = code.co_filename
    if os.path.isabs(filename) and not os.path.relpath(filename).startswith(".."):
        filename = os.path.relpath(filename)
    version = getattr(sys.modules.get("srcgrad"), "__version__", "(unknown version)")
    described = ", ".join(
        f"{name}: {_described(kind)}" for name, kind in zip(transform.params, signature)
    )
    paragraphs = [
        f"{transform.__name__}: the gradient of {transform.fn.__qualname__} with respect to "
        f"{', '.join(transform.wrt)}.",
        f"Made by srcgrad {version} from {transform.fn.__qualname__} in "
        f"{filename}:{code.co_firstlineno}, for the arguments {described}. The code is "
        "made for these kinds and shapes of argument: export again for others. It needs "
        "only NumPy.",
    ]
    body = "\n\n".join(textwrap.fill(p, 88, break_on_hyphens=False) for p in paragraphs)
    return f'"""{body}\n"""'


def _described(kind: tuple | None) -> str:
    """One argument's part of a signature, in words: `float64 array of shape (3,)`."""
    if kind is None:
        return "any value"
    shape, what = kind[0], kind[1]
    if isinstance(what, str) and what in ("float", "int"):
        return f"a Python {what}"
    if isinstance(what, np.dtype):
        return f"{what.name} number" if shape == () else f"{what.name} array of shape {shape}"
    return "a container of arrays" if shape is None else "an array"


def _sorted_imports(imports: set[str]) -> str:
    """As isort (ruff's `I`) sorts them: the standard library first, then the rest; in each,
    `import m` lines before `from m import n` lines, each kind by module name."""

    def key(line: str) -> tuple:
        module = line.split()[1]
        return (line.startswith("from "), module.lower(), line)

    def standard(line: str) -> bool:
        return line.split()[1].split(".")[0] in sys.stdlib_module_names

    sections = [
        sorted((line for line in imports if standard(line)), key=key),
        sorted((line for line in imports if not standard(line)), key=key),
    ]
    return "\n\n".join("\n".join(section) for section in sections if section)


def _free_names(source: str) -> set[str]:
    tree = ast.parse(source)
    loaded, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
    return loaded - stored


class _Collected:
    """Imports, constants and helper sources that the exported module needs."""

    def __init__(self, user_globals: dict):
        self.user_globals = user_globals
        self.imports: set[str] = set()
        self.constants: list[str] = []
        self.sources: list[str] = []
        self._done: set[str] = set()

    def add(self, name: str, value: object) -> None:
        if name in self._done:
            return
        self._done.add(name)
        standalone = _STANDALONE.get(value) if isinstance(value, types.FunctionType) else None
        if standalone is not None:
            text, reads = standalone
            self.sources.append(text.replace(f"def {value.__name__}(", f"def {name}("))
            for inner in reads:
                self.add(inner, value.__globals__[inner])
        elif isinstance(value, np.generic):
            self.imports.add("import numpy")
            self.constants.append(f"{name} = numpy.{type(value).__name__}({value.item()!r})")
        elif isinstance(value, types.ModuleType):
            spelled = value.__name__
            self.imports.add(
                f"import {spelled}" if spelled == name else f"import {spelled} as {name}"
            )
        elif isinstance(value, (int, float, bool, str, type(None))):
            self.constants.append(f"{name} = {value!r}")
        elif _literal(value) is not None:
            self.constants.append(f"{name} = {_literal(value)}")
        elif isinstance(value, np.ndarray):
            self.imports.add("import numpy")
            self.constants.append(
                f"{name} = numpy.array({value.tolist()!r}, dtype={value.dtype.name!r})"
            )
        elif isinstance(value, type) and issubclass(value, SrcgradError):
            self.sources.append(_error_stub(name))
        elif isinstance(value, (types.FunctionType, type)) and _is_ours(value):
            self._helper(name, value)
        elif _importable(value):
            alias = f" as {name}" if value.__name__ != name else ""
            self.imports.add(f"from {value.__module__} import {value.__name__}{alias}")
        else:
            raise SrcgradError(
                f"export: the generated code uses '{name}' ({type(value).__name__}), which a "
                "standalone module cannot hold",
                hint="functions that call your own functions cannot be exported yet",
            )

    def _helper(self, name: str, value) -> None:
        source = inspect.getsource(value)
        if value.__name__ != name:
            source += f"\n\n{name} = {value.__name__}\n"
        self.sources.append(source)
        # (a class has no __globals__: the names it reads are its module's)
        names = getattr(value, "__globals__", None) or vars(sys.modules[value.__module__])
        for inner in sorted(_free_names(source)):
            if inner in names:
                self.add(inner, names[inner])


def _literal(value: object) -> str | None:
    """A tuple, list, dict, set or frozenset of plain constants, as Python source."""
    if not isinstance(value, (tuple, list, dict, set, frozenset)):
        return None
    plain = set(value) if isinstance(value, frozenset) else value
    text = repr(plain)
    if isinstance(plain, set) and plain:  # (in an order that does not change from run to run)
        text = "{" + ", ".join(sorted(repr(item) for item in plain)) + "}"
    try:
        same = ast.literal_eval(text) == plain
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not same:
        return None
    return f"frozenset({text})" if isinstance(value, frozenset) else text


def _importable(value) -> bool:
    """A function or class that its module gives by name (NumPy's, or the user's own)."""
    module = getattr(value, "__module__", None)
    named = getattr(value, "__name__", None)
    return bool(
        module
        and named
        and module != "__main__"
        and not _is_ours(value)
        and not isinstance(value, Gradient)
    )


def _is_ours(value) -> bool:
    module = reading.module_of(value)
    return module == "srcgrad" or module.startswith(_OWN_MODULES)


def _error_stub(name: str) -> str:
    return (
        f"class {name}(ValueError):\n"
        f'    """Raised by the generated code (srcgrad\'s {name}, standing alone)."""\n\n'
        "    def __init__(self, message, origin=None, hint=None):\n"
        '        super().__init__(message + (f"\\n  {hint}" if hint else ""))\n'
    )
