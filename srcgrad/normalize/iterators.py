"""`map`, `filter` and `functools.reduce` written as the comprehensions and loops they are.

`map(f, xs)` is `[f(v) for v in xs]` (`map(f, xs, ys)` zips them), `filter(p, xs)` is
`[v for v in xs if p(v)]`, and `functools.reduce(f, xs, start)` is a loop that folds `f` over
`xs`, before the statement that reads its result. Python's `map` and `filter` are lazy: held
in a name, they call the function when the name is used. The list is the same where they are
used once, at most one statement later or after statements that change nothing they read;
anywhere else (read twice, in a loop, after an update in place or a new binding of what they
read) they are refused at the line. The function is then called by name where
the later passes follow it: a lambda gets a name of its own (the `lambdas` pass inlines it), a
nested function is called directly (the `closures` pass lifts it), any other function is
called as the function it is.

>>> import functools
>>> from srcgrad.normalize.example import show
>>> def run_with_functools(tree, ctx):  # (the example's module imports functools)
...     ctx.parsed.namespace.globals["functools"] = functools
...     run(tree, ctx)
>>> show(run_with_functools, '''
... def f(x, w):
...     ys = map(lambda v: v * w, x)
...     return functools.reduce(lambda a, b: a + b, ys, 0.0)
... ''')
def f(x, w):
    _f = lambda v: v * w
    ys = [_f(_v) for _v in x]
    _f_1 = lambda a, b: a + b
    _acc = 0.0
    for _v_1 in ys:
        _acc = _f_1(_acc, _v_1)
    return _acc
"""

from __future__ import annotations

import builtins
import functools

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING


class _Rewrite(nodes.Transformer):
    """The calls of one statement; `before` collects the statements that go first."""

    def __init__(self, ctx, origin):
        self.ctx = ctx
        self.origin = origin
        self.before: list[gast.stmt] = []

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        obj = self.ctx.resolve(node.func)
        if node.keywords or any(isinstance(a, gast.Starred) for a in node.args):
            return node
        if obj is builtins.map and len(node.args) >= 2:
            return self._map(node.args[0], node.args[1:])
        if obj is builtins.filter and len(node.args) == 2:
            return self._filter(*node.args)
        if obj is functools.reduce and len(node.args) in (2, 3):
            return self._reduce(*node.args)
        return node

    def named(self, function: gast.expr) -> gast.expr:
        if not isinstance(function, gast.Lambda):
            return function
        name = self.ctx.names.fresh("_f")
        self.before.append(nodes.assign(name, function, self.origin))
        return nodes.load(name)

    def _fresh(self, base: str) -> str:
        name = self.ctx.names.fresh(base)
        self.ctx.names.generated.add(name)
        return name

    def _map(self, function: gast.expr, sequences: list) -> gast.expr:
        function = self.named(function)
        names = [self._fresh("_v") for _ in sequences]
        target = (
            nodes.store(names[0])
            if len(names) == 1
            else nodes.tuple_([nodes.store(n) for n in names], gast.Store())
        )
        iterated = sequences[0]
        if len(sequences) > 1:
            iterated = nodes.call(self.ctx.builtin("zip"), sequences)
        loop = gast.comprehension(target=target, iter=iterated, ifs=[], is_async=0)
        call = nodes.call(function, [nodes.load(n) for n in names])
        return gast.ListComp(elt=call, generators=[loop])

    def _filter(self, function: gast.expr, sequence: gast.expr) -> gast.expr:
        name = self._fresh("_v")
        test = nodes.load(name)
        if not (isinstance(function, gast.Constant) and function.value is None):
            test = nodes.call(self.named(function), [nodes.load(name)])
        loop = gast.comprehension(target=nodes.store(name), iter=sequence, ifs=[test], is_async=0)
        return gast.ListComp(elt=nodes.load(name), generators=[loop])

    def _reduce(self, function: gast.expr, sequence: gast.expr, start=None) -> gast.expr:
        function = self.named(function)
        acc, element = self._fresh("_acc"), self._fresh("_v")
        fold = nodes.assign(acc, nodes.call(function, [nodes.load(acc), nodes.load(element)]))
        if start is not None:
            self.before.append(nodes.assign(acc, start, self.origin))
            body = [nodes.stamp(fold, self.origin)]
            loop = gast.For(
                target=nodes.store(element), iter=sequence, body=body, orelse=[], type_comment=None
            )
        else:  # the first element starts it
            index = self._fresh("_k")
            first = nodes.assign(acc, nodes.load(element), self.origin)
            test = gast.Compare(
                left=nodes.load(index), ops=[gast.Eq()], comparators=[nodes.const(0)]
            )
            step = nodes.stamp(gast.If(test=test, body=[first], orelse=[fold]), self.origin)
            nodes.stamp(fold, self.origin)
            target = nodes.tuple_([nodes.store(index), nodes.store(element)], gast.Store())
            iterated = nodes.call(self.ctx.builtin("enumerate"), [sequence])
            loop = gast.For(target=target, iter=iterated, body=[step], orelse=[], type_comment=None)
        self.before.append(nodes.stamp(loop, self.origin))
        return nodes.load(acc)


