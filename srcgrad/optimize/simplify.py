"""Optimize stage: simplify generated straight-line code without changing any result.

Passes, run to a fixed point: fold `-(constant)`; forward the seed `1.0` and copies between
generated names; drop `1.0 * e`, `e * 1.0`, `--e`; remove assignments nobody reads; fold a
temporary that is read exactly once back into the statement that reads it (it is then computed
once, where it is used, exactly as before). User-named values are never renamed away, and a
primal value is never returned as a gradient by reference (it stays behind a new array).
"""

from __future__ import annotations

from collections import Counter

import gast

from ..analyse.in_place import SHARING
from ..front import nodes
from ..front.emit import unparse


def optimize(
    fn: gast.FunctionDef,
    generated: set[str],
    kept: set[str],
    scalars: frozenset = frozenset(),
    floats: frozenset = frozenset(),
    views: frozenset = frozenset(),
) -> gast.FunctionDef:
    """`generated`: every name srcgrad made up; `kept`: those never folded away (the adjoints
    of the user's own variables, which the reader follows through the reverse sweep);
    `scalars`: names whose values are numbers, which no one can change in place."""
    temporaries = generated - kept
    changed = True
    while changed:
        changed = False
        changed |= _fold_constants(fn)
        changed |= _forward_copies(fn, generated, temporaries)
        changed |= _algebra(fn, generated | scalars, floats, views - scalars)
        changed |= _dead_code(fn)
        changed |= _dead_stores(fn.body, set())
        changed |= _fold_temporaries(fn, temporaries)
    _batch_outer_products(fn, generated)
    _declare_nonlocals(fn)
    return fn


def _batch_outer_products(fn: gast.FunctionDef, generated: set[str]) -> None:
    """`dW += np.outer(a, b)` at every step of a loop is one matrix product after it:
    `dW += np.stack(as_, axis=1) @ np.stack(bs)`, as a hand-written RNN gradient says it
    (one BLAS call instead of a rank-1 update per step)."""
    for block in _blocks(fn):
        i = 0
        while i < len(block):
            loop = block[i]
            if isinstance(loop, (gast.For, gast.While)):
                made = _batched(loop, fn, generated)
                if made:
                    before, after = made
                    i -= _zeros_replaced(block, i, after[0])
                    block[i : i + 1] = [*before, loop, *after]
                    i += len(before) + len(after)
            i += 1


def _zeros_replaced(block: list, i: int, guard: gast.If) -> int:
    """`dW = np.zeros_like(W)` just before the loop, then `dW += product` after it: the
    product is dW, the zeros only for a loop that does not run. How many statements went."""
    removed = 0
    for update in guard.body:
        name = update.target.id
        for j in range(i - 1, -1, -1):
            stmt = block[j]
            if (
                isinstance(stmt, gast.Assign)
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id == name
                and isinstance(stmt.value, gast.Call)
                and isinstance(stmt.value.func, gast.Attribute)
                and stmt.value.func.attr == "zeros_like"
            ):
                guard.orelse.append(stmt)
                del block[j]
                removed += 1
                i -= 1
                replaced = nodes.assign(name, update.value, nodes.origin_of(update))
                guard.body[guard.body.index(update)] = nodes.mark_adjoint(replaced)
                break
            if name in nodes.names_read(stmt) | nodes.names_stored(stmt):
                break
    return removed


