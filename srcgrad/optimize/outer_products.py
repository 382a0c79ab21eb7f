"""Optimize stage, outer products in loops: `dW += np.outer(a, b)` at every step of a loop is
one matrix product after it, `dW += np.stack(as_, axis=1) @ np.stack(bs)`, as a hand-written
RNN gradient says it (one BLAS call instead of a rank-1 update per step).
"""

from __future__ import annotations

import gast

from ..front import nodes
from ..normalize.checkpoints import snapshots_of
from .blocks import blocks


def batch_outer_products(
    fn: gast.FunctionDef, generated: set[str], counts: frozenset = frozenset()
) -> bool:
    """`dW += np.outer(a, b)` at every step of a loop is one matrix product after it:
    `dW += np.stack(as_, axis=1) @ np.stack(bs)`, as a hand-written RNN gradient says it
    (one BLAS call instead of a rank-1 update per step). The product is guarded by a test that
    the loop ran, unless it counts `n` steps for a name of `counts` (known to be above 0).
    Whether anything changed."""
    changed = False
    for block in blocks(fn):
        i = 0
        while i < len(block):
            loop = block[i]
            # (a checkpointed loop's reverse keeps one step at a time: no lists of steps)
            if isinstance(loop, (gast.For, gast.While)) and snapshots_of(loop) is None:
                made = _batched(loop, fn, generated)
                if made:
                    before, after = made
                    i -= _zeros_replaced(block, i, after[0])
                    if _runs(loop, counts):  # (the test is true, the zeros never made)
                        after = after[0].body
                    block[i : i + 1] = [*before, loop, *after]
                    changed = True
                    i += len(before) + len(after)
            i += 1
    return changed


def _runs(loop, counts: frozenset) -> bool:
    """`for t in reversed(range(n))` with `n` a number above 0, or a name the signature
    decides holds one."""
    count = _reversed_range(loop.iter) if isinstance(loop, gast.For) else None
    if isinstance(count, gast.Constant):
        return type(count.value) is int and count.value > 0
    return isinstance(count, gast.Name) and count.id in counts


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
        if not _is_outer_update(stmt):
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

    def collected(name: str, k: int) -> tuple[str | gast.expr, bool]:
        """The list for `name` at statement k, and whether it is appended to already (by
        an update with no new value of `name` in between); or, for a row of an array read
        at the loop's step (`x[t]`), the rows the loop reads, as a view of that array."""
        rows = _rows_read(loop, name, numpy_name)
        if rows is not None:
            return rows, True
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
        numpy_name = numpy.id if isinstance(numpy, gast.Name) else ""
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
        left = _stacked(numpy, first, axis=1) if isinstance(first, str) else _transposed(first)
        right = _stacked(numpy, second) if isinstance(second, str) else second
        product = nodes.binop(left, gast.MatMult(), right)
        update = gast.AugAssign(target=nodes.store(stmt.target.id), op=gast.Add(), value=product)
        after.insert(0, nodes.mark_adjoint(nodes.stamp(update, nodes.origin_of(stmt))))
    _drop_unread_rows(loop, fn, numpy_name)
    if not made:  # (every factor a view: the loop runs when it has steps)
        made_test = _steps(loop)
    origin = nodes.origin_of(loop)
    before = [
        nodes.mark_adjoint(nodes.assign(name, gast.List(elts=[], ctx=gast.Load()), origin))
        for name in made
    ]
    test = nodes.load(made[0]) if made else made_test
    guard = gast.If(test=test, body=after, orelse=[])
    return before, [nodes.mark_adjoint(nodes.stamp(guard, origin))]


def _is_outer_update(stmt: gast.stmt) -> bool:
    """`dW += np.outer(a, b)` of two names."""
    return (
        isinstance(stmt, gast.AugAssign)
        and isinstance(stmt.op, gast.Add)
        and isinstance(stmt.target, gast.Name)
        and isinstance(stmt.value, gast.Call)
        and isinstance(stmt.value.func, gast.Attribute)
        and stmt.value.func.attr == "outer"
        and len(stmt.value.args) == 2
        and not stmt.value.keywords
        and all(isinstance(a, gast.Name) for a in stmt.value.args)
    )


def _steps(loop) -> gast.expr:
    """How many steps `for t in reversed(range(n))` takes: `n` (a test, true when it runs)."""
    return nodes.copy(loop.iter.args[0].args[0])


