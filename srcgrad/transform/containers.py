"""Adjoints of Python containers: tuples, lists, dicts and the trees of arrays users pass.

A tuple's adjoint is the tuple of its parts' adjoints (zeros for a part no path used), a list's a
list of adjoints (`list_adjoint`, grown and shortened as the list was), a dict's or a tree
argument's a container of the same structure built with `add_item`. Each function here emits
the statements for one statement of the user's that reads or builds a container.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..analyse.containers import may_be_an_array
from ..front import nodes
from ..normalize.ir import Operation


def tuple_adjoint(adjoints, parts: list[str], whole: str) -> gast.expr | None:
    """`(da, db)` for `a, b = t`, zeros for a part no path used; None if none was used. The
    parts' adjoints are used up."""
    table = adjoints.table
    if not any(p in table for p in parts):
        return None
    for part in parts:
        adjoints.materialize(part)
    elements = []
    for k, part in enumerate(parts):
        # zeros for a part no path used, shaped like the part as the tuple holds it (the
        # part's own name may be rebound later, or never bound if nothing reads it)
        held = nodes.subscript(nodes.load(whole), nodes.const(k))
        if part in table:
            elements.append(adjoints.load(part))
        elif part in adjoints.components:  # a tuple itself: zeros of its structure
            elements.append(nodes.call(adjoints.helper(runtime.zero_tangent), [held]))
        else:
            elements.append(nodes.call(adjoints.ctx.numpy_name("zeros_like"), [held]))
    table.discard_all(parts)
    return nodes.tuple_(elements)


def as_made(adjoints, op: Operation, g: gast.expr) -> gast.expr:
    """The tuple adjoint `g` of `a, b = t` as the adjoint of what made `t`: where that may be
    an array (a helper's), an array as the code runs."""
    if op.target in adjoints.trees and may_be_an_array(op):
        return nodes.call(adjoints.helper(runtime.as_gradient), [g, nodes.load(op.target)])
    return g


def tuple_elements(adjoints, op: Operation, g: gast.expr) -> None:
    """`t = (a, b)`: a's adjoint is `dt[0]` (None, a part no caller used or the whole tuple's
    adjoint on a path that did not read it, is zeros)."""
    for k, element in enumerate(op.args):
        if _nested(adjoints, element):
            _nested_elements(adjoints, element, g, k, nodes.load(op.target))
        elif adjoints.is_active(element):
            part = nodes.subscript(g, nodes.const(k))
            if adjoints.open_tuples or op.target in adjoints.trees:
                helper = adjoints.helper(runtime.part_adjoint)
                part = nodes.call(helper, [nodes.copy(g), nodes.const(k), element])
            adjoints.contribute(element.id, part)


def _nested(adjoints, element: gast.expr) -> bool:
    """A list or tuple display inside a display, with a value that carries a derivative."""
    return isinstance(element, (gast.List, gast.Tuple)) and adjoints.has_active(element)


def _nested_elements(adjoints, element, g: gast.expr, key, held: gast.expr) -> None:
    """`t = ([a], [b])`: the adjoint of the display at `key` of `held` (zeros where nothing
    flowed), then its elements' adjoints from it, as a list display's are."""
    like = nodes.subscript(nodes.copy(held), nodes.const(key))
    part = adjoints.ctx.names.temporary()
    call = nodes.call(
        adjoints.helper(runtime.part_adjoint), [nodes.copy(g), nodes.const(key), like]
    )
    adjoints.emit(nodes.assign(part, call))
    list_elements(adjoints, element.elts, nodes.load(part), like)


def dict_values(adjoints, op: Operation, g: gast.expr) -> None:
    """`d = {"w": a}`: a's adjoint is the entry of `dd` at "w" (zeros where there is none)."""
    for key, value in zip(op.keys, op.args):
        if _nested(adjoints, value):
            _nested_elements(adjoints, value, g, key, nodes.load(op.target))
        elif adjoints.is_active(value):
            helper = adjoints.helper(runtime.entry_adjoint)
            part = nodes.call(helper, [nodes.copy(g), nodes.const(key), value])
            adjoints.contribute(value.id, part)


def list_elements(adjoints, elements: list, g: gast.expr, held: gast.expr) -> None:
    """The adjoints of a list display's elements from the list's adjoint `g` (a list of
    adjoints, or an array), nested displays element by element: `[[a, b], [c, d]]`. `held`:
    the list as it was made (zeros of an element's shape where nothing flowed)."""
    helper = adjoints.helper(runtime.element_adjoint)
    for k, element in enumerate(elements):
        like = nodes.subscript(nodes.copy(held), nodes.const(k))
        if isinstance(element, (gast.List, gast.Tuple)) and adjoints.has_active(element):
            part = adjoints.ctx.names.temporary()
            call = nodes.call(helper, [nodes.copy(g), nodes.const(k), like])
            adjoints.emit(nodes.assign(part, call))
            list_elements(adjoints, element.elts, nodes.load(part), like)
        elif adjoints.is_active(element):
            part = nodes.call(helper, [nodes.copy(g), nodes.const(k), element])
            adjoints.contribute(element.id, part)


