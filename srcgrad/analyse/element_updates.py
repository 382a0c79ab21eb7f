"""Analyse stage, memory (continued): changes made through a list's, tuple's or dict's element.

`memory.py` follows names; these are the changes it meets that go through what a container
holds, where Python changes an object in place that srcgrad would otherwise take for a new
value:

* `c[k] += v` where `c[k]` is an array a list, tuple or dict holds: NumPy adds into that array
  (then `c[k]` is bound to it again). Followed as an update in place of the array: refused where
  another name still read later may hold it, where `c` may hold it at two places, or where what
  `c` holds is not known (an argument's list, what a call made).
* a method that changes the value it is called on, run as it is (`d["h"].append(v)`,
  `xs.pop(0)` through a second name, `d.pop(k)`): refused where a value that carries a
  derivative goes in or is held there and anything reads that value after it.
* a list a loop runs over that the loop's body makes longer or shorter (`for v in xs:
  xs.append(...)`): Python's loop sees the new length, srcgrad's counted the old one: refused.

Guarantees: each refusal is an `UnsupportedSyntaxError` at the user's line, with the way to
write the same with new values.
"""

from __future__ import annotations

import builtins
import operator

import gast

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..front import nodes, reading
from ..front.emit import unparse
from ..normalize.ir import Kind
from .shapes import TREES

# methods that change the list, dict or set they are called on; those that change its length
CHANGING = {"sort", "reverse", "__setitem__", "__iadd__"}
GROWING = {
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
    "popitem", "add", "discard", "__delitem__",
}  # fmt: skip
_ADVICE = {
    "append": "{c} = {c} + [v]",
    "extend": "{c} = {c} + list(vs)",
    "insert": "{c} = {c}[:i] + [v] + {c}[i:]",
    "pop": "{c} = {c}[:-1] (or {c}[1:] for pop(0)), after reading the element",
    "remove": "a new list without the element",
    "update": "assign each key of a new dict",
}


def element_update(flow, stmt: gast.Assign, op, state) -> bool:
    """`t = e op v` that the user wrote `c[k] op= v` (e = c[k]): where e may be an array that
    a list, tuple or dict holds, NumPy changes that array in place and `c[k] = t` stores it
    back. Registers the update (t is then e) and says whether there was one."""
    base = op.args[0] if op.args else None
    if not isinstance(base, gast.Name) or not flow.may_be_an_array(base.id, state):
        return False
    container = _container_of(flow, base.id)
    if container is None or isinstance(flow.ctx.shapes.get(getattr(container, "id", None)), tuple):
        return False  # (a part of an array: a view of it, which `c[k] = t` writes back)
    if not _stored_back(flow, op.target, container) or _a_copy(flow, container):
        return False  # (a copy srcgrad made, `copied(cell)` of outer_writes: its own arrays)
    outer = _objects(flow, state, container)
    elements = frozenset(o for o in flow.objects(state, base) - outer if _followed(flow, o))
    known = bool(outer) and all(o in flow.containers and o[0] == "new" for o in outer)
    if not known and any(
        _may_be_a_container(flow, o) for o in outer
    ):  # (an argument's list or dict, what a call made: what it holds is not known)
        flow.update(stmt, base.id, frozenset(o for o in outer if o[0] == "param"), state)
        flow.unproven.append((stmt, container))
        return False
    if not elements:
        return False
    flow.update(stmt, base.id, elements, state, through=outer)
    state.points[op.target] = flow.objects(state, base)
    flow.written_back.add(op.target)
    return True


def _container_of(flow, name: str):
    """The `c` of `name = c[k]`, where that is how `name` was bound."""
    made = flow.bound_by.get(name, [])
    op = flow.ops.get(id(made[-1])) if made else None
    if op is None or op.key is not operator.getitem:
        return None
    return op.args[0]


def _followed(flow, obj) -> bool:
    """An object this analysis follows: one the function made, a module's, or an argument
    known to be an array (a helper's argument of no known kind is its caller's to follow)."""
    if obj[0] != "param":
        return True
    return flow.ctx.dtypes.get(obj[1]) not in (None, "float", "int", *TREES)


def _may_be_a_container(flow, obj) -> bool:
    """A list, tuple or dict, or what a call made that may be one (not an array NumPy or
    arithmetic on arrays made)."""
    if obj in flow.containers:
        return True
    if obj[0] == "param":
        return flow.ctx.dtypes.get(obj[1]) in (None, *TREES)
    return obj not in flow.arrays


def _a_copy(flow, container) -> bool:
    """`c = copied(...)`: a list or dict of new arrays, each held there once."""
    made = flow.bound_by.get(getattr(container, "id", None), [])
    ops = [flow.ops.get(id(stmt)) for stmt in made]
    return bool(ops) and all(op is not None and op.key is runtime.copied for op in ops)


def _stored_back(flow, name: str, container) -> bool:
    """`c[k] = name` stores the new element into the container it was read from."""
    for op in flow.ops.values():
        if op.kind is Kind.SETITEM and getattr(op.args[2], "id", None) == name:
            return getattr(container, "id", None) == op.target
    return False


def _objects(flow, state, node) -> frozenset:
    """What a name, a display, or a part of a container (`d["h"]`) may point to."""
    if isinstance(node, (gast.List, gast.Tuple)):
        return frozenset()  # (a display made here: nothing else holds it)
    if isinstance(node, gast.Subscript):
        outer = _objects(flow, state, node.value)
        return state.reach(outer) - (outer & flow.containers)
    return flow.objects(state, node)


