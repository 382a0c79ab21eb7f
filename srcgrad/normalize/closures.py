"""Functions defined inside the function, made functions of their own (lambda lifting).

`def step(h): return np.tanh(W @ h + b)` inside `rnn(W, b, xs)` reads `W` and `b`, which the
outer function binds. The pass makes `step` a function of its own whose free names are
keyword-only parameters, `def step(h, *, W, b)`, and every call of it `step(h, W=W, b=b)`: the
names are read when the call runs, as a closure reads them. The call is then a call of a user's
function like any other: differentiated through its own generated code, in every mode and
order, its derivative with respect to `W` and `b` included. A nested function that calls
another passes that one (and what it reads) on the same way.

A nested function used as a value (passed to a function, stored, returned) becomes
`closure(step, W=W, b=b)`, a `functools.partial`. Where what it reads carries a derivative,
the closure is differentiated as a container of those values (a dict of them by name:
analyse/program.py), and a function of the user's that calls it differentiates what it holds
too (api/dynamic.py, HELD): `scan(step, h, xs)` with `step` closing over `W` has a gradient
with respect to `W`. A lambda passed to a function of the user's is made a nested function
first.

A default that is not a constant (`def step(h, W=W)`, the idiom that captures a value) is
computed where the def stands, into a name of its own, and passed by every call that does not
pass that parameter.

A nested function that writes into a list or dict of the outer function (`log.append(v)`,
`cache[k] = v`, a `nonlocal` name's cell) works on a copy it is given and gives it back beside
its value, and each call rebinds the outer name (normalize/outer_writes.py), so that what it
stores carries its derivative. The keywords that pass a nested function its names are marked
(`passes_a_name`): `step(h, out=out)` is no NumPy `out=`.

Refused here: a nested function defined inside an `if` or a loop or bound again, and one
with decorators or `*args`/`**kwargs`.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(W, x):
...     def step(h):
...         return np.tanh(W * h)
...     return np.sum(step(step(x)))
... ''')
def f(W, x):
    return np.sum(step(step(x, W=W), W=W))
"""

from __future__ import annotations

import ast
import copy
import types

import gast

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING, has_user_source
from ..rules.registry import calls_functions
from . import outer_writes


def run(tree: gast.FunctionDef, ctx) -> None:
    _passed_lambdas(tree, ctx)
    defs = {s.name: s for s in tree.body if isinstance(s, gast.FunctionDef)}
    _refuse_others(tree, ctx, defs)
    if not defs:
        return
    outer = set(nodes.names_stored(tree.args)) | _stored_outside(tree.body) | set(defs)
    outer |= set(getattr(getattr(ctx.parsed.fn, "__code__", None), "co_freevars", ()))
    free = {name: _free(fn, outer) for name, fn in defs.items()}
    changed = True
    while changed:  # (what a nested function's nested functions read, it reads too)
        changed = False
        for name in defs:
            grown = free[name] | set().union(*(free[g] - {name} for g in free[name] & set(defs)))
            grown -= {name} if name in grown and name not in _reads(defs[name]) else set()
            if grown != free[name]:
                free[name], changed = grown, True
    writes = outer_writes.plan(tree, ctx, defs, free)  # (lists they append to, given back)
    captured = {name: _captured_defaults(ctx, fn) for name, fn in defs.items()}
    lifted = {name: _lifted(ctx, defs[name], free, defs, writes) for name in defs}
    ctx.names.taken -= set(defs)  # (every use of those names is rewritten: they are free)
    spelled = {name: ctx.support.name_for(fn, name) for name, fn in lifted.items()}
    closure = ctx.support.name_for(runtime.closure, "closure")
    body = []
    for stmt in tree.body:  # (a computed default is computed where the def stands)
        if isinstance(stmt, gast.FunctionDef):
            body.extend(assign for assign, _, _ in captured[stmt.name].values())
        else:
            body.append(stmt)
    mark = None
    if writes.writes:
        body = outer_writes.assigned(body, writes, ctx)
        mark = ctx.support.name_for(outer_writes.written, "written")
    calls = _Calls(free, spelled, closure, defs, captured, (writes, mark))
    tree.body = [calls.visit(s) for s in body]


def _captured_defaults(ctx, fn: gast.FunctionDef) -> dict:
    """`def step(h, W=W)`: the default `W` is computed where the def stands, as Python computes
    it, into a name of its own (`_step_W = W`), which every call that does not pass `W` passes
    (the lifted function's default becomes None, never used). Parameter -> (the assignment,
    its position among the positional parameters or None, the name)."""
    found = {}
    positional = fn.args.args
    first = len(positional) - len(fn.args.defaults)
    pairs = [
        (a, d, first + k) for k, (a, d) in enumerate(zip(positional[first:], fn.args.defaults))
    ]
    pairs += [(a, d, None) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults)]
    for arg, default, position in pairs:
        if default is None or isinstance(default, gast.Constant):
            continue
        name = ctx.names.fresh(f"_{fn.name}_{arg.id}")
        ctx.names.taken.add(name)
        found[arg.id] = (nodes.assign(name, default, ctx.origin(fn)), position, name)
    fn.args.defaults = [
        nodes.const(None) if not isinstance(d, gast.Constant) else d for d in fn.args.defaults
    ]
    fn.args.kw_defaults = [
        nodes.const(None) if d is not None and not isinstance(d, gast.Constant) else d
        for d in fn.args.kw_defaults
    ]
    return found


