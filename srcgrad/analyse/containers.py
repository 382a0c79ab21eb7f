"""Analyse stage, containers: which names hold Python lists, tuples, dicts or trees of arrays.

Their adjoints are containers too (a list of adjoints, a tuple, a dict built with `add_item`),
so the reverse sweep must know them: list displays and their copies (`lists`), arguments
and results that may hold containers, and what is read from them (`trees`), and the tuples
that `a, b = t` takes apart (`unpackings`). Joining or repeating tuples and lists with `+`
or `*` is refused where they carry a derivative: those are not the arithmetic NumPy's rules
describe.
"""

from __future__ import annotations

import builtins
import operator

import gast
import numpy as np

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..front import nodes, reading
from ..normalize.ir import Kind
from ..normalize.objects import is_user_class
from ..rules.registry import returns_record
from . import memory
from .shapes import TREES

# functions whose result is always a tuple (qr is one only in some modes)
_TUPLE_RESULTS = {id(f) for f in (np.linalg.eigh, np.linalg.slogdet, np.modf, np.divmod, np.frexp)}


# functions whose result is a list of the values of a container: always read element by element
_CONTAINER_RESULTS = {id(runtime.dict_values), id(runtime.dict_items), id(runtime.dict_copy)}


# functions whose result may be a tuple or a list of arrays, which code may index: t[1]
_SEQUENCE_RESULTS = {
    id(f)
    for f in (
        np.linalg.eigh,
        np.linalg.eig,
        np.linalg.slogdet,
        np.linalg.svd,
        np.linalg.qr,
        np.modf,
        np.divmod,
        np.frexp,
        np.split,
        np.array_split,
        np.hsplit,
        np.vsplit,
        np.dsplit,
        np.linspace,
        builtins.sorted,
        runtime.permuted,  # (sorted's tangent, in forward code differentiated again)
    )
}


# functions that join the arrays of a sequence, whose rules give it one adjoint per element
# (and at which position the sequence is passed)
_JOINS = {id(f): 0 for f in (np.concatenate, np.stack, np.hstack, np.vstack, np.dstack)}
_JOINS |= {id(np.column_stack): 0, id(np.select): 1, id(np.choose): 1}


# functions whose result is always a Python list
_LIST_RESULTS = (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit)


def lists(ops: dict) -> set[str]:
    """Names that hold Python lists: list displays, the lists NumPy's splits return, lists
    appended to, copies of them (`u = _l` after a comprehension) and slices of them
    (`xs[1:]`), whose adjoints are lists too (a rule's array adjoint for one, `np.sum(xs)`'s,
    is made the list of its rows)."""
    found = {
        op.target
        for op in ops.values()
        if op.kind in (Kind.LIST, Kind.APPEND)
        or op.key in (runtime.joined, runtime.joined_tangent, list, tuple, *_LIST_RESULTS)
    }
    # (and tuple displays read at an index known only as the code runs, `arrays[k]` of a
    # helper's `*arrays`: their elements may differ in shape)
    looked_up = _read_by_index(ops, lambda index: isinstance(index, gast.Name))
    found |= {op.target for op in ops.values() if op.kind is Kind.TUPLE and op.target in looked_up}
    found |= {  # (and what a helper returns that is a list or tuple it made, read so)
        op.target
        for op in ops.values()
        if op.kind is Kind.USER
        and op.key is not None  # (not a call through the run-time dispatch)
        and op.target in looked_up
        and memory.summary_of(op.key).sequence
    }
    copies = [
        op
        for op in ops.values()
        if op.args
        and isinstance(op.args[0], gast.Name)
        and (op.kind is Kind.COPY or (op.key is operator.getitem and nodes.is_slice(op.args[1])))
    ]
    grown = True
    while grown:
        grown = False
        for op in copies:
            if op.args[0].id in found and op.target not in found:
                found.add(op.target)
                grown = True
    return found


def _read_by_index(ops: dict, index_fits) -> set[str]:
    """The names read as `name[index]` with an index `index_fits` accepts."""
    return {
        op.args[0].id
        for op in ops.values()
        if op.key is operator.getitem
        and isinstance(op.args[0], gast.Name)
        and index_fits(op.args[1])
    }


