"""The derivative-rule registry: the tables of reverse and forward rules, found by object, and the
declarations that fill them.

Guarantees: `reverse_rule(obj)` and `tangent_rule(obj)` find a rule by the object the user's code
resolves to (never by spelling); `is_nondifferentiable(obj)` says whether `obj` has zero
derivative by declaration. Declaring a rule reads its parameters only: its body is parsed the
first time a transformation uses it (rule.py). A user's rule (srcgrad.register_vjp) is parsed
and checked when it is registered.

The declarations, each on a rule function:

* `@adjoint(f)`: the reverse rule `def r(g, ans, x, y): return dx, dy`;
* `@tangent(f)`: the forward rule `def t(ans, x, y): return x_term, y_term`, declared after the
  reverse rule of the same object, whose parameters it follows;
* `@linear(f)` / `@bilinear(f)`: the reverse rule of a function linear in its one
  differentiable operand / in each of several separately; the forward rule is the user's own
  call with an operand replaced by its tangent (JAX's `deflinear`, `defbilinear`);
* `@broadcasting(f)` (and `@adjoint(f, diagonal=True)`): the reverse rule of an elementwise
  function of several operands; its forward rule is the same rule with `g` replaced by each
  operand's tangent;
* `@elementwise(f)`: a unary elementwise function declared by its derivative, both modes;
* `@variant(f, when=...)`: a specialised reverse rule, where the facts at the call allow it;
* `@tangent(f, when=...)`: a specialised forward rule, where the literal constants at the call
  allow it (`x ** 0`);
* `nondifferentiable(f, ...)`: functions whose derivative is zero wherever it exists.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Sequence

import gast

from ..front import nodes
from .facts import Facts
from .rule import (
    PARSING,
    Rule,
    RuleError,
    TangentRule,
    build_rule,
    deferred,
    diagonal_tangent,
    free_names,
    is_none,
    linear_tangent,
    memo,
    parse,
    remember_source,
    returned,
)

# How a rule's result shape follows from its inputs' shapes (used to place `unbroadcast`).
# SAME and BROADCAST also say "elementwise": the transform passes a uniform adjoint (a number
# standing for an array) and np.where's mask through such a rule to its operands.
SAME = "same"  # elementwise: the shape of the first differentiable input
BROADCAST = "broadcast"  # numpy broadcasting of the differentiable inputs
STANDIN = "standin"  # value-independent: evaluate on zero-stride stand-ins when args are constant


def first_shape(first, *others, **constants) -> tuple:
    """The shape of a function whose result is shaped like its first differentiable operand
    but mixes its elements (`np.linalg.inv`, `softmax`): not SAME, whose `g` may be a number
    standing for an array, or masked by an np.where of the result's shape."""
    return first


# ---- the tables, and looking a rule up -----------------------------------------------------------

REVERSE: dict[object, Rule] = {}  # the general rule of each object: right for every input
VARIANTS: dict[object, list[Rule]] = {}  # specialised forms, tried first, each with its `when`
TANGENT: dict[object, TangentRule] = {}  # the forward rule of each object
NONDIFFERENTIABLE: set[int] = set()
_NONDIFF_OBJECTS: list[object] = []  # keep the objects alive so their ids stay theirs


def _key(obj: object) -> object:
    try:
        hash(obj)
        return obj
    except TypeError:
        return id(obj)


# rules for a library srcgrad does not import itself: the module the user's program imports ->
# the rule module that needs it, registered at the first look-up after that import
_OPTIONAL = {
    "scipy.integrate": "srcgrad.api.integrate",  # (its helpers call srcgrad's public layer)
    "scipy.linalg": "srcgrad.rules.scipy_linalg",
    "scipy.special": "srcgrad.rules.scipy_special",
    # (scipy_stats_scales imports scipy_stats: both are registered)
    "scipy.stats": "srcgrad.rules.scipy_stats_scales",
}

# library functions srcgrad differentiates through a plain-NumPy definition of its own (in a
# rule module), read and transformed like the user's helpers: both modes and every order
DEFINITIONS: dict[object, Callable] = {}