def _batched(loop, fn: gast.FunctionDef, generated: set[str]):
    found = []
    for k, stmt in enumerate(loop.body):
        if not (
            isinstance(stmt, gast.AugAssign)
            and isinstance(stmt.op, gast.Add)
            and isinstance(stmt.target, gast.Name)
            and isinstance(stmt.value, gast.Call)
            and isinstance(stmt.value.func, gast.Attribute)
            and stmt.value.func.attr == "outer"
            and len(stmt.value.args) == 2
            and not stmt.value.keywords
            and all(isinstance(a, gast.Name) for a in stmt.value.args)
        ):
            continue
        target = stmt.target.id
        others = [s for j, s in enumerate(loop.body) if j != k]
        header = nodes.names_read(loop.iter if isinstance(loop, gast.For) else loop.test)
        touched = set().union(set(), *(nodes.names_read(s) | nodes.names_stored(s) for s in others))
        if target in touched or target in header:
            continue
        if all(_held_unchanged(a.id, loop.body) for a in stmt.value.args):
            found.append(k)
    if not found:
        return None
    # a vector's name -> (the list of its values, one per step; where it is appended)
    lists: dict[str, tuple[str, int]] = {}
    made: list[str] = []

    def collected(name: str, k: int) -> tuple[str, bool]:
        """The list for `name` at statement k, and whether it is appended to already (by
        an update with no new value of `name` in between)."""
        if name in lists:
            held, at = lists[name]
            between = loop.body[min(at, k) + 1 : max(at, k)]
            if not any(name in nodes.names_stored(s) for s in between):
                return held, True
        held = _fresh(fn, generated, f"_{name.lstrip('_')}s")
        lists[name] = (held, k)
        made.append(held)
        return held, False

    after = []
    for k in reversed(found):
        stmt = loop.body[k]
        numpy = stmt.value.func.value
        appends, names = [], []
        for arg in stmt.value.args:
            held, shared = collected(arg.id, k)
            names.append(held)
            if not shared:
                appends.append(_append(held, arg.id, stmt))
        first, second = names
        loop.body[k : k + 1] = appends
        for name, (held, at) in list(lists.items()):  # positions after k moved
            if at > k:
                lists[name] = (held, at + len(appends) - 1)
        product = nodes.binop(
            _stacked(numpy, first, axis=1), gast.MatMult(), _stacked(numpy, second)
        )
        update = gast.AugAssign(target=nodes.store(stmt.target.id), op=gast.Add(), value=product)
        after.insert(0, nodes.mark_adjoint(nodes.stamp(update, nodes.origin_of(stmt))))
    origin = nodes.origin_of(loop)
    before = [
        nodes.mark_adjoint(nodes.assign(name, gast.List(elts=[], ctx=gast.Load()), origin))
        for name in made
    ]
    guard = gast.If(test=nodes.load(made[0]), body=after, orelse=[])
    return before, [nodes.mark_adjoint(nodes.stamp(guard, origin))]


def _stacked(numpy: gast.expr, name: str, **keywords) -> gast.Call:
    """`np.stack(name, axis=...)`, with the numpy of the call it replaces."""
    method = nodes.attribute(nodes.copy(numpy), "stack")
    return nodes.call(method, [nodes.load(name)], {k: nodes.const(v) for k, v in keywords.items()})


def _held_unchanged(name: str, body: list) -> bool:
    """Every value `name` takes in `body` is a new object that nothing there changes in
    place: a list may hold it until the loop ends."""
    for node in gast.walk(gast.Module(body=body, type_ignores=[])):
        if isinstance(node, gast.AugAssign) and name in nodes.names_read(node.target):
            return False
        if isinstance(node, gast.Assign):
            if any(
                not isinstance(t, gast.Name) and name in nodes.names_read(t) for t in node.targets
            ):
                return False  # name[i] = v
            if isinstance(node.value, gast.Name) and node.value.id == name:
                return False  # another name for the same array
            if name in nodes.names_stored(node.targets[0]) and isinstance(node.value, gast.Name):
                return False  # name = other: other may change later
    return True


def _appends(stmt: gast.stmt, name: str) -> bool:
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Call)
        and isinstance(stmt.value.func, gast.Attribute)
        and stmt.value.func.attr == "append"
        and isinstance(stmt.value.func.value, gast.Name)
        and stmt.value.func.value.id == name
    )


def _append(name: str, value: str, like: gast.stmt) -> gast.stmt:
    method = nodes.attribute(nodes.load(name), "append")
    return nodes.mark_adjoint(
        nodes.expr_stmt(nodes.call(method, [nodes.load(value)]), nodes.origin_of(like))
    )


def _fresh(fn: gast.FunctionDef, generated: set[str], base: str) -> str:
    taken = {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)}
    candidate, k = base, 1
    while candidate in taken:
        candidate, k = f"{base}_{k}", k + 1
    generated.add(candidate)
    return candidate


