"""Adjoints of Python containers: a list's is a list of adjoints, a dict's or a tree
argument's a container of the same structure, None (zero) where nothing flowed.

Like every runtime helper: never mutates its inputs, creates arrays only with `*_like`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import sys
import types

import numpy as np

from ..errors import UnsupportedSyntaxError
from .arrays import is_other_array
from .broadcasting import unbroadcast
from .checks import calling_line, zero_gradient
from .indexing import index_adjoint
from .tangents import zero_tangent


def dict_values(d) -> list:
    """`d.values()`, as a list (in generated code, so that it has a derivative rule)."""
    return list(d.values())


def dict_items(d) -> list:
    """`d.items()`, as a list of `(key, value)` pairs."""
    return list(d.items())


def dict_copy(d) -> dict:
    """`d.copy()` of a dict: a new dict holding the same values."""
    return dict(d)


def dict_keys(d) -> list:
    """`d.keys()`, as a list."""
    return list(d.keys())


def iterated(xs):
    """What `for v in xs` steps through, for a `xs` that may be a dict: its keys (a list)."""
    return list(xs) if isinstance(xs, dict) else xs


def iterated_adjoint(g, xs):
    """The adjoint of `xs` from that of `iterated(xs)`: none for a dict (its keys)."""
    return None if isinstance(xs, dict) else g


def values_adjoint(g, d):
    """The adjoint of the dict `d` from that of `list(d.values())` (a list of adjoints, None
    where nothing flowed; or None)."""
    if g is None:
        return None
    return {key: part for key, part in zip(d, g) if part is not None}


def items_adjoint(g, d):
    """The adjoint of the dict `d` from that of `list(d.items())`: each pair's second part."""
    if g is None:
        return None
    parts = {key: None if pair is None else pair[1] for key, pair in zip(d, g)}
    return {key: part for key, part in parts.items() if part is not None}


def list_adjoint(values: list) -> list:
    """The adjoint of `values` before anything flowed into it."""
    return [None] * len(values)


def list_adjoint_if_bound(read) -> list | None:
    """`list_adjoint(read())`, or None where the list's name is not bound (every step of the
    loop went another way: nothing reads that adjoint then)."""
    try:
        return list_adjoint(read())
    except NameError:  # (UnboundLocalError)
        return None


def add_at(adjoints: list, index, g) -> None:
    """Add `g` to the adjoint of element `index` (in place: the list is the adjoint's own); for
    a slice (`xs[::-1]`), each of `g`'s parts to the adjoint of the element it came from."""
    if isinstance(index, slice):
        if g is not None:
            for position, part in zip(range(len(adjoints))[index], g):
                add_at(adjoints, position, part)
        return
    adjoints[index] = _sum(adjoints[index], g)


def joined(a, b):
    """`a + b` of two tuples or lists (Python joins them), written so where srcgrad sees that
    both are (analyse/containers.py): a call with rules of its own, which `+` is not."""
    return a + b


def joined_adjoint(g, ans, a, b, part: int):
    """The adjoint of `a` (part 0) or of `b` (part 1) in `ans = joined(a, b)`: the adjoints of
    ans's elements, split where `a` ends (zeros where nothing flowed)."""
    g = [None] * len(ans) if g is None else list(g)  # (or an array: its rows, the elements')
    parts, like = (g[: len(a)], a) if part == 0 else (g[len(a) :], b)
    return [as_gradient(p, v) for p, v in zip(parts, like)]


def joined_tangent(a_dot, b_dot, a, b):
    """The tangent of `joined(a, b)`: the two tangents joined (zeros for one that has none)."""
    a_dot = zero_tangent(a) if a_dot is None else a_dot
    b_dot = zero_tangent(b) if b_dot is None else b_dot
    return type(a)(list(a_dot) + list(b_dot)) if isinstance(a, tuple) else list(a_dot) + list(b_dot)


