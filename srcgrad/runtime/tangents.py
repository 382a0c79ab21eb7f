"""Forward mode's helpers: the zero tangent of a value of any structure, a tangent spread
to its result's shape, the real part of a tangent through complex values.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import numpy as np

from .arrays import is_other_array


def zero_tangent(x):
    """The tangent of a value that does not depend on the differentiated inputs: 0.0 for a
    number, zeros of its shape for an array (float, keeping a float array's dtype), the same
    structure for a list, tuple or dict, and None for anything else (a string, None)."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # NumPy's named results (EighResult)
        return tuple(zero_tangent(v) for v in x)
    if isinstance(x, (list, tuple)):
        return type(x)(zero_tangent(v) for v in x)
    if isinstance(x, dict):
        return {k: zero_tangent(v) for k, v in x.items()}
    if isinstance(x, (bool, str)) or x is None:
        return None
    if isinstance(x, (int, float, np.integer, np.floating)) and np.ndim(x) == 0:
        return 0.0
    if isinstance(x, np.ndarray) or is_other_array(x):  # (a dask or CuPy array's own zeros)
        return np.zeros_like(x, dtype=x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, complex):
        return 0.0
    return None


def tangent_like(t, ans):
    """`t` spread to the shape of `ans` where it was broadcast against a larger operand."""
    shape = np.shape(ans)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def real_tangent(t, ans):
    """The real part of `t` where the value itself is real (complex values in between)."""
    if isinstance(ans, (tuple, list)):
        return type(t)(real_tangent(a, b) for a, b in zip(t, ans))
    return t if np.iscomplexobj(ans) else np.real(t)
