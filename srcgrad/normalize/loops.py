"""`for` loops count: a loop over anything but `range(...)` becomes a loop over indices.

`for row in X` is `for _k in range(len(X)): row = X[_k]`, so that reading an element is an
ordinary indexing operation with its derivative rule; `enumerate`, `zip` and `reversed` become
the index arithmetic they stand for.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(xs, ws):
...     s = 0.0
...     for i, (x, w) in enumerate(zip(xs, ws)):
...         s = s + i * x * w
...     return s
... ''')
def f(xs, ws):
    s = 0.0
    for _k in range(min(len(xs), len(ws))):
        i = _k
        x = xs[_k]
        w = ws[_k]
        s = s + i * x * w
    return s
"""

from __future__ import annotations

import builtins

import gast

from .. import runtime
from ..front import nodes


class _Lower(nodes.Transformer):
    def __init__(self, ctx, root: gast.FunctionDef):
        self.ctx = ctx
        self.root = root
        self.rebound: set[str] = set()
        self.dicts: set[str] | None = None  # names bound to a dict display somewhere

    def visit_For(self, node: gast.For):
        self.generic_visit(node)
        if self.dicts is None:
            self.dicts = _dict_names(self.root)
        if self._is(node.iter, builtins.range):
            return self._range_read_once(node)
        origin = nodes.origin_of(node)
        index = self.ctx.names.fresh("_k")
        self.ctx.names.generated.add(index)
        setup: list = []
        # Python evaluates the iterable once: a name the body rebinds is read before the loop
        self.rebound = set().union(*(nodes.names_stored(s) for s in node.body))
        count, bindings = self._index(node.target, node.iter, index, setup, origin)
        node.target = nodes.store(index)
        node.iter = nodes.call(self.ctx.builtin("range"), count)
        node.body = [*bindings, *node.body]
        return [*setup, node]

    def _range_read_once(self, node: gast.For):
        """`for i in range(n)` whose body rebinds n: Python read n once, before the loop, and
        so does the reverse sweep's `reversed(range(...))`, from a name of its own."""
        rebound = set().union(set(), *(nodes.names_stored(s) for s in node.body))
        rebound |= nodes.names_stored(node.target)
        setup = []
        arguments = []
        for argument in node.iter.args:
            if nodes.names_read(argument) & rebound:
                held = self.ctx.names.temporary()
                setup.append(nodes.assign(held, argument, nodes.origin_of(node)))
                argument = nodes.load(held)
            arguments.append(argument)
        node.iter.args = arguments
        return [*setup, node] if setup else node

    def _is(self, node: gast.expr, obj: object) -> bool:
        return isinstance(node, gast.Call) and self.ctx.resolve(node.func) is obj

    def _sequence(self, node: gast.expr, setup: list, origin) -> gast.expr:
        """`node` as a name that can be indexed and measured (a new one if it is computed, or
        if the loop body rebinds it)."""
        if isinstance(node, gast.Name) and node.id not in self.rebound:
            return node
        name = self.ctx.names.temporary()
        setup.append(nodes.assign(name, node, origin))
        return nodes.load(name)

    def _index(self, target, iterable, index: str, setup: list, origin):
        """(range arguments, assignments of `target` from step `index` of `iterable`). A
        `reversed(...)` of the whole loop counts down; anywhere else its element is read at
        `len - 1 - index`."""
        if self._is(iterable, builtins.reversed) and len(iterable.args) == 1:
            sequence = self._sequence(iterable.args[0], setup, origin)
            size = nodes.call(self.ctx.builtin("len"), [sequence])
            last = nodes.binop(size, gast.Sub(), nodes.const(1))
            count = [last, nodes.const(-1), nodes.const(-1)]
            return count, _element(target, sequence, nodes.load(index), origin)
        size, elements = self._steps(iterable, setup, origin)
        return [size], elements(target, nodes.load(index))

    def _steps(self, iterable, setup: list, origin):
        """How many steps `iterable` takes, and a function that binds a target to the element
        of a step: `enumerate`, `zip` and `reversed` nest in any way."""
        if self._is(iterable, builtins.enumerate) and not iterable.keywords:
            start = iterable.args[1] if len(iterable.args) > 1 else None
            size, inner = self._steps(iterable.args[0], setup, origin)

            def enumerated(target, k):
                if not _pair(target):
                    return None
                position = nodes.copy(k) if start is None else nodes.add(nodes.copy(k), start)
                return [_bind(target.elts[0], position, origin), *inner(target.elts[1], k)]

            return size, _or_whole(enumerated, iterable, self, setup, origin)
        if self._is(iterable, builtins.zip) and iterable.args and not iterable.keywords:
            parts = [self._steps(a, setup, origin) for a in iterable.args]
            sizes = [size for size, _ in parts]
            size = sizes[0] if len(sizes) == 1 else nodes.call(self.ctx.builtin("min"), sizes)

            def zipped(target, k):
                if not isinstance(target, gast.Tuple) or len(target.elts) != len(parts):
                    return None
                return [b for t, (_, inner) in zip(target.elts, parts) for b in inner(t, k)]

            return size, _or_whole(zipped, iterable, self, setup, origin)
        if self._is(iterable, builtins.reversed) and len(iterable.args) == 1:
            sequence = self._sequence(iterable.args[0], setup, origin)
            length = self.ctx.names.temporary()
            setup.append(nodes.assign(length, nodes.call(self.ctx.builtin("len"), [sequence])))
            nodes.stamp(setup[-1], origin)

            def backwards(target, k):
                last = nodes.binop(nodes.load(length), gast.Sub(), nodes.const(1))
                position = self.ctx.names.temporary()
                at = nodes.assign(position, nodes.binop(last, gast.Sub(), nodes.copy(k)), origin)
                return [at, *_element(target, sequence, nodes.load(position), origin)]

            return nodes.load(length), backwards
        if self._may_be_a_dict(iterable):  # `for k in params`: its keys
            helper = self.ctx.support.name_for(runtime.iterated, "iterated")
            iterable = nodes.call(nodes.load(helper), [iterable])
        sequence = self._sequence(iterable, setup, origin)
        size = nodes.call(self.ctx.builtin("len"), [sequence])
        return size, lambda target, k: _element(target, sequence, k, origin)

    def _may_be_a_dict(self, node: gast.expr) -> bool:
        """A container argument, or a name the function binds to a dict display."""
        if not isinstance(node, gast.Name):
            return False
        return self.ctx.dtypes.get(node.id) == "dict" or node.id in self.dicts


