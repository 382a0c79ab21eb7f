"""Real parts of the adjoints and tangents of real values, where complex values meet them.

Guarantees: where `analyse.reals` found complex values meeting active ones, every contribution
to the adjoint of a real value that a mixing statement reads (`x` of `z = x * c`) is its real
part, `np.real(...)`, and so is the tangent of a real value such a statement makes (`r` of
`r = np.abs(z)`); a value whose kind the code does not say gets `real_like(..., x)`, the real
part where it holds real numbers as the code runs. A real value's adjoint is then real all the
way back, as a real input's gradient is, and its imaginary part never meets a complex factor.
Where no complex value meets an active one, nothing here is used: the code is the same.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..analyse.reals import Reals
from ..front import nodes
from .adjoints import Adjoints


def real_part(ctx, how: str | None, value: gast.expr, name: str) -> gast.expr:
    """`value`, the adjoint or tangent of `name`, made real as `how` says ("real", "either",
    or None: as it is)."""
    if how is None or (isinstance(value, gast.Constant) and not isinstance(value.value, complex)):
        return value
    if how == "real":
        return nodes.call(ctx.numpy_name("real"), [value])
    helper = nodes.load(ctx.support.name_for(runtime.real_like, "real_like"))
    return nodes.call(helper, [value, nodes.load(name)])


class RealAdjoints(Adjoints):
    """Adjoints whose contributions to real values are real (see the module)."""

    reals: Reals

    def contribute(
        self, name: str, value: gast.expr, uniform: bool = False, shape: tuple = ()
    ) -> None:
        how = self.reals.adjoint_part(name)
        whole = name in self.trees or name in self.lists or name in self.containers
        if how == "real" and (whole or name in self.components):
            how = "either"  # (a container's adjoint: element by element, as the code runs)
        if how is not None:
            self.shared(value)  # (handed on inside the call: no longer its name's alone)
            value = real_part(self.ctx, how, value, name)
        super().contribute(name, value, uniform, shape)
