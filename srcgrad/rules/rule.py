"""A derivative rule as the registry holds it, made from a rule function whose body is the code
that generated code runs: `Rule` (reverse mode) and `TangentRule` (forward mode).

A reverse rule's parameters are `g` (the adjoint of the result), `ans` (the result) and the
differentiated function's own parameters; its body may assign temporaries and ends in a `return`
of one expression per differentiable parameter (`None` where there is no gradient). A forward
rule's are `ans` and the function's parameters, and it returns one term per differentiable
parameter, reading that parameter's tangent (`x_dot`).

Guarantees: a rule's parameters are read when it is declared; its body is parsed once, the first
time a transformation uses it (parsing all of them cost most of `import srcgrad`), from the text
its file had when the rule was declared. Its shape is checked then, and a broken rule names its
own file and line, every time it is used.
"""

from __future__ import annotations

import dataclasses
import inspect
import linecache
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import gast

from ..errors import Origin, SrcgradError
from ..front import nodes
from .facts import Facts

PARSING = threading.RLock()  # held while a rule is parsed or optional rules are registered


class RuleError(SrcgradError):
    """A derivative rule that does not have the shape the registry needs."""


class _Deferred:
    """A rule whose parsed parts (`body`, `outputs` or `terms`, `free`, `origin`) are made by
    `_load` on first use; every other field is set when the rule is declared."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        with PARSING:
            load = self.__dict__.get("_load")
            if load is None:
                raise AttributeError(name)
            self.__dict__.update(load())  # (a broken rule raises here, every time it is used)
            del self.__dict__["_load"]
        return getattr(self, name)

    def load(self):
        """Parse now (a user's rule: its errors belong to its registration)."""
        _ = self.origin
        return self


def deferred(cls, load: Callable[[], dict], **fields):
    """A `cls` (a dataclass) with `fields` set now and the rest by `load()` on first use."""
    made = cls.__new__(cls)
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            made.__dict__[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            made.__dict__[f.name] = f.default_factory()
    made.__dict__.update(fields)
    made.__dict__["_load"] = load
    return made


@dataclass
class Rule(_Deferred):
    """One reverse rule (parsed on first use: see `_Deferred`)."""

    name: str
    params: list[str]  # the primal function's parameters, in order
    defaults: dict[str, object]
    differentiable: list[str]
    body: list[gast.stmt]  # statements before the return
    outputs: list[gast.expr | None]  # one per differentiable parameter
    free: dict[str, object]  # names the body reads from the rule's module
    origin: Origin
    broadcasting: bool = False
    shape: str | Callable | None = None
    keys: list[object] = field(default_factory=list)
    when: Callable[[Facts], bool] | None = None  # a variant: applies only where this holds
    extra: dict[str, Callable[[Facts], object]] = field(default_factory=dict)
    extra_params: list[str] = field(default_factory=list)  # keyword-only: filled by `extra`

    def signature(self) -> inspect.Signature:
        # (made once per rule, not at each of the many calls a transformation makes: the key
        # is what it is made of, a default by identity, which the signature keeps alive)
        key = (tuple(self.params), tuple((p, id(v)) for p, v in self.defaults.items()))
        made = self.__dict__.get("_signature")
        if made is None or made[0] != key:
            made = self.__dict__["_signature"] = (key, _signature(self.params, self.defaults))
        return made[1]

    def instantiate(
        self, mapping: dict[str, gast.expr], ctx, local_names=None
    ) -> tuple[list, list]:
        """The rule's statements and outputs with placeholders replaced by `mapping`.

        Names the rule reads from its own module (`np`, runtime helpers) are spelled as the
        generated code can see them; the rule's own temporaries get fresh names.
        """
        full = dict(mapping)
        for name, obj in self.free.items():
            full[name] = nodes.load(ctx.support.name_for(obj, name))
        for stmt in self.body:
            for name in nodes.names_stored(stmt):
                if name not in full:
                    chosen = (local_names or {}).get(name) or ctx.names.temporary()
                    full[name] = nodes.load(chosen)
        body = [nodes.substitute(s, full) for s in self.body]
        outputs = [None if o is None else nodes.substitute(o, full) for o in self.outputs]
        return body, outputs


def _signature(params: list[str], defaults: dict[str, object]) -> inspect.Signature:
    return inspect.Signature(
        [
            inspect.Parameter(
                p,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=defaults.get(p, inspect.Parameter.empty),
            )
            for p in params
        ]
    )


@dataclass
class TangentRule(_Deferred):
    """One forward rule (or, for a linear function, just its differentiable slots); parsed on
    first use (see `_Deferred`).

    A forward rule gives, for each differentiable parameter `p`, the term its tangent `p_dot`
    contributes to the result's tangent; the forward stage adds the terms of the active
    operands. A linear rule (`linear`, `bilinear`) has no body: the tangent is the user's own
    expression with the operand replaced by its tangent (`np.sum(x_dot, axis=0)`), one such
    term per active differentiable operand (`x_dot @ y + x @ y_dot`). A joint rule
    (`registry.tangent(..., joint=True)`) has one term, the result's tangent, which reads every
    operand's tangent at once (None where the operand carries no derivative).
    """

    name: str
    params: list[str]
    defaults: dict[str, object]
    differentiable: list[str]
    body: list[gast.stmt]
    terms: list[gast.expr | None] | None  # one per differentiable parameter; None: linear
    free: dict[str, object]
    origin: Origin
    broadcasting: bool = False
    keys: list[object] = field(default_factory=list)
    when: Callable[[Facts], bool] | None = None  # a variant: applies only where this holds
    variants: list[TangentRule] = field(default_factory=list)  # tried first, each its `when`
    joint: bool = False  # one term, the result's tangent, read from every operand's tangent

    @property
    def linear(self) -> bool:
        return self.terms is None

    def signature(self) -> inspect.Signature:
        return Rule.signature(self)  # same parameters, same defaults

    def instantiate(self, mapping: dict[str, gast.expr], ctx) -> tuple[list, list]:
        """The rule's statements and terms with placeholders (parameters, `ans`, `p_dot`)
        replaced by `mapping`; temporaries of the rule's body get fresh names. The first
        variant whose `when` holds of the literal constants at the call is used instead."""
        if self.variants:
            facts = literal_facts(mapping)
            for special in self.variants:
                if special.when(facts):
                    return special.instantiate(mapping, ctx)
        full = dict(mapping)
        for name, obj in self.free.items():
            full[name] = nodes.load(ctx.support.name_for(obj, name))
        for stmt in self.body:
            for name in nodes.names_stored(stmt):
                if name not in full:
                    full[name] = nodes.load(ctx.names.temporary())
        body = [nodes.substitute(s, full) for s in self.body]
        terms = [None if t is None else nodes.substitute(t, full) for t in self.terms or []]
        return body, terms


def literal_facts(mapping: dict[str, gast.expr]) -> Facts:
    """What a forward rule's variant may know at a call: the operands, and the values of
    those that are literal numbers, strings, True, False or None (shapes are not known)."""
    constants = {}
    for param, node in mapping.items():
        if isinstance(node, gast.Constant):
            constants[param] = node.value
        elif (
            isinstance(node, gast.UnaryOp)
            and isinstance(node.op, gast.USub)
            and isinstance(node.operand, gast.Constant)
            and isinstance(node.operand.value, (int, float))
        ):
            constants[param] = -node.operand.value
    return Facts(False, {}, constants, operands=mapping)


# ---- reading a rule function's source ------------------------------------------------------------

_SOURCES: dict[str, list[str]] = {}  # file -> its lines when its rules were declared


def remember_source(fn: Callable) -> None:
    """Keep the text of `fn`'s file as it is now: `fn` is parsed later, when first used, and
    the file on disk may have changed by then (an upgrade while the program runs)."""
    code = getattr(fn, "__code__", None)
    if code is not None and code.co_filename not in _SOURCES:
        lines = linecache.getlines(code.co_filename)
        if lines:
            _SOURCES[code.co_filename] = list(lines)


def _source_lines(fn: Callable) -> tuple[list[str], int]:
    code = getattr(fn, "__code__", None)
    kept = _SOURCES.get(code.co_filename) if code is not None else None
    if kept is None:
        return inspect.getsourcelines(fn)
    first = code.co_firstlineno
    return inspect.getblock(kept[first - 1 :]), first


def parse(fn: Callable) -> tuple[gast.FunctionDef, Origin]:
    """`fn`'s definition, without its decorators, and where it is."""
    try:
        lines, first = _source_lines(fn)
    except (OSError, TypeError) as exc:
        raise RuleError(
            f"cannot read the source of the rule {getattr(fn, '__qualname__', fn)!r} ({exc})",
            hint="a rule's body is written into generated code: define it with 'def' in a .py file",
        ) from None
    tree = gast.parse(textwrap.dedent("".join(lines))).body[0]
    tree.decorator_list = []
    filename = inspect.getsourcefile(fn) or "<rule>"
    origin = Origin(filename, first, 0, fn.__name__, lines[0].strip())
    return tree, origin


def free_names(fn: Callable, tree: gast.FunctionDef, params: set[str]) -> dict[str, object]:
    """The names `tree` reads that are neither `params` nor assigned in it, with the objects
    they denote in `fn`'s module (or among the builtins)."""
    assigned = {
        n.id for n in gast.walk(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    free = {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            name = node.id
            if name in params or name in assigned or name in free:
                continue
            if name in fn.__globals__:
                free[name] = fn.__globals__[name]
            else:
                import builtins

                if not hasattr(builtins, name):
                    raise RuleError(f"rule '{fn.__name__}' reads the unknown name '{name}'")
                free[name] = getattr(builtins, name)
    return free


def returned(fn, tree, origin, differentiable: list, what: str, things: str) -> list:
    """The expressions a rule's final `return` gives, one per differentiable parameter."""
    last = tree.body[-1]
    if not isinstance(last, gast.Return) or last.value is None:
        raise RuleError(f"{what} '{fn.__name__}' must end in a return", origin)
    value = last.value
    found = list(value.elts) if isinstance(value, gast.Tuple) else [value]
    if len(found) != len(differentiable):
        raise RuleError(
            f"{what} '{fn.__name__}' returns {len(found)} {things} for "
            f"{len(differentiable)} differentiable parameter(s) {differentiable}",
            origin,
        )
    return found


def is_none(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def memo(make: Callable) -> Callable:
    """`make`, called once: later calls return what the first one made."""
    made = []

    def once():
        if not made:
            made.append(make())
        return made[0]

    return once


# ---- rules made from functions -------------------------------------------------------------------


def build_rule(
    fn: Callable,
    *,
    differentiable: Sequence[str] | None = None,
    broadcasting: bool = False,
    shape: str | Callable | None = None,
) -> Rule:
    """A rule function `def r(g, ans, x, y, axis=None): ...; return dx, dy`: its parameters
    now, its body when it is first used."""
    remember_source(fn)
    sig = inspect.signature(fn)
    names = list(sig.parameters)
    if names[:2] != ["g", "ans"]:
        raise RuleError("a reverse rule's first two parameters must be 'g' and 'ans'", parse(fn)[1])
    kinds = inspect.Parameter
    params = [p for p in names[2:] if sig.parameters[p].kind != kinds.KEYWORD_ONLY]
    extra_params = [p for p in names[2:] if sig.parameters[p].kind == kinds.KEYWORD_ONLY]
    defaults = {
        p: sig.parameters[p].default
        for p in params
        if sig.parameters[p].default is not inspect.Parameter.empty
    }
    if differentiable is None:
        differentiable = [p for p in params if p not in defaults]
    differentiable = list(differentiable)

    def load() -> dict:
        tree, origin = parse(fn)
        outputs = returned(fn, tree, origin, differentiable, "rule", "adjoint(s)")
        return {
            "body": tree.body[:-1],
            "outputs": [None if is_none(o) else o for o in outputs],
            "free": free_names(fn, tree, set(names)),
            "origin": origin,
        }

    return deferred(
        Rule,
        load,
        name=fn.__name__,
        params=params,
        defaults=defaults,
        differentiable=differentiable,
        broadcasting=broadcasting,
        shape=shape,
        extra_params=extra_params,
    )


def linear_tangent(reverse: Rule, differentiable: Sequence[str] | None = None) -> TangentRule:
    """The forward rule of a function linear in each differentiable operand separately, with
    the parameters of its reverse rule: no body, no terms (the forward stage substitutes)."""
    return deferred(
        TangentRule,
        lambda: {"origin": reverse.origin},
        name=reverse.name,
        params=list(reverse.params),
        defaults=dict(reverse.defaults),
        differentiable=list(differentiable or reverse.differentiable),
        body=[],
        terms=None,
        free={},
        broadcasting=False,
    )


def diagonal_tangent(fn: Callable, reverse: Rule) -> TangentRule:
    """The forward rule of an elementwise function, from its reverse rule `fn`: each operand's
    Jacobian is diagonal, so its term is its adjoint with `g` replaced by its tangent
    (`g / y` -> `x_dot / y`). The body before the `return` must not read `g`."""
    dots = {p: nodes.load(f"{p}_dot") for p in reverse.differentiable}

    def load() -> dict:
        tree, origin = parse(fn)
        body = tree.body[:-1]
        if any("g" in nodes.names_read(stmt) for stmt in body):
            raise RuleError(
                f"the forward rule of '{fn.__name__}' cannot be derived: its body reads 'g' "
                "before the return (declare the forward rule with @tangent)",
                origin,
            )
        outputs = returned(fn, tree, origin, reverse.differentiable, "rule", "adjoint(s)")
        terms = [
            None if is_none(o) else nodes.substitute(o, {"g": dots[p]})
            for p, o in zip(reverse.differentiable, outputs)
        ]
        params = {*inspect.signature(fn).parameters, *(d.id for d in dots.values())}
        return {
            "body": body,
            "terms": terms,
            "free": free_names(fn, tree, params),
            "origin": origin,
        }

    return deferred(
        TangentRule,
        load,
        name=fn.__name__,
        params=list(reverse.params),
        defaults=dict(reverse.defaults),
        differentiable=list(reverse.differentiable),
        broadcasting=reverse.broadcasting,
    )
