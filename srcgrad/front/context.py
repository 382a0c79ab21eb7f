"""What every stage after reading shares about one transformation: names, objects, options."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from enum import Enum

import gast
import numpy

from ..errors import Origin
from . import nodes
from .naming import Names, Support
from .reading import MISSING, Parsed


class Mode(Enum):
    """What a generated function computes and returns."""

    GRAD = "grad"  # the gradient
    VALUE_AND_GRAD = "value_and_grad"  # (value, gradient)
    VJP = "vjp"  # (value, pullback): how differentiated code calls the user's functions
    JVP = "jvp"  # forward mode: (value, tangent)
    # forward mode for any argument shapes, tangents as keyword parameters: what code that is
    # differentiated again calls in place of the user's functions
    JVP_PLAIN = "jvp_plain"
    # forward mode, the tangent alone, every tangent 1.0 by default: for a scalar input, the
    # derivative itself, as a function of the same arguments (`grad(grad(f))` reads it)
    TANGENT = "tangent"

    @property
    def forward(self) -> bool:
        return self in (Mode.JVP, Mode.JVP_PLAIN, Mode.TANGENT)

    @property
    def read_again(self) -> bool:
        """Code that srcgrad itself will read and differentiate again."""
        return self in (Mode.JVP_PLAIN, Mode.TANGENT)


@dataclass
class Context:
    parsed: Parsed
    names: Names
    support: Support
    local_names: set[str]
    shapes: dict[str, tuple | None] = field(default_factory=dict)
    views: frozenset = frozenset()  # primal names that may share another array's memory
    wrt_is_tuple: bool = False
    floating: bool = False  # every differentiated input is a float (see rules.registry.Facts)
    dtypes: dict[str, str] = field(default_factory=dict)  # parameter -> dtype of its value
    integers: frozenset = frozenset()  # names that only ever hold a range loop's integers
    counts: frozenset = frozenset()  # names the signature decides hold an int above 0 (x.shape[0])
    check_finite: bool = False  # checks after every adjoint (optimize/finite.py), in callees too
    tape_limit: int | None = None  # bytes the reverse sweep's tape may hold: loops checkpointed
    unpacked: dict[str, int] = field(default_factory=dict)  # `_t` of `a, b = _t`: its length
    index_arrays: frozenset = frozenset()  # integer-array arguments never rebound
    array_arguments: frozenset = frozenset()  # NumPy array (or scalar) arguments never rebound
    # arguments that are arrays of another library (dask, CuPy): no adjoint is added to in place
    # (a NumPy array cannot take a dask one's sum), no variant assumes NumPy's own arrays
    other_arrays: frozenset = frozenset()
    complex_values: bool = False  # complex values in between (an FFT): no real-only shortcuts
    made_by_calls: frozenset = frozenset()  # names a call made (a function value it made too)
    callees: object = None  # pipeline.Callees: the transforms of the user's functions it calls
    # arguments that are functions, never rebound: the function each denotes in this signature
    functions: dict[str, object] = field(default_factory=dict)
    # a call of the user's function that writes into arguments nothing reads after it: the
    # statement's id -> the parameters (given copies where the call runs as it is)
    written_by_calls: dict[int, set] = field(default_factory=dict)
    output_updated: bool = False  # the result shares memory an update in place changes
    cells: dict[str, str] = field(default_factory=dict)  # a `nonlocal` name's list -> the name

    @classmethod
    def of(cls, parsed: Parsed) -> Context:
        tree = parsed.tree
        mentioned = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)}
        local = nodes.names_stored(tree)
        names = Names(mentioned)
        support = Support(names, parsed.namespace, local)
        return cls(parsed, names, support, local)

    def resolve(self, node: gast.expr) -> object:
        """The object a name or attribute chain denotes, or MISSING for the function's values."""
        if isinstance(node, gast.Name) and node.id in self.support.injected:
            return self.support.injected[node.id]  # put in by a pass (runtime.astype)
        if isinstance(node, gast.Name) and node.id in self.functions:
            return self.functions[node.id]  # (the guard checks it is that function)
        return self.parsed.namespace.resolve(node, self.local_names)

    def is_global_reference(self, node: gast.expr) -> bool:
        return self.resolve(node) is not MISSING

    def origin(self, node: gast.AST) -> Origin:
        return self.parsed.origin(node)

    def builtin(self, name: str) -> gast.Name:
        """A builtin (`len`, `range`, ...) by a name that denotes it in generated code, even
        where the user's function has a local of that name."""
        return nodes.load(self.support.name_for(getattr(builtins, name), name))

    def numpy_name(self, function: str) -> gast.expr:
        """`np.<function>` spelled with the user's own alias of numpy when there is one."""
        return nodes.dotted(f"{self.support.name_for(numpy, 'np')}.{function}")
