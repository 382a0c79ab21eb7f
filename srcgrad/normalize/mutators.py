"""Calls that write into an argument, written as the assignments they are.

`np.copyto(y, v)` is `y[...] = v`; a call with `out=y` computes its value, then `y[...] = value`,
and is `y` where its value is read; `np.fill_diagonal(a, v)` is `a[diagonal_positions(a)] = v`,
`np.put(a, i, v)` is `a[flat_positions(a, i)] = v`, `np.add.at(a, i, b)` is
`a[...] = added_at(a, i, b)`, `x.sort()` is `x[...] = np.sort(x)`, `x.fill(v)` is `x[...] = v`,
`xs.extend(ys)` a loop of appends, and `d.update({k: v})` is `d[k] = v`. The stages after this one differentiate them as every
other update of an array, and refuse them where another name holds the array. Calls that write
in ways srcgrad does not follow (`x.resize`, a shuffle, `xs.insert`, `d.update(other)`, ...) are refused
at their line, with a way to write the same as new values. Every other call made for its effect
(`print`, logging, the user's own functions) stays where it is.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     y = np.zeros(3)
...     np.copyto(y, x * w)
...     z = np.multiply(x, w, out=y)
...     return np.sum(z)
... ''')
def f(x, w):
    y = np.zeros(3)
    y[...] = x * w
    _t1 = np.multiply(x, w)
    y[...] = _t1
    z = y
    return np.sum(z)
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..front import nodes, writers
from ..front.emit import spelling
from ..front.fence import is_append
from ..front.reading import has_user_source
from ..front.writers import called, writes
from .closures import passes_a_name
from .method_calls import containers
from .objects import classes

# methods that write into their receiver, with what to write instead
_REFUSED_METHODS = {
    "resize": "np.resize(x, shape) for a new array",
    "itemset": "x[index] = value",
    "setflags": "",
    "shuffle": "x = rng.permutation(x) for a shuffled new array",
    "insert": "build a new list (ys = xs[:i]; ys.append(v); ys.extend(xs[i:]))",
    "remove": "build a new list without the element",
    "clear": "start a new list or dict (xs = [])",
    "reverse": "xs = xs[::-1] for a new, reversed list",
    "update": "assign its keys one by one (d[k] = v), or give them as a display (d.update({k: v}))",
    "setdefault": "assign the key (d[k] = v)",
    "popitem": "",
}


def _everything() -> gast.expr:
    return gast.Constant(value=Ellipsis, kind=None)


class _Rewrite(nodes.Transformer):
    """Rewrites the writing calls of one statement; `before` collects what runs first."""

    def __init__(self, ctx, origin, kinds: dict, top=None):
        self.ctx = ctx
        self.origin = origin
        self.kinds = kinds  # the names that are only lists or only dicts, or of a user's class
        self.before: list[gast.stmt] = []
        self.top = top  # the statement's whole value: a writing call may be rewritten there only

    def refuse(self, what: str, hint: str) -> None:
        raise UnsupportedSyntaxError(
            f"{what}, which writes into an array or list in place, is not supported",
            self.origin,
            hint or "compute a new value and assign it",
        )

    def write(self, target: gast.expr, index: gast.expr, value: gast.expr) -> None:
        place = nodes.subscript(nodes.copy(target), index, store_ctx=True)
        self.before.append(nodes.assign(place, value, self.origin))

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        _positional_out(node, self.ctx)
        out = next((k for k in node.keywords if k.arg == "out"), None)
        func = node.func
        if out is not None and (passes_a_name(out) or has_user_source(self.ctx.resolve(func))):
            out = None  # (a parameter `out` of the user's function: a keyword like any other)
        if out is not None and not (
            isinstance(out.value, gast.Constant) and out.value.value is None
        ):
            self.alone(node)
            return self.out(node, out)
        if out is not None:
            node.keywords = [k for k in node.keywords if k is not out]
        if isinstance(func, gast.Attribute) and func.attr in _ATTRIBUTE_WRITERS:
            return node  # (a change of an object: normalize/objects.py refuses it, and says so)
        if isinstance(func, gast.Attribute) and not self.ctx.is_global_reference(func):
            receiver = func.value.id if isinstance(func.value, gast.Name) else None
            if not writers.method_writes(self.kinds.get((receiver, "class")), func.attr):
                return nodes.mark_users_method(node)  # (the user's own: its source is read)
            if func.attr in _WRITING_METHODS or func.attr in _REFUSED_METHODS:
                self.alone(node)
            if func.attr in writers.DUNDER_ADVICE:
                self.alone(node)
                return self.dunder(node, func.value, func.attr)
            return self.method(node, func.value, func.attr)
        obj = self.ctx.resolve(func)
        if obj is setattr or obj is delattr:
            return node  # (as above)
        if obj is operator.setitem and len(node.args) == 3 and not node.keywords:
            self.alone(node)
            return self.assigned(*node.args)  # operator.setitem(a, i, v): a[i] = v
        if _writes(obj):
            self.alone(node)
        if obj is np.copyto:
            dst, src, _, where = _arguments(node, ["dst", "src", "casting", "where"])
            if where is not None:
                src = nodes.call(self.ctx.numpy_name("where"), [where, src, nodes.copy(dst)])
            return self.assigned(dst, _everything(), src)
        copy = next((k.value for k in node.keywords if k.arg == "copy"), None)
        if obj is np.nan_to_num and isinstance(copy, gast.Constant) and copy.value is False:
            target = node.args[0] if node.args else None  # (writes into x, and is x)
            self._name(target)
            node.keywords = [k for k in node.keywords if k.arg != "copy"]
            self.write(target, _everything(), node)
            return nodes.load(target.id)
        if obj is np.fill_diagonal:
            a, val, wrap = _arguments(node, ["a", "val", "wrap"])
            positions = self._helper(runtime.diagonal_positions, [a, *([wrap] if wrap else [])])
            return self.assigned(a, positions, val)
        if obj is np.put:
            a, ind, v, mode = _arguments(node, ["a", "ind", "v", "mode"])
            return self.put(a, ind, v, mode)
        if obj is np.place:  # (NumPy repeats vals over the positions the mask picks)
            arr, mask, vals = _arguments(node, ["arr", "mask", "vals"])
            count = nodes.call(self.ctx.numpy_name("count_nonzero"), [nodes.copy(mask)])
            repeated = nodes.call(self.ctx.numpy_name("resize"), [vals, count])
            return self.assigned(arr, mask, repeated)
        if getattr(obj, "__self__", None) is np.add and getattr(obj, "__name__", "") == "at":
            a, indices, b = _arguments(node, ["a", "indices", "b"])
            added = self._helper(runtime.added_at, [nodes.copy(a), indices, b])
            return self.assigned(a, _everything(), added)
        if obj in (np.putmask, np.put_along_axis, np.random.shuffle) or (
            getattr(obj, "__name__", "") == "at"
            and isinstance(getattr(obj, "__self__", None), np.ufunc)
        ):
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "this call")
            self.refuse(f"'{name}'", "")
        if writes(obj) and getattr(obj, "__name__", "") != "append":  # (a record: below)
            self.refuse(f"'{called(obj)}'", _instead(obj, node))
        return node

    def dunder(self, node: gast.Call, receiver: gast.expr, method: str) -> gast.expr:
        """`y.__iadd__(v)` is `y += v` (and its value `y`), `y.__setitem__(i, v)` is
        `y[i] = v`, as the statements they stand for; the other dunders that write are
        refused."""
        place = receiver
        if isinstance(place, gast.Subscript) and method in writers.IN_PLACE_DUNDERS:
            place = place.value  # (a[i].__iadd__(v): a[i] += v)
        operation = writers.AUGMENTED.get(writers.IN_PLACE_DUNDERS.get(method))
        if method == "__setitem__" and len(node.args) == 2 and not node.keywords:
            return self.assigned(receiver, *node.args)
        if operation is None or len(node.args) != 1 or node.keywords:
            self.refuse(f"'.{method}()'", writers.DUNDER_ADVICE[method])
        if not isinstance(place, gast.Name):
            self._name(place)
        target = nodes.with_store_ctx(nodes.copy(receiver))
        update = gast.AugAssign(target=target, op=operation(), value=node.args[0])
        self.before.append(nodes.stamp(update, self.origin))
        return nodes.copy(receiver)

    def alone(self, node: gast.Call) -> None:
        """A call that writes into an argument is rewritten where it is a statement's whole
        value: elsewhere (inside an expression, a lambda, a comprehension, a loop's test) its
        write would move out of Python's order of evaluation."""
        if not _first_evaluated(self.top, node):
            self.refuse(
                "a call inside an expression",
                "make the call a statement of its own (y = np.multiply(a, b, out=y)) and use "
                "its result on the next line",
            )

    def _helper(self, function, args: list) -> gast.expr:
        name = self.ctx.support.name_for(function, function.__name__)
        return nodes.call(nodes.load(name), args)

    def put(self, a, ind, v, mode) -> gast.expr:
        """`np.put(a, ind, v, mode)`: the flat positions `ind` names (negative ones from the
        end, as NumPy reads them), v repeated over them as NumPy repeats it."""
        positions = self._helper(runtime.flat_positions, [a, ind, *([mode] if mode else [])])
        count = nodes.call(self.ctx.numpy_name("size"), [nodes.copy(ind)])
        repeated = nodes.call(self.ctx.numpy_name("resize"), [v, count])
        return self.assigned(a, positions, repeated)

    def assigned(self, target: gast.expr, index: gast.expr, value: gast.expr) -> gast.expr:
        """`target[index] = value` first; the call's own value is None."""
        self._name(target)
        self.write(target, index, value)
        return gast.Constant(value=None, kind=None)

    def _name(self, target: gast.expr) -> None:
        if not isinstance(target, gast.Name):
            self.refuse(
                "a call that writes into an expression",
                "write into a name: v = x[1:]; np.copyto(v, ...) is refused too where x is read"
                " later, so compute the new values and assign them",
            )

    def out(self, node: gast.Call, out: gast.keyword) -> gast.expr:
        """`f(a, b, out=y)`: `y[...] = f(a, b)`, and the call's value is `y`."""
        target = out.value
        if isinstance(target, gast.Tuple):
            if len(target.elts) != 1:
                self.refuse("a call with several out= arrays", "assign each result")
            target = target.elts[0]
        self._name(target)
        node.keywords = [k for k in node.keywords if k is not out]
        held = self.ctx.names.temporary()
        self.before.append(nodes.assign(held, node, self.origin))
        self.write(target, _everything(), nodes.load(held))
        return nodes.load(target.id)

    def method(self, node: gast.Call, receiver: gast.expr, method: str) -> gast.expr:
        kind = self.kinds.get(receiver.id) if isinstance(receiver, gast.Name) else None
        is_list = kind == "list"
        if method == "update" and kind == "dict" and node is self.top:
            entries = _entries(node)
            if entries is not None:
                return self.update(receiver, entries)
        if method == "extend" and len(node.args) == 1 and isinstance(receiver, gast.Name):
            element = self.ctx.names.fresh("_e")
            append = nodes.call(
                nodes.attribute(nodes.copy(receiver), "append"), [nodes.load(element)]
            )
            loop = gast.For(
                target=nodes.store(element),
                iter=node.args[0],
                body=[nodes.expr_stmt(append, self.origin)],
                orelse=[],
                type_comment=None,
            )
            self.before.append(nodes.stamp(loop, self.origin))
            return gast.Constant(value=None, kind=None)
        if is_list and method in ("sort", "pop"):
            self.refuse(f"'.{method}()' of a list", "build a new list (sorted(xs), xs[:-1])")
        if method == "sort" and isinstance(receiver, gast.Name):
            keywords = {k.arg: k.value for k in node.keywords}
            axis = node.args[0] if node.args else keywords.get("axis", nodes.const(-1))
            value = nodes.call(self.ctx.numpy_name("sort"), [nodes.copy(receiver)], {"axis": axis})
            return self.assigned(receiver, _everything(), value)
        if method == "partition" and isinstance(receiver, gast.Name) and node.args:
            args = [nodes.copy(receiver), *node.args]
            value = nodes.call(self.ctx.numpy_name("partition"), args)
            return self.assigned(receiver, _everything(), value)
        if method == "fill" and isinstance(receiver, gast.Name) and len(node.args) == 1:
            return self.assigned(receiver, _everything(), node.args[0])
        if method == "put" and isinstance(receiver, gast.Name) and len(node.args) >= 2:
            keywords = {k.arg: k.value for k in node.keywords}
            mode = node.args[2] if len(node.args) > 2 else keywords.get("mode")
            return self.put(nodes.copy(receiver), node.args[0], node.args[1], mode)
        if method in _WRITING_METHODS and not isinstance(receiver, gast.Name):
            self.refuse(
                f"'.{method}()' of a part of an array",
                f"write the part back instead (x[i] = np.sort(x[i]) for x[i].{method}())",
            )
        if method in _REFUSED_METHODS:
            self.refuse(f"'.{method}()'", _REFUSED_METHODS[method])
        return node

    def update(self, receiver: gast.Name, entries: list) -> gast.expr:
        """`d.update({k: v}, j=w)`: every key and value computed first, as Python does, then
        `d[k] = v` for each, in order."""
        held = []
        for key, value in entries:
            pair = []
            for part in (key, value):
                if not isinstance(part, (gast.Constant, gast.Name)):
                    name = self.ctx.names.temporary()
                    self.before.append(nodes.assign(name, part, self.origin))
                    part = nodes.load(name)
                pair.append(part)
            held.append(pair)
        for key, value in held:
            self.write(receiver, key, value)
        return gast.Constant(value=None, kind=None)


_WRITING_METHODS = {"sort", "fill", "partition", "put"}  # rewritten on a name
_ATTRIBUTE_WRITERS = {"__setattr__", "__delattr__"}  # (object.__setattr__ and o.__setattr__)


def _instead(obj, call: gast.Call) -> str:
    """What to write instead of `call` of `obj`, a function that writes into an argument."""
    statement = writers.OPERATOR_WRITERS.get(obj)
    if statement is not None:  # (operator.iadd(y, x): write y += x)
        return "write " + statement.format(*[spelling(a) for a in call.args], "a", "b", "v")
    name = getattr(obj, "__name__", "")
    if name in writers.DUNDER_ADVICE:
        return writers.DUNDER_ADVICE[name]
    if name in _REFUSED_METHODS:
        return _REFUSED_METHODS[name]
    return (
        f"call it on an array of the function's own ({name}() of a name), or compute a new "
        "value and assign it"
    )


def _entries(call: gast.Call) -> list | None:
    """The (key, value) pairs of `d.update({...}, k=v)` given as a display and keywords, or None
    for any other argument (another dict, pairs, `**more`)."""
    entries = []
    for argument in call.args:
        if not isinstance(argument, gast.Dict) or None in argument.keys or len(call.args) > 1:
            return None
        entries.extend(zip(argument.keys, argument.values))
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        entries.append((nodes.const(keyword.arg), keyword.value))
    return entries


def _writes(obj) -> bool:
    """A NumPy function this pass rewrites or refuses because it writes into an argument."""
    if obj in (np.copyto, np.fill_diagonal, np.put, np.place, np.putmask, np.put_along_axis):
        return True
    if obj is np.random.shuffle or obj is np.nan_to_num:
        return True
    return getattr(obj, "__name__", "") == "at" and isinstance(
        getattr(obj, "__self__", None), np.ufunc
    )


def _first_evaluated(top, node: gast.Call) -> bool:
    """`node` is the first value Python computes of `top` (`np.sum(np.exp(x, out=y))`): its
    write may go first. Follows first operands only, never into a conditional part."""
    current = top
    while current is not node:
        if isinstance(current, gast.Call) and current.args:
            if not isinstance(current.func, (gast.Name, gast.Attribute)):
                return False
            current = current.args[0]
        elif isinstance(current, gast.BinOp):
            current = current.left
        elif isinstance(current, gast.UnaryOp):
            current = current.operand
        elif isinstance(current, gast.Compare):
            current = current.left
        elif isinstance(current, gast.Subscript):
            current = current.value
        else:
            return False
    return True


def _positional_out(call: gast.Call, ctx) -> None:
    """`np.multiply(x, y, out)`: a ufunc's out array given by position, as a keyword."""
    obj = ctx.resolve(call.func)
    if isinstance(obj, np.ufunc) and len(call.args) > obj.nin:
        outs = call.args[obj.nin :]
        call.args = call.args[: obj.nin]
        value = outs[0] if len(outs) == 1 else nodes.tuple_(outs)
        call.keywords = [*call.keywords, nodes.keyword("out", value)]


def _arguments(call: gast.Call, names: list[str]) -> list:
    """The call's arguments bound to `names` by position or keyword (None where not given)."""
    values = list(call.args[: len(names)]) + [None] * (len(names) - len(call.args))
    for keyword in call.keywords:
        if keyword.arg in names:
            values[names.index(keyword.arg)] = keyword.value
    return values


def _block(stmts: list, ctx, kinds: dict[str, str]) -> list:
    out: list = []
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for field in ("body", "orelse"):
                setattr(stmt, field, _block(getattr(stmt, field), ctx, kinds))
            field = "iter" if isinstance(stmt, gast.For) else "test"
            whole = None if isinstance(stmt, gast.While) else getattr(stmt, field)  # (once)
            rewrite = _Rewrite(ctx, nodes.origin_of(stmt), kinds, whole)
            setattr(stmt, field, rewrite.visit(getattr(stmt, field)))
            out.extend([*rewrite.before, stmt])
            continue
        whole = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign, gast.Return)) else None
        rewrite = _Rewrite(ctx, nodes.origin_of(stmt), kinds, whole)
        stmt = rewrite.visit(stmt)
        done = isinstance(stmt, gast.Expr) and _read_only(stmt.value)
        out.extend(rewrite.before if done and rewrite.before else [*rewrite.before, stmt])
    return out


