"""Analyse stage, in-place updates: the functions whose result may share its argument's memory
(`SHARING`), and the copies of the arguments the function updates in place.

`memory.py` decides which updates are sound and which arguments are updated; here are the
copies that make srcgrad's generated code leave the caller's arrays as they were.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime
from ..front import nodes
from .shapes import TREES

# functions whose result may be a view of their first argument (or the argument itself):
# after `v = f(x)`, `v[i] = u` could change x too (the optimizer reads this list as well)
SHARING = {
    operator.getitem,
    np.reshape,
    np.transpose,
    np.ravel,
    np.squeeze,
    np.expand_dims,
    np.swapaxes,
    np.moveaxis,
    np.broadcast_to,
    np.asarray,
    np.atleast_1d,
    np.atleast_2d,
    np.atleast_3d,
    np.flip,
    np.fliplr,
    np.flipud,
    np.diagonal,
    np.real,
    np.imag,
    np.rot90,
    np.rollaxis,
    np.ascontiguousarray,
    np.asfortranarray,
    np.asanyarray,
    np.require,
    np.diag,
    np.trim_zeros,
    np.real_if_close,
    np.lib.stride_tricks.sliding_window_view,
    np.lib.stride_tricks.as_strided,
    *(f for f in (getattr(np, "permute_dims", None), getattr(np, "matrix_transpose", None)) if f),
}


def argument_copies(ctx, copies: dict, kept: frozenset = frozenset()) -> tuple[list, list]:
    """`x = np.copy(x)` for each argument the function updates in place (`memory.check` says
    which), so that the caller's arrays never change; and, for a dict, list or mutable record
    of the caller's that is not differentiated (not in `kept`: running statistics, a cache),
    `written_back(given, x)` for the end of the forward sweep, which leaves in the caller's
    container what plain Python would have left there."""
    made, back = [], []
    for name in sorted(copies):
        origin = ctx.origin(copies[name])
        # (a list, tuple, dict or record of arrays; or a value of a type not known, in code
        # for any signature: `copied` and `written_back` leave an array as np.copy does)
        if ctx.dtypes.get(name) in TREES or name not in ctx.dtypes:
            helper = nodes.load(ctx.support.name_for(runtime.copied, "copied"))
            copy = nodes.call(helper, [nodes.load(name)])
            if name not in kept:
                given = ctx.names.fresh(f"{name}_given")
                made.append(nodes.assign(given, nodes.load(name), origin))
                writer = ctx.support.name_for(runtime.written_back, "written_back")
                call = nodes.call(nodes.load(writer), [nodes.load(given), nodes.load(name)])
                back.append(nodes.expr_stmt(call, origin))
        else:
            copy = nodes.call(ctx.numpy_name("copy"), [nodes.load(name)])
        made.append(nodes.assign(name, copy, origin))
    return made, back