def method_change(flow, stmt: gast.stmt, call: gast.Call, state) -> None:
    """A method call made as it is that changes the value it is called on (`d["h"].pop()`,
    `alias.pop(0)`, `d.pop(k)`): an update of what that value may be, which srcgrad does not
    follow as a new value."""
    func = call.func
    if (
        not isinstance(func, gast.Attribute)
        or func.attr not in CHANGING | GROWING
        or flow.ctx.is_global_reference(func)
        or nodes.is_record(stmt)
        or nodes.is_users_method(call)  # (the user's own `ema.update(v)`: normalize/mutators)
    ):
        return
    root = func.value
    while isinstance(root, gast.Subscript):
        root = root.value
    if not isinstance(root, gast.Name):
        return  # (an attribute's list: objects.py follows those)
    reads = frozenset().union(*(nodes.names_read(a) for a in call.args))
    reads |= frozenset().union(*(nodes.names_read(k.value) for k in call.keywords))
    flow.update(
        stmt,
        root.id,
        _objects(flow, state, func.value),
        state,
        method=func.attr,
        reads=reads,
        receiver=unparse(func.value),
        grows=func.attr in GROWING,
        keep=True,
    )


def sized(flow, op, state) -> None:
    """`n = len(xs)`: the objects n counts (a loop over xs runs n steps)."""
    if op.key is builtins.len and op.args:
        flow.sized[op.target] = flow.objects(state, op.args[0])


def makes_an_array(flow, op, state) -> bool:
    """A NumPy function's result, or arithmetic of no list, tuple or dict."""
    if op.key is not None and reading.module_of(op.key).startswith("numpy"):
        return True
    operands = [flow.objects(state, a) for a in op.args]
    return op.key in _ARITHMETIC and not any(o & flow.containers for o in operands)


_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg}
_ARITHMETIC |= {operator.pow, operator.matmul, operator.pos, operator.floordiv, operator.mod}


def counted(flow, loop) -> frozenset:
    """The objects of the list a loop the `loops` pass wrote runs over (`for _k in
    range(len(xs))`), whose length Python reads at every step."""
    target, iterated = loop.target, loop.iter
    if not (
        isinstance(target, gast.Name)
        and target.id in flow.ctx.names.generated
        and isinstance(iterated, gast.Call)
        and len(iterated.args) == 1
        and isinstance(iterated.args[0], gast.Name)
    ):
        return frozenset()
    return flow.sized.get(iterated.args[0].id, frozenset())


def check_method(flow, update, after: frozenset, output: str) -> None:
    """A method run as it is that changes its value: refused where a value that carries a
    derivative goes in, or is held there, and a name that may hold that value is read after
    it (by anything but another such call: a log a loop appends to is left as it is)."""
    state, varied = update.state, flow.varied
    given = bool(update.reads & varied)
    held = update.name in varied or any(
        state.reach(flow.objects(state, nodes.load(name))) & update.objects
        for name in varied
        if update.objects
    )
    if not (given or held):
        return
    readers = {output}
    for op in flow.ops.values():
        if op.kind is not Kind.APPEND:
            readers |= op.names()
    holders = {update.name} | {
        name
        for name in after
        if update.objects and state.reach(flow.objects(state, nodes.load(name))) & update.objects
    }
    if holders & after & readers:
        refuse_method(flow.ctx, update, given)


# ---- the refusals --------------------------------------------------------------------------


def refuse_unproven(ctx, stmt, container) -> None:
    what = ctx.names.user(container.id) if isinstance(container, gast.Name) else "a container"
    raise UnsupportedSyntaxError(
        f"an augmented assignment into an element of '{what}', which may be an array, is not "
        "supported where srcgrad cannot tell what else holds that array (NumPy changes the "
        "array itself, and every other reference to it sees the change)",
        ctx.origin(stmt),
        "write the element as a new array: c[k] = c[k] + v",
    )


def refuse_element(ctx, update, other: str | None) -> None:
    origin = ctx.origin(update.stmt)
    why = (
        f"'{ctx.names.user(other)}' may hold the same array and is read after it"
        if other is not None
        else "the container may hold that array at two places"
    )
    raise UnsupportedSyntaxError(
        f"an augmented assignment into an element that may be an array ({origin.text}) changes "
        f"the array itself, and {why}: srcgrad would take the two for different values",
        origin,
        "write the element as a new array (c[k] = c[k] + v), or put a copy in the container",
    )


def refuse_method(ctx, update, varied_value: bool) -> None:
    advice = _ADVICE.get(update.method, "a new list or dict, assigned to a name")
    advice = advice.format(c=update.receiver)
    what = (
        "is given a value that carries a derivative"
        if varied_value
        else "holds values that carry a derivative"
    )
    raise UnsupportedSyntaxError(
        f"'.{update.method}()' changes the list or dict it is called on in place, which is "
        f"not supported where it {what} and is read after it: srcgrad does not follow that "
        "change",
        ctx.origin(update.stmt),
        f"build the new value and assign it to a name ({advice}), then read that name",
    )


def refuse_growth(ctx, loop, update) -> None:
    name = ctx.names.user(update.name)
    raise UnsupportedSyntaxError(
        f"the loop runs over '{name}', which its body makes longer or shorter: Python's loop "
        "sees the new length as it runs, srcgrad's counts the old one",
        ctx.origin(update.stmt),
        f"collect what the loop adds in another list, and join the two after the loop "
        f"(or loop over range(...) and read {name}[i])",
    )
