"""srcgrad: automatic differentiation of Python and NumPy code by source transformation.

`srcgrad.grad(f)` reads `f`'s source, writes a new Python function that computes the gradient
(the chain rule applied statement by statement in reverse order), compiles it, and lets you
read it: `srcgrad.grad(f).source`, `srcgrad.show(f)`, `python -m srcgrad FILE.py:FUNC`.
"""

from . import rules  # noqa: F401  (importing it registers the derivative rules)
from .api.checking import GradientCheck, check_grad
from .api.custom import custom_jvp, custom_vjp, register_jvp, register_vjp
from .api.disk_cache import set_disk_cache
from .api.export import export
from .api.gradient import Forward, Gradient
from .api.graph import graph, render
from .api.matrices import Hessian, Jacobian, hessian, hvp, jacobian
from .api.transforms import elementwise_grad, forward, grad, jvp, show, value_and_grad, vjp
from .errors import (
    InternalError,
    NonFiniteError,
    NonScalarOutputError,
    NoRuleError,
    SourceUnavailableError,
    SrcgradError,
    UnsupportedSyntaxError,
    WrtError,
)
from .rules.rule import RuleError
from .runtime.checkpoints import checkpoint, checkpointed
from .runtime.markers import no_grad, stop_gradient

__version__ = "0.1.0"

__all__ = [
    "Forward",
    "Gradient",
    "GradientCheck",
    "check_grad",
    "checkpoint",
    "checkpointed",
    "custom_jvp",
    "custom_vjp",
    "register_jvp",
    "register_vjp",
    "elementwise_grad",
    "export",
    "graph",
    "no_grad",
    "render",
    "set_disk_cache",
    "InternalError",
    "NoRuleError",
    "NonFiniteError",
    "NonScalarOutputError",
    "RuleError",
    "SourceUnavailableError",
    "SrcgradError",
    "UnsupportedSyntaxError",
    "WrtError",
    "forward",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "Hessian",
    "Jacobian",
    "jvp",
    "show",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]
