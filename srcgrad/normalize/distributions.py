"""Frozen distributions as the calls they stand for: with `d = st.norm(mu, s)`, `d.logpdf(x)`
is `st.norm.logpdf(x, mu, s)`, and so is `st.norm(mu, s).logpdf(x)`.

A SciPy distribution called with its parameters makes a frozen distribution, whose methods call
the distribution's own with those parameters. srcgrad differentiates the distribution's methods
(rules/scipy_stats.py), so a method call on a frozen distribution is written as that call: a
method of one point (`logpdf`, `cdf`, `ppf`, ...) or a statistic (`mean`, `std`, ...), where the
frozen name is bound exactly once in the function. A method srcgrad has no rule for is then
refused at the line that calls it. An argument of the freezing call that the function may
rebind is kept in a name of its own, assigned where the distribution was frozen, so that every
call reads the value it was frozen with; the freezing statement goes where nothing reads the
frozen name any more. Anything else is left as it is.

>>> import scipy.stats
>>> from srcgrad.normalize.example import show
>>> def run_with_st(tree, ctx):  # (the example's module has `import scipy.stats as st`)
...     ctx.parsed.namespace.globals["st"] = scipy.stats
...     run(tree, ctx)
>>> show(run_with_st, '''
... def f(mu, s, x):
...     s = s * 2.0
...     d = st.norm(mu, scale=s)
...     return np.sum(d.logpdf(x)) + st.t(3.0).cdf(mu)
... ''')
def f(mu, s, x):
    s = s * 2.0
    d_scale = s
    return np.sum(st.norm.logpdf(x, mu, scale=d_scale)) + st.t.cdf(mu, 3.0)
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field

import gast

from ..front import nodes, reading
from ..front.reading import MISSING
from ..rules.registry import definition

# the methods of a frozen distribution that take one point, and those that take nothing: each
# is the distribution's method of the same name with the frozen arguments after the point
_OF_A_POINT = {"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "pmf", "logpmf"}
_STATISTICS = {"mean", "median", "var", "std", "entropy"}
# keywords of a freezing call that only seed its random draws
_SEEDS = ("seed", "random_state")


@dataclass
class _Frozen:
    """`name = distribution(*args, **keywords)`, bound once in the function."""

    statement: gast.Assign
    distribution: gast.expr  # as the user spells it
    obj: object
    thawed: bool = False  # a call has been rewritten: the arguments are as those calls read them
    hoisted: list[gast.stmt] = field(default_factory=list)


def is_distribution(obj: object) -> bool:
    """A SciPy distribution (`scipy.stats.norm`, `scipy.stats.multivariate_normal`)."""
    return obj is not MISSING and reading.module_of(type(obj)).startswith("scipy.stats")


def _parameters(obj: object, method: str) -> list[str] | None:
    """The parameters of the definition of `obj.method` (None where it has none)."""
    defined = definition(getattr(obj, method, None))
    return None if defined is None else list(inspect.signature(defined).parameters)


def _own_arguments(call: gast.Call, obj: object) -> list[gast.expr] | None:
    """What a frozen distribution's method is given: its one point, or nothing for a
    statistic (None where the call is another one)."""
    method = call.func.attr
    if not hasattr(obj, method):
        return None
    if method in _STATISTICS:
        return [] if not call.args and not call.keywords else None
    if method not in _OF_A_POINT:
        return None
    if len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], gast.Starred):
        return [call.args[0]]
    params = _parameters(obj, method)  # (the point by its name)
    if not call.args and len(call.keywords) == 1 and params and call.keywords[0].arg == params[0]:
        return [call.keywords[0].value]
    return None


def _fits(obj: object, method: str, freezing: gast.Call) -> bool:
    """The freezing call's arguments can follow the point: no starred arguments, and, where
    the method has a definition, they bind to its parameters after the point."""
    if any(isinstance(a, gast.Starred) for a in freezing.args):
        return False
    names = [k.arg for k in freezing.keywords if k.arg not in _SEEDS]
    if None in names:  # (**kwargs)
        return False
    params = _parameters(obj, method)
    if params is None:
        return True
    after = params[1:] if method in _OF_A_POINT else params
    return len(freezing.args) <= len(after) and not set(names) - set(after[len(freezing.args) :])


class _Thaw(nodes.Transformer):
    def __init__(self, ctx, frozen: dict[str, _Frozen], bindings: dict[str, int]):
        self.ctx = ctx
        self.frozen = frozen
        self.bindings = bindings
        arguments = ctx.parsed.tree.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        self.parameters = {a.id for a in every}

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        if not isinstance(node.func, gast.Attribute):
            return node
        receiver = node.func.value
        if isinstance(receiver, gast.Call):  # st.norm(mu, s).logpdf(x)
            obj = self.ctx.resolve(receiver.func)
            freezing, distribution = receiver, receiver.func
        elif isinstance(receiver, gast.Name) and receiver.id in self.frozen:
            frozen = self.frozen[receiver.id]
            obj, freezing, distribution = frozen.obj, frozen.statement.value, frozen.distribution
        else:
            return node
        own = _own_arguments(node, obj) if is_distribution(obj) else None
        if own is None or not _fits(obj, node.func.attr, freezing):
            return node
        if isinstance(receiver, gast.Name):
            self._thaw(receiver.id, frozen)
            freezing = nodes.copy(freezing)
        node.func = nodes.attribute(nodes.copy(distribution), node.func.attr)
        node.args = [*own, *freezing.args]
        node.keywords = [k for k in freezing.keywords if k.arg not in _SEEDS]
        return node

    def _thaw(self, name: str, frozen: _Frozen) -> None:
        """The freezing call's arguments as the rewritten calls read them: constants and names
        the function never rebinds as they are, any other in a name of its own (`d_scale`)."""
        if frozen.thawed:
            return
        frozen.thawed = True
        freezing = frozen.statement.value
        names = _parameters(frozen.obj, "logpdf") or _parameters(frozen.obj, "logpmf") or []
        names = names[1:] + [str(k) for k in range(len(freezing.args))]
        origin = nodes.origin_of(frozen.statement)

        def kept(value: gast.expr, param: str) -> gast.expr:
            if isinstance(value, gast.Constant) or self._never_rebound(value):
                return value
            held = self.ctx.names.fresh(f"{name}_{param}")
            frozen.hoisted.append(nodes.assign(held, value, origin))
            return nodes.load(held)

        freezing.args = [kept(a, p) for a, p in zip(freezing.args, names)]
        freezing.keywords = [
            k if k.arg in _SEEDS else gast.keyword(arg=k.arg, value=kept(k.value, k.arg))
            for k in freezing.keywords
        ]

    def _never_rebound(self, value: gast.expr) -> bool:
        """`value` is a name no statement of the function binds (a global, or a parameter
        never assigned): it holds the same value wherever the function reads it."""
        if not isinstance(value, gast.Name):
            return False
        count = self.bindings.get(value.id, 0)
        return count == 0 or (count == 1 and value.id in self.parameters)


def _bindings(tree: gast.FunctionDef) -> dict[str, int]:
    """How many times the function binds each name (a parameter once, `global` twice)."""
    counts: dict[str, int] = {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
        elif isinstance(node, (gast.Global, gast.Nonlocal)):
            for name in node.names:
                counts[name] = counts.get(name, 0) + 2
    return counts


def _frozen(tree: gast.FunctionDef, ctx, bindings: dict[str, int]) -> dict[str, _Frozen]:
    """The names bound once, to a SciPy distribution called with its parameters."""
    found = {}
    for node in gast.walk(tree):
        if (
            isinstance(node, gast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], gast.Name)
            and isinstance(node.value, gast.Call)
            and bindings.get(node.targets[0].id) == 1
        ):
            obj = ctx.resolve(node.value.func)
            if is_distribution(obj):
                found[node.targets[0].id] = _Frozen(node, node.value.func, obj)
    return found


def _replace(statements: list[gast.stmt], replaced: dict[int, list[gast.stmt]]) -> list:
    out = []
    for stmt in statements:
        for name in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, name, None), list):
                setattr(stmt, name, _replace(getattr(stmt, name), replaced))
        out.extend(replaced.get(id(stmt), [stmt]))
    return out


def run(tree: gast.FunctionDef, ctx) -> None:
    if "scipy.stats" not in sys.modules:  # (no program that has not imported it freezes one)
        return
    bindings = _bindings(tree)
    frozen = _frozen(tree, ctx, bindings)
    _Thaw(ctx, frozen, bindings).visit(tree)
    still_read = nodes.names_read(tree)
    replaced = {
        id(one.statement): [*one.hoisted, *([one.statement] if name in still_read else [])]
        for name, one in frozen.items()
        if one.thawed
    }
    tree.body = _replace(tree.body, replaced)