def _block(stmts: list, ctx) -> list:
    out: list = []
    for position, stmt in enumerate(stmts):
        _refuse_late_use(stmt, stmts[position + 1 :], ctx)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While, gast.FunctionDef)) and inner:
                setattr(stmt, field, _block(inner, ctx))
        if isinstance(stmt, gast.FunctionDef):
            out.append(stmt)
            continue
        rewrite = _Rewrite(ctx, nodes.origin_of(stmt))
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            field = "iter" if isinstance(stmt, gast.For) else "test"
            setattr(stmt, field, rewrite.visit(getattr(stmt, field)))
            if isinstance(stmt, gast.While) and rewrite.before:
                raise UnsupportedSyntaxError(
                    "map, filter or reduce in a while loop's test is not supported",
                    nodes.origin_of(stmt),
                    "compute it in the loop's body and test a name",
                )
        else:
            stmt = rewrite.visit(stmt)
        out.extend([*rewrite.before, stmt])
    return out


def run(tree: gast.FunctionDef, ctx) -> None:
    tree.body = _block(tree.body, ctx)


def _refuse_late_use(stmt, later: list, ctx) -> None:
    """`m = map(f, xs)` (or filter): Python calls `f` when `m` is used. Computing the list here
    gives the same where `m` is used once, by a later statement of the same block (not in a
    loop there), and the statements in between change nothing `map` reads."""
    lazy = _lazy_value(stmt, ctx)
    if lazy is None:
        return
    name = stmt.targets[0].id
    users = [s for s in later if name in nodes.names_read(s)]
    if not users:
        return
    reads = nodes.names_read(lazy)
    function = lazy.args[0] if lazy.args else None
    if not isinstance(function, gast.Lambda) and ctx.resolve(function) is MISSING:
        reads = None  # (a function of the user's made here: what it reads is not known)
    between = later[: later.index(users[0])]
    kind = ctx.resolve(lazy.func).__name__
    if _uses(users[0], name) != [0] or len(users) > 1:
        why = f"'{name}' is read twice or in a loop (Python's {kind} is empty after one use)"
    elif any(not _quiet(s, reads, ctx) for s in between):
        why = f"the lines before '{name}' is used may change what {kind} reads"
    else:
        return
    raise UnsupportedSyntaxError(
        f"a {kind}(...) held in '{name}' is computed by Python where it is used, not where it "
        f"is made, and {why}",
        nodes.origin_of(stmt),
        f"make the list where it is made ({name} = list({kind}(...))), or call {kind} where "
        "it is used",
    )


def _lazy_value(stmt, ctx):
    """The `map(...)` or `filter(...)` a statement binds to a name, or None."""
    if not (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Call)
    ):
        return None
    return stmt.value if ctx.resolve(stmt.value.func) in (builtins.map, builtins.filter) else None


def _uses(node, name: str, depth: int = 0) -> list[int]:
    """How deep in loops (and comprehensions, lambdas) each read of `name` in `node` is."""
    if isinstance(node, gast.Name):
        return [depth] if node.id == name and isinstance(node.ctx, gast.Load) else []
    found = []
    for field, value in gast.iter_fields(node):
        inner = depth + 1  # (run again and again)
        if isinstance(node, (gast.For, gast.While)) and field in ("body", "orelse", "test"):
            pass
        elif isinstance(node, _COMPREHENSIONS) and field == "generators":
            found += _uses(value[0].iter, name, depth)  # (its first iterable: read once)
            value = [value[0].target, *value[0].ifs, *value[1:]]
        elif not isinstance(node, (gast.Lambda, gast.FunctionDef, *_COMPREHENSIONS)):
            inner = depth
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, gast.AST):
                found += _uses(child, name, inner)
    return found


_COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def _quiet(stmt, reads: set, ctx) -> bool:
    """`stmt` binds only names `map` does not read and calls only NumPy's and Python's own
    functions that change none of their arguments."""
    if not isinstance(stmt, gast.Assign):
        return False
    if any(not isinstance(t, (gast.Name, gast.Tuple)) for t in stmt.targets):
        return False
    if any(reads is None or nodes.names_stored(t) & reads for t in stmt.targets):
        return False
    for node in _evaluated(stmt.value):
        if isinstance(node, gast.NamedExpr):
            return False
        if isinstance(node, gast.Call):
            if any(k.arg == "out" for k in node.keywords):
                return False
            module = getattr(ctx.resolve(node.func), "__module__", None) or ""
            if not (module == "builtins" or module.startswith("numpy")):
                return False
    return True


def _evaluated(node):
    """The nodes of an expression Python evaluates where it stands (not a lambda's body)."""
    yield node
    for child in gast.iter_child_nodes(node):
        if not isinstance(node, gast.Lambda):
            yield from _evaluated(child)