def _passed_lambdas(tree: gast.FunctionDef, ctx) -> None:
    """`helper(lambda v: v * k, x)`, a lambda passed to a function of the user's (or to a value
    called, or to a library function that calls it, `odeint(lambda y, t: ..., ...)`): a nested
    function `def _lambda(v): return v * k` at the top of the body, passed by name, and lifted
    like every nested function. (The callee calls it before the call returns, so the names it
    reads hold what they held where the lambda was written.)"""
    if not any(isinstance(node, gast.Lambda) for node in nodes.walk(tree)):
        return  # (the common case: no lambda to lift)
    lift = _Lift(tree, ctx)
    lift.visit(tree)
    tree.body[:0] = lift.made


class _Lift(nodes.Transformer):
    """The lambdas of `_passed_lambdas` made functions (`made`), passed by name."""

    def __init__(self, tree: gast.FunctionDef, ctx):
        self.tree, self.ctx = tree, ctx
        self.made: list[gast.FunctionDef] = []

    def visit_FunctionDef(self, node):
        return node if node is not self.tree else self.generic_visit(node)

    def visit_Call(self, node: gast.Call):
        self.generic_visit(node)
        callee = self.ctx.resolve(node.func)
        library = callee is not MISSING and not has_user_source(callee)
        if library and not calls_functions(callee):  # (odeint's right-hand side is lifted)
            return node
        node.args = [self.named(a) for a in node.args]
        for keyword in node.keywords:
            keyword.value = self.named(keyword.value)
        return node

    def named(self, value: gast.expr) -> gast.expr:
        if not isinstance(value, gast.Lambda):
            return value
        name = self.ctx.names.fresh("_lambda")
        self.ctx.names.taken.add(name)
        params = [a.id for a in value.args.args]
        body = [nodes.ret(value.body, nodes.origin_of(value))]
        made = nodes.stamp(nodes.function_def(name, params, body), nodes.origin_of(value))
        self.made.append(made)
        return nodes.load(name)


def _refuse_others(tree: gast.FunctionDef, ctx, defs: dict) -> None:
    top = {id(s) for s in tree.body}
    for node in nodes.walk(nodes.module(tree.body)):
        if not isinstance(node, gast.FunctionDef):
            continue
        origin = ctx.origin(node)
        if id(node) not in top:
            if any(node is inner for d in defs.values() for inner in gast.walk(d)):
                continue  # (a function nested in a nested function: lifted with it)
            _refuse(
                origin,
                f"the function '{node.name}' defined inside an if or a loop",
                "define it once, at the top level of the function, before it is used",
            )
        if node.decorator_list:
            _refuse(
                origin,
                f"a decorated function '{node.name}' inside the function",
                "define it at module level",
            )
        if node.args.vararg or node.args.kwarg:
            _refuse(
                origin,
                f"'*args' or '**kwargs' in '{node.name}' inside the function",
                "name every parameter, or define it at module level",
            )
    for name in defs:
        bound = [
            s
            for s in tree.body
            if not isinstance(s, gast.FunctionDef) and name in nodes.names_stored(s)
        ]
        if (
            bound
            or list(tree.body).count(defs[name]) != 1
            or sum(isinstance(s, gast.FunctionDef) and s.name == name for s in tree.body) > 1
        ):
            _refuse(
                ctx.origin(defs[name]),
                f"the nested function '{name}', bound again",
                "give each function a name of its own",
            )


