"""The adjoints of the reverse sweep where it is, and the one way they change: contributions.

Guarantees: the first contribution to an adjoint assigns it and later ones add to it (in place
where the adjoint is an array srcgrad made and no other name holds); an adjoint that is one
number over its value's shape stays that number until something needs the array; nothing is
ever set to a zero-filled array here (a zero adjoint is a name absent from the table).
"""

from __future__ import annotations

import contextlib

import gast

from .. import runtime
from ..analyse import shapes as shape_analysis
from ..front import nodes
from ..rules.facts import only_float64
from ..rules.registry import Facts
from .adjoint_state import AdjointTable


class Adjoints:
    """`table` says what each adjoint is; `out` collects the statements that make them."""

    def __init__(self, ctx, active: set[str], shapes: dict, bound: set[str]):
        """`bound`: names certainly bound where the reverse sweep now is (parameters, names
        assigned by statements outside ifs and loops before this one): shape donors."""
        self.ctx = ctx
        self.active = active
        self.shapes = shapes
        self.table = AdjointTable()
        self.out: list[gast.stmt] = []
        self.origin = None
        self.bound = set(bound)
        self.components: dict[str, list[str]] = {}  # t of `a, b = t` -> [a, b]
        self.lists: set[str] = set()  # names that hold Python lists
        self.tuples: set[str] = set()  # names that hold tuple displays
        self.trees: set[str] = set()  # names that may hold containers of arrays (arguments)
        self.containers: set[str] = set()  # names that hold a list or dict wherever they hold any
        self.open_tuples = False  # a pullback: the tuples' adjoints come from a caller

    # ---- small things ---------------------------------------------------------------------

    def name(self, primal: str) -> str:
        return self.ctx.names.adjoint(primal)

    def load(self, primal: str) -> gast.Name:
        return nodes.load(self.ctx.names.adjoint(primal))

    def emit(self, stmt: gast.stmt) -> None:
        self.out.append(nodes.mark_adjoint(nodes.stamp(stmt, self.origin)))

    def helper(self, function) -> gast.Name:
        return nodes.load(self.ctx.support.name_for(function, function.__name__))

    def is_active(self, node: gast.expr | None) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    def has_active(self, node: gast.expr | None) -> bool:
        if isinstance(node, (gast.List, gast.Tuple)):
            return any(self.has_active(e) for e in node.elts)
        return self.is_active(node)

    def is_list(self, node: gast.expr) -> bool:
        return isinstance(node, gast.Name) and node.id in self.lists

    def donors(self) -> dict[tuple, str]:
        """Shape -> an active value of that shape bound here, the user's own names first."""
        found: dict[tuple, str] = {}
        generated = self.ctx.names.generated
        usable = self.bound & self.active
        # in the order values were computed, the user's own names before temporaries
        for name in sorted((n for n in self.shapes if n in usable), key=lambda n: n in generated):
            shape = self.shapes[name]
            if shape is not None:
                found.setdefault(shape, name)
        return found

    def facts(self, arguments: dict[str, gast.expr]) -> Facts:
        shapes, constants = {}, {}
        for param, node in arguments.items():
            shapes[param] = shape_analysis.operand_shape(node, self.shapes)
            # (a loop's integer stands for 0 in an index only: as an exponent or an axis, its
            # value matters, and `x ** k` is no `x ** 0`)
            integers = self.ctx.integers if param == "index" else frozenset()
            with contextlib.suppress(shape_analysis.NotConstant):
                constants[param] = shape_analysis.constant_value(node, integers)
        return Facts(
            self.ctx.floating,
            shapes,
            constants,
            self.donors(),
            arguments,
            self.ctx.index_arrays,
            self.ctx.array_arguments - self.ctx.other_arrays,
            bool(self.ctx.other_arrays),
            only_float64(self.ctx.dtypes, self.ctx.complex_values),
        )

    # ---- contributions --------------------------------------------------------------------

    def contribute(
        self, name: str, value: gast.expr, uniform: bool = False, shape: tuple = ()
    ) -> None:
        """Add `value` to `name`'s adjoint; `uniform`: `value` (of `shape`, a number or an
        array with ones where `name` has more) stands for its broadcast to `name`'s shape."""
        table = self.table
        defined = name in table
        if self.shapes.get(name) == ():
            uniform = False  # a number's adjoint is that number itself
        if uniform and not defined and name not in self.trees:
            if not isinstance(value, gast.Constant):  # held by a name no one reassigns
                held = self.ctx.names.temporary()
                self.emit(nodes.assign(held, value))
                self.shapes[held] = shape
                value = nodes.load(held)
            table.set_uniform(name, value)
            return
        if uniform and (not defined or table.uniform(name) is not None or name in self.trees):
            value = self.filled(name, value)  # (added to a full adjoint, it broadcasts)
        self.materialize(name)
        adjoint = self.name(name)
        if not defined and isinstance(value, gast.Name) and value.id == adjoint:
            table.set_array(name, owned=True)  # a rule already built it under its own name
            return
        self.shared(value)
        if defined and (name in self.trees or name in self.lists or name in self.tuples):
            # containers add element by element (+ would join them)
            value = nodes.call(self.helper(runtime.add_adjoints), [nodes.load(adjoint), value])
            owned = False
        elif defined and table.owned(name) and self.ctx.floating and not self.ctx.other_arrays:
            # an array srcgrad made and no other name holds: add in place, no new array
            self.emit(gast.AugAssign(target=nodes.store(adjoint), op=gast.Add(), value=value))
            table.set_array(name, owned=True)
            return
        elif defined:
            value = nodes.add(nodes.load(adjoint), value)
            owned = True  # `dx + c` is a new array, no one else's
        else:
            owned = False  # a rule's result may be a view of another adjoint
        table.set_array(name, owned)
        self.emit(nodes.assign(adjoint, value))

    def filled(self, name: str, value: gast.expr) -> gast.expr:
        return nodes.call(self.ctx.numpy_name("full_like"), [nodes.load(name), value])

    def materialize(self, name: str) -> None:
        """A uniform adjoint made an array: `dx = np.full_like(x, 1.0)`."""
        value = self.table.uniform(name)
        if value is not None:
            self.emit(nodes.assign(self.name(name), self.filled(name, value)))
            self.table.materialized(name)

    def materialize_all(self) -> None:
        for name in self.table.uniform_names():
            self.materialize(name)

    def shared(self, value: gast.expr) -> None:
        """An adjoint handed on as it is (`dx = dy`) is no longer its name's alone."""
        if isinstance(value, gast.Name):
            primal = self.ctx.names.primal_of(value.id)
            if primal is not None:
                self.table.shared(primal)
