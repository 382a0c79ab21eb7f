"""The real part of an adjoint or tangent where its value holds real numbers.

Complex numbers in between give a real value's adjoint an imaginary part that means nothing:
the derivative with respect to a real number is real (JAX's convention: the cotangent of a
real-to-complex promotion is the real part of the complex one). Generated code takes it with
`np.real` where the code says the value is real, and with `real_like` where only the value
itself, as the code runs, can say (a part of a container, what a function returned).

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import numpy as np

from ..errors import NonScalarOutputError

COMPLEX_OUTPUT_HINT = (
    "differentiate a real function of it (np.real, np.imag, np.abs(...) ** 2); srcgrad.jvp "
    "gives the derivative of a complex value along a direction"
)


def real_like(g, x):
    """`g`, the adjoint or tangent of the value `x`, without its imaginary part where `x` holds
    real numbers; `g` itself where `x` is complex, where `g` is real, and where `g` is None (a
    zero adjoint). A list, tuple or dict element by element."""
    if g is None:
        return None
    if isinstance(g, (list, tuple)) and isinstance(x, (list, tuple)) and len(g) == len(x):
        parts = [real_like(a, b) for a, b in zip(g, x)]
        if isinstance(g, list):
            return parts
        return type(g)(*parts) if hasattr(g, "_fields") else tuple(parts)
    if isinstance(g, dict) and isinstance(x, dict):
        return {k: real_like(v, x[k]) if k in x else v for k, v in g.items()}
    if not is_complex(g) or is_complex(x) or isinstance(x, (list, tuple, dict)):
        return g
    return np.real(g)


def is_complex(x) -> bool:
    """A complex number, or an array of a complex dtype (NumPy's or another library's)."""
    if isinstance(x, complex):
        return True
    dtype = getattr(x, "dtype", None)
    return getattr(dtype, "kind", None) == "c"


def check_real(value, where: str, function: str):
    """Raise NonScalarOutputError where `value`, the output `grad` seeds with 1.0, is a complex
    number with an imaginary part: a gradient is of a real function (JAX refuses a complex
    output too). A complex number whose imaginary part is 0 is a real value in a complex dtype
    (NumPy 2.5's `np.linalg.eigvals` gives even a symmetric matrix's eigenvalues so): its
    gradient is its real part's, as it was before complex outputs were refused."""
    if is_complex(value) and np.any(np.imag(value) != 0):
        raise NonScalarOutputError(
            f"{where}: grad needs a real output, but '{function}' returned a complex number",
            hint=COMPLEX_OUTPUT_HINT,
        )
    return value