def _declare_nonlocals(fn: gast.FunctionDef) -> None:
    """A pullback that gives the forward sweep's names their earlier values says `nonlocal`."""
    outer = nodes.names_stored(fn.args) | {
        name
        for stmt in fn.body
        if not isinstance(stmt, gast.FunctionDef)
        for name in nodes.names_stored(stmt)
    }
    for stmt in fn.body:
        if isinstance(stmt, gast.FunctionDef):
            shared = sorted(
                nodes.names_stored(gast.Module(body=stmt.body, type_ignores=[])) & outer
            )
            if shared:
                stmt.body.insert(0, gast.Nonlocal(names=shared))


_COMPOUND = (gast.If, gast.For, gast.While, gast.FunctionDef)  # a pullback is one too


def _blocks(fn: gast.FunctionDef):
    """Every statement list of the function: its body and the bodies of its ifs and loops."""
    stack = [fn.body]
    while stack:
        block = stack.pop()
        yield block
        for stmt in block:
            if isinstance(stmt, _COMPOUND):
                stack.extend(b for b in (stmt.body, getattr(stmt, "orelse", None)) if b)


def _assignments(fn: gast.FunctionDef) -> Counter:
    counts = Counter(nodes.names_stored(fn.args))
    for block in _blocks(fn):
        for stmt in block:
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                counts[stmt.targets[0].id] += 1
            elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                counts[stmt.target.id] += 1
            elif isinstance(stmt, gast.For):
                counts.update(nodes.names_stored(stmt.target))
    return counts


def _reads(nodes_: list) -> Counter:
    counts: Counter = Counter()
    for stmt in nodes_:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                counts[n.id] += 1
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                counts[n.target.id] += 1  # `dx += c` reads dx
    return counts


_FOLDABLE = {
    gast.Add: float.__add__,
    gast.Sub: float.__sub__,
    gast.Mult: float.__mul__,
    gast.Div: float.__truediv__,
}


