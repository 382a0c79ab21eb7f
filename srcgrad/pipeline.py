"""The whole tool in one place: the stages a function goes through to become its gradient.

    read ─► fence ─► normalize ─► analyse + reverse ─► optimize ─► (checks) ─► emit ─► load

Each stage is one module (normalize is a folder of one-pass modules) with one entry point.
"""

from __future__ import annotations

import os
import types
from dataclasses import dataclass

from .analyse.shapes import dtype_name, is_floating
from .errors import InternalError, SrcgradError
from .front import fence, reading
from .front.context import Context
from .front.emit import emit
from .front.loading import load
from .normalize import normalize
from .optimize.as_methods import as_methods
from .optimize.finite import add_checks
from .optimize.release import release
from .optimize.simplify import optimize
from .transform.forward import forward
from .transform.reverse import reverse

FORWARD_MODES = ("jvp", "jvp_plain", "tangent")


@dataclass(frozen=True)
class Generated:
    """A generated function and its source text."""

    function: types.FunctionType
    source: str
    tangents: tuple[str, ...] = ()  # forward mode: the tangent parameters, in `wrt` order


def gradient(
    fn: types.FunctionType,
    wrt: tuple[str, ...],
    wrt_is_tuple: bool,
    signature: dict[str, tuple | None],
    mode: str = "grad",
    check_finite: bool = False,
) -> Generated:
    """`signature` maps each parameter to `(shape, dtype)` of its value, or None.
    `check_finite`: check every adjoint for nan and infinity (optimize/finite.py)."""
    parsed = reading.read(fn)
    try:
        fence.check(parsed)
        ctx = Context.of(parsed)
        ctx.wrt_is_tuple = wrt_is_tuple
        ctx.check_finite = check_finite
        ctx.floating = all(
            signature.get(w) is not None and is_floating(signature[w][1]) for w in wrt
        )
        ctx.dtypes = {p: dtype_name(s[1]) for p, s in signature.items() if s is not None}
        normalize(ctx)
        shapes = {p: (s[0] if s is not None else None) for p, s in signature.items()}
        for name, default in (getattr(parsed.fn, "__kwdefaults__", None) or {}).items():
            if name not in signature and type(default) is float:  # a tangent's 1.0
                shapes[name] = ()
                ctx.dtypes[name] = "float"
        tangents: list[str] = []
        if mode in FORWARD_MODES:
            tree, tangents = forward(ctx, list(wrt), shapes, mode)
            kept = ctx.names.tangents_of_user_names()
        else:
            tree = reverse(ctx, list(wrt), shapes, mode)
            kept = ctx.names.adjoints_of_user_names()
        scalars = frozenset(name for name, shape in ctx.shapes.items() if shape == ())
        floats = frozenset(ctx.names.adjoints_all() | ctx.names.tangents_all())
        optimize(tree, ctx.names.generated, kept, scalars, floats, ctx.views)
        if mode not in ("jvp_plain", "tangent"):  # (code transformed again reads np.sum)
            as_methods(tree, ctx)
        if check_finite:
            add_checks(tree, ctx)
        if mode not in ("jvp_plain", "tangent"):  # (the fence refuses `del` in code it reads)
            release(tree, ctx)
        text = emit(tree)
    except SrcgradError:
        raise
    except Exception as exc:  # a bug in srcgrad: say so, with the user's function
        raise InternalError(
            f"srcgrad failed while differentiating this function ({type(exc).__name__}: {exc})",
            parsed.definition,
            "this is a bug in srcgrad; please report it with the function's source",
        ) from exc
    what = mode.replace("_", " ")
    where = f"{os.path.basename(parsed.filename)}:{parsed.definition.lineno}"
    filename = f"<srcgrad: {what} of {parsed.name}, {where}>"
    function = load(text, filename, parsed.fn, ctx.support.injected)
    if mode == "tangent":  # a derivative to transform again: the tangents default to 1.0
        function.__kwdefaults__ = {
            **(function.__kwdefaults__ or {}),
            **dict.fromkeys(tangents, 1.0),
        }
    return Generated(function, text, tuple(tangents))
