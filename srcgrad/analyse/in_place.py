"""Analyse stage, in-place updates: `x[i] = v` and `y += v` change an array's memory, which
srcgrad's rewriting as new values (`y = y + v`) must not make visible anywhere else.

Guarantee: an update that may change another name's array too (a view, `v = y[1:]`, or an
alias, `z = x`) is refused at its line (`y += v`: only where something reads that array after
it); an argument updated in place is copied first, so the caller's arrays never change.
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..normalize.ir import Kind, Operation
from .tape import LOOPS

# functions whose result may be a view of their first argument (or the argument itself):
# after `v = f(x)`, `v[i] = u` could change x too (the optimizer reads this list as well)
SHARING = {
    operator.getitem,
    np.reshape,
    np.transpose,
    np.ravel,
    np.squeeze,
    np.expand_dims,
    np.swapaxes,
    np.moveaxis,
    np.broadcast_to,
    np.asarray,
    np.atleast_1d,
    np.atleast_2d,
    np.atleast_3d,
    np.flip,
    np.fliplr,
    np.flipud,
    np.diagonal,
    np.real,
    np.imag,
}


def _reaching_updates(body: list, ops: dict) -> set[int]:
    """The assignments whose value some `x[i] = v` may update in place: those that reach it
    along some path (a later `x = ...` on every path hides an earlier one)."""
    reaching: set[int] = set()

    def run(block: list, state: dict) -> dict:
        for stmt in block:
            if isinstance(stmt, gast.If):
                then, other = run(stmt.body, _copied(state)), run(stmt.orelse, _copied(state))
                state = {n: then.get(n, set()) | other.get(n, set()) for n in {*then, *other}}
            elif isinstance(stmt, LOOPS):
                entry = _copied(state)
                for _ in range(2):  # a value made late in the body reaches its start next time
                    after = run(stmt.body, _copied(state))
                    state = {n: entry.get(n, set()) | after.get(n, set()) for n in {*entry, *after}}
            elif id(stmt) in ops:
                op = ops[id(stmt)]
                if op.kind is Kind.SETITEM:
                    reaching.update(state.get(op.target, ()))
                elif nodes.is_augmented(stmt):  # `y += v`: the memory of the y it reads
                    reaching.update(state.get(_augmented_name(stmt), ()))
                if op.kind is not Kind.SETITEM and isinstance(stmt, gast.Assign):
                    state[op.target] = {id(stmt)}
        return state

    run(body, {})
    return reaching


def _copied(state: dict) -> dict:
    return {name: set(held) for name, held in state.items()}


def updated_in_place(ctx, assigns: list, ops: dict, params: set[str], body=None) -> list:
    """Check the arrays updated in place (`x[i] = v`) own their memory; copy the parameters
    among them first, so that the caller's arrays never change. With `body`, only the
    assignments that reach an update are checked."""
    updated = {ops[id(s)].target: s for s in assigns if ops[id(s)].kind is Kind.SETITEM}
    augmented = {  # `y += v`: in place too, where y holds an array
        _augmented_name(s): s for s in assigns if nodes.is_augmented(s) and id(s) in ops
    }
    reaching = _reaching_updates(body, ops) if body is not None else None
    reads: dict[str, int] = {}
    for op in ops.values():
        for name in op.names():
            reads[name] = reads.get(name, 0) + 1
    for stmt in assigns:
        op = ops[id(stmt)]
        if op.target not in {**updated, **augmented} or op.kind is Kind.SETITEM:
            continue
        if reaching is not None and id(stmt) not in reaching:
            continue  # rebound before any update sees it
        sharing = _may_share(ctx, op, params, reads, in_place=op.target in updated)
        if sharing and op.target not in updated and body is not None:
            # `x = v; x += x` changes v too, which matters only if v is read again
            whole = [*body, ctx.parsed.tree.body[-1]]  # (the final `return name` reads too)
            sharing = _read_later(whole, augmented[op.target], _aliased(op, ops))
        if sharing:
            where = ctx.origin(stmt)
            at = updated.get(op.target) or augmented[op.target]
            raise UnsupportedSyntaxError(
                f"an in-place update of '{op.target}', which may share its memory with "
                f"another array (from line {where.lineno}: {where.text}), is not supported",
                ctx.origin(at),
                f"copy it first ({op.target} = np.copy(...)), or write {op.target} = "
                f"{op.target} + ... for a new array",
            )
    copies = []
    for name in sorted(set(updated) & params):
        copy = nodes.call(ctx.numpy_name("copy"), [nodes.load(name)])
        copies.append(nodes.assign(name, copy, ctx.origin(updated[name])))
    return copies


def _aliased(op: Operation, ops: dict) -> set[str]:
    """The names whose memory `op`'s target may share: its source, their sources, ..."""
    found: set[str] = set()
    pending = [op]
    while pending:
        made = pending.pop()
        source = made.args[0] if made.args else None
        if made.kind not in (Kind.COPY, Kind.CALL) or not isinstance(source, gast.Name):
            continue
        if made.kind is Kind.CALL and made.key not in SHARING or source.id in found:
            continue
        found.add(source.id)
        pending.extend(o for o in ops.values() if o.target == source.id)
    return found


