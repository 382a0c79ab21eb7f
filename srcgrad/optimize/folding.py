"""Optimize stage, folding: the seed `1.0` and copies between generated names are forwarded,
and so is `dy = 1.0 * c` of a float `c` where every reader makes a new array of it anyway;
a temporary read exactly once, by a later statement of its block that can see it, is written
into that statement (it is then computed once, where it is used, as before).
"""

from __future__ import annotations

import gast

from ..analyse.effects import only_pops
from ..front import nodes
from ..front.emit import unparse
from .algebra import is_number
from .blocks import COMPOUND, assignments, blocks, read_counts
from .dead_code import written_through


def forward_copies(
    fn: gast.FunctionDef,
    generated: set[str],
    temporaries: set[str],
    float_inputs: frozenset = frozenset(),
) -> bool:
    """`dy = 1.0`, `_t12 = -0.125`, `_t9 = -1.0 / 4096` or `d_t1 = dd` (`d_t1` assigned once and read only after it
    in its block, `dd` not assigned again before the last of those reads, or only by the
    assignment that makes it): read the right side directly. The adjoint of a user's variable
    keeps a number other than the seed (`dd = -1.0` reads as the tutorial). `float_inputs`:
    the parameters that hold floats and are never bound again, whose `1.0 * c` is `c` where
    the product's only readers are arithmetic (see `_scaled_copy`)."""
    counts = assignments(fn)
    reads = read_counts(fn.body)
    changed = False
    for block in blocks(fn):
        per_statement = None  # each statement's reads, counted once per block when needed
        for i, stmt in enumerate(block):
            if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                continue
            name, value = stmt.targets[0].id, stmt.value
            if name not in generated or counts[name] != 1 or not reads[name]:
                continue  # (no reader left: nothing to forward, dead code removes it)
            if per_statement is None:
                per_statement = [read_counts([s]) for s in block]
            if sum(c[name] for c in per_statement[i + 1 :]) != reads[name]:
                continue  # read before it, in a loop's next iteration, or elsewhere
            is_seed = is_number(value) and (value.value == 1.0 or name in temporaries)
            is_seed = is_seed or (name in temporaries and _is_quotient_of_numbers(value))
            is_copy = isinstance(value, gast.Name) and _copy_holds(
                block, i, value.id, [c[name] for c in per_statement]
            )
            scaled = _scaled_copy(value, float_inputs)
            if (
                scaled is not None
                and _copy_holds(block, i, scaled.id, [c[name] for c in per_statement])
                and _only_arithmetic_reads(block[i + 1 :], name)
            ):
                value, is_copy = scaled, True
            if is_seed or is_copy:
                for j in range(i + 1, len(block)):
                    if per_statement[j][name]:  # only the statements that read it change
                        block[j] = nodes.substitute(block[j], {name: value})
                        before, per_statement[j] = per_statement[j], read_counts([block[j]])
                        reads.subtract(before)
                        reads.update(per_statement[j])
                changed = True
    return changed


def _scaled_copy(value: gast.expr, float_inputs: frozenset) -> gast.Name | None:
    """`c` of `1.0 * c` or `c * 1.0`, for a float parameter `c` (a seed times the input)."""
    if not isinstance(value, gast.BinOp) or not isinstance(value.op, gast.Mult):
        return None
    for one, other in ((value.left, value.right), (value.right, value.left)):
        if is_number(one) and one.value == 1.0 and isinstance(other, gast.Name):
            return other if other.id in float_inputs else None
    return None


def _only_arithmetic_reads(statements: list, name: str) -> bool:
    """Every read of `name` in `statements` is an operand of an arithmetic operator, a reduction
    (`dy.sum(axis=0)`) or a product of two or more arrays (`np.einsum('ab,ab->b', dy, xn)`),
    each of which makes a new array whatever it reads: the caller's array read there is never
    handed out, nor changed in place."""
    for stmt in statements:
        if isinstance(stmt, gast.AugAssign) and getattr(stmt.target, "id", None) == name:
            return False
        operands = set()
        for node in nodes.walk(stmt):
            if isinstance(node, gast.BinOp):
                operands.update((id(node.left), id(node.right)))
            elif isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
                operands.add(id(node.operand))
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
                if node.func.attr in _REDUCTIONS:
                    operands.add(id(node.func.value))
                elif node.func.attr == "einsum" and len(node.args) > 2:
                    operands.update(id(a) for a in node.args[1:])
        for node in nodes.walk(stmt):
            if isinstance(node, gast.Name) and node.id == name and id(node) not in operands:
                return False  # (a store or a del of it, too)
    return True


