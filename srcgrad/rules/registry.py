"""The derivative-rule registry: rules are plain Python functions whose bodies are the code we emit.

A reverse rule's parameters are `g` (the adjoint of the result), `ans` (the result) and the
differentiated function's own parameters; its body may assign temporaries and ends in a `return`
of one expression per differentiable parameter (`None` where there is no gradient). The registry
reads a rule's parameters at import and parses its body once, the first time a transformation
uses it (parsing all of them cost most of `import srcgrad`); it checks the rule's shape then and
remembers the rule's own file and line so that a broken rule names itself. A user's rule
(srcgrad.register_vjp) is parsed and checked when it is registered.

Guarantees: `reverse_rule(obj)` finds a rule by the object the user's code resolves to (never by
spelling); `is_nondifferentiable(obj)` says whether `obj` has zero derivative by declaration.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import linecache
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import gast

from ..errors import Origin, SrcgradError
from ..front import nodes

# How a rule's result shape follows from its inputs' shapes (used to place `unbroadcast`).
SAME = "same"  # elementwise: the shape of the first differentiable input
BROADCAST = "broadcast"  # numpy broadcasting of the differentiable inputs
STANDIN = "standin"  # value-independent: evaluate on zero-stride stand-ins when args are constant


_PARSING = threading.RLock()


class _Deferred:
    """A rule whose parsed parts (`body`, `outputs` or `terms`, `free`, `origin`) are made by
    `_load` on first use; every other field is set when the rule is declared."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        with _PARSING:
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


def _deferred(cls, load: Callable[[], dict], **fields):
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
        return inspect.Signature(
            [
                inspect.Parameter(
                    p,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=self.defaults.get(p, inspect.Parameter.empty),
                )
                for p in self.params
            ]
        )

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


class Facts:
    """What the transform knows about one call site, for choosing a rule variant.

    `floating`: every differentiated input is a float, so every active value is one.
    `shape(p)`: the shape of the operand bound to parameter `p`, or None when unknown.
    `constant(p)`: the literal value bound to `p`, or `Facts.UNKNOWN`.
    """

    UNKNOWN = object()

    def __init__(
        self,
        floating: bool,
        shapes: dict,
        constants: dict,
        donors=None,
        operands=None,
        integer_arrays=frozenset(),
        array_arguments=frozenset(),
    ):
        self.floating = floating
        self._shapes = shapes
        self._constants = constants
        self._donors = donors or {}  # shape -> name of a computed float value of that shape
        self._operands = operands or {}  # parameter -> the operand expression bound to it
        self._integer_arrays = integer_arrays  # names that hold integer arrays (arguments)
        self._array_arguments = array_arguments  # names that hold NumPy arrays (arguments)

    def integer_array(self, param: str) -> bool:
        """`param` is bound to an argument that holds an array of integers."""
        node = self._operands.get(param)
        return isinstance(node, gast.Name) and node.id in self._integer_arrays

    def array_argument(self, param: str) -> bool:
        """`param` is bound to an argument that holds a NumPy array (it has .shape, .dtype)."""
        node = self._operands.get(param)
        return isinstance(node, gast.Name) and node.id in self._array_arguments

    def like(self, param: str) -> gast.expr | None:
        """A value with the shape (and float dtype) of `param`'s active operand, for
        `np.full_like`: one computed anyway if there is one, else the operand itself."""
        shape = self.shape(param)
        name = self._donors.get(shape) if shape is not None else None
        if name is not None:
            return nodes.load(name)
        operand = self._operands.get(param)
        return operand if isinstance(operand, gast.Name) else None

    def shape(self, param: str) -> tuple | None:
        return self._shapes.get(param)

    def same_name(self, first: str, second: str) -> bool:
        """Both parameters are bound to the same variable (`x * x`)."""
        a, b = self._operands.get(first), self._operands.get(second)
        return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id

    def constant(self, param: str) -> object:
        return self._constants.get(param, Facts.UNKNOWN)