def added(a, b):
    """`a + b` of two values whose types are known only as the code runs (what functions known
    only then returned: two lists are joined, two arrays added)."""
    return a + b


def added_adjoint(g, ans, a, b, part: int):
    """The adjoint of `a` (part 0) or `b` (part 1) in `ans = added(a, b)`: split where `a` ends
    for a join, summed to the operand's shape for a sum."""
    if isinstance(ans, (list, tuple)):
        return joined_adjoint(g, ans, a, b, part)
    return unbroadcast(g, a if part == 0 else b)


def added_tangent(a_dot, b_dot, a, b):
    """The tangent of `added(a, b)`: the tangents joined, or added."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return joined_tangent(a_dot, b_dot, a, b)
    return (0.0 if a_dot is None else a_dot) + (0.0 if b_dot is None else b_dot)


def sequence_adjoint(g, like):
    """The adjoint of `iterable` in `tuple(iterable)` or `list(iterable)` from the result's, a
    list of its elements' adjoints: that list for a list or a tuple; for an array, the array of
    its rows' adjoints (zeros where nothing flowed)."""
    if isinstance(like, (list, tuple)):
        return None if g is None else list(g)
    parts = [as_gradient(p, v) for p, v in zip([None] * len(like) if g is None else g, like)]
    return np.stack(parts) if parts else np.zeros_like(like, dtype=float)


def add_all(adjoints: list, gs) -> list:
    """Elementwise sum of two lists of adjoints."""
    return [_sum(a, g) for a, g in zip(adjoints, gs)]


def _sum(a, g):
    """`a + g` of two adjoints of one element: arrays and numbers added, a tuple's, list's or
    dict's added part by part (a tuple's `+` would join them)."""
    if a is None:
        return g
    if isinstance(a, (tuple, list, dict)) or isinstance(g, (tuple, list, dict)):
        return add_adjoints(a, g)
    return a + g


def pop_adjoint(adjoints: list, like):
    """The adjoint of the element appended last (zeros if nothing flowed into it)."""
    return _adjoint_of(adjoints.pop(), like)


def element_adjoint(adjoints: list, index: int, like):
    return _adjoint_of(adjoints[index], like)


def _adjoint_of(g, like):
    """`g` as the adjoint of the element `like`: zeros where nothing flowed; for a list (a
    list of lists, given to np.array), a list of adjoints, however the rule gave it."""
    if isinstance(like, list):
        if g is None:
            return list_adjoint(like)
        return g if isinstance(g, list) else list(g)
    return np.zeros_like(like) if g is None else g


def list_of(g, values: list) -> list:
    """`g` as the adjoint of every element (the adjoint of `sum(values)`)."""
    return [g] * len(values)


def is_record(value) -> bool:
    """A dataclass instance, a `types.SimpleNamespace` or an object of a class of the user's:
    a parameter tree whose parts are its fields (`params.W`), an object's the attributes its
    instance holds (`vars(obj)`). A namedtuple is a tuple, with names for its positions."""
    return (
        isinstance(value, types.SimpleNamespace)
        or (dataclasses.is_dataclass(value) and not isinstance(value, type))
        or is_object(value)
    )


# the modules whose classes' objects are no parameter trees (their attributes are a library's)
_LIBRARIES = frozenset(
    {"numpy", "scipy", "srcgrad", "builtins", "functools", "types", "collections", "typing"}
)


def is_object(value) -> bool:
    """An object of a class defined in the user's own files, which keeps its attributes in a
    `__dict__` (not a function, a class or a module: those are code, not values)."""
    kind = type(value)
    module = getattr(kind, "__module__", None)
    if not isinstance(module, str) or module.split(".")[0] in _LIBRARIES:
        return False
    if module.split(".")[0] in sys.stdlib_module_names:
        return False
    if isinstance(value, (type, types.FunctionType, types.MethodType, types.ModuleType)):
        return False
    if is_other_array(value):  # (a dask or CuPy array is an array, not a parameter tree)
        return False
    return isinstance(getattr(value, "__dict__", None), dict)


