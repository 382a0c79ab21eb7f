"""Optimize stage, copies between names: a copy back to where it came from is gone, a
temporary copied into a name is that name from the start, and a copy updated next is the update.

* `d_t8 = dh` ... `dh = d_t8`, with neither name bound again in between: the second copy binds
  `dh` to the object it already holds, and is removed, as is `dh = dh`. (The reverse sweep of
  `h = h + v` in a loop body writes such a pair: the adjoint of `h` is handed to the sum and
  back.)
* `d_t5 = dh * 2.0` ... `dh = d_t5`, the temporary read only after the copy and before `dh` is
  bound again: `dh = dh * 2.0` where the temporary was computed, the temporary's reads are
  reads of `dh`.
* `dz = dzs` ... `dz = dz + e`, `dz` an adjoint: `dz = dzs + e` (its first two contributions on
  one line, as a person writes them).

All hold whatever the values are (arrays changed in place included): the names involved hold
the same object at every read that changes. A call of a function defined in the function
(which could bind its names) ends what is known.
"""

from __future__ import annotations

import gast

from ..front import nodes
from ..front.emit import unparse
from .blocks import assignments, blocks, read_counts


def copies_back(fn: gast.FunctionDef) -> bool:
    """Remove `b = a` where `a` and `b` already hold the same object: `a = b` ran before, in
    the block or in the blocks around it, and neither was bound again since."""
    return _copies_back(fn.body, [], _local_functions(fn))


def _copies_back(block: list, same: list[set[str]], local: set[str]) -> bool:
    """`same`: classes of names known to hold one object at the start of `block`; updated to
    those at its end."""
    changed = False
    i = 0
    while i < len(block):
        stmt = block[i]
        copy = _copy(stmt)
        if _self_copy(stmt) or copy is not None and _together(same, *copy):
            del block[i]
            if not block:
                block.append(gast.Pass())
            changed = True
            continue
        calls = _calls(stmt, local)
        if isinstance(stmt, gast.FunctionDef):  # its own scope; it runs when it is called
            changed |= _copies_back(stmt.body, [], local)
        elif isinstance(stmt, gast.If):
            inner = [] if calls else same
            changed |= _copies_back(stmt.body, _copied(inner), local)
            changed |= _copies_back(stmt.orelse, _copied(inner), local)
        elif isinstance(stmt, (gast.For, gast.While)):
            # what holds at every iteration's start: nothing the body or the loop binds
            inner = [] if calls else _forget(_copied(same), _bound(stmt))
            changed |= _copies_back(stmt.body, _copied(inner), local)
            changed |= _copies_back(stmt.orelse, _copied(inner), local)
        if calls:
            same.clear()
        elif not isinstance(stmt, gast.FunctionDef):
            same[:] = _forget(same, _bound(stmt))
        if copy is not None:
            _join(same, *copy)
        i += 1
    return changed


def copies_into(
    fn: gast.FunctionDef, generated: set[str], temporaries: set[str], adjoints: frozenset
) -> bool:
    """`_t = e` ... `b = _t`, `_t` a temporary assigned once and read only between the two and
    after the copy until `b` is bound again, `b` neither read nor bound between the two: the
    first is `b = e`, the copy goes, and `_t`'s reads read `b`. `b` is a name the reader
    follows: the adjoint (or tangent) of a user's variable for a temporary adjoint
    (`adjoints`: every adjoint and tangent), a user's own variable for a temporary of the
    forward sweep."""
    counts = assignments(fn)
    reads = read_counts(fn.body)
    local = _local_functions(fn)
    changed = False
    for block in blocks(fn):
        at = 0
        while at < len(block):
            copy = _copy(block[at])
            if copy is None or not _followed(*copy, generated, temporaries, adjoints):
                at += 1
                continue
            renamed = _rename(block, at, temporaries, counts, reads, local)
            if renamed is None:
                at += 1
                continue
            at = renamed
            counts, reads = assignments(fn), read_counts(fn.body)
            changed = True
    return changed


def _followed(target: str, temporary: str, generated, temporaries, adjoints) -> bool:
    """`target = temporary` copies a temporary into a name of the same kind the reader follows."""
    if temporary not in temporaries or target in temporaries:
        return False
    if temporary in adjoints:
        return target in adjoints
    return target not in generated


def _rename(block: list, at: int, temporaries: set[str], counts, reads, local) -> int | None:
    """Where `block[at]` is a copy `b = _t` that `copies_into` removes: remove it and return the
    index to go on from."""
    copy = _copy(block[at])
    if copy is None or copy[1] not in temporaries or counts[copy[1]] != 1:
        return None
    target, temporary = copy
    start = _defined_at(block, at, temporary)
    if start is None or not _renamable(block, start, at, target, temporary, local):
        return None
    end = _last_read(block, start, at, target, temporary, reads[temporary], local)
    if end is None:
        return None
    for k in [*range(start + 1, at), *range(at + 1, end + 1)]:
        block[k] = nodes.substitute(block[k], {temporary: _name(target, gast.Load())})
    block[start].targets = [_name(target, gast.Store())]
    del block[at]
    return start + 1


def _name(name: str, ctx: gast.expr_context) -> gast.Name:
    return gast.Name(id=name, ctx=ctx, annotation=None, type_comment=None)


