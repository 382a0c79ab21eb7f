"""Generators taken in full: a user's generator is the function returning the list it yields.

A call of the user's generator function (one at module level, or one defined in the function)
whose steps are all taken where it is called — `for b in batches(X)`, `list(g(x))`, `sum(g(x))`,
`[f(v) for v in g(x)]`, `enumerate` or `zip` of it there — calls instead the function made from
the generator's source that returns the list of what it yields: `_out = []` first, `yield v` is
`_out.append(v)`, `yield from xs` a loop of appends, `return` is `return _out`
(`list(g(x))` is that list itself). That is a user's function returning a list, which every
mode differentiates through its own generated code.

Python takes a generator's steps one at a time, between the consumer's; the list takes them all
first. That is the same where the difference cannot be seen, and refused where it can:

* a loop that may stop early (`break`, `return`) would have left steps untaken;
* where the consumer runs code between the steps (a loop's body, a comprehension's element),
  the generator has no effect after its first `yield` (no print, no random draw, no change of
  an argument: `generator_effect`); its start, before the first `yield`, runs first either way;
  and the loop's body changes in place none of the values the generator reads;
* `zip`, `any` and `all` may stop early: the generator has no effect at all and no endless loop;
* a generator stored in a name (`batches = g(X)`) is iterated once, where it is stored, in the
  same loop: the call moves to that place, its arguments read where Python read them;
* a generator used in any other way (passed to a function, `next`, returned) is refused.

A generator expression is a list comprehension (normalize/comprehensions.py) where it is taken
in full in the same way; passed to NumPy (`np.stack`, which refuses one, or `np.array`, which
makes an object array of it) or to a function of the user's, it is refused.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(w):
...     def pieces(w):
...         for k in range(3):
...             yield w * k
...     return sum(pieces(w))
... ''')
def f(w):
<BLANKLINE>
    def pieces(w):
        _out = []
        for k in range(3):
            _out.append(w * k)
        return _out
    return sum(pieces(w))
"""

from __future__ import annotations

import ast
import builtins

import gast

from ..errors import UnsupportedSyntaxError
from ..front import nodes
from ..front.reading import MISSING
from . import yields


def run(tree: gast.FunctionDef, ctx) -> None:
    nested = {
        s.name: s for s in tree.body if isinstance(s, gast.FunctionDef) and yields.own_yields(s)
    }
    if not nested and not _makes_generators(tree, ctx):
        return  # (the common case, without the index of every node's parent)
    sites = _Sites(tree, ctx, nested)
    actions = [sites.site(node) for node in sites.found()]
    for fn in nested.values():
        yields.to_list_builder(fn, ctx.names.fresh, ctx.origin(fn))
        nodes.mark_yields(fn)
    for action in actions:
        action()


def _makes_generators(tree: gast.FunctionDef, ctx) -> bool:
    """A generator expression or a call of a generator function of the user's outside the
    functions defined in `tree`: what `_Sites.found` finds where none of those is one."""
    todo = [tree]
    for node in todo:  # (breadth first, as found() looks, so it resolves the calls in order)
        if isinstance(node, gast.GeneratorExp):
            return True
        if isinstance(node, gast.Call):
            obj = ctx.resolve(node.func)
            if obj is not MISSING and yields.is_user_generator(obj):
                return True
        if node is tree or not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            todo.extend(gast.iter_child_nodes(node))
    return False