def record_fields(record) -> dict:
    """The parts of a record by name: a dataclass's fields, a namespace's or an object's
    attributes."""
    if isinstance(record, types.SimpleNamespace) or not dataclasses.is_dataclass(record):
        return dict(vars(record))
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def record_like(like, parts: dict):
    """A record of `like`'s type holding `parts` (each field once: no `__init__` is run, which
    may check or compute things that do not hold of gradients)."""
    if isinstance(like, types.SimpleNamespace):
        return types.SimpleNamespace(**parts)
    made = copy.copy(like)
    for name, part in parts.items():
        object.__setattr__(made, name, part)  # (frozen dataclasses too)
    return made


def _fields_of(adjoint):
    """A record's adjoint as the dict of its fields' (a gradient made already: `as_gradient`)."""
    return record_fields(adjoint) if is_record(adjoint) else adjoint


def add_item(adjoint, container, index, g):
    """The adjoint of `container` after adding `g` to the adjoint of `container[index]` (or of
    the field `container.index` of a record or a namedtuple).

    A list's or tuple's adjoint is a list, a dict's or a record's a dict (made on first use,
    from None); an array's is an array.
    """
    if isinstance(index, str) and not isinstance(container, dict):
        if isinstance(container, tuple) and hasattr(container, "_fields"):
            index = container._fields.index(index)  # a namedtuple's field: its position
        elif not (is_record(container) or isinstance(container, functools.partial)):
            raise TypeError(
                f"srcgrad has no derivative for the attribute '{index}' of a "
                f"{type(container).__name__}: differentiated attributes are the fields of a "
                "dataclass, a namedtuple or a SimpleNamespace"
            )
        elif is_record(container) and not _held(container, index):
            _not_a_field(container, index)
        else:
            adjoint = {} if adjoint is None else _fields_of(adjoint)
            adjoint[index] = add_adjoints(adjoint.get(index), g)
            return adjoint
    if isinstance(container, dict):
        adjoint = {} if adjoint is None else adjoint
        adjoint[index] = add_adjoints(adjoint.get(index), g)
        return adjoint
    if isinstance(container, (list, tuple)):
        adjoint = [None] * len(container) if adjoint is None else adjoint
        adjoint[index] = add_adjoints(adjoint[index], g)
        return adjoint
    part = index_adjoint(g, container, index)
    return part if adjoint is None else adjoint + part


def _held(record, name: str) -> bool:
    """`record.name` is an attribute the record holds, not a value a `cached_property` of its
    class computed and keeps there (its derivative is the property's, not a field's)."""
    kept = isinstance(getattr(type(record), name, None), functools.cached_property)
    return name in record_fields(record) and not kept


def _not_a_field(container, name: str):
    """`obj.name` where `name` is no attribute the object holds (a property, a class
    attribute): refused, as its derivative would be lost."""
    raise UnsupportedSyntaxError(
        f"reading '{name}' of a {type(container).__name__}, which is not an attribute its "
        "object holds (a property or a class attribute), where the object carries a "
        "derivative, is not supported here",
        calling_line(),
        f"call a method that computes it, or read it in a method of {type(container).__name__} "
        "(srcgrad reads the properties of an object whose class it knows)",
    )


def field_tangent(tangent, value, name: str):
    """`value.name`'s tangent from the tangent record of `value` (an attribute it holds)."""
    if is_record(value) and not _held(value, name):
        _not_a_field(value, name)
    if tangent is None:
        return zero_tangent(getattr(value, name))
    if isinstance(tangent, dict):
        return tangent[name] if name in tangent else zero_tangent(getattr(value, name))
    return getattr(tangent, name)