def tuples(ops: dict) -> set[str]:
    """Names that hold tuple displays, and copies of them (whose adjoints are tuples: two
    are added part by part, never joined with +)."""
    return _with_copies(ops, {op.target for op in ops.values() if op.kind is Kind.TUPLE})


def _joined(ops: dict) -> set[str]:
    """The names given whole to a function that joins the arrays of a sequence."""
    found = set()
    for op in ops.values():
        position = _JOINS.get(id(op.key)) if op.kind is Kind.CALL else None
        if position is not None and len(op.args) > position:
            sequence = op.args[position]
            if isinstance(sequence, gast.Name):
                found.add(sequence.id)
    return found


def may_be_an_array(op) -> bool:
    """Whether the call `op` may return an array, not the tuple or list it is unpacked as:
    not a function whose result is always a sequence, nor a helper returning a display."""
    if op.kind is Kind.CALL:
        return id(op.key) not in _SEQUENCE_RESULTS and id(op.key) not in _CONTAINER_RESULTS
    if op.kind is Kind.USER:
        return op.key is None or not memory.summary_of(op.key).sequence
    return False


def _copied_from(ops: dict, names: set[str]) -> set[str]:
    """`names` and every name one of them is a copy of, however many copies away."""
    return _closed_under_copies(ops, names, backwards=True)


def trees(ctx, ops: dict) -> set[str]:
    """Names that may hold a container of arrays: tree arguments, results that may be tuples
    (`np.linalg.eigh(a)[1]`) and what is read from them. Their adjoints are built with
    `add_item`, which looks at the value at run time."""
    found = {name for name, dtype in ctx.dtypes.items() if dtype in TREES}
    found |= {
        op.target
        for op in ops.values()
        if op.kind is Kind.DICT or (op.kind is Kind.CALL and id(op.key) in _CONTAINER_RESULTS)
    }
    found |= made_objects(ctx, ops)
    # (a function value called, whose adjoint is that of what it holds: a closure's, a dict)
    found |= {op.callee.id for op in ops.values() if isinstance(op.callee, gast.Name)}
    indexed = _read_by_index(  # (t[1], d["w"])
        ops, lambda index: isinstance(index, gast.Constant) and type(index.value) in (int, str)
    )
    # (or, but for a display, joined whole, `np.vstack(t)`, whose rule gives it an adjoint per
    # element; or read so through a copy: `a, b = t` reads `_t1 = t`)
    unpacked = _copied_from(ops, indexed | _joined(ops))
    read_at = _read_by_index(ops, lambda index: True)  # (at any index: `xs[k]` of a loop)
    for op in ops.values():
        sequence = op.kind in (Kind.USER, Kind.TUPLE) or (
            op.kind is Kind.CALL and id(op.key) in _SEQUENCE_RESULTS
        )
        if op.kind is not Kind.TUPLE and op.target in unpacked:
            indexed.add(op.target)
        if sequence and op.target in indexed:
            found.add(op.target)
        if op.kind is Kind.USER and op.key is None and op.target in read_at:
            found.add(op.target)  # (what a function known only as the code runs returned)
        if op.kind is Kind.USER and nodes.returns_yields(op.key):
            found.add(op.target)  # the list of what a generator yields (normalize/generators.py)
    changed = bool(found)
    while changed:
        changed = False
        for op in ops.values():
            source = op.args[0] if op.args else None
            reads_tree = isinstance(source, gast.Name) and source.id in found
            if (
                reads_tree
                and op.target not in found
                and (op.kind in (Kind.COPY, Kind.UNPACK) or op.key in (operator.getitem, getattr))
            ):
                found.add(op.target)
                changed = True
    return found


def fields(ctx, ops: dict) -> None:
    """`w = params.W` where `params` may hold a parameter tree (a record or a namedtuple
    argument, or a part of one, `for layer in layers: layer.W`): a read of the tree's part
    named W, as `params["W"]` reads a dict's. Such reads become `getattr(params, "W")`
    operations, whose adjoints `add_item` builds like an index's and whose tangents read the
    same field of the tangent tree (`params_dot.W`)."""
    holders = {name for name, dtype in ctx.dtypes.items() if dtype in TREES}
    holders |= made_objects(ctx, ops)
    grown = bool(holders)
    while grown:
        grown = False
        for op in ops.values():
            source = op.args[0] if op.args else None
            if not isinstance(source, gast.Name) or source.id not in holders:
                continue
            if op.kind is Kind.UNKNOWN and op.callee is None and op.description.startswith("."):
                op.kind, op.key = Kind.CALL, getattr
                op.args = [source, nodes.const(op.description[1:])]
            parts = op.kind in (Kind.COPY, Kind.UNPACK) or op.key in (operator.getitem, getattr)
            if parts and op.target not in holders:
                holders.add(op.target)
                grown = True


