"""Optimize stage, memory: a large elementwise expression is worked out in one array, in place,
as a careful hand-written gradient is (`dx = dy`, `dx *= 0.5 / y`, `dx /= 1.0 + e`), where that
gives the very same numbers. NumPy calls this eliding temporaries, and does it itself only for
arrays of 256 kB and more that nothing names.

`t = a * b / c` makes `a * b`, then a second array for the quotient while the first is alive.
Written `t = a * b` and `t /= c`, the quotient goes into the product's array. An operation done
in place gives the same numbers as the one it replaces when the array it writes into already
has the result's shape and dtype; so it is done only where the arrays' float64 dtype is known
(the arguments' dtypes, followed through arithmetic, NumPy's elementwise functions, reductions
and products) and every other operand broadcasts to that shape. The array written into is one
the statement makes itself, or one that an earlier statement made and that nothing else holds
or reads again (the caller's arguments never). `+` and `*` may take their operands in the
other order (a + b is b + a, to the last bit); nothing else moves. Only statements of the
function's own body are rewritten, and only where their result has `large` elements or more.
"""

from __future__ import annotations

import gast
import numpy as np

from ..front import nodes
from .known_arrays import BOOL, F64, FLOAT, INT, INTEGER, Known, is_single_name

_IN_PLACE = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)
_COMMUTATIVE = (gast.Add, gast.Mult)


def elide(fn: gast.FunctionDef, ctx, large: int, everywhere: bool = False) -> None:
    """Rewrite, in `fn` itself, top-level `t = a op b op c` over float64 arrays of `large`
    elements or more as an assignment and augmented assignments into one array (`t = a op b`,
    `t op= c`): where that lowers the function's peak of memory, or `everywhere` it can."""
    _InPlace(fn, ctx, large).run(everywhere)