def copies_updated(fn: gast.FunctionDef, adjoints: frozenset) -> bool:
    """`dz = dzs` ... `dz = dz + e`, `dz` an adjoint (`adjoints`: every adjoint and tangent)
    read once there and neither read nor bound in between, `dzs` not bound in between: the
    copy goes and the update is `dz = dzs + e`, where it was (where that line stays within
    80 characters)."""
    local = _local_functions(fn)
    changed = False
    for block in blocks(fn):
        i = 0
        while i < len(block):
            copy = _copy(block[i])
            update = None if copy is None or copy[0] not in adjoints else _update(block, i, local)
            if update is None:
                i += 1
                continue
            target, source = copy
            stmt = block[update]
            stmt.value = nodes.substitute(stmt.value, {target: _name(source, gast.Load())})
            del block[i]
            changed = True
    return changed


_LONGEST = 80  # characters, as for a folded temporary (folding.py)


def _update(block: list, i: int, local: set[str]) -> int | None:
    """The index of `dz = <e reading dz once>`, the next statement that reads or binds `dz`
    after the copy `dz = dzs` at `i`, if `dzs` holds the same object until then."""
    target, source = _copy(block[i])
    for j in range(i + 1, len(block)):
        stmt = block[j]
        if _calls(stmt, local) or source in _bound(stmt):
            return None
        if target not in nodes.names_read(stmt) | _bound(stmt):
            continue
        merged = (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == target
            and read_counts([stmt.value])[target] == 1
        )
        if not merged:
            return None
        value = nodes.substitute(stmt.value, {target: _name(source, gast.Load())})
        return j if len(f"{target} = {unparse(value)}") <= _LONGEST else None
    return None


def _defined_at(block: list, copy_at: int, temporary: str) -> int | None:
    """The index of `temporary = e` before `copy_at` in `block`."""
    for i in range(copy_at - 1, -1, -1):
        stmt = block[i]
        if (
            isinstance(stmt, gast.Assign)
            and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == temporary
        ):
            return i
    return None


def _renamable(block: list, start: int, copy_at: int, target: str, temporary: str, local) -> bool:
    """Between `temporary = e` and `target = temporary`, nothing reads or binds `target`, calls
    a function that could, catches an exception, or keeps `temporary` in a function of its
    own."""
    for stmt in block[start + 1 : copy_at]:
        if target in nodes.names_read(stmt) | _bound(stmt) or _calls(stmt, local):
            return False
        if isinstance(stmt, gast.Try):  # an exception it lets out would see `target` changed
            return False
        if isinstance(stmt, gast.FunctionDef) and temporary in nodes.names_read(stmt):
            return False
    return True


def _last_read(
    block: list, start: int, copy_at: int, target: str, temporary: str, count: int, local
) -> int | None:
    """The index of the last statement that reads `temporary`, if every read of it (`count` in
    the whole function) is in `block` after `start` up to the statement that binds `target`
    again (a simple statement, whose value is computed before it binds), none in a function
    of its own."""
    seen = 0
    last = copy_at
    for k in range(start + 1, len(block)):
        stmt = block[k]
        here = read_counts([stmt])[temporary]
        if not here:
            continue
        if isinstance(stmt, gast.FunctionDef):
            return None
        if k > copy_at and _rebinds_before(block, copy_at, k, target, local):
            return None
        seen += here
        last = max(last, k)
    return last if seen == count else None


def _rebinds_before(block: list, copy_at: int, k: int, target: str, local) -> bool:
    """`target` is bound again (or may be) after `copy_at` before statement `k` reads, or `k`
    itself binds it where that is not a simple assignment's last step."""
    for stmt in block[copy_at + 1 : k]:
        if target in _bound(stmt) or _calls(stmt, local):
            return True
    stmt = block[k]
    if target in _bound(stmt) or _calls(stmt, local):
        simple = isinstance(stmt, (gast.Assign, gast.AugAssign)) and not _calls(stmt, local)
        return not simple or any(not isinstance(t, (gast.Name, gast.Tuple)) for t in _targets(stmt))
    return False


# ---- what a statement does to names ----------------------------------------------------------


def _copy(stmt: gast.stmt) -> tuple[str, str] | None:
    """(b, a) for `b = a`."""
    if (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Name)
        and stmt.targets[0].id != stmt.value.id
    ):
        return stmt.targets[0].id, stmt.value.id
    return None


def _self_copy(stmt: gast.stmt) -> bool:
    """`b = b` (what forwarding `a` in `a = b; b = a` leaves)."""
    return (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Name)
        and stmt.targets[0].id == stmt.value.id
    )


def _targets(stmt: gast.stmt) -> list:
    return stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]


def _bound(stmt: gast.stmt) -> set[str]:
    """The names `stmt` binds or deletes, in blocks inside it too."""
    return nodes.names_stored(stmt) | {
        n.id for n in nodes.walk(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Del)
    }


def _local_functions(fn: gast.FunctionDef) -> set[str]:
    """The functions defined inside `fn` (a pullback), which may bind its names when called."""
    return {n.name for n in nodes.walk(fn) if isinstance(n, gast.FunctionDef) and n is not fn}


def _calls(stmt: gast.stmt, local: set[str]) -> bool:
    return bool(local) and any(
        isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id in local
        for n in nodes.walk(stmt)
    )


# ---- classes of names that hold one object ----------------------------------------------------


def _together(same: list[set[str]], a: str, b: str) -> bool:
    return any(a in names and b in names for names in same)


def _copied(same: list[set[str]]) -> list[set[str]]:
    return [set(names) for names in same]


def _forget(same: list[set[str]], bound: set[str]) -> list[set[str]]:
    kept = [names - bound for names in same]
    return [names for names in kept if len(names) > 1]


def _join(same: list[set[str]], target: str, source: str) -> None:
    """After `target = source` (`target` already forgotten)."""
    for names in same:
        if source in names:
            names.add(target)
            return
    same.append({target, source})
