"""A lambda used as a value is a nested function of its own, which normalize/closures.py lifts;
a nested function used as a value reads what Python would read.

`fs = [np.tanh, lambda z: z ** 3]`, `sorted(pairs, key=lambda p: p[0])`, a dict of lambdas:
each lambda is `def _lambda(z): return z ** 3` (its parameters, defaults included, as
written), defined just before the statement that holds it, and the lambda is that name. A
lambda bound to a name and used as a value (or with defaults, or holding a lambda) is a nested
function of that name. A lambda inside another moves with it.

Left as it is: `f = lambda z: ...` only called (normalize/lambdas.py inlines it).

Python reads the names a lambda reads when it is called; the nested function used as a value
reads them where it is made (normalize/closures.py, `closure`). The two agree when every such
name is bound only before the statement that makes the lambda, or when the lambda is passed to
a function of the user's or to a library function that calls it (called before the call
returns); refused otherwise, as is a lambda in a comprehension that reads the comprehension's
variable. The same holds of every nested function used as a value (`fs = [step]`), checked
here too.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, W):
...     fs = [np.tanh, lambda z, p=2: z ** p]
...     for f in fs:
...         x = f(x @ W)
...     return np.sum(x)
... ''')
def f(x, W):
<BLANKLINE>
    def _lambda(z, p=2):
        return z ** p
    fs = [np.tanh, _lambda]
    for f in fs:
        x = f(x @ W)
    return np.sum(x)
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import has_user_source
from ..rules.registry import calls_functions

_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)
_SIMPLE = (gast.Name, gast.Constant, gast.Attribute, gast.Tuple, gast.Load, gast.UnaryOp, gast.USub)


def run(tree: gast.FunctionDef, ctx) -> None:
    if any(isinstance(n, gast.Lambda) for n in nodes.walk(tree)):
        _made(tree, ctx)
    _check_functions(tree, ctx)


def _made(tree: gast.FunctionDef, ctx) -> None:
    """The lambdas of the function made nested functions."""
    bound = [_bound(stmt) for stmt in tree.body]
    body: list = []
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, gast.FunctionDef):
            body.append(stmt)
            continue
        named = _named(tree, stmt, index, bound, ctx)
        if named is not None:
            body.append(named)
            continue
        values = _Values(tree, ctx, index, bound)
        stmt = values.visit(stmt)
        body.extend([*values.made, stmt])
    tree.body = body


def _check_functions(tree: gast.FunctionDef, ctx) -> None:
    """A nested function used as a value (a lambda made one, or a `def`) reads the names it
    reads where it is used as a value (normalize/closures.py): none may be bound there or
    after, as Python would read the later value when it is called."""
    defs = {s.name: s for s in tree.body if isinstance(s, gast.FunctionDef)}
    if not defs:
        return
    bound = [_bound(stmt) for stmt in tree.body]
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, gast.FunctionDef):
            continue
        for use in _value_uses(stmt, defs, ctx):
            fn = defs[use.id]
            own = nodes.names_stored(fn)
            reads = set().union(*(nodes.names_read(s) for s in fn.body)) - own - set(defs)
            for name in sorted(reads):
                if any(name in names for names in bound[index:]):
                    _refuse(
                        ctx,
                        use,
                        f"the nested function '{use.id}' used as a value, which reads "
                        f"'{name}', bound again at or after this line (Python reads it when "
                        "the function is called)",
                        f"pass '{name}' to the function as an argument, or give the value it "
                        "should see a name of its own, bound once before this line",
                    )


def _value_uses(stmt: gast.stmt, defs: dict, ctx) -> list[gast.Name]:
    """The names of `defs` read in `stmt` other than called, or passed to a function of the
    user's or to a library function that calls them (called before the call returns)."""
    exempt: set[int] = set()
    for node in nodes.walk(stmt):
        if isinstance(node, gast.Call):
            exempt.add(id(node.func))
            callee = ctx.resolve(node.func)
            if has_user_source(callee) or calls_functions(callee):
                exempt |= {id(a) for a in [*node.args, *(k.value for k in node.keywords)]}
    return [
        n
        for n in nodes.walk(stmt)
        if isinstance(n, gast.Name)
        and n.id in defs
        and isinstance(n.ctx, gast.Load)
        and id(n) not in exempt
    ]


def _bound(stmt: gast.stmt) -> set[str]:
    """The names a statement of the function binds (not in lambdas, comprehensions, defs)."""
    found: set[str] = set()
    todo = [stmt]
    for node in todo:
        if isinstance(node, (gast.Lambda, gast.FunctionDef, *_COMPREHENSIONS)):
            continue
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            found.add(node.id)
        todo.extend(gast.iter_child_nodes(node))
    return found


def _free(lam: gast.Lambda) -> set[str]:
    """The names a lambda (and the lambdas in it) reads and does not bind as a parameter."""
    own = nodes.names_stored(lam.args)
    defaults = [*lam.args.defaults, *(d for d in lam.args.kw_defaults if d is not None)]
    found = set().union(set(), *(nodes.names_read(d) for d in defaults))
    todo = [lam.body]
    for node in todo:
        if isinstance(node, gast.Lambda):
            found |= _free(node) - own
            continue
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id not in own:
            found.add(node.id)
        todo.extend(gast.iter_child_nodes(node))
    return found