def _number(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


class _Constants(gast.NodeTransformer):
    """`-(1.0)` is `-1.0`, `2 - 1` is `1`, `-1.0 / 5` is `-0.2`; `slice(1, None)` in an index
    is `1:`."""

    changed = False

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.expr:
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and _number(node.operand):
            self.changed = True
            return nodes.const(-node.operand.value)
        return node

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        fold = _FOLDABLE.get(type(node.op))
        if fold and _number(node.left) and _number(node.right):
            left, right = node.left.value, node.right.value
            if isinstance(node.op, gast.Div) and right == 0:
                return node
            value = fold(float(left), float(right))
            if type(left) is int and type(right) is int and not isinstance(node.op, gast.Div):
                value = int(value)
            if len(repr(value)) > 8:
                return node  # `-1.0 / 6` says more than -0.16666666666666666
            self.changed = True
            return nodes.const(value)
        return node

    def visit_Subscript(self, node: gast.Subscript) -> gast.expr:
        self.generic_visit(node)
        index = node.slice
        if (  # (a, b)[1] is b
            isinstance(node.value, gast.Tuple)
            and isinstance(index, gast.Constant)
            and type(index.value) is int
            and -len(node.value.elts) <= index.value < len(node.value.elts)
        ):
            self.changed = True
            return node.value.elts[index.value]
        index = node.slice
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        parts = [_as_slice(p) for p in parts]
        node.slice = nodes.tuple_(parts) if isinstance(index, gast.Tuple) else parts[0]
        return node


def _as_slice(node: gast.expr) -> gast.expr:
    """`slice(a, b, c)` (the builtin, by name) written as index syntax `a:b:c`."""
    if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
        return node
    if node.func.id != "slice" or node.keywords or not 1 <= len(node.args) <= 3:
        return node
    args = [None if isinstance(a, gast.Constant) and a.value is None else a for a in node.args]
    if len(args) == 1:
        args = [None, args[0]]
    args += [None] * (3 - len(args))
    return gast.Slice(lower=args[0], upper=args[1], step=args[2])


def _fold_constants(fn) -> bool:
    folder = _Constants()
    folder.visit(fn)
    return folder.changed


def _forward_copies(fn: gast.FunctionDef, generated: set[str], temporaries: set[str]) -> bool:
    """`dy = 1.0`, `_t12 = -0.125` or `d_t1 = dd` (`d_t1` assigned once and read only after it
    in its block, `dd` not assigned again there): read the right side directly. The adjoint of
    a user's variable keeps a number other than the seed (`dd = -1.0` reads as the tutorial)."""
    counts = _assignments(fn)
    reads = _reads(fn.body)
    changed = False
    for block in _blocks(fn):
        per_statement = None  # each statement's reads, counted once per block when needed
        for i, stmt in enumerate(block):
            if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                continue
            name, value = stmt.targets[0].id, stmt.value
            if name not in generated or counts[name] != 1:
                continue
            if per_statement is None:
                per_statement = [_reads([s]) for s in block]
            rest = block[i + 1 :]
            if sum(c[name] for c in per_statement[i + 1 :]) != reads[name]:
                continue  # read before it, in a loop's next iteration, or elsewhere
            is_seed = _number(value) and (value.value == 1.0 or name in temporaries)
            is_copy = isinstance(value, gast.Name) and not any(
                value.id in nodes.names_stored(later) or _written_through(later, value.id)
                for later in rest
            )
            if is_seed or is_copy:
                for j in range(i + 1, len(block)):
                    if per_statement[j][name]:  # only the statements that read it change
                        block[j] = nodes.substitute(block[j], {name: value})
                        before, per_statement[j] = per_statement[j], _reads([block[j]])
                        reads.subtract(before)
                        reads.update(per_statement[j])
                changed = True
    return changed


class _Algebra(gast.NodeTransformer):
    def __init__(self, generated: set[str], floats=None, views=frozenset()):
        self.generated = generated
        self.views = views  # srcgrad's temporaries that hold a view of a primal array
        self.floats = floats  # names that hold floats (adjoints, tangents); None: any name
        self.changed = False

    def _float(self, node: gast.expr) -> bool:
        return self.floats is None or (isinstance(node, gast.Name) and node.id in self.floats)

    def _keeps_fresh(self, node: gast.expr) -> bool:
        """`node` alone is a new array, or one of srcgrad's own. `1.0 * x` makes a new array;
        `x` alone would hand out the caller's or a primal array, and `np.reshape(y, s)`,
        `y.T` or `y[1:]` a view of it, which the reverse sweep may change in place later."""
        if isinstance(node, gast.Name):
            return node.id in self.generated and node.id not in self.views
        if isinstance(node, gast.Attribute) and node.attr in ("T", "real", "imag"):
            return self._keeps_fresh(node.value)
        if isinstance(node, gast.Subscript):
            return self._keeps_fresh(node.value)
        if isinstance(node, gast.Call) and node.args and _views(node.func):
            return self._keeps_fresh(node.args[0])
        return True

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        if isinstance(node.op, gast.Mult):
            for one, other in ((node.left, node.right), (node.right, node.left)):
                if _is_one(one) and self._keeps_fresh(other):
                    self.changed = True
                    return other
                if _is_minus_one(one) and self._float(other):  # -1.0 * e is -e (not for a
                    self.changed = True  # boolean e: -mask is an error)
                    return nodes.unary(gast.USub(), other)
        if isinstance(node.op, gast.Div) and _is_one(node.right) and self._keeps_fresh(node.left):
            self.changed = True
            return node.left
        if isinstance(node.op, gast.Pow) and _is_one(node.right):
            self.changed = True
            return node.left
        right = node.right
        if isinstance(node.op, gast.Add) and _is_negation(right):  # a + -b is a - b
            self.changed = True
            return nodes.binop(node.left, gast.Sub(), right.operand)
        if isinstance(node.op, gast.Sub) and _is_negation(right):  # a - -b is a + b
            self.changed = True
            return nodes.binop(node.left, gast.Add(), right.operand)
        if isinstance(node.op, gast.Sub) and _flip_leading_negative(right):  # a - -0.5 * b
            self.changed = True
            return nodes.binop(node.left, gast.Add(), right)
        if isinstance(node.op, gast.Mult):  # a * (1 / b) is a / b
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(b, gast.BinOp) and isinstance(b.op, gast.Div) and _is_one(b.left):
                    self.changed = True
                    return nodes.binop(a, gast.Div(), b.right)
        return node

    def visit_Assign(self, node: gast.Assign) -> gast.stmt:
        self.generic_visit(node)
        value = node.value
        if (  # `dx[::2] = 1.0 * w`: the update copies w into dx anyway
            isinstance(node.targets[0], gast.Subscript)
            and isinstance(value, gast.BinOp)
            and isinstance(value.op, gast.Mult)
        ):
            for one, other in ((value.left, value.right), (value.right, value.left)):
                if _is_one(one):
                    node.value = other
                    self.changed = True
                    break
        return node

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.expr:
        self.generic_visit(node)
        inner = node.operand
        if _is_negation(node) and _is_negation(inner) and self._keeps_fresh(inner.operand):
            self.changed = True
            return inner.operand
        if isinstance(node.op, gast.USub) and _strip_leading_negation(inner):
            self.changed = True  # -(-a * b / c) is a * b / c
            return inner
        return node


# the names of the functions whose result may be a view of their first argument
_VIEWS = {function.__name__ for function in SHARING}


def _views(func: gast.expr) -> bool:
    name = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", None)
    return name in _VIEWS


def _strip_leading_negation(node: gast.expr) -> bool:
    """Remove the `-` of the leftmost factor of a product or quotient, if it has one."""
    parent = None
    while isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        parent, node = node, node.left
    if parent is None or not (isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)):
        return False
    parent.left = node.operand
    return True