def _refuse(origin, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(f"{what} is not supported", origin, hint)


def _stored_outside(body: list) -> set[str]:
    """The names the outer function binds (not inside its nested functions)."""
    found: set[str] = set()
    for stmt in body:
        if not isinstance(stmt, gast.FunctionDef):
            found |= nodes.names_stored(stmt)
    return found


def _reads(fn: gast.FunctionDef) -> set[str]:
    return set().union(*(nodes.names_read(s) for s in fn.body))


def _free(fn: gast.FunctionDef, outer: set[str]) -> set[str]:
    """The outer function's names `fn` reads and does not bind itself."""
    own = set(nodes.names_stored(fn.args)) | set().union(*(nodes.names_stored(s) for s in fn.body))
    own |= {s.name for s in fn.body if isinstance(s, gast.FunctionDef)}  # (its own nested defs)
    return (_reads(fn) - own) & outer


def _lifted(ctx, fn: gast.FunctionDef, free: dict, defs: dict, writes) -> types.FunctionType:
    """`fn` as a function of its own: its free names keyword-only parameters, its calls of the
    other nested functions passing theirs on (and, where it writes into a list of the outer
    function, giving it back: outer_writes.py); compiled under the user's file name, so that
    its lines are the user's, and carrying its tree for srcgrad to read (`reading.read`)."""
    made = copy.deepcopy(fn)
    nodes.with_keyword_only(made, sorted(free[fn.name]))
    inner = {g: free[g] for g in free[fn.name] & set(defs)}
    inner.update({fn.name: free[fn.name]} if fn.name in free[fn.name] else {})
    made.body = [_Calls(inner, {g: g for g in inner}, None, defs).visit(s) for s in made.body]
    if fn.name in writes.writes:
        outer_writes.threaded(made, writes, ctx)
    module = ast.fix_missing_locations(gast.gast_to_ast(nodes.module([made])))
    code = compile(module, ctx.parsed.filename, "exec")
    body = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    outer_fn = ctx.parsed.fn
    lifted = types.FunctionType(body, ctx.parsed.namespace.globals, fn.name)
    lifted.__defaults__ = tuple(d.value for d in fn.args.defaults) or None
    lifted.__kwdefaults__ = {
        a.id: d.value for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None
    } or None
    lifted.__module__ = getattr(outer_fn, "__module__", None) or "__main__"
    lifted.__qualname__ = f"{getattr(outer_fn, '__qualname__', 'f')}.<locals>.{fn.name}"
    lifted.__srcgrad_tree__ = made
    if fn.name in writes.blocked:
        outer_writes.block(lifted, writes, ctx)
    return lifted


_PASSED = "srcgrad_passes_a_name"  # on `out=out`: a name the nested function reads


def passes_a_name(keyword: gast.keyword) -> bool:
    """The keyword passes a lifted function a name it reads (`step(h, out=out)`): not NumPy's
    `out=` (normalize/mutators.py)."""
    return getattr(keyword, _PASSED, False)


def _passing(name: str, value: gast.expr) -> gast.keyword:
    made = nodes.keyword(name, value)
    setattr(made, _PASSED, True)
    return made


class _Calls(nodes.Transformer):
    """`step(h)` -> `step(h, W=W, b=b)`; `step` as a value -> `closure(step, W=W, b=b)`."""

    def __init__(
        self, free: dict, spelled: dict, closure: str | None, defs: dict, captured=None, marks=None
    ):
        self.free = free
        self.spelled = spelled
        self.closure = closure
        self.defs = defs
        self.captured = captured or {}
        # (the outer function's calls of writers are marked, outer_writes.run rebinds the lists)
        self.writes, self.mark = marks or (outer_writes.Plan(), None)

    def _defaults(self, name: str, node: gast.Call | None) -> dict:
        """The computed defaults (`_Calls.captured`) of `name` the call does not pass."""
        given = {k.arg for k in node.keywords} if node is not None else set()
        count = len(node.args) if node is not None else 0
        if node is not None and any(isinstance(a, gast.Starred) for a in node.args):
            count = 10**6  # (f(*args): whatever the star holds is passed by position)
        return {
            param: nodes.load(held)
            for param, (_, position, held) in self.captured.get(name, {}).items()
            if param not in given and (position is None or position >= count)
        }

    def _reads(self, name: str) -> dict:
        return {
            v: nodes.load(self.spelled.get(v, v) if v in self.defs and v in self.spelled else v)
            for v in sorted(self.free[name])
        }

    def visit_FunctionDef(self, node: gast.FunctionDef) -> gast.FunctionDef:
        return node  # (a function nested in a nested function is lifted with it)

    def visit_Call(self, node: gast.Call) -> gast.expr:
        func = node.func
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if isinstance(func, gast.Name) and func.id in self.free:
            passed = {**self._defaults(func.id, node), **self._reads(func.id)}
            node.func = nodes.load(self.spelled[func.id])
            node.keywords = [*node.keywords, *(_passing(k, v) for k, v in passed.items())]
            given = self.writes.writes.get(func.id)
            return node if given is None else outer_writes.marked(node, given, self.mark)
        node.func = self.visit(func)
        return node

    def visit_Name(self, node: gast.Name) -> gast.expr:
        if not isinstance(node.ctx, gast.Load) or node.id not in self.free:
            return node
        if self.closure is None:  # (inside a lifted function: its parameter of that name)
            if not self.free[node.id]:
                return node
            _refuse(
                nodes.origin_of(node),
                f"the nested function '{node.id}' used as a value inside another nested function",
                "call it there, or use it as a value in the outer function",
            )
        passed = {**self._defaults(node.id, None), **self._reads(node.id)}
        made = nodes.call(nodes.load(self.closure), [nodes.load(self.spelled[node.id])])
        made.keywords = [_passing(k, v) for k, v in passed.items()]
        return made
