"""Checks generated code makes as it runs: a scalar output, finite adjoints
(`check_finite=True`), and the zero gradient of an argument nothing reached.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import numpy as np

from ..errors import NonFiniteError, NonScalarOutputError


def check_scalar(value, where: str, function: str):
    """Raise NonScalarOutputError unless `value` is a scalar (the seed of reverse mode is 1.0)."""
    if value is None or isinstance(value, (str, bytes)):
        raise NonScalarOutputError(
            f"{where}: grad needs a number, but '{function}' returned "
            f"{'None' if value is None else type(value).__name__}",
            hint="make every path of the function end in `return` and the value to differentiate",
        )
    shape = np.shape(value)
    if shape != ():
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