def _read_later(body: list, stmt: gast.stmt, names: set[str]) -> bool:
    """Some statement that runs after `stmt` reads one of `names`: one after it in the text,
    or any in a loop around it (the loop's next round), or the function's result."""
    order: list[tuple[gast.stmt, tuple]] = []

    def walk(block: list, loops: tuple) -> None:
        for item in block:
            order.append((item, loops))
            inner = (*loops, id(item)) if isinstance(item, LOOPS) else loops
            walk(getattr(item, "body", None) or [], inner)
            walk(getattr(item, "orelse", None) or [], inner)

    walk(body, ())
    position = next(i for i, (item, _) in enumerate(order) if item is stmt)
    around = order[position][1][:1]  # the outermost loop around it, if any
    for i, (item, loops) in enumerate(order):
        if i <= position and not (around and loops[:1] == around):
            continue
        parts = (
            [item]
            if not isinstance(item, (gast.If, *LOOPS))
            else [getattr(item, "test", None) or item.iter]
        )
        if any(nodes.names_read(part) & names for part in parts):
            return True
    return False


def _may_share(ctx, op: Operation, params: set[str], reads: dict, in_place: bool) -> bool:
    """`op` binds its target to memory another name may hold too, which an update in place
    (`in_place`: `x[i] = v`; else `x += v`) would change as well."""
    if not in_place and _holds_a_number(ctx, op, params):
        return False  # `s += v` on a number rebinds s: nothing else changes
    source = op.args[0] if op.kind is Kind.COPY else None
    handed_on = (  # `v = _t` where nothing else reads srcgrad's `_t` (from `a if c else b`)
        isinstance(source, gast.Name)
        and source.id in ctx.names.generated
        and reads.get(source.id) == 1
    )
    if op.kind is Kind.COPY:
        return not handed_on
    if op.kind in (Kind.USER, Kind.UNKNOWN):
        # (`v = helper(x); v += ...` is left alone: the results of the user's functions are
        # nearly always new values, and accumulating into one is common)
        return in_place
    if op.kind is Kind.CALL and op.key in SHARING:
        # `v = y[1:]` of an array y shares y's memory; a part of a tuple (`v, w = h(x)`) is
        # the value itself, which `+=` on a number rebinds
        return in_place or bool(ctx.shapes.get(getattr(op.args[0], "id", None)))
    return False


def _augmented_name(stmt: gast.Assign) -> str | None:
    """The name whose value `y += v` (now `y_2 = y_1 + v`) changes in place."""
    left = stmt.value.left
    return left.id if isinstance(left, gast.Name) else None


def _holds_a_number(ctx, op, params: set[str]) -> bool:
    """`op`'s target is a number, which `+=` rebinds (not an array or a view, which it
    changes): a scalar read by integer indices from an array of known shape, or a copy of a
    Python number."""
    if ctx.shapes.get(op.target) != ():
        return False
    source = op.args[0] if op.args else None
    if op.kind is Kind.COPY:
        if isinstance(source, gast.Constant):
            return True
        if isinstance(source, gast.Name) and source.id in params:
            return ctx.dtypes.get(source.id) in ("float", "int")
        return isinstance(source, gast.Name)  # a number computed in the function
    if op.kind is Kind.CALL and op.key is operator.getitem and isinstance(source, gast.Name):
        index = op.args[1]
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        shape = ctx.shapes.get(source.id)
        return (
            shape is not None
            and len(parts) == len(shape)
            and not any(
                isinstance(p, gast.Slice)
                or (isinstance(p, gast.Constant) and p.value in (None, ...))
                for p in parts
            )
        )
    return False