def _refuse(origin, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(f"{what} is not supported", origin, hint)


class _Use:
    """How a generator is taken: `whole` (list, sum, ...: nothing of the user's between its
    steps), `stops` (zip, any, all: maybe not to its end), `loop` (the `for` whose body runs
    between its steps) or `each` (a comprehension's element runs between them); `outer` is
    the call to drop (`list(g(x))` is the list itself)."""

    def __init__(self, kind: str, place: gast.AST, stops: bool = False, outer=None):
        self.kind, self.place, self.stops, self.outer = kind, place, stops, outer
        self.stored = None  # (the assignment, the one read) of a generator held by a name

    def kind_name(self) -> str:
        return {"loop": "for loop", "each": "comprehension"}.get(self.kind, "call")


class _Sites:
    """Where the function makes generators: calls of the user's generator functions and
    generator expressions, outside the functions defined in it (read on their own)."""

    def __init__(self, tree: gast.FunctionDef, ctx, nested: dict):
        self.tree, self.ctx, self.nested = tree, ctx, nested
        self.parents: dict[int, gast.AST] = {}
        self.loops: dict[int, object] = {}  # id(node) -> the innermost repeated part around it
        self.effects = yields.Effects()
        self._index(tree, None)

    def _index(self, node: gast.AST, loop) -> None:
        for field, value in gast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, gast.AST):
                    self.parents[id(child)] = node
                    self.loops[id(child)] = inner = self._context(node, field, loop)
                    self._index(child, inner)

    def _context(self, node: gast.AST, field: str, loop):
        """The repeated part around a field of `node` (the loop or comprehension whose steps
        evaluate it again), given the one around `node`."""
        if isinstance(node, gast.For) and field in ("target", "body"):
            return node
        if isinstance(node, gast.While) and field in ("test", "body"):
            return node
        if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)):
            return node
        if isinstance(node, gast.comprehension) and field == "iter":
            owner = self.parents[id(node)]
            if owner.generators[0] is node:  # (evaluated once, where the comprehension is)
                return self.loops.get(id(owner))
        if isinstance(node, (gast.FunctionDef, gast.Lambda)) and node is not self.tree:
            return node
        return loop

    def _in_nested_function(self, node: gast.AST) -> bool:
        parent = self.parents.get(id(node))
        while parent is not None and parent is not self.tree:
            if isinstance(parent, (gast.FunctionDef, gast.Lambda)):
                return True
            parent = self.parents.get(id(parent))
        return False

    def found(self) -> list:
        """The generators made here, in order; a nested generator named anywhere but in a call
        of the function itself is refused."""
        made = []
        for node in nodes.walk(self.tree):
            if isinstance(node, gast.Name) and node.id in self.nested:
                self._check_named(node)
            if self._in_nested_function(node):
                continue
            if isinstance(node, gast.GeneratorExp) or self._generator_call(node) is not None:
                made.append(node)
        return made

    def _check_named(self, node: gast.Name) -> None:
        parent = self.parents.get(id(node))
        called = isinstance(parent, gast.Call) and parent.func is node
        if called and not self._in_nested_function(node) or not isinstance(node.ctx, gast.Load):
            return
        _refuse(
            self.ctx.origin(self._statement(node)),
            f"the generator function '{node.id}' used as a value or called in another nested "
            "function",
            f"call it in the function itself and take it there in full: for v in {node.id}(...)",
        )

    def _generator_call(self, node: gast.AST):
        """The user's generator function `node` calls, or None."""
        if not isinstance(node, gast.Call):
            return None
        if isinstance(node.func, gast.Name) and node.func.id in self.nested:
            return self.nested[node.func.id]
        obj = self.ctx.resolve(node.func)
        return obj if obj is not MISSING and yields.is_user_generator(obj) else None

    def _statement(self, node: gast.AST) -> gast.AST:
        while not isinstance(node, gast.stmt) and id(node) in self.parents:
            node = self.parents[id(node)]
        return node

    # ---- how each generator is taken ---------------------------------------------------------

    def site(self, node: gast.expr):
        """Check how the generator `node` makes is taken; the rewrite, to run after every
        check of the function."""
        use = self._use(node, node)
        self._check(node, use)
        return lambda: self._rewrite(node, use)

    def _use(self, node: gast.expr, made: gast.expr) -> _Use:
        parent = self.parents.get(id(node))
        if isinstance(parent, gast.Call) and parent.args and not parent.keywords:
            fn = self.ctx.resolve(parent.func)
            first = parent.args[0] is node
            if fn is builtins.enumerate and first:
                return self._use(parent, made)
            if fn is builtins.zip and any(a is node for a in parent.args):
                use = self._use(parent, made)
                use.stops = True
                return use
            if first and any(fn is f for f in yields.WHOLE):
                whole = fn is builtins.list and len(parent.args) == 1 and node is made
                return _Use("whole", parent, outer=parent if whole else None)
            if first and any(fn is f for f in yields.PARTIAL):
                return _Use("whole", parent, stops=True)
        if isinstance(parent, gast.For) and parent.iter is node:
            return _Use("loop", parent)
        if isinstance(parent, gast.comprehension) and parent.iter is node:
            return _Use("each", parent)
        single = isinstance(parent, gast.Assign) and isinstance(parent.targets[0], gast.Name)
        if single and parent.value is node and node is made and len(parent.targets) == 1:
            return self._stored(parent, made)
        if isinstance(parent, gast.Call) and parent.func is not node:
            how = f"passed to {_spelled(parent.func)}"
        else:
            how = "returned" if isinstance(parent, gast.Return) else "used as a value"
        label = self._label(made)
        hint = f"take it in full where it is made: for v in {label}, list({label}), sum({label})"
        if isinstance(made, gast.GeneratorExp):
            hint = (
                "NumPy and other functions take a list, not a generator (np.stack refuses one, "
                "np.array makes an object array of it): write a list comprehension, [...]"
            )
        _refuse(self.ctx.origin(self._statement(node)), f"a generator {label} {how}", hint)

    def _stored(self, assign: gast.Assign, made: gast.expr) -> _Use:
        """`batches = g(X)`, iterated once where it is stored: the call moves there."""
        name = assign.targets[0].id
        named = [n for n in gast.walk(self.tree) if isinstance(n, gast.Name) and n.id == name]
        loads = [n for n in named if isinstance(n.ctx, gast.Load)]
        if (
            len(named) - len(loads) != 1
            or len(loads) > 1
            or (loads and self.loops.get(id(loads[0])) is not self.loops.get(id(assign)))
        ):
            _refuse(
                self.ctx.origin(assign),
                f"the generator held by '{name}' read more than once, bound again, or read in "
                "a loop it was not made in",
                f"a generator yields its values once (the second time, nothing): make it a "
                f"list, {name} = list(...), or make it again where it is iterated",
            )
        use = self._use(loads[0], made) if loads else _Use("whole", assign)
        use.stored = (assign, loads[0] if loads else None)
        return use

    def _label(self, made: gast.expr) -> str:
        if isinstance(made, gast.GeneratorExp):
            return "expression (... for ... in ...)"
        return f"'{_spelled(made.func)}(...)'"

    def _check(self, made: gast.expr, use: _Use) -> None:
        origin = self.ctx.origin(self._statement(use.place))
        label = self._label(made)
        if use.kind == "loop":
            stop = _stops_early(use.place.body)
            if stop:
                _refuse(
                    origin,
                    f"a loop over the generator {label} that may stop early ('{stop}')",
                    "srcgrad takes every step of a generator before the loop does: loop over "
                    "list(...) of it where taking them all changes nothing, or stop in the "
                    "generator itself",
                )
            self._check_changes(made, use.place, label, origin)
        if not use.stops and use.kind == "whole":
            return
        found = self._effect(made, after_start=not use.stops)
        how = "with zip, any or all" if use.stops else f"in a {use.kind_name()}"
        if found:
            where, effect = found
            at = f" ({where.filename}:{where.lineno})" if where else ""
            _refuse(
                origin,
                f"taking the generator {label} {how}, where its steps {effect}{at}",
                "srcgrad takes a generator's steps all at once, which changes when that "
                "happens: make it a list first, list(...), where that order does not matter, "
                "or move it out of the generator",
            )
        tree = self._tree(made)
        loop = yields.endless(tree) if use.stops and tree is not None else None
        if loop is not None:
            _refuse(
                self.ctx.origin(loop),
                f"the endless generator {label}, taken {how}",
                "srcgrad takes every step of a generator first: give the loop an end",
            )

    def _tree(self, made: gast.expr):
        if isinstance(made, gast.GeneratorExp):
            return None
        found = self._generator_call(made)
        return found if isinstance(found, gast.FunctionDef) else yields.parsed(found).tree

    def _effect(self, made: gast.expr, after_start: bool):
        if isinstance(made, gast.GeneratorExp):
            rest = [g.iter for g in made.generators[1:]]
            parts = [made.elt, *rest, *(i for g in made.generators for i in g.ifs)]
            return self.effects.of_expressions(parts, self.ctx.resolve)
        found = self._generator_call(made)
        if isinstance(found, gast.FunctionDef):
            local = self.ctx.local_names | nodes.names_stored(found)

            def resolve(node):
                return self.ctx.parsed.namespace.resolve(node, local)

            return self.effects.of_generator(found, resolve, after_start)
        parsed = yields.parsed(found)
        local = nodes.names_stored(parsed.tree)

        def resolve_there(node):
            return parsed.namespace.resolve(node, local)

        return self.effects.of_generator(parsed.tree, resolve_there, after_start)

    def _check_changes(self, made: gast.expr, loop: gast.For, label: str, origin) -> None:
        """The loop's body changes in place (or, for what a nested generator or a generator
        expression reads as it runs, binds again) none of the values the generator reads."""
        found = self._generator_call(made)
        if isinstance(made, gast.GeneratorExp):
            own = set().union(*(nodes.names_stored(g.target) for g in made.generators))
            lazy = nodes.names_read(made) - own - nodes.names_read(made.generators[0].iter)
            read = nodes.names_read(made)
        elif isinstance(found, gast.FunctionDef):
            lazy = set().union(*(nodes.names_read(s) for s in found.body))
            lazy -= nodes.names_stored(found)
            read = nodes.names_read(made) | lazy
        else:
            lazy, read = set(), nodes.names_read(made)
        changed = _changed_in_place(loop.body) & read
        changed |= set().union(*(nodes.names_stored(s) for s in loop.body)) & lazy
        if changed:
            name = sorted(changed)[0]
            _refuse(
                origin,
                f"a loop over the generator {label} that changes '{name}', which the generator "
                "reads as it runs",
                "srcgrad takes the generator's steps before the loop's body: copy the value the "
                "generator reads, or make the generator a list first, list(...)",
            )

    # ---- the rewrite -------------------------------------------------------------------------

    def _rewrite(self, made: gast.expr, use: _Use) -> None:
        found = self._generator_call(made)
        if found is not None and not isinstance(found, gast.FunctionDef):
            builder = yields.list_builder(found)
            name = self.ctx.support.name_for(builder, f"{found.__name__}_list")
            made.func = nodes.load(name)
        stored = use.stored
        if stored is not None:
            assign, load = stored
            self._move(made, assign, load)
            if load is None:
                return
            _replace(self.parents[id(load)], load, made)
            self.parents[id(made)] = self.parents[id(load)]
        if use.outer is not None:
            _replace(self.parents[id(use.outer)], use.outer, made)

    def _move(self, made: gast.expr, assign: gast.Assign, load) -> None:
        """`b = g(x, y)`: `_t1 = x; _t2 = y` there, `g(_t1, _t2)` where `b` is iterated."""
        origin = self.ctx.origin(assign)
        held: list = []

        def hold(value: gast.expr) -> gast.expr:
            if isinstance(value, gast.Constant):
                return value
            name = self.ctx.names.temporary()
            held.append(nodes.assign(name, value, origin))
            return nodes.load(name)

        if isinstance(made, gast.GeneratorExp):
            made.generators[0].iter = hold(made.generators[0].iter)
        else:
            made.args = [hold(a) for a in made.args]
            for keyword in made.keywords:
                keyword.value = hold(keyword.value)
        parent = self.parents[id(assign)]
        for _field, value in gast.iter_fields(parent):
            if isinstance(value, list) and any(s is assign for s in value):
                at = next(i for i, s in enumerate(value) if s is assign)
                value[at : at + 1] = held or [nodes.stamp(gast.Pass(), origin)]


