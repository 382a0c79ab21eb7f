"""Calls that write into an argument, written as the assignments they are.

`np.copyto(y, v)` is `y[...] = v`; a call with `out=y` computes its value, then `y[...] = value`,
and is `y` where its value is read; `np.fill_diagonal(a, v)` is `a[diagonal_positions(a)] = v`,
`np.put(a, i, v)` is `a[flat_positions(a, i)] = v`, `np.add.at(a, i, b)` is
`a[...] = added_at(a, i, b)`, `x.sort()` is `x[...] = np.sort(x)`, `x.fill(v)` is `x[...] = v`,
and `xs.extend(ys)` a loop of appends. The stages after this one differentiate them as every
other update of an array, and refuse them where another name holds the array. Calls that write
in ways srcgrad does not follow (`x.resize`, a shuffle, `xs.insert`, `d.update`, ...) are refused
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

import gast
import numpy as np

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..front import nodes
from .method_calls import containers

# methods that write into their receiver, with what to write instead
_REFUSED_METHODS = {
    "resize": "np.resize(x, shape) for a new array",
    "itemset": "x[index] = value",
    "setflags": "",
    "shuffle": "x = rng.permutation(x) for a shuffled new array",
    "insert": "build a new list (xs = xs[:i] + [v] + xs[i:])",
    "remove": "build a new list without the element",
    "clear": "start a new list or dict (xs = [])",
    "reverse": "xs = xs[::-1] for a new, reversed list",
    "update": "build a new dict ({**d, ...}) or assign its keys one by one",
    "setdefault": "assign the key (d[k] = v)",
    "popitem": "",
}


def _everything() -> gast.expr:
    return gast.Constant(value=Ellipsis, kind=None)


class _Rewrite(gast.NodeTransformer):
    """Rewrites the writing calls of one statement; `before` collects what runs first."""

    def __init__(self, ctx, origin, lists: set[str]):
        self.ctx = ctx
        self.origin = origin
        self.lists = lists
        self.before: list[gast.stmt] = []

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
        out = next((k for k in node.keywords if k.arg == "out"), None)
        if out is not None:
            return self.out(node, out)
        func = node.func
        if isinstance(func, gast.Attribute) and not self.ctx.is_global_reference(func):
            return self.method(node, func.value, func.attr)
        obj = self.ctx.resolve(func)
        if obj is np.copyto:
            dst, src, _, where = _arguments(node, ["dst", "src", "casting", "where"])
            if where is not None:
                src = nodes.call(self.ctx.numpy_name("where"), [where, src, nodes.copy(dst)])
            return self.assigned(dst, _everything(), src)
        if obj is np.fill_diagonal:
            a, val, wrap = _arguments(node, ["a", "val", "wrap"])
            positions = self._helper(runtime.diagonal_positions, [a, *([wrap] if wrap else [])])
            return self.assigned(a, positions, val)
        if obj is np.put:
            a, ind, v, mode = _arguments(node, ["a", "ind", "v", "mode"])
            positions = self._helper(runtime.flat_positions, [a, ind, *([mode] if mode else [])])
            return self.assigned(a, positions, v)
        if obj is np.place:
            arr, mask, vals = _arguments(node, ["arr", "mask", "vals"])
            return self.assigned(arr, mask, vals)
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
        return node

    def _helper(self, function, args: list) -> gast.expr:
        name = self.ctx.support.name_for(function, function.__name__)
        return nodes.call(nodes.load(name), args)

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
        if isinstance(target, gast.Constant) and target.value is None:
            node.keywords = [k for k in node.keywords if k is not out]
            return node
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
        is_list = isinstance(receiver, gast.Name) and receiver.id in self.lists
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
            positions = self._helper(runtime.flat_positions, [nodes.copy(receiver), *node.args[:1]])
            return self.assigned(receiver, positions, node.args[1])
        if method in _REFUSED_METHODS:
            self.refuse(f"'.{method}()'", _REFUSED_METHODS[method])
        return node


def _arguments(call: gast.Call, names: list[str]) -> list:
    """The call's arguments bound to `names` by position or keyword (None where not given)."""
    values = list(call.args[: len(names)]) + [None] * (len(names) - len(call.args))
    for keyword in call.keywords:
        if keyword.arg in names:
            values[names.index(keyword.arg)] = keyword.value
    return values


def _block(stmts: list, ctx, lists: set[str]) -> list:
    out: list = []
    for stmt in stmts:
        rewrite = _Rewrite(ctx, nodes.origin_of(stmt), lists)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for field in ("body", "orelse"):
                setattr(stmt, field, _block(getattr(stmt, field), ctx, lists))
            field = "iter" if isinstance(stmt, gast.For) else "test"
            setattr(stmt, field, rewrite.visit(getattr(stmt, field)))
            out.extend([*rewrite.before, stmt])
            continue
        stmt = rewrite.visit(stmt)
        done = isinstance(stmt, gast.Expr) and isinstance(stmt.value, (gast.Constant, gast.Name))
        out.extend(rewrite.before if done and rewrite.before else [*rewrite.before, stmt])
    return out


def run(tree: gast.FunctionDef, ctx) -> None:
    lists = {name for name, kind in containers(tree, ctx).items() if kind == "list"}
    tree.body = _block(tree.body, ctx, lists)