class _InPlace:
    def __init__(self, fn: gast.FunctionDef, ctx, large: int):
        self.fn, self.large = fn, large
        self.known = Known(fn, ctx)
        self.nested = _read_in_nested_functions(fn)

    def run(self, everywhere: bool) -> None:
        """Each statement that can be worked out in one array is, where it is the statement at
        which the function holds the most memory (the peak moves: then the next one)."""
        body = self.fn.body
        later: list[set[str]] = [set()]  # the names read after each statement, from the end
        for stmt in reversed(body[1:]):
            later.append(later[-1] | self.known.reads(stmt))
        plain, rewrites = [], {}
        for i, (stmt, after) in enumerate(zip(body, reversed(later))):
            rewritten = self._rewritten(stmt, after | self.nested)
            plain.append((stmt, self._cost_of(stmt)))
            made = [(rewritten[0], self._cost_of(rewritten[0]))] if rewritten else []
            self.known.record(stmt)
            for new in rewritten[1:] if rewritten else ():
                made.append((new, self._cost_of(new)))
                self.known.record(new)
            if made:
                rewrites[i] = made
        if everywhere or not rewrites:
            chosen = set(rewrites)
        else:
            chosen = _at_the_peak(plain, rewrites, self.known, self.large)
        body[:] = [
            s for i, entry in enumerate(plain) for s, _ in _version(i, entry, rewrites, chosen)
        ]

    def _cost_of(self, stmt: gast.stmt) -> int:
        """The elements of the arrays `stmt` makes that are alive at once as it runs."""
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name):
            return 0  # (another name for the same array)
        if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr, gast.Return)):
            return self._cost(stmt.value)[0] if stmt.value is not None else 0
        return 0

    def _cost(self, node: gast.expr) -> tuple[int, int]:
        """(the most elements alive at once while `node` is worked out, the elements of the new
        array it gives): operands one after the other, each result held until the end."""
        if isinstance(node, gast.Attribute):  # (x.T, x.shape: no new array)
            return self._cost(node.value)[0], 0
        if isinstance(node, gast.BinOp):
            operands = [node.left, node.right]
        elif isinstance(node, gast.UnaryOp):
            operands = [node.operand]
        elif isinstance(node, gast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, gast.Call):
            operands = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(node.func, gast.Attribute):
                operands.insert(0, node.func.value)
        else:
            return 0, 0
        held = peak = 0
        for operand in operands:
            most, made = self._cost(operand)
            peak, held = max(peak, held + most), held + made
        shape = self.known.shape(node)
        made = int(np.prod(shape)) if shape is not None else 0
        return max(peak, held + made), made

    def _rewritten(self, stmt: gast.stmt, later: set[str]) -> list[gast.stmt] | None:
        """`stmt` as `t = start` and `t op= operand`s, or None where that would not give the
        same numbers or would save nothing."""
        if not (isinstance(stmt, gast.Assign) and is_single_name(stmt)):
            return None
        target = stmt.targets[0].id
        shape = self.known.shape(stmt.value)
        if shape is None or int(np.prod(shape)) < self.large or self.known.kind(stmt.value) != F64:
            return None
        later = later - {target} if target not in self.nested else later  # (a new binding)
        for start, rest in self._starts(stmt.value, shape, later):
            if rest and all(self._operand_fits(o, shape, target) for _, o in rest):
                return self._statements(stmt, target, start, rest)
        return None

    def _starts(self, value: gast.expr, shape: tuple, later: set[str]):
        """The ways to begin, best first: (the expression whose array takes the result, the
        operations that then follow in place). An owned name that nothing reads again; the
        first operations, where they make the result's array; the operand of a `+` or `*`
        that makes it, the operations before it moved after it (a + b is b + a, to the bit)."""
        base, steps = _spine(value)
        if (
            isinstance(base, gast.Name)
            and self._fits(base, shape)
            and base.id not in later
            and sum(isinstance(n, gast.Name) and n.id == base.id for n in nodes.walk(value)) == 1
        ):
            yield base, steps
        for count, (op, operand) in enumerate(steps):
            before = _rebuilt(base, steps[:count])
            if count and self._fits(before, shape):
                yield before, steps[count:]
                return
            if (
                isinstance(op, _COMMUTATIVE)
                and not isinstance(operand, gast.Name)
                and _pure(before)
                and self._fits(operand, shape)
            ):
                yield operand, [(op, before), *steps[count + 1 :]]

    def _fits(self, node: gast.expr, shape: tuple) -> bool:
        """`node` is a new float64 array of `shape`, or a name that alone holds one."""
        return (
            self.known.fresh(node)
            and self.known.kind(node) == F64
            and self.known.shape(node) == shape
        )

    def _operand_fits(self, node: gast.expr, shape: tuple, target: str) -> bool:
        """`t op= node` gives what `t op node` gives: float64 stays float64, no broadcast
        grows `t`, and `node` does not read `t`'s old value."""
        kind, have = self.known.kind(node), self.known.shape(node)
        if kind not in (F64, FLOAT, INT, BOOL, INTEGER) or have is None:
            return False
        if target in nodes.names_read(node):
            return False
        try:
            return tuple(np.broadcast_shapes(have, shape)) == shape
        except ValueError:
            return False

    def _statements(self, stmt, target: str, start: gast.expr, rest: list) -> list[gast.stmt]:
        origin = nodes.origin_of(stmt)
        made = []
        if not (isinstance(start, gast.Name) and start.id == target):
            made.append(nodes.assign(target, start, origin))
        for op, operand in rest:
            augmented = gast.AugAssign(target=nodes.store(target), op=op, value=operand)
            made.append(nodes.stamp(augmented, origin))
        for new in made:
            if nodes.is_adjoint(stmt):
                nodes.mark_adjoint(new)
            if nodes.is_titled(stmt):
                nodes.mark_titled(new)
        return made