def _is_negation(node: gast.expr) -> bool:
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _flip_leading_negative(node: gast.expr) -> bool:
    """`-0.5 * b / c` becomes `0.5 * b / c` (in place): True if it was led by a negative
    number that multiplies."""
    while isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        first = node.left
        if isinstance(node.op, gast.Mult) and _number(first) and first.value < 0:
            node.left = nodes.const(-first.value)
            return True
        node = first
    return False


def _is_minus_one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == -1


def _is_one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == 1


def _algebra(fn, generated, floats=frozenset(), views=frozenset()) -> bool:
    algebra = _Algebra(generated, floats, views)
    algebra.visit(fn)
    return algebra.changed


def _dead_code(fn: gast.FunctionDef) -> bool:
    reads = _reads(fn.body)
    changed = False
    for block in _blocks(fn):
        kept = [
            _without_target(s)
            if isinstance(s, gast.Assign)
            and isinstance(s.targets[0], gast.Name)
            and reads[s.targets[0].id] == 0
            else s
            for s in block
        ]
        kept = [s for s in kept if s is not None]
        if len(kept) != len(block) or any(a is not b for a, b in zip(kept, block)):
            block[:] = kept or [gast.Pass()]
            changed = True
    return changed


def _without_target(stmt: gast.Assign) -> gast.stmt | None:
    """A dead assignment removed: nothing, or, where its value pops the tape, the pop alone
    (every push has its pop, or later pops would take the wrong values)."""
    if not _pops(stmt.value):
        return None
    return nodes.mark_adjoint(nodes.expr_stmt(stmt.value, nodes.origin_of(stmt)))


def _pops(node: gast.expr) -> bool:
    return any(
        isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr == "pop"
        for n in gast.walk(node)
    )


def _dead_stores(block: list, live: set[str], dry: bool = False) -> bool:
    """Remove assignments whose value no later statement can read (flow-sensitive: a value
    overwritten before any read is dead even where the name is read elsewhere). `live`: names
    read after `block`. Updates `live` to the names read at the block's start. `dry`: change
    nothing, only work out `live` (as if the dead stores were gone)."""
    changed = False
    was_empty = not block or all(isinstance(s, gast.Pass) for s in block)
    for i in range(len(block) - 1, -1, -1):
        stmt = block[i]
        if isinstance(stmt, gast.If) and _empty(stmt.body) and _empty(stmt.orelse) and not dry:
            del block[i]  # nothing left to choose between
            changed = True
            continue
        if isinstance(stmt, gast.If) and _empty(stmt.body) and not dry:  # `if not c: s`
            stmt.test = nodes.unary(gast.Not(), stmt.test)
            stmt.body, stmt.orelse = stmt.orelse, []
            changed = True
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            name = stmt.targets[0].id
            if name not in live:
                kept = _without_target(stmt)
                if kept is not None:
                    live |= nodes.names_read(kept)
                if not dry:
                    if kept is None:
                        del block[i]
                    else:
                        block[i] = kept
                    changed = True
                continue
            live.discard(name)
            live |= nodes.names_read(stmt.value)
        elif isinstance(stmt, gast.If):
            then, other = set(live), set(live)
            changed |= _dead_stores(stmt.body, then, dry) | _dead_stores(stmt.orelse, other, dry)
            live.clear()
            live |= then | other | nodes.names_read(stmt.test)
        elif isinstance(stmt, (gast.For, gast.While)):
            changed |= _loop_stores(stmt, live, dry)
        elif isinstance(stmt, gast.AugAssign):  # `dx += c` reads dx and c; `dx[k] += c`, k too
            target = stmt.target
            live |= nodes.names_read(stmt) | nodes.names_stored(target)
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                live.add(target.value.id)
        else:  # returns, expressions, nested functions: everything they read is live
            live -= nodes.names_stored(stmt) - nodes.names_read(stmt)
            live |= nodes.names_read(stmt)
    if not block and not was_empty and not dry:
        block.append(gast.Pass())
    return changed