def _refuse(ctx, node: gast.AST, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(f"{what} is not supported", ctx.origin(node), hint)


def _check_reads(ctx, lam: gast.Lambda, index: int, bound: list) -> None:
    """Every name the lambda reads is bound only before statement `index` (or not at all)."""
    for name in sorted(_free(lam)):
        late = [i for i, names in enumerate(bound) if name in names and i >= index]
        if late:
            _refuse(
                ctx,
                lam,
                f"a lambda used as a value that reads '{name}', which is bound again after "
                "the lambda is made (Python reads it when the lambda is called)",
                f"pass '{name}' to the lambda as an argument, or give the value it should see "
                "a name of its own, bound once before the lambda",
            )


def _only_called(tree: gast.FunctionDef, name: str) -> bool:
    """`name` is read only as the function of a call."""
    called = {id(n.func) for n in nodes.walk(tree) if isinstance(n, gast.Call)}
    return all(
        id(n) in called
        for n in nodes.walk(tree)
        if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)
    )


def inlined(tree: gast.FunctionDef, stmt: gast.stmt) -> bool:
    """`f = lambda a, b: ...`, f bound once and only called: normalize/lambdas.py inlines it."""
    if not (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.value, gast.Lambda)
        and isinstance(stmt.targets[0], gast.Name)
    ):
        return False
    args, name = stmt.value.args, stmt.targets[0].id
    stored = [n for n in nodes.walk(tree) if isinstance(n, gast.Name) and n.id == name]
    return (
        sum(isinstance(n.ctx, (gast.Store, gast.Param)) for n in stored) == 1
        and not (args.defaults or args.kwonlyargs)
        and not any(isinstance(n, gast.Lambda) for n in nodes.walk(stmt.value.body))
        and _only_called(tree, name)
    )


def _named(tree, stmt: gast.stmt, index: int, bound: list, ctx) -> gast.FunctionDef | None:
    """`f = lambda ...` in the function's own body, f bound once and not inlined: `def f`."""
    if not isinstance(stmt, gast.Assign) or inlined(tree, stmt):
        return None
    target, lam = stmt.targets[0], stmt.value
    if not (isinstance(target, gast.Name) and isinstance(lam, gast.Lambda)):
        return None
    if sum(target.id in names for names in bound) != 1 or target.id in _params(tree):
        return None  # (made `f = _lambda`, a value like any other)
    _check_reads(ctx, lam, index, bound)
    return nodes.function_of_lambda(target.id, lam)


def _params(tree: gast.FunctionDef) -> set[str]:
    return nodes.names_stored(tree.args)


class _Values(nodes.Transformer):
    """The lambdas of one statement of the function made nested functions (`made`)."""

    def __init__(self, tree, ctx, index: int, bound: list):
        self.tree, self.ctx, self.index, self.bound = tree, ctx, index, bound
        self.made: list[gast.FunctionDef] = []
        self.scopes: list[set[str]] = []  # the variables of the comprehensions around
        self.passed: set[int] = set()  # lambdas normalize/closures.py names

    def visit_FunctionDef(self, node):
        return node

    def visit_Assign(self, node: gast.Assign):
        if inlined(self.tree, node):
            return node
        return self.generic_visit(node)

    def _comprehension(self, node):
        names = set().union(*(nodes.names_stored(g.target) for g in node.generators))
        self.scopes.append(names)
        try:
            return self.generic_visit(node)
        finally:
            self.scopes.pop()

    visit_ListComp = visit_GeneratorExp = visit_SetComp = visit_DictComp = _comprehension

    def visit_Call(self, node: gast.Call):
        callee = self.ctx.resolve(node.func)
        if has_user_source(callee) or calls_functions(callee):  # (called before it returns)
            self.passed |= {id(a) for a in [*node.args, *(k.value for k in node.keywords)]}
        return self.generic_visit(node)

    def visit_Lambda(self, node: gast.Lambda):
        reads = _free(node)
        for names in self.scopes:
            if reads & names:
                _refuse(
                    self.ctx,
                    node,
                    f"a lambda inside a comprehension that reads its variable "
                    f"'{sorted(reads & names)[0]}'",
                    "define the function with 'def' before the comprehension, and pass it "
                    "that variable as an argument",
                )
        defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        if any(not isinstance(n, _SIMPLE) for d in defaults for n in nodes.walk(d)):
            _refuse(
                self.ctx,
                node,
                "a lambda used as a value whose default is computed by an operation",
                "compute the default into a name before the statement, and use that name",
            )
        if id(node) not in self.passed:
            _check_reads(self.ctx, node, self.index, self.bound)
        name = self.ctx.names.fresh("_lambda")
        self.ctx.names.taken.add(name)
        self.made.append(nodes.function_of_lambda(name, node))
        return nodes.load(name)