def _version(i: int, entry: tuple, rewrites: dict, chosen: set) -> list:
    return rewrites[i] if i in chosen else [entry]


def _at_the_peak(plain: list, rewrites: dict, known: Known, large: int) -> set[int]:
    """The statements (by number) to work out in one array: the one at the function's peak of
    memory while that lowers the peak by a large array's elements (and a hundredth) or more,
    then the one at the new peak, and so on."""
    chosen: set[int] = set()
    while True:
        body = [
            (i, s, c)
            for i, entry in enumerate(plain)
            for s, c in _version(i, entry, rewrites, chosen)
        ]
        peaks = _peaks([(s, c) for _, s, c in body], known)
        top = max(range(len(body)), key=peaks.__getitem__, default=None)
        if top is None or body[top][0] in chosen or body[top][0] not in rewrites:
            return chosen
        trial = chosen | {body[top][0]}
        again = [
            (s, c) for i, entry in enumerate(plain) for s, c in _version(i, entry, rewrites, trial)
        ]
        lower = peaks[top] - max(large, peaks[top] // 100)
        if max(_peaks(again, known)) > lower:
            return chosen  # (a line more for each step: only for an array's worth)
        chosen = trial


def _peaks(body: list, known: Known) -> list[int]:
    """The elements alive at each statement of `body` (statement, its own cost): what it makes,
    and each array a name holds from the statement that binds it to the last that reads it
    (the caller's arguments aside; a name bound to another's array holds no array of its own)."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    owner: dict[str, str] = {}
    sizes = known.sizes
    for j, (stmt, _) in enumerate(body):
        for name in known.reads(stmt):
            name = owner.get(name, name)
            last[name] = j
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, gast.Name) and isinstance(stmt.value, gast.Name):
                owner[target.id] = owner.get(stmt.value.id, stmt.value.id)
        for name in _stored(stmt):
            first.setdefault(owner.get(name, name), j)
    alive = [0] * (len(body) + 1)
    for name, j in first.items():
        if name not in known.parameters and name not in owner:
            alive[j + 1] += sizes.get(name, 0)
            alive[max(last.get(name, j), j) + 1] -= sizes.get(name, 0)
    peaks, running = [], 0
    for j, (_, cost) in enumerate(body):
        running += alive[j]
        peaks.append(running + cost)
    return peaks


def _spine(node: gast.expr) -> tuple[gast.expr, list]:
    """`a op1 b op2 c` as (a, [(op1, b), (op2, c)]): the left operands, innermost first, of
    operations that can be done in place."""
    steps = []
    while isinstance(node, gast.BinOp) and isinstance(node.op, _IN_PLACE):
        steps.append((node.op, node.right))
        node = node.left
    return node, steps[::-1]


def _rebuilt(base: gast.expr, steps: list) -> gast.expr:
    for op, operand in steps:
        base = gast.BinOp(left=base, op=op, right=operand)
    return base


def _pure(node: gast.expr) -> bool:
    """Evaluating `node` later than written changes nothing: names, numbers, arithmetic."""
    return all(
        isinstance(n, (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.operator,
                       gast.unaryop, gast.expr_context))
        for n in nodes.walk(node)
    )  # fmt: skip


def _read_in_nested_functions(fn: gast.FunctionDef) -> set[str]:
    inner = (
        node
        for stmt in fn.body
        for node in nodes.walk(stmt)
        if isinstance(node, (gast.FunctionDef, gast.Lambda))
    )
    return set().union(*(nodes.names_read(node) for node in inner))


def _stored(stmt: gast.stmt) -> list[str]:
    """The names an assignment of the function's body binds (a block's: every one)."""
    if isinstance(stmt, gast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, gast.Name)] or sorted(
            nodes.names_stored(stmt)
        )
    if isinstance(stmt, gast.AugAssign):
        return [stmt.target.id] if isinstance(stmt.target, gast.Name) else []
    return sorted(nodes.names_stored(stmt))