REVERSE: dict[object, Rule] = {}  # the general rule of each object: right for every input
VARIANTS: dict[object, list[Rule]] = {}  # specialised forms, tried first, each with its `when`
NONDIFFERENTIABLE: set[int] = set()
_NONDIFF_OBJECTS: list[object] = []  # keep the objects alive so their ids stay theirs


class RuleError(SrcgradError):
    """A derivative rule that does not have the shape the registry needs."""


def _key(obj: object) -> object:
    try:
        hash(obj)
        return obj
    except TypeError:
        return id(obj)


# rules for a library srcgrad does not import itself: the module the user's program imports ->
# the rule module that needs it, registered at the first look-up after that import
_OPTIONAL = {"scipy.special": "srcgrad.rules.scipy_special"}


def load_optional_rules() -> None:
    """Register the rules of every optional library the program has imported by now."""
    for library, rules in list(_OPTIONAL.items()):
        if library in sys.modules:
            with _PARSING:
                if _OPTIONAL.pop(library, None) is not None:
                    importlib.import_module(rules)


def reverse_rule(obj: object) -> Rule | None:
    """The general rule for `obj` (None if it has none)."""
    if _OPTIONAL:
        load_optional_rules()
    return REVERSE.get(_key(obj))


def choose_rule(obj: object, facts: Facts) -> tuple[Rule | None, dict[str, object]]:
    """The first variant whose `when` holds and whose extras are known, else the general rule."""
    if _OPTIONAL:
        load_optional_rules()
    key = _key(obj)
    for rule in VARIANTS.get(key, ()):
        if not rule.when(facts):
            continue
        extra = {name: compute(facts) for name, compute in rule.extra.items()}
        if any(v is None for v in extra.values()):
            continue
        return rule, {k: v if isinstance(v, gast.AST) else nodes.const(v) for k, v in extra.items()}
    return REVERSE.get(key), {}


def is_nondifferentiable(obj: object) -> bool:
    if _OPTIONAL:
        load_optional_rules()
    return id(obj) in NONDIFFERENTIABLE


def nondifferentiable(*objects: object) -> None:
    """Declare functions whose derivative is zero wherever it exists (`np.floor`, `len`)."""
    for obj in objects:
        NONDIFFERENTIABLE.add(id(obj))
        _NONDIFF_OBJECTS.append(obj)


_SOURCES: dict[str, list[str]] = {}  # file -> its lines when its rules were declared


def _remember_source(fn: Callable) -> None:
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


def _parse(fn: Callable) -> tuple[gast.FunctionDef, Origin]:
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


def _free_names(fn: Callable, tree: gast.FunctionDef, params: set[str]) -> dict[str, object]:
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