def _read_only(value: gast.expr) -> bool:
    """What a rewritten call leaves as its value: None, `y`, `y[i]` (of `y[i].__iadd__(v)`)."""
    if isinstance(value, gast.Subscript):
        value = value.value
    return isinstance(value, (gast.Constant, gast.Name))


def run(tree: gast.FunctionDef, ctx) -> None:
    kinds: dict = containers(tree, ctx)
    kinds.update({(name, "class"): kind for name, kind in classes(tree, ctx).items()})
    tree.body = _block(tree.body, ctx, kinds)
    _mark_records(tree, ctx)


def _mark_records(tree: gast.FunctionDef, ctx) -> None:
    """`LOSS_HISTORY.append(float(loss))` into a module-level list the function reads nowhere
    else is a record kept for the caller, like a print: it changes nothing the function
    computes, so it runs in the forward sweep as plain Python runs it and is neither followed
    nor undone (`fence.is_append` is false for it)."""
    appends: dict[str, list] = {}
    reads: dict[str, int] = {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Expr) and is_append(node):
            appends.setdefault(node.value.func.value.id, []).append(node)
        elif isinstance(node, gast.Name):
            reads[node.id] = reads.get(node.id, 0) + 1
    for name, found in appends.items():
        denoted = ctx.resolve(nodes.load(name))
        if type(denoted) is list and reads.get(name, 0) == len(found):
            for stmt in found:
                nodes.mark_record(stmt)