def _or_whole(elements, iterable, lower: _Lower, setup: list, origin):
    """`elements(target, k)`, or, for a target that does not take the pairs apart (`for p in
    enumerate(xs)`), the element of a list the loop makes first."""

    def bind(target, k):
        found = elements(target, k)
        if found is not None:
            return found
        whole = lower._sequence(
            nodes.call(lower.ctx.builtin("list"), [nodes.copy(iterable)]), setup, origin
        )
        return _element(target, whole, k, origin)

    return bind


def _pair(target) -> bool:
    return isinstance(target, gast.Tuple) and len(target.elts) == 2


def _bind(target: gast.expr, value: gast.expr, origin) -> gast.stmt:
    return nodes.assign(nodes.with_store_ctx(target), value, origin)


def _element(target, sequence, k, origin) -> list:
    """`target = sequence[k]`, unpacked one name at a time when `target` is a tuple."""
    item = nodes.subscript(nodes.copy(sequence), nodes.copy(k))
    if isinstance(target, gast.Name):
        return [_bind(target, item, origin)]
    return [
        _bind(t, nodes.subscript(item, nodes.const(i)), origin) for i, t in enumerate(target.elts)
    ]


def _dict_names(tree: gast.FunctionDef) -> set[str]:
    return {
        target.id
        for stmt in nodes.walk(tree)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Dict)
        for target in stmt.targets
        if isinstance(target, gast.Name)
    }


def run(tree: gast.FunctionDef, ctx) -> None:
    _Lower(ctx, tree).visit(tree)