def _rows_read(loop, name: str, numpy: str) -> gast.expr | None:
    """`x[:n][::-1]` when `name` is bound once in the body of `for t in reversed(range(n))`, as
    `name = x[t]`, and nothing in the body stores into any array (so `x` holds after the loop
    what it held at every step): the values `name` takes, in the order the loop takes them,
    without a copy. None otherwise."""
    if not (isinstance(loop, gast.For) and isinstance(loop.target, gast.Name)):
        return None
    counted = _reversed_range(loop.iter)
    if counted is None:
        return None
    step = loop.target.id
    binding = [s for s in loop.body if name in nodes.names_stored(s)]
    if len(binding) != 1 or not isinstance(binding[0], gast.Assign):
        return None
    value = binding[0].value
    if not (
        isinstance(value, gast.Subscript)
        and isinstance(value.value, gast.Name)
        and isinstance(value.slice, gast.Name)
        and value.slice.id == step
    ):
        return None
    array = value.value.id
    stored = set().union(*(nodes.names_stored(s) for s in loop.body))
    if array in stored or step in stored or nodes.names_read(counted) & stored:
        return None
    # (the updates being batched add into their own arrays, which are not `x`: `x` is read)
    if any(_writes_into_an_array(s, numpy) for s in loop.body if not _is_outer_update(s)):
        return None
    head = gast.Slice(lower=None, upper=nodes.copy(counted), step=None)
    backwards = gast.Slice(lower=None, upper=None, step=nodes.const(-1))
    rows = gast.Subscript(value=nodes.load(array), slice=head, ctx=gast.Load())
    return gast.Subscript(value=rows, slice=backwards, ctx=gast.Load())


def _reversed_range(node: gast.expr) -> gast.expr | None:
    """`n` of `reversed(range(n))`, where `n` is a name or a number."""
    if not (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Name)
        and node.func.id == "reversed"
        and len(node.args) == 1
        and isinstance(node.args[0], gast.Call)
        and isinstance(node.args[0].func, gast.Name)
        and node.args[0].func.id == "range"
        and len(node.args[0].args) == 1
        and not node.args[0].keywords
    ):
        return None
    count = node.args[0].args[0]
    return count if isinstance(count, (gast.Name, gast.Constant)) else None


def _writes_into_an_array(stmt: gast.stmt, numpy: str) -> bool:
    """`a[i] = v`, `a += v`, or a call other than a list's append or pop (which may change
    anything it is given)."""
    for node in nodes.walk(stmt):
        if isinstance(node, gast.AugAssign):
            return True
        if isinstance(node, gast.Assign) and any(
            not isinstance(t, gast.Name) for t in node.targets
        ):
            return True
        if isinstance(node, gast.Call) and not _changes_nothing(node, numpy):
            return True
    return False


_READING_METHODS = {"append", "pop", "sum", "mean", "reshape", "max", "min", "dot", "copy"}


def _changes_nothing(call: gast.Call, numpy: str) -> bool:
    """A list's append or pop, an array's reading method (`a.sum(axis=0)`), or a function of
    the NumPy module the generated code calls (`np.tanh(a)`) without `out=`."""
    if not isinstance(call.func, gast.Attribute) or any(k.arg == "out" for k in call.keywords):
        return False
    owner = call.func.value
    return call.func.attr in _READING_METHODS or (
        isinstance(owner, gast.Name) and owner.id == numpy
    )


def _drop_unread_rows(loop, fn: gast.FunctionDef, numpy: str) -> None:
    """`_t6 = x[t]` in a loop of the function's own body, read by nothing now that the rows
    come from `x` itself: not in the loop, not after it."""
    if not any(stmt is loop for stmt in fn.body):
        return
    after = fn.body[[id(stmt) for stmt in fn.body].index(id(loop)) :]
    reads: dict[str, int] = {}
    for node in nodes.walk(gast.Module(body=after, type_ignores=[])):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            reads[node.id] = reads.get(node.id, 0) + 1
    loop.body[:] = [
        s
        for s in loop.body
        if not (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Subscript)
            and not reads.get(s.targets[0].id)
            and _rows_read(loop, s.targets[0].id, numpy) is not None
        )
    ]


def _transposed(node: gast.expr) -> gast.expr:
    return nodes.attribute(node, "T")


def _stacked(numpy: gast.expr, name: str, **keywords) -> gast.Call:
    """`np.stack(name, axis=...)`, with the numpy of the call it replaces."""
    method = nodes.attribute(nodes.copy(numpy), "stack")
    return nodes.call(method, [nodes.load(name)], {k: nodes.const(v) for k, v in keywords.items()})


def _held_unchanged(name: str, body: list) -> bool:
    """Every value `name` takes in `body` is a new object that nothing there changes in
    place: a list may hold it until the loop ends."""
    for node in nodes.walk(gast.Module(body=body, type_ignores=[])):
        if isinstance(node, gast.AugAssign) and (
            name in nodes.names_read(node.target) or name in nodes.names_stored(node.target)
        ):
            return False  # name += v (an array's += is in place), name[i] += v
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
    taken = {n.id for n in nodes.walk(fn) if isinstance(n, gast.Name)}
    candidate, k = base, 1
    while candidate in taken:
        candidate, k = f"{base}_{k}", k + 1
    generated.add(candidate)
    return candidate