_REDUCTIONS = frozenset({"sum", "mean", "prod", "max", "min", "dot"})


def _is_quotient_of_numbers(node: gast.expr) -> bool:
    """`-1.0 / 4096`: a number the constant folder leaves as it is written (its decimals would
    say less), which is read as a number."""
    return (
        isinstance(node, gast.BinOp)
        and isinstance(node.op, gast.Div)
        and is_number(node.left)
        and is_number(node.right)
    )


def _copy_holds(block: list, i: int, source: str, reads: list[int]) -> bool:
    """`block[i]` copies `source`, and every later read of the copy (`reads`, per statement)
    comes before `source` is bound again or written through, or in the simple assignment that
    binds it (`dh = W.T @ d_t8` after `d_t8 = dh`: its value is computed before `dh` changes)."""
    for j in range(i + 1, len(block)):
        later = block[j]
        if source in nodes.names_stored(later) or written_through(later, source):
            return not sum(reads[j + 1 :]) and (_binds_last(later, source) or not reads[j])
    return True


def _binds_last(stmt: gast.stmt, name: str) -> bool:
    """`stmt` is an assignment to names (`x = e`, `x, y = e`, `x += e`) that reads all it reads
    before it binds, and does not write into `name`'s object."""
    if isinstance(stmt, gast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, gast.AugAssign):
        targets = [stmt.target]
    else:
        return False
    names_only = all(isinstance(t, (gast.Name, gast.Tuple)) for t in targets)
    return names_only and not written_through(stmt, name)


_LONGEST_FOLDED = 80  # characters


def _single_use_after(
    body: list, i: int, name: str, value_reads: set[str], moves_an_effect: bool, pure
) -> int | None:
    """The index of the statement after `i` that reads `name`, if the value `name` holds could
    be computed there instead (nothing in between changes what it reads, and, where computing
    it has an effect, nothing in between has one: a pop or a random draw stays in its order)."""
    for j in range(i + 1, len(body)):
        stmt = body[j]
        if moves_an_effect and not pure(stmt):
            return None
        if name in nodes.names_read(stmt):
            compound = isinstance(stmt, COMPOUND)  # would run once per iteration, or not at all
            return None if compound or written_through(stmt, name) else j
        if nodes.names_stored(stmt) & value_reads:
            return None
        if _changes_an_array(stmt):  # through any name: another name may hold the same array
            return None
    return None


def _changes_an_array(stmt: gast.stmt) -> bool:
    """`a[i] = v`, `a[i] += v`, `a.append(v)`, `a.pop()`, here or in a block inside."""
    for node in nodes.walk(stmt):
        if isinstance(node, (gast.Assign, gast.AugAssign)):
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            if any(isinstance(t, gast.Subscript) for t in targets):
                return True
        if (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Attribute)
            and node.func.attr in ("append", "pop")
            and not _is_tape(node.func.value)  # the tape holds values; no code reads it as one
        ):
            return True
    return False


def _is_tape(node: gast.expr) -> bool:
    return isinstance(node, gast.Name) and node.id.startswith("_tape")


def fold_temporaries(fn: gast.FunctionDef, temporaries: set[str], pure=only_pops) -> bool:
    """`_t1 = w * x` read once, later in the same block: put `w * x` where `_t1` is read.
    `pure(node)`: no call in `node` has an effect (analyse/effects.py)."""
    counts = assignments(fn)
    reads = read_counts(fn.body)
    changed = False
    for block in blocks(fn):
        i = 0
        while i < len(block):
            stmt = block[i]
            i += 1
            if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                continue
            name = stmt.targets[0].id
            if name not in temporaries or counts[name] != 1 or reads[name] != 1:
                continue
            effect = not pure(stmt.value)
            later = _single_use_after(
                block, i - 1, name, nodes.names_read(stmt.value), effect, pure
            )
            if later is None:
                continue
            folded = nodes.substitute(block[later], {name: stmt.value})
            if nodes.is_adjoint(folded) and len(unparse(folded)) > _LONGEST_FOLDED:
                continue  # one long line reads worse than two short ones
            block[later] = folded
            i -= 1
            del block[i]
            changed = True
    return changed