def add_adjoints(a, b):
    """`a + b` for adjoints that may be None (zero), lists, tuples or dicts of adjoints."""
    a, b = _fields_of(a), _fields_of(b)
    if a is None:
        return list(b) if isinstance(b, tuple) else b
    if b is None:
        return a
    if isinstance(a, dict):
        return {k: add_adjoints(a.get(k), b.get(k)) for k in {**a, **b}}
    if isinstance(a, (list, tuple)):
        return [add_adjoints(x, y) for x, y in zip(a, b)]
    if callable(a) or isinstance(a, (str, bytes)):  # a static part of a tree's gradient
        return a
    return a + b


def entry_adjoint(adjoint, key, like):
    """The adjoint of `d[key]` (`like` is the value) from the adjoint of the dict `d`, which is
    None or a dict with an entry for each key something flowed into."""
    g = None if adjoint is None else adjoint.get(key)
    return as_gradient(g, like)


def as_gradient(adjoint, like):
    """The gradient with the structure of `like`: tuples where it has tuples, zeros for None."""
    if isinstance(like, dict):
        adjoint = adjoint or {}
        return {k: as_gradient(adjoint.get(k), v) for k, v in like.items()}
    if isinstance(like, (list, tuple)):  # (an array adjoint too: a rule's, for a list operand)
        adjoint = [None] * len(like) if adjoint is None else adjoint
        parts = [as_gradient(a, v) for a, v in zip(adjoint, like)]
        if hasattr(like, "_fields"):  # a namedtuple: of the same type
            return type(like)(*parts)
        return tuple(parts) if isinstance(like, tuple) else parts
    if isinstance(like, functools.partial):  # a closure: the adjoints of what it holds
        adjoint = adjoint or {}
        return {k: as_gradient(adjoint.get(k), v) for k, v in like.keywords.items()}
    if is_record(like):  # the same type, each field's gradient in it
        adjoint = _fields_of(adjoint) or {}
        fields = record_fields(like)
        return record_like(like, {k: as_gradient(adjoint.get(k), v) for k, v in fields.items()})
    if adjoint is None:
        if isinstance(like, (str, bytes)) or like is None:
            return None
        if callable(like):  # a function in a parameter tree (an activation): kept as it is
            return like
        return zero_gradient(like)
    if isinstance(adjoint, (list, tuple)) and np.ndim(like) > 0:
        # an array taken apart (`a, b = h` of a helper's array): its rows' adjoints, stacked
        return np.stack([as_gradient(a, row) for a, row in zip(adjoint, like)])
    return adjoint


# ---- `d[key] = v` on a dict or list: what it overwrote, put back; the adjoint of the entry ----

ABSENT = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()  # a key the dict had not


def entry_of(container, key):
    """What `container[key] = v` overwrites: the entry, or ABSENT (a new key of a dict)."""
    if isinstance(container, dict):
        return container.get(key, ABSENT)
    return container[key]


def restore_entry(container, key, saved) -> None:
    """Put back what `container[key] = v` overwrote (in place: the reverse sweep's undo)."""
    if saved is ABSENT:
        del container[key]
    else:
        container[key] = saved


def part_adjoint(adjoint, key, like):
    """The adjoint of `container[key]` from the container's adjoint (None, a dict or a list of
    adjoints): zeros shaped like `like` where nothing flowed into it."""
    adjoint = _fields_of(adjoint)
    if adjoint is None:
        g = None
    elif isinstance(adjoint, dict):
        g = adjoint.get(key)
    else:
        g = adjoint[key]
    return as_gradient(g, like)


def without_part(adjoint, key):
    """The container's adjoint with nothing at `key` (a new one: `container[key] = v` made the
    entry before it never reach the output)."""
    if adjoint is None:
        return None
    if isinstance(adjoint, dict):
        return {k: g for k, g in adjoint.items() if k != key}
    cleared = list(adjoint)
    cleared[key] = None
    return cleared


def closure(fn, **reads):
    """A function defined inside the differentiated function, used as a value: its lifted
    function with the names it reads (normalize/closures.py)."""
    return functools.partial(fn, **reads)


closure.opaque = True  # (called, never read: what it holds is refused where it matters)