def display_elements(adjoints, display: gast.expr, value: gast.expr) -> None:
    """`np.stack([a, b])`: the rule gives one adjoint per element of the list display."""
    parts = adjoints.ctx.names.temporary()
    adjoints.emit(nodes.assign(parts, value))
    for k, element in enumerate(display.elts):
        part = nodes.subscript(nodes.load(parts), nodes.const(k))
        if isinstance(element, (gast.List, gast.Tuple)) and adjoints.has_active(element):
            display_elements(adjoints, element, part)  # [[x, y], [z, 1.0]]
        elif adjoints.is_active(element):
            adjoints.contribute(element.id, part)


def whole_list(adjoints, name: str, value: gast.expr) -> None:
    """`np.stack(xs)` of a list `xs`: the rule's adjoint is one per element of the list."""
    adjoint = adjoints.load(name)
    if name in adjoints.table:
        value = nodes.call(adjoints.helper(runtime.add_all), [adjoint, value])
    else:
        value = nodes.call(nodes.load("list"), [value])
    adjoints.table.set_array(name)
    adjoints.emit(nodes.assign(adjoint.id, value))


def list_element(adjoints, name: str, index: gast.expr, g: gast.expr) -> None:
    """`y = xs[k]`: add `dy` to element k of the list of adjoints of `xs`."""
    if not adjoints.is_active(nodes.load(name)):
        return
    adjoint = adjoints.name(name)
    if name not in adjoints.table:
        start = nodes.call(adjoints.helper(runtime.list_adjoint), [nodes.load(name)])
        adjoints.emit(nodes.assign(adjoint, start))
        adjoints.table.set_array(name)
    call = nodes.call(adjoints.helper(runtime.add_at), [nodes.load(adjoint), index, g])
    adjoints.emit(nodes.expr_stmt(call))


def tree_item(adjoints, name: str, index: gast.expr, g: gast.expr) -> None:
    """`y = params[k]` for a container argument: `dparams = add_item(dparams, ...)`."""
    adjoint = adjoints.name(name)
    current = nodes.load(adjoint) if name in adjoints.table else nodes.const(None)
    call = nodes.call(adjoints.helper(runtime.add_item), [current, nodes.load(name), index, g])
    adjoints.emit(nodes.assign(adjoint, call))
    adjoints.table.set_array(name)


def append(adjoints, stmt: gast.Expr, op: Operation) -> None:
    """`xs.append(v)`: shorten `xs` again; `v`'s adjoint is the last of `xs`'s adjoints."""
    adjoints.origin = nodes.origin_of(stmt)
    name, value = op.target, op.args[1]
    adjoints.emit(nodes.expr_stmt(nodes.call(nodes.attribute(nodes.load(name), "pop"))))
    if isinstance(value, (gast.Tuple, gast.List)) and name in adjoints.table:
        _append_display(adjoints, name, value)  # `xs.append((a, b))`: each part its own
        return
    if name not in adjoints.table or not adjoints.is_active(value):
        if name in adjoints.table:  # keep the list of adjoints as long as the list
            pop = nodes.call(nodes.attribute(adjoints.load(name), "pop"))
            adjoints.emit(nodes.expr_stmt(pop))
        return
    part = adjoints.ctx.names.temporary()
    helper = adjoints.helper(runtime.pop_adjoint)
    adjoints.emit(nodes.assign(part, nodes.call(helper, [adjoints.load(name), value])))
    adjoints.contribute(value.id, nodes.load(part))


def _append_display(adjoints, name: str, value: gast.expr) -> None:
    """`xs.append((a, b))`: the last of `xs`'s adjoints is the tuple's (None where nothing
    flowed into it); `a` gets its first part, `b` its second."""
    whole = adjoints.ctx.names.temporary()
    pop = nodes.call(nodes.attribute(adjoints.load(name), "pop"))
    adjoints.emit(nodes.assign(whole, pop))
    helper = adjoints.helper(runtime.part_adjoint)
    for k, element in enumerate(value.elts):
        if adjoints.is_active(element):
            part = adjoints.ctx.names.temporary()
            found = nodes.call(helper, [nodes.load(whole), nodes.const(k), element])
            adjoints.emit(nodes.assign(part, found))
            adjoints.contribute(element.id, nodes.load(part))
