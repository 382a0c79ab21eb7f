"""Functions whose derivative is zero wherever it exists: their results carry no gradient.

A value computed by one of these stops the contagion of activity, so `n = len(x)` or
`k = np.argmax(s)` never needs a rule. Anything not listed here and without a rule is an error
naming the function and the line, never a silent zero.
"""

import builtins

import numpy as np

from ..runtime.checks import no_derivative
from ..runtime.markers import stop_gradient
from .registry import nondifferentiable

nondifferentiable(stop_gradient)  # srcgrad's own marker: a constant to the gradient
nondifferentiable(no_derivative)  # raises where a rule has no derivative: it has none itself

nondifferentiable(
    # rounding and sign
    np.floor,
    np.ceil,
    np.round,
    np.around,
    np.rint,
    np.trunc,
    np.fix,
    np.sign,
    # indices, counts and tests
    np.argmax,
    np.argmin,
    np.argsort,
    np.argpartition,
    np.argwhere,
    np.nonzero,
    np.flatnonzero,
    np.count_nonzero,
    np.searchsorted,
    np.digitize,
    np.shape,
    np.ndim,
    np.size,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.isposinf,
    np.isneginf,
    np.isreal,
    np.iscomplex,
    np.isrealobj,
    np.iscomplexobj,
    np.isscalar,
    np.result_type,
    np.isclose,
    np.allclose,
    np.array_equal,
    np.array_equiv,
    np.any,
    np.all,
    np.equal,
    np.not_equal,
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    # constructors from shapes (np.full, np.linspace and np.arange carry their values'
    # gradients: joining.py)
    np.zeros,
    np.ones,
    np.empty,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.eye,
    np.identity,
    # Python builtins
    builtins.len,
    builtins.int,
    builtins.bool,
    builtins.round,
    builtins.range,
    builtins.isinstance,
    builtins.print,
)