def made_objects(ctx, ops: dict) -> set[str]:
    """Names bound by a call of one of the user's classes: objects, parameter trees whose parts
    are their attributes; and by a library function whose result is such a record (solve_ivp's
    OdeResult, `sol.y`: registry.record_result)."""
    return {
        op.target
        for op in ops.values()
        if (op.callee is not None and is_user_class(ctx.resolve(op.callee)))
        or (op.kind is Kind.CALL and returns_record(op.key))
    }


def certain(ctx, ops: dict) -> set[str]:
    """Names that hold a list or a dict wherever they hold anything: list and dict displays,
    list and dict arguments, and copies of them (`d[k] = v` on them is a container's update;
    on a name that may hold an array, `trees`, it is an array's)."""
    found = lists(ops) | {n for n, d in ctx.dtypes.items() if d in TREES}
    found |= {op.target for op in ops.values() if op.kind is Kind.DICT}
    found |= {op.target for op in ops.values() if op.key is runtime.dict_copy}  # dict(d)
    made = {}
    for op in ops.values():
        made.setdefault(op.target, []).append(op)
    grown = True
    while grown:
        grown = False
        for name, makers in made.items():
            if name in found:
                continue
            if all(m.kind is Kind.COPY and getattr(m.args[0], "id", None) in found for m in makers):
                found.add(name)
                grown = True
    return found


def unpackings(ctx, assigns: list, ops: dict) -> dict[str, list[str]]:
    """`_t = f(x); a = _t[0]; b = _t[1]` (from `a, b = f(x)`): `{"_t": ["a", "b"]}`, and
    the reads of `_t` become UNPACK operations."""
    found: dict[str, list] = {}
    # (an array argument, an array updated in place and their copies are not built from their
    # parts: their adjoints stay arrays)
    updated = {op.target for op in ops.values() if op.kind is Kind.SETITEM}
    updated = _with_copies(ops, updated | set(ctx.array_arguments))
    # (an array of known shape, or one arithmetic made, or a copy of one, is unpacked by its
    # rows: its adjoint is an array too)
    arithmetic = {
        op.target
        for op in ops.values()
        if op.kind is Kind.CALL
        and getattr(op.key, "__module__", None) in ("operator", "_operator")
        and op.key is not operator.getitem
    }
    arithmetic = _with_copies(ops, arithmetic)
    for stmt in assigns:
        op = ops[id(stmt)]
        if op.kind is not Kind.CALL or op.key is not operator.getitem:
            continue
        whole, index = op.args
        if getattr(whole, "id", None) in updated:
            continue
        name = getattr(whole, "id", None)
        if isinstance(ctx.shapes.get(name), tuple) or name in arithmetic:
            continue
        size = ctx.unpacked.get(getattr(whole, "id", None))
        if size is None or not isinstance(index, gast.Constant):
            continue
        found.setdefault(whole.id, [None] * size)[index.value] = op.target
        op.kind = Kind.UNPACK
    return {name: parts for name, parts in found.items() if None not in parts}


def _with_copies(ops: dict, names: set[str]) -> set[str]:
    """`names` and every name copied from one of them, however many copies away."""
    return _closed_under_copies(ops, names, backwards=False)


def _closed_under_copies(ops: dict, names: set[str], backwards: bool) -> set[str]:
    """`names` and, however many copies away, every name one of them is a copy of
    (`backwards`) or every name copied from one of them."""
    names = set(names)
    grown = True
    while grown:
        grown = False
        for op in ops.values():
            source = getattr(op.args[0], "id", None) if op.args else None
            if op.kind is not Kind.COPY or not source:
                continue
            have, add = (op.target, source) if backwards else (source, op.target)
            if have in names and add not in names:
                names.add(add)
                grown = True
    return names


