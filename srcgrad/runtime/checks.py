"""Checks generated code makes as it runs: a scalar output, finite adjoints
(`check_finite=True`), the zero gradient of an argument nothing reached, and the refusal of a
derivative srcgrad does not have, at the user's line.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import ast
import linecache
import math
import os
import re
import sys

import numpy as np

from ..errors import NonFiniteError, NonScalarOutputError, NoRuleError, Origin, SrcgradError


def check_scalar(value, where: str, function: str):
    """Raise NonScalarOutputError unless `value` is a number or an array of one element (the
    seed of reverse mode is 1.0)."""
    if value is None or isinstance(value, (str, bytes)):
        raise NonScalarOutputError(
            f"{where}: grad needs a number, but '{function}' returned "
            f"{'None' if value is None else type(value).__name__}",
            hint="make every path of the function end in `return` and the value to differentiate",
        )
    shape = np.shape(value)
    if shape != () and math.prod(shape) != 1:  # (an array of one element counts as a number)
        raise NonScalarOutputError(
            f"{where}: grad needs a scalar output, but '{function}' returned an array of "
            f"shape {shape}",
            hint="reduce it to a scalar (np.sum, np.mean) or use srcgrad.vjp with a seed "
            "gradient of that shape (PyTorch's backward(gradient=...)).",
        )
    return value


def zero_gradient(x):
    """The gradient with respect to an input the output does not depend on."""
    if isinstance(x, (int, float)):
        return 0.0
    return np.zeros_like(x, dtype=np.result_type(x, 1.0))


def check_finite(value, name: str, where: str, text: str, involved: dict):
    """Raise NonFiniteError if the adjoint `name` holds a nan or an infinity."""
    if value is None or isinstance(value, (list, tuple, dict)):
        return value
    finite = np.isfinite(value)
    if np.all(finite):
        return value
    bad = "nan" if np.any(np.isnan(value)) else "an infinity"
    described = "\n".join(f"      {k} = {_summary(v)}" for k, v in involved.items())
    raise NonFiniteError(
        f"{where}: {bad} in the adjoint {name}, computed for this line\n    {text}\n"
        f"  values involved:\n{described}",
        hint="look for a log, a division or a sqrt at zero or below in this line; guard it with "
        "np.where(condition, safe, other), whose untaken branch gets a zero adjoint",
    )


def _summary(value) -> str:
    if np.ndim(value) == 0:
        return repr(value)
    array = np.asarray(value)
    flags = []
    if np.any(np.isnan(array)):
        flags.append(f"{int(np.sum(np.isnan(array)))} nan")
    if np.any(np.isinf(array)):
        flags.append(f"{int(np.sum(np.isinf(array)))} inf")
    if np.any(array == 0):
        flags.append(f"{int(np.sum(array == 0))} zero")
    extra = f" ({', '.join(flags)})" if flags else ""
    return f"array of shape {array.shape}, min {np.nanmin(array):.4g}, max {np.nanmax(array):.4g}{extra}"


# ---- refusals: a derivative srcgrad does not have, named at the user's line ---------------------

# the file name generated code is compiled under (pipeline.loaded), and the comment that stands
# above the code of each of the user's lines (front/emit.py)
_GENERATED = re.compile(r"<srcgrad: .+? of (?P<function>[^,]+), (?P<file>.+):(?P<line>\d+)>$")
_TITLE = re.compile(r"\s*# (?P<file>.+?):(?P<line>\d+)  (?P<text>.*)$")


_ORIGINS: dict[str, dict[int, Origin]] = {}  # generated file name -> line -> the user's line


def register_origins(filename: str, origins: dict[int, Origin]) -> None:
    """The user's line each line of the generated code under `filename` came from."""
    _ORIGINS[filename] = origins


def _origin_at(filename: str, line: int) -> Origin | None:
    """The user's line of a generated line, through code generated from generated code."""
    origin = _ORIGINS.get(filename, {}).get(line)
    for _ in range(8):  # (a derivative of a derivative of ...: a few levels at most)
        inner = _ORIGINS.get(origin.filename, {}).get(origin.lineno) if origin else None
        if inner is None:
            break
        origin = inner
    return origin


def origin_at(filename: str, line: int) -> Origin | None:
    """The user's line that line `line` of the generated code compiled under `filename` came
    from (None for a line of structure only: `else:`, `pass`, `nonlocal`); for the views of
    generated code beside the user's (api/views.py)."""
    return _origin_at(filename, line)