def _spelled(node: gast.expr) -> str:
    return ast.unparse(gast.gast_to_ast(node))


def _replace(parent: gast.AST, old: gast.AST, new: gast.AST) -> None:
    for field, value in gast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
        elif isinstance(value, list):
            value[:] = [new if v is old else v for v in value]


def _stops_early(body: list) -> str | None:
    """'break' or 'return' where it leaves the loop whose body this is."""
    todo = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, gast.Return):
            return "return"
        if isinstance(node, gast.Break):
            return "break"
        if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            continue
        for child in gast.iter_child_nodes(node):
            inner = isinstance(node, (gast.For, gast.While))
            if inner and isinstance(child, gast.stmt):
                todo.extend(n for n in gast.walk(child) if isinstance(n, gast.Return))
                continue  # (a break there ends the inner loop)
            todo.append(child)
    return None


def _changed_in_place(body: list) -> set[str]:
    """Names whose values a block changes in place: `x[i] = v`, `x.a = v`, `x += v`,
    `x.append(v)` (any method srcgrad does not know to leave its value alone)."""
    found: set[str] = set()
    for node in gast.walk(nodes.module(body)):
        if isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.ctx, gast.Store):
            found |= nodes.names_read(node.value)
        if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            found.add(node.target.id)
        call = node.func if isinstance(node, gast.Call) else None
        named = isinstance(call, gast.Attribute) and isinstance(call.value, gast.Name)
        if named and call.attr not in yields.PURE_METHODS:
            found.add(call.value.id)
    return found