def defined_by(*keys: object):
    """`@defined_by(scipy.stats.norm.logpdf)` on a Python function of the same parameters that
    computes the same values with NumPy and functions that have rules."""

    def register(fn: Callable) -> Callable:
        for key in keys:
            DEFINITIONS[_key(key)] = fn
        return fn

    return register


def definition(obj: object) -> Callable | None:
    """The Python definition srcgrad differentiates `obj` through (None if it has none)."""
    if _OPTIONAL:
        load_optional_rules()
    try:
        return DEFINITIONS.get(_key(obj))
    except TypeError:  # (an object whose == is NumPy's elementwise one)
        return None


def load_optional_rules() -> None:
    """Register the rules of every optional library the program has imported by now."""
    for library, rules in list(_OPTIONAL.items()):
        if library in sys.modules:
            with PARSING:
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


def tangent_rule(obj: object) -> TangentRule | None:
    """The forward rule for `obj` (None if it has none)."""
    if _OPTIONAL:
        load_optional_rules()
    return TANGENT.get(_key(obj))


def is_nondifferentiable(obj: object) -> bool:
    if _OPTIONAL:
        load_optional_rules()
    return id(obj) in NONDIFFERENTIABLE


# library functions whose result is a record of arrays (solve_ivp's OdeResult): its fields are
# read as a parameter tree's (`sol.y`), and its adjoint is the dict of theirs
_RECORD_RESULTS: dict[int, object] = {}


def returns_record(obj: object) -> bool:
    if _OPTIONAL:
        load_optional_rules()
    return id(obj) in _RECORD_RESULTS


# library functions with rules that call a function they are given (odeint's right-hand side):
# a lambda passed to one is made a function of its own, as for a function of the user's
_CALLING: dict[int, object] = {}


def calls_functions(obj: object) -> bool:
    if _OPTIONAL:
        load_optional_rules()
    return id(obj) in _CALLING


# what a NoRuleError for a function with no rule advises
NO_RULE_ADVICE = (
    "srcgrad differentiates the NumPy and SciPy functions it has rules for; give this one a "
    "rule with srcgrad.register_vjp(function, rule) (srcgrad.register_jvp for forward mode), "
    "or compute this value outside the differentiated function if it does not depend on the "
    "inputs you differentiate with respect to"
)


# ---- declarations --------------------------------------------------------------------------------


def nondifferentiable(*objects: object) -> None:
    """Declare functions whose derivative is zero wherever it exists (`np.floor`, `len`)."""
    for obj in objects:
        NONDIFFERENTIABLE.add(id(obj))
        _NONDIFF_OBJECTS.append(obj)


def calling(*objects: object) -> None:
    """Declare library functions that call a function they are given (`odeint(rhs, ...)`):
    a lambda passed to them is lifted like one passed to the user's function
    (normalize/closures.py), and its rule differentiates it as the code runs."""
    for obj in objects:
        _CALLING[id(obj)] = obj


def record_result(*objects: object) -> None:
    """Declare functions whose result is a record whose fields carry derivatives (`sol.y` of
    solve_ivp's OdeResult): their rules take and give the dict of the fields' adjoints and
    tangents."""
    for obj in objects:
        _RECORD_RESULTS[id(obj)] = obj  # (the object kept alive: its id stays its own)


def register(rule: Rule, keys: Sequence[object]) -> Rule:
    for key in keys:
        if rule.when is None:
            REVERSE[_key(key)] = rule
        else:
            VARIANTS.setdefault(_key(key), []).append(rule)
        rule.keys.append(key)
    return rule


def _register_tangent(rule: TangentRule, keys: Sequence[object]) -> None:
    for key in keys:
        TANGENT[_key(key)] = rule
        rule.keys.append(key)


def adjoint(*keys: object, differentiable=None, broadcasting=False, shape=None, diagonal=False):
    """Decorator: `fn` is the reverse rule of every object in `keys`.

    `diagonal=True` declares an elementwise function (each operand's Jacobian is diagonal), whose
    forward rule is then `fn` with `g` replaced by each operand's tangent; a `tangent` rule of
    the same object declared later replaces that one.
    """

    def decorate(fn: Callable) -> Callable:
        rule = build_rule(fn, differentiable=differentiable, broadcasting=broadcasting, shape=shape)
        register(rule, keys)
        if diagonal:
            _register_tangent(diagonal_tangent(fn, rule), keys)
        return fn

    return decorate