def _ours(module: str) -> bool:
    """Code of srcgrad's own (a definition in a rule module, a runtime helper read like the
    user's), generated or not: never the user's line."""
    return module.startswith(("srcgrad.rules.", "srcgrad.runtime."))


def raised_at(exc: BaseException) -> Origin | None:
    """The user's line whose generated code raised `exc` (the innermost one), or None."""
    origin, tb = None, exc.__traceback__
    while tb is not None:
        if not _ours(tb.tb_frame.f_globals.get("__name__", "")):
            origin = _origin_at(tb.tb_frame.f_code.co_filename, tb.tb_lineno) or origin
        tb = tb.tb_next
    return origin


def annotate(exc: BaseException) -> None:
    """Add to an error raised inside generated code the user's line whose code raised it (a
    note, shown under the traceback; Python 3.11 and later)."""
    if isinstance(exc, SrcgradError) and exc.origin is not None:
        return
    origin = raised_at(exc)
    if origin is not None and hasattr(exc, "add_note"):
        note = f"(srcgrad: raised by the generated code of {origin.where()}: {origin.text})"
        if note not in getattr(exc, "__notes__", ()):
            exc.add_note(note)


def calling_line() -> Origin | None:
    """The user's line whose derivative the generated code that called the runtime computes:
    the `# file.py:N  text` comment above the running line of the nearest generated frame; with
    none above it, the code is the final return's, which the last statement of the user's
    function makes (None where no generated code called, or its source is not known)."""
    frame = sys._getframe(1)
    while frame is not None:
        generated = _GENERATED.match(frame.f_code.co_filename)
        if generated and not _ours(frame.f_globals.get("__name__", "")):
            break  # (the code of one of srcgrad's definitions is not the user's line)
        frame = frame.f_back
    if frame is None:
        return None
    found = _origin_at(frame.f_code.co_filename, frame.f_lineno)
    if found is not None:
        return found
    module_file = frame.f_globals.get("__file__")
    # (each generated code has a file name of its own: these are its lines, pipeline.loaded)
    lines = linecache.getlines(frame.f_code.co_filename)[: frame.f_lineno]
    if not lines:
        return None
    for text in reversed(lines):
        title = _TITLE.match(text)
        if title:
            filename = _user_file(title["file"], module_file)
            return _user_origin(filename, int(title["line"]), generated["function"])
    filename = _user_file(generated["file"], module_file)
    line = _last_statement(filename, int(generated["line"]), generated["function"])
    return None if line is None else _user_origin(filename, line, generated["function"])


def _user_file(name: str, module_file: str | None) -> str:
    """The user's file a generated name or title gives the base name of: the full path of the
    user's module where it is that file."""
    return module_file if module_file and os.path.basename(module_file) == name else name


def _last_statement(filename: str, definition: int, function: str) -> int | None:
    """The line of the last statement of `function`, defined at line `definition`."""
    try:
        tree = ast.parse("".join(linecache.getlines(filename)))
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            starts = [node.lineno, *(d.lineno for d in node.decorator_list)]
            if definition in starts:
                return node.body[-1].lineno
    return None


def _user_origin(filename: str, line: int, function: str) -> Origin:
    """The user's line `line` of `filename`, at the column its statement starts."""
    source = linecache.getline(filename, line)
    column = len(source) - len(source.lstrip()) if source.strip() else 0
    return Origin(filename, line, column, function, source.strip())


def refusal(message: str, hint: str | None = None) -> NoRuleError:
    """A NoRuleError naming the user's line whose derivative is being computed, for a helper
    that finds, as it runs, that a derivative does not exist or is not one srcgrad has."""
    return NoRuleError(message, calling_line(), hint)


def no_derivative(function: str, argument: str, reason: str = ""):
    """Raise: srcgrad has no derivative of `function` with respect to `argument`.

    A rule returns this as the adjoint (or term) of a parameter it cannot differentiate: the
    code is written only where that argument carries a derivative, so a call where it does not
    is differentiated as usual, and one where it does fails at the user's line, never with a
    silent zero."""
    why = f" ({reason})" if reason else ""
    raise refusal(
        f"srcgrad has no derivative of {function} with respect to its argument '{argument}'{why}",
        f"pass '{argument}' a value that does not depend on the inputs you differentiate "
        "with respect to (srcgrad.stop_gradient(value) makes it a constant)",
    )