def refuse_tuple_arithmetic(ctx, assigns: list, ops: dict, active: set[str]) -> None:
    """`t = (a, b) + (c, d)` joins tuples (lists: `xs + [y]`), `t * 2` repeats one: not
    arithmetic, which is what the rules of + and * say. Where both operands of `+` are
    certainly tuples or lists (a display, a list built in the function or sliced from one, a
    function that returns one), the statement becomes `t = joined(a, b)`, whose rules split the
    adjoint where `a` ends. Refused where one operand is certainly a tuple or a list, the other
    is not certainly one nor certainly a NumPy array (which makes it NumPy's sum or product),
    and a derivative flows through."""
    made_by: dict[str, list] = {}
    for op in ops.values():
        made_by.setdefault(op.target, []).append(op)
    listed = lists(ops)

    def is_tuple(node, seen=frozenset()) -> bool:
        name = getattr(node, "id", None)
        if isinstance(node, (gast.Tuple, gast.List)) or name in listed:
            return True
        makers = made_by.get(name, []) if name not in seen else []
        return bool(makers) and all(
            m.kind is Kind.TUPLE
            or (m.kind is Kind.CALL and (id(m.key) in _TUPLE_RESULTS or m.key is runtime.joined))
            or (m.kind is Kind.USER and memory.summary_of(m.key).sequence)  # helper(a) + ...
            or _sliced(m, lambda n: is_tuple(n, seen | {name}))  # (xs[1:] of a list)
            for m in makers
        )

    def from_a_call_of_a_value(node) -> bool:
        """Made by a call of a function known only as the code runs (`self.fc1.parameters()`):
        a list or an array, as the code runs says."""
        makers = made_by.get(getattr(node, "id", None), [])
        return bool(makers) and all(m.kind is Kind.UNKNOWN and m.callee is not None for m in makers)

    def is_array(node) -> bool:
        """Certainly a NumPy array: an array argument, or what NumPy's functions made. (In
        srcgrad's own code, read again, a list's `+` and `*` are always NumPy's.)"""
        name = getattr(node, "id", None)
        if is_tuple(node):
            return False
        if ctx.parsed.generated:
            return True
        if name in ctx.dtypes and ctx.dtypes[name] not in (*TREES, "float", "int"):
            return ctx.shapes.get(name) not in (None, ())
        makers = made_by.get(name, [])
        return bool(makers) and all(
            m.kind is Kind.CALL and reading.module_of(m.key).startswith("numpy") for m in makers
        )

    for stmt in assigns:
        op = ops[id(stmt)]
        if op.kind is not Kind.CALL or op.key not in (operator.add, operator.mul):
            continue
        first, second = op.args[0], op.args[1]
        if op.key is operator.add and is_tuple(first) and is_tuple(second):
            # (two tuples or lists: joined, by a call whose rules say so)
            _called(ctx, stmt, op, runtime.joined, "joined")
            continue
        # (a list plus or times an array is NumPy's sum or product; times anything else, a
        # list is repeated, or Python raises)
        joined = (is_tuple(first) and not is_array(second)) or (
            is_tuple(second) and not is_array(first)
        )
        unknown = not ctx.parsed.generated and all(from_a_call_of_a_value(a) for a in op.args)
        if op.key is operator.add and (joined or unknown) and op.names() & active:
            # (a join or a sum as the values say: their rules look at them as the code runs)
            _called(ctx, stmt, op, runtime.added, "added")
            continue
        if joined and op.names() & active:
            raise UnsupportedSyntaxError(
                "joining or repeating tuples or lists with + or * is not supported where they "
                "carry a derivative",
                ctx.origin(stmt),
                "index the parts and combine them one by one",
            )


def _called(ctx, stmt, op, helper, name: str) -> None:
    """`t = a + b` becomes `t = helper(a, b)`, whose rules say what `+` did."""
    call = nodes.call(
        nodes.load(ctx.support.name_for(helper, name)), [nodes.copy(a) for a in op.args]
    )
    if nodes.is_augmented(stmt):  # (`xs += [v]` of a list: xs changes in place)
        nodes.mark_augmented(call)
    stmt.value = call
    op.key = helper


def _sliced(op, is_tuple) -> bool:
    """`op` takes a slice of a tuple or a list: its result is one too."""
    return op.key is operator.getitem and nodes.is_slice(op.args[1]) and is_tuple(op.args[0])