def _empty(block: list) -> bool:
    return all(isinstance(s, gast.Pass) for s in block)


def _loop_stores(loop, live: set[str], dry: bool = False) -> bool:
    """A loop body runs again after itself: what its start reads is live at its end."""
    header = nodes.names_read(loop.iter if isinstance(loop, gast.For) else loop.test)
    end = set(live) | header
    while True:
        trial = set(end)
        _dead_stores(loop.body, trial, dry=True)  # what is read, changing nothing
        grown = (end | trial) - end
        if not grown:
            break
        end |= grown
    start = set(end)
    changed = _dead_stores(loop.body, start, dry)
    live |= start | header
    if isinstance(loop, gast.For):
        live -= nodes.names_stored(loop.target) - start
    return changed


def _written_through(stmt: gast.stmt, name: str) -> bool:
    """`name[...] = v` or `name.append(v)`, here or in a block inside: the object `name`
    holds changes."""
    for node in gast.walk(stmt):
        if isinstance(node, gast.Assign) and any(name in nodes.names_read(t) for t in node.targets):
            return True
        if (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Attribute)
            and node.func.attr in ("append", "pop")
            and isinstance(node.func.value, gast.Name)
            and node.func.value.id == name
        ):
            return True
    return False


_LONGEST_FOLDED = 80  # characters


def _single_use_after(body: list, i: int, name: str, value_reads: set[str]) -> int | None:
    """The index of the statement after `i` that reads `name`, if the value `name` holds could
    be computed there instead (nothing in between changes what it reads)."""
    for j in range(i + 1, len(body)):
        stmt = body[j]
        if name in nodes.names_read(stmt):
            compound = isinstance(stmt, _COMPOUND)  # would run once per iteration, or not at all
            return None if compound or _written_through(stmt, name) else j
        if nodes.names_stored(stmt) & value_reads:
            return None
        if _changes_an_array(stmt):  # through any name: another name may hold the same array
            return None
    return None


def _changes_an_array(stmt: gast.stmt) -> bool:
    """`a[i] = v`, `a[i] += v`, `a.append(v)`, `a.pop()`, here or in a block inside."""
    for node in gast.walk(stmt):
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


def _fold_temporaries(fn: gast.FunctionDef, temporaries: set[str]) -> bool:
    """`_t1 = w * x` read once, later in the same block: put `w * x` where `_t1` is read."""
    counts = _assignments(fn)
    reads = _reads(fn.body)
    changed = False
    for block in _blocks(fn):
        i = 0
        while i < len(block):
            stmt = block[i]
            i += 1
            if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                continue
            name = stmt.targets[0].id
            if name not in temporaries or counts[name] != 1 or reads[name] != 1:
                continue
            later = _single_use_after(block, i - 1, name, nodes.names_read(stmt.value))
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


class _Everything:
    """Every name: in a formula shown to the reader, `1.0 * x` is `x` whatever `x` is."""

    def __contains__(self, name: str) -> bool:
        return True


def simplified(expression: gast.expr) -> gast.expr:
    """An expression with constants folded and trivial algebra done (for formulas shown)."""
    holder = gast.Expr(value=nodes.copy(expression))
    for _ in range(8):
        constants, algebra = _Constants(), _Algebra(_Everything(), None)
        constants.visit(holder)
        algebra.visit(holder)
        if not (constants.changed or algebra.changed):
            break
    return holder.value
