"""Optimize stage, arrays of other libraries: in code made for arguments of which some are dask
or CuPy arrays, `np.full_like(a, v)` is `filled_like(a, v)`, which gives the same array.

NumPy's `full_like` takes an array as its fill value and broadcasts it (a sum's adjoint spread
back over the summed axes); dask's takes a number only. Rules and the uniform adjoints write
`np.full_like` as NumPy users read it; this pass leaves that code alone for NumPy's arrays and
rewrites it where another library's array may reach it (`runtime.filled_like` adds the value
to zeros of `a`'s kind, as lazily as the rest of the code).
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..front import nodes


def other_arrays(fn: gast.FunctionDef, ctx) -> None:
    """Rewrite, in place, every call of `np.full_like` when some argument is another
    library's array (`ctx.other_arrays`)."""
    if not ctx.other_arrays:
        return
    helper = None
    for node in nodes.walk(fn):
        if isinstance(node, gast.Call) and _resolved(ctx, node.func) is np.full_like:
            if helper is None:
                helper = ctx.support.name_for(runtime.filled_like, "filled_like")
            node.func = nodes.load(helper)


def _resolved(ctx, func: gast.expr):
    try:
        return ctx.resolve(func)
    except Exception:  # an attribute of something that is not a module: not NumPy's
        return None