def build_rule(
    fn: Callable,
    *,
    differentiable: Sequence[str] | None = None,
    broadcasting: bool = False,
    shape: str | Callable | None = None,
) -> Rule:
    """A rule function `def r(g, ans, x, y, axis=None): ...; return dx, dy`: its parameters
    now, its body when it is first used."""
    _remember_source(fn)
    sig = inspect.signature(fn)
    names = list(sig.parameters)
    if names[:2] != ["g", "ans"]:
        raise RuleError(
            "a reverse rule's first two parameters must be 'g' and 'ans'", _parse(fn)[1]
        )
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
        tree, origin = _parse(fn)
        outputs = _returned(fn, tree, origin, differentiable, "rule", "adjoint(s)")
        return {
            "body": tree.body[:-1],
            "outputs": [None if _is_none(o) else o for o in outputs],
            "free": _free_names(fn, tree, set(names)),
            "origin": origin,
        }

    return _deferred(
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


def _returned(fn, tree, origin, differentiable: list, what: str, things: str) -> list:
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


def _is_none(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def register(rule: Rule, keys: Sequence[object]) -> Rule:
    for key in keys:
        if rule.when is None:
            REVERSE[_key(key)] = rule
        else:
            VARIANTS.setdefault(_key(key), []).append(rule)
        rule.keys.append(key)
    return rule


def adjoint(*keys: object, differentiable=None, broadcasting=False, shape=None):
    """Decorator: `fn` is the reverse rule of every object in `keys`."""

    def decorate(fn: Callable) -> Callable:
        rule = build_rule(fn, differentiable=differentiable, broadcasting=broadcasting, shape=shape)
        register(rule, keys)
        return fn

    return decorate


def variant(*keys: object, when: Callable[[Facts], bool], differentiable=None, **extra):
    """Decorator: a specialised rule for `keys`, used where `when(facts)` holds.

    Variants make the generated code read like a hand-written gradient where the transform
    knows enough (`x.T @ g` for two matrices); the general rule covers every other case.
    Each keyword in `extra` names a parameter of the rule whose value the transform computes
    from the facts (`count=...`); a variant whose extra is None does not apply.
    """

    def decorate(fn: Callable) -> Callable:
        rule = build_rule(fn, differentiable=differentiable)
        missing = set(rule.extra_params) ^ set(extra)
        if missing:
            raise RuleError(
                f"variant '{fn.__name__}': keyword-only parameters and extras differ: {missing}",
                rule.origin,
            )
        rule.when = when
        rule.extra = dict(extra)
        register(rule, keys)
        return fn

    return decorate


def broadcasting(*keys: object):
    """Decorator for binary elementwise functions: adjoints are summed back to each input's shape."""
    return adjoint(*keys, broadcasting=True, shape=BROADCAST)


def elementwise(*keys: object):
    """Decorator for unary elementwise functions, declared by their derivative.

    `def tanh(x, ans): return 1 - ans * ans` declares d(ans)/d(x); the reverse rule is
    `g * (that)` and the forward rule `x_dot * (that)`.
    """

    def decorate(fn: Callable) -> Callable:
        _remember_source(fn)
        if list(inspect.signature(fn).parameters) != ["x", "ans"]:
            raise RuleError(
                "an elementwise rule is 'def name(x, ans): return derivative'", _parse(fn)[1]
            )
        parsed = _memo(lambda: _parse(fn))

        def derivative() -> gast.expr:
            tree, origin = parsed()
            if not isinstance(tree.body[-1], gast.Return):
                raise RuleError("an elementwise rule ends in 'return derivative'", origin)
            return tree.body[-1].value

        def load_reverse() -> dict:
            tree, origin = parsed()
            product = nodes.binop(nodes.load("g"), gast.Mult(), derivative())
            free = _free_names(fn, tree, {"x", "ans", "g"})
            return {"body": tree.body[:-1], "outputs": [product], "free": free, "origin": origin}

        def load_forward() -> dict:
            tree, origin = parsed()
            term = nodes.binop(nodes.load("x_dot"), gast.Mult(), nodes.copy(derivative()))
            free = _free_names(fn, tree, {"x", "ans", "g"})
            return {"body": tree.body[:-1], "terms": [term], "free": free, "origin": origin}

        common = {"name": fn.__name__, "params": ["x"], "defaults": {}, "differentiable": ["x"]}
        register(_deferred(Rule, load_reverse, shape=SAME, **common), keys)
        _register_tangent(_deferred(TangentRule, load_forward, **common), keys)
        return fn

    return decorate


def _memo(make: Callable) -> Callable:
    """`make`, called once: later calls return what the first one made."""
    made = []

    def once():
        if not made:
            made.append(make())
        return made[0]

    return once


# ---- forward (tangent) rules ----------------------------------------------------------------
# A forward rule gives, for each differentiable parameter `p`, the term its tangent `p_dot`
# contributes to the result's tangent; the forward stage adds the terms of the active
# operands. `def divide(ans, x, y): return x_dot / y, -y_dot * ans / y`. A `linear` rule has
# no body: the tangent is the user's own expression with the operand replaced by its tangent
# (`np.sum(x_dot, axis=0)`), one such term per active differentiable operand (so products are
# declared linear too: `x_dot @ y + x @ y_dot`).


@dataclass
class TangentRule(_Deferred):
    """One forward rule (or, for a linear function, just its differentiable slots); parsed on
    first use (see `_Deferred`)."""

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

    @property
    def linear(self) -> bool:
        return self.terms is None

    def signature(self) -> inspect.Signature:
        return Rule.signature(self)  # same parameters, same defaults

    def instantiate(self, mapping: dict[str, gast.expr], ctx) -> tuple[list, list]:
        """The rule's statements and terms with placeholders (parameters, `ans`, `p_dot`)
        replaced by `mapping`; temporaries of the rule's body get fresh names."""
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


TANGENT: dict[object, TangentRule] = {}


def tangent_rule(obj: object) -> TangentRule | None:
    """The forward rule for `obj` (None if it has none)."""
    if _OPTIONAL:
        load_optional_rules()
    return TANGENT.get(_key(obj))


def _register_tangent(rule: TangentRule, keys: Sequence[object]) -> None:
    for key in keys:
        TANGENT[_key(key)] = rule
        rule.keys.append(key)


def _reverse_of(keys: Sequence[object], what: str, origin=None) -> Rule:
    rule = REVERSE.get(_key(keys[0])) if keys else None
    if rule is None:
        raise RuleError(f"{what}: declare the reverse rule of {keys[0]!r} first", origin)
    return rule


def tangent(*keys: object, differentiable=None):
    """Decorator: `def r(ans, x, y, axis=None): ...; return x_term, y_term` is the forward rule
    of every object in `keys`. Each term reads its own parameter's tangent, spelled `x_dot`.
    Parameters, defaults and which of them are differentiable follow the reverse rule of the
    same object, declared first; without one, the rule's own parameters (those without a
    default are differentiable)."""

    def decorate(fn: Callable) -> Callable:
        _remember_source(fn)
        sig = inspect.signature(fn)
        names = list(sig.parameters)
        if names[:1] != ["ans"]:
            raise RuleError("a forward rule's first parameter must be 'ans'", _parse(fn)[1])
        reverse = REVERSE.get(_key(keys[0])) if keys else None
        params = names[1:]
        if reverse is None:  # a function with a forward rule only: its own parameters
            defaults = {
                p: sig.parameters[p].default
                for p in params
                if sig.parameters[p].default is not inspect.Parameter.empty
            }
            own = [p for p in params if p not in defaults]
            reverse = Rule(fn.__name__, params, defaults, own, [], [], {}, None)
        if params != reverse.params:
            raise RuleError(
                f"forward rule '{fn.__name__}' has parameters {params}, but the reverse rule "
                f"'{reverse.name}' has {reverse.params}",
                _parse(fn)[1],
            )
        wanted = list(differentiable or reverse.differentiable)
        dots = {f"{p}_dot" for p in wanted}

        def load() -> dict:
            tree, origin = _parse(fn)
            terms = _returned(fn, tree, origin, wanted, "forward rule", "term(s)")
            for p, term in zip(wanted, terms):
                read = {n.id for n in gast.walk(term) if isinstance(n, gast.Name)} & dots
                if read - {f"{p}_dot"}:
                    raise RuleError(
                        f"forward rule '{fn.__name__}': the term for '{p}' reads {sorted(read)}",
                        origin,
                    )
            return {
                "body": tree.body[:-1],
                "terms": [None if _is_none(t) else t for t in terms],
                "free": _free_names(fn, tree, {*names, *dots}),
                "origin": origin,
            }

        rule = _deferred(
            TangentRule,
            load,
            name=fn.__name__,
            params=params,
            defaults=dict(reverse.defaults),
            differentiable=wanted,
            broadcasting=reverse.broadcasting,
        )
        _register_tangent(rule, keys)
        return fn

    return decorate


def linear(*keys: object, differentiable=None) -> None:
    """Declare `keys` linear in each differentiable argument separately (`np.sum`, `x[i]`,
    `np.reshape`, and products such as `@` or `np.einsum`): the tangent is the expression
    itself with each active operand in turn replaced by its tangent, the terms added."""
    for key in keys:  # each object with its own parameters: those of its reverse rule
        reverse = _reverse_of([key], "linear")
        rule = _deferred(
            TangentRule,
            lambda reverse=reverse: {"origin": reverse.origin},
            name=reverse.name,
            params=list(reverse.params),
            defaults=dict(reverse.defaults),
            differentiable=list(differentiable or reverse.differentiable),
            body=[],
            terms=None,
            free={},
            broadcasting=False,
        )
        _register_tangent(rule, [key])