def broadcasting(*keys: object, differentiable=None):
    """Decorator for binary elementwise functions: adjoints are summed back to each input's shape;
    the forward rule is the reverse rule with `g` replaced by each operand's tangent
    (`g / y` -> `x_dot / y`), which needs a body that does not read `g` before the `return`."""
    return adjoint(
        *keys, differentiable=differentiable, broadcasting=True, shape=BROADCAST, diagonal=True
    )


def linear(*keys: object, differentiable=None, broadcasting=False, shape=None):
    """Decorator: `fn` is the reverse rule of `keys`, functions linear in their one differentiable
    operand (`np.sum`, `x[i]`, `np.reshape`; a list of arrays is one operand): the tangent is the
    user's own expression with the operand replaced by its tangent (`np.sum(x_dot, axis=0)`)."""
    return _linear_in_each(keys, 1, differentiable, broadcasting, shape)


def bilinear(*keys: object, differentiable=None, broadcasting=False, shape=None):
    """Decorator: `fn` is the reverse rule of `keys`, functions linear in each differentiable
    operand separately (`x * y`, `x @ y`, `np.einsum`): the tangent is the sum of the user's
    expression with one active operand at a time replaced by its tangent (`x_dot @ y + x @ y_dot`).
    """
    return _linear_in_each(keys, None, differentiable, broadcasting, shape)


def _linear_in_each(keys, operands, differentiable, broadcasting, shape):
    def decorate(fn: Callable) -> Callable:
        rule = build_rule(fn, differentiable=differentiable, broadcasting=broadcasting, shape=shape)
        if operands is not None and len(rule.differentiable) != operands:
            raise RuleError(
                f"'{fn.__name__}' is declared linear, but has the differentiable parameters "
                f"{rule.differentiable}: declare a function linear in each of several "
                "operands separately with @bilinear",
                parse(fn)[1],
            )
        register(rule, keys)
        _register_tangent(linear_tangent(rule), keys)
        return fn

    return decorate


def variant(
    *keys: object,
    when: Callable[[Facts], bool],
    differentiable=None,
    broadcasting: bool = False,
    **extra,
):
    """Decorator: a specialised rule for `keys`, used where `when(facts)` holds.

    Variants make the generated code read like a hand-written gradient where the transform
    knows enough (`x.T @ g` for two matrices); the general rule covers every other case.
    Each keyword in `extra` names a parameter of the rule whose value the transform computes
    from the facts (`count=...`); a variant whose extra is None does not apply.
    `broadcasting`: its adjoints are summed back to each input's shape, as `broadcasting`'s.
    """

    def decorate(fn: Callable) -> Callable:
        rule = build_rule(fn, differentiable=differentiable, broadcasting=broadcasting)
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


def variable(param: str) -> Callable[[Facts], bool]:
    """A variant's `when`: the argument bound to `param` is not a literal, so it may carry a
    derivative. (A rule whose general form leaves out an argument that is nearly always a
    literal, `np.quantile`'s q, keeps the shape analysis reading its value there.)"""

    def holds(facts: Facts) -> bool:
        return facts.constant(param) is Facts.UNKNOWN

    return holds


def elementwise(*keys: object):
    """Decorator for unary elementwise functions, declared by their derivative.

    `def tanh(x, ans): return 1 - ans * ans` declares d(ans)/d(x); the reverse rule is
    `g * (that)` and the forward rule `x_dot * (that)`.
    """

    def decorate(fn: Callable) -> Callable:
        remember_source(fn)
        if list(inspect.signature(fn).parameters) != ["x", "ans"]:
            raise RuleError(
                "an elementwise rule is 'def name(x, ans): return derivative'", parse(fn)[1]
            )
        parsed = memo(lambda: parse(fn))

        def derivative() -> gast.expr:
            tree, origin = parsed()
            if not isinstance(tree.body[-1], gast.Return):
                raise RuleError("an elementwise rule ends in 'return derivative'", origin)
            return tree.body[-1].value

        def load_reverse() -> dict:
            tree, origin = parsed()
            product = nodes.binop(nodes.load("g"), gast.Mult(), derivative())
            free = free_names(fn, tree, {"x", "ans", "g"})
            return {"body": tree.body[:-1], "outputs": [product], "free": free, "origin": origin}

        def load_forward() -> dict:
            tree, origin = parsed()
            term = nodes.binop(nodes.load("x_dot"), gast.Mult(), nodes.copy(derivative()))
            free = free_names(fn, tree, {"x", "ans", "g"})
            return {"body": tree.body[:-1], "terms": [term], "free": free, "origin": origin}

        common = {"name": fn.__name__, "params": ["x"], "defaults": {}, "differentiable": ["x"]}
        register(deferred(Rule, load_reverse, shape=SAME, **common), keys)
        _register_tangent(deferred(TangentRule, load_forward, **common), keys)
        return fn

    return decorate


