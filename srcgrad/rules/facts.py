"""What the transform knows about one call site, for choosing among a function's rule variants
(`registry.variant`): each variant's `when` reads these facts, and its extras are computed from
them. A fact the transform does not know is None (a shape) or `Facts.UNKNOWN` (a constant): a
variant applies only where what it needs is known.
"""

from __future__ import annotations

import gast

from ..front import nodes


class Facts:
    """What the transform knows about one call site, for choosing a rule variant.

    `floating`: every differentiated input is a float, so every active value is one.
    `shape(p)`: the shape of the operand bound to parameter `p`, or None when unknown.
    `constant(p)`: the literal value bound to `p`, or `Facts.UNKNOWN`.
    `float64`: every float value is a float64 one (no argument of another float or complex
    dtype, no complex value in between), as np.bincount's sums are.
    """

    UNKNOWN = object()

    def __init__(
        self,
        floating: bool,
        shapes: dict,
        constants: dict,
        donors=None,
        operands=None,
        integer_arrays=frozenset(),
        array_arguments=frozenset(),
        other_arrays=False,
        float64=False,
    ):
        self.floating = floating
        self._shapes = shapes
        self._constants = constants
        self._donors = donors or {}  # shape -> name of a computed float value of that shape
        self._operands = operands or {}  # parameter -> the operand expression bound to it
        self._integer_arrays = integer_arrays  # names that hold integer arrays (arguments)
        self._array_arguments = array_arguments  # names that hold NumPy arrays (arguments)
        # arrays of another library (dask, CuPy) among the arguments: no variant that writes
        # into zeros it made (a NumPy array would take a dask value by computing it)
        self.other_arrays = other_arrays
        self.float64 = float64

    def integer_array(self, param: str) -> bool:
        """`param` is bound to an argument that holds an array of integers."""
        node = self._operands.get(param)
        return isinstance(node, gast.Name) and node.id in self._integer_arrays

    def array_argument(self, param: str) -> bool:
        """`param` is bound to an argument that holds a NumPy array (it has .shape, .dtype)."""
        node = self._operands.get(param)
        return isinstance(node, gast.Name) and node.id in self._array_arguments

    def like(self, param: str) -> gast.expr | None:
        """A value with the shape (and float dtype) of `param`'s active operand, for
        `np.full_like`: one computed anyway if there is one, else the operand itself."""
        shape = self.shape(param)
        name = self._donors.get(shape) if shape is not None else None
        if name is not None:
            return nodes.load(name)
        operand = self._operands.get(param)
        return operand if isinstance(operand, gast.Name) else None

    def shape(self, param: str) -> tuple | None:
        return self._shapes.get(param)

    def same_name(self, first: str, second: str) -> bool:
        """Both parameters are bound to the same variable (`x * x`)."""
        a, b = self._operands.get(first), self._operands.get(second)
        return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id

    def constant(self, param: str) -> object:
        return self._constants.get(param, Facts.UNKNOWN)


def only_float64(dtypes: dict, complex_values: bool) -> bool:
    """No argument's dtype (`dtype_name`s) is a float other than float64 or a complex one, and
    nothing complex in between: every float the function makes is a float64 one (containers'
    own elements are not known here; a complex one fails loudly in np.bincount)."""
    if complex_values:
        return False
    return not any(
        name.startswith(("float", "complex", "longdouble", "clongdouble"))
        and name not in ("float", "float64")
        for name in dtypes.values()
    )
