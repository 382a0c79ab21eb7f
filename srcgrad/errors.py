"""Every error srcgrad raises on purpose; each message starts with the user's `file:line:col:`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where a piece of code came from: the user's file, line, column, function and source line."""

    filename: str
    lineno: int
    col: int
    function: str
    text: str

    def where(self) -> str:
        return f"{self.filename}:{self.lineno}:{self.col + 1}"


class SrcgradError(Exception):
    """Base class: something in the user's code or call that srcgrad cannot differentiate."""

    def __init__(self, message: str, origin: Origin | None = None, hint: str | None = None):
        self.origin = origin
        self.hint = hint
        self.bare_message = message
        text = message
        if origin is not None:
            text = f"{origin.where()}: {message} (in function '{origin.function}')"
            if origin.text:
                text += f"\n    {origin.text}"
        if hint:
            text += f"\n  {hint}"
        super().__init__(text)


class UnsupportedSyntaxError(SrcgradError):
    """A construct the fence or a later stage does not support."""


class NoRuleError(SrcgradError):
    """A call to a function that has no derivative rule."""


class SourceUnavailableError(SrcgradError):
    """The function's source cannot be read (REPL, exec, builtins, C functions)."""


class NonScalarOutputError(SrcgradError):
    """`grad` of a function whose output is not a scalar."""


class NonFiniteError(SrcgradError, FloatingPointError):
    """With `check_finite=True`: an adjoint became nan or infinite; the message names the line."""


class WrtError(SrcgradError):
    """A bad `wrt` (or `argnums`): out of range, unknown name, duplicated, not differentiable."""


class InternalError(SrcgradError):
    """A bug in srcgrad itself, reported with the user's line it was working on."""