def tangent(
    *keys: object,
    differentiable=None,
    when: Callable[[Facts], bool] | None = None,
    joint: bool = False,
):
    """Decorator: `def r(ans, x, y, axis=None): ...; return x_term, y_term` is the forward rule
    of every object in `keys`. Each term reads its own parameter's tangent, spelled `x_dot`.
    Parameters, defaults and which of them are differentiable follow the reverse rule of the
    same object, declared first; without one, the rule's own parameters (those without a
    default are differentiable).

    With `when`, a forward variant: a specialised rule used where `when(facts)` holds of the
    literal constants at the call (`rule.literal_facts`: forward mode knows no shapes), the
    general forward rule of the same objects, declared first, covering every other case.

    With `joint`, the rule returns one expression, the result's tangent, which may read every
    operand's tangent (None where the operand carries no derivative): a function whose tangent
    is one computation, not a sum of one term per operand (an ODE's forward sensitivities).
    """

    def decorate(fn: Callable) -> Callable:
        remember_source(fn)
        sig = inspect.signature(fn)
        names = list(sig.parameters)
        if names[:1] != ["ans"]:
            raise RuleError("a forward rule's first parameter must be 'ans'", parse(fn)[1])
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
                parse(fn)[1],
            )
        wanted = list(differentiable or reverse.differentiable)
        dots = {f"{p}_dot" for p in wanted}

        def load() -> dict:
            tree, origin = parse(fn)
            last = tree.body[-1]
            if joint and isinstance(last, gast.Return) and last.value is not None:
                terms = [last.value]  # (the result's tangent: a tuple too is one)
            else:
                terms = returned(fn, tree, origin, wanted, "forward rule", "term(s)")
            for p, term in zip([] if joint else wanted, terms):
                read = {n.id for n in gast.walk(term) if isinstance(n, gast.Name)} & dots
                if read - {f"{p}_dot"}:
                    raise RuleError(
                        f"forward rule '{fn.__name__}': the term for '{p}' reads {sorted(read)}",
                        origin,
                    )
            return {
                "body": tree.body[:-1],
                "terms": [None if is_none(t) else t for t in terms],
                "free": free_names(fn, tree, {*names, *dots}),
                "origin": origin,
            }

        rule = deferred(
            TangentRule,
            load,
            name=fn.__name__,
            params=params,
            defaults=dict(reverse.defaults),
            differentiable=wanted,
            broadcasting=reverse.broadcasting,
            when=when,
            joint=joint,
        )
        if when is None:
            _register_tangent(rule, keys)
        else:
            _register_tangent_variant(fn, rule, keys)
        return fn

    return decorate


def _register_tangent_variant(fn: Callable, rule: TangentRule, keys: Sequence[object]) -> None:
    """`rule`, a forward variant, tried before the general forward rule of each of `keys`."""
    for key in keys:
        general = TANGENT.get(_key(key))
        linear = general is not None and general.__dict__.get("terms", ()) is None
        if general is None or linear or general.differentiable != rule.differentiable:
            raise RuleError(
                f"forward variant '{fn.__name__}' needs the general forward rule of "
                f"{getattr(key, '__name__', key)!r}, not a linear one, with the same "
                "differentiable parameters, declared first",
                parse(fn)[1],
            )
        if not any(known is rule for known in general.variants):
            general.variants.append(rule)
        rule.keys.append(key)
