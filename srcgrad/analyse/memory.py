"""Analyse stage, memory: which names may hold the same array, list or dict, and what changes it.

srcgrad treats each name as a value; NumPy and Python share memory. A view (`v = y[:2]`,
`y.reshape(...)`, `np.split(y)`), another name (`z = y`), a container (`rows.append(y)`,
`{"a": y}`) or a helper that returns its argument holds the very memory a name does, and an
update in place (`y[0] = v`, `y += v`, a call that writes into an argument) changes it for all of
them. This analysis follows, statement by statement, which objects each name may point to (a
flow-sensitive points-to analysis: an array made in a loop is a new object at each step, the
one made last told apart from the earlier ones) and what the containers hold, and finds every
update in place.

Guarantees (`check`): an update in place of an object that another name still read later holds
(or a container read later holds) is refused at the update's line, naming the other name and
where it got the memory, with the way to write the same thing soundly; an update of the caller's
array (an argument, or a view of one) makes srcgrad copy that argument first (the caller's arrays
never change); an update of a module-level array is refused; a call of the user's own function
that writes into an argument is refused where the caller still reads that memory. Nothing is ever
assumed to be a copy.
"""

from __future__ import annotations

import inspect
import operator
import sys
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import runtime
from ..errors import SrcgradError, UnsupportedSyntaxError
from ..front import fence, nodes, reading
from ..front.context import Context
from ..front.emit import spelling
from ..front.reading import MISSING
from ..normalize import normalize, outer_writes
from ..normalize.ir import Kind, Operation, is_user_function, operation
from ..normalize.objects import classes
from . import element_updates
from .activity import varied_names
from .in_place import SHARING
from .liveness import live_after
from .scan import assignments, bind_user_call
from .shapes import TREES, infer

# functions whose result is a list of views of their first argument
SPLITS = {
    np.split,
    np.array_split,
    np.hsplit,
    np.vsplit,
    np.dsplit,
    np.broadcast_arrays,
    *(f for f in (getattr(np, "unstack", None),) if f),
}
# functions that make arrays: made of shape (), they are 0-d arrays, changed in place by +=
_MAKERS = {
    np.array,
    np.zeros,
    np.ones,
    np.empty,
    np.full,
    np.asarray,
    np.copy,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.full_like,
}
# functions whose result may be a view of any of their operands
_OPERANDS_SHARED = {np.einsum}
# functions whose result is a new container holding what their argument holds
_SAME_CONTENTS = {list, tuple, dict, runtime.dict_copy, runtime.dict_values, runtime.iterated}
_LOOPS = (gast.For, gast.While)


@dataclass
class State:
    """Name -> the objects it may point to; container object -> the objects it may hold."""

    points: dict[str, frozenset] = field(default_factory=dict)
    holds: dict[tuple, frozenset] = field(default_factory=dict)
    twice: frozenset = frozenset()  # (container, object): it may hold the object at two places

    def copy(self) -> State:
        return State(dict(self.points), dict(self.holds), self.twice)

    def join(self, other: State) -> State:
        points = {
            n: self.points.get(n, frozenset()) | other.points.get(n, frozenset())
            for n in {*self.points, *other.points}
        }
        holds = {
            o: self.holds.get(o, frozenset()) | other.holds.get(o, frozenset())
            for o in {*self.holds, *other.holds}
        }
        return State(points, holds, self.twice | other.twice)

    def reach(self, objects, through: frozenset = frozenset()) -> frozenset:
        """`objects` and everything they hold, and what that holds, ... (`through`: containers
        whose contents are left out)"""
        found, pending = set(objects), list(objects)
        while pending:
            outer = pending.pop()
            for inner in self.holds.get(outer, ()) if outer not in through else ():
                if inner not in found:
                    found.add(inner)
                    pending.append(inner)
        return frozenset(found)

    def renewed(self, site: int) -> None:
        """The statement `site` makes a new object: the one it made before is an older one."""
        recent, old = ("new", site, True), ("new", site, False)
        one = lambda o: old if o == recent else o  # noqa: E731
        rename = lambda objs: frozenset(one(o) for o in objs)  # noqa: E731
        self.points = {n: rename(objs) for n, objs in self.points.items()}
        self.twice = frozenset((one(c), one(o)) for c, o in self.twice)
        holds = {}
        for obj, inner in self.holds.items():
            key = old if obj == recent else obj
            holds[key] = holds.get(key, frozenset()) | rename(inner)
        self.holds = holds


@dataclass
class Update:
    """An update in place: statement, the name it goes through, the objects it changes."""

    stmt: gast.stmt
    name: str
    objects: frozenset
    callee: str | None = None  # a call of the user's function that writes into its argument
    parameter: str | None = None
    state: State | None = None  # where each name points just before it
    through: frozenset = frozenset()  # `c[k] += v`: c's objects, which take the array back
    method: str | None = None  # a method that changes its value as it runs (`d["h"].pop()`)
    reads: frozenset = frozenset()  # the names that method's arguments read
    receiver: str = ""  # the value it is called on, as the user wrote it
    grows: bool = False  # it may change how many elements a list or dict holds


@dataclass
class Summary:
    """What a call of one of the user's functions does to the memory of its arguments."""

    writes: frozenset = frozenset()  # parameters whose memory it updates in place
    returns: frozenset = frozenset()  # parameters whose memory its result may share
    where: dict = field(default_factory=dict)  # parameter -> the origin of an update
    unread: str | None = None  # why its source could not be read (then it may do anything)
    # where it returns a tuple display, what each element may share: ("param", p) for an
    # argument's memory, any other label for memory it made (equal labels: the same memory)
    parts: tuple | None = None
    sequence: bool = False  # it returns a list or a tuple display, or a list it built
    # parameter it writes into -> the parameters whose values what it writes may depend on
    # (None: any of them)
    written_from: dict | None = None
    # module-level objects it (or a function it calls) changes or appends to -> where, and
    # whether it only appends to it (a record kept for the caller, `LOG.append(v)`)
    globals_written: dict = field(default_factory=dict)


class _Flow:
    """The forward analysis of one function body."""

    def __init__(self, ctx, ops: dict, params: list[str], summaries):
        self.ctx = ctx
        self.ops = ops
        self.params = set(params)
        self.summaries = summaries  # fn -> Summary of the user's functions it calls
        self.varied: frozenset = frozenset()  # the names that move with the differentiated ones
        self.updates: list[Update] = []
        self.bound_by: dict[str, list] = {}  # name -> the statements that bind it
        self.stored_by: dict = {}  # object -> the first statement that put it in a container
        # the tuple a call of the user's function made -> the objects each element may be
        self.parts: dict = {}
        self.globals_written: dict = {}  # what the user's functions called change at module level
        self.global_calls: list = []  # (statement, callee, its globals_written)
        self.classes: dict | None = None  # the names whose class of the user's is known
        # the objects that are lists, tuples or dicts: an element is no view of them
        self.containers: set = {("param", p) for p in params if ctx.dtypes.get(p) in TREES}
        # Python numbers: no update reaches them (a helper's `p += p` rebinds its own name)
        self.immutable: set = {
            ("param", p) for p in params if ctx.dtypes.get(p) in ("float", "int")
        }
        self.ints = _python_integers(ctx, ops)
        # the objects that may be 0-d arrays: mutable, though their shape is ()
        self.zero_d: set = {
            ("param", p)
            for p in params
            if ctx.dtypes.get(p) not in (None, "float", "int") and ctx.shapes.get(p) == ()
        }
        self.written_back: set[str] = set()  # `t` of `c[k] += v`, which `c[k] = t` stores back
        self.unproven: list = []  # `c[k] += v` where what c holds is not known
        self.sized: dict[str, frozenset] = {}  # `n = len(xs)`: the objects n counts
        self.grown: list = []  # (loop, update): a list changes length while a loop runs over it
        self.arrays: set = set()  # objects NumPy's functions or arithmetic on arrays made

    def start(self) -> State:
        """Each parameter points to the caller's object (written out: a loop's join of the
        state before it, where a name has no entry, with the state after it, where the
        parameter is rebound, must keep the caller's object)."""
        return State({p: frozenset({("param", p)}) for p in self.params})

    def objects(self, state: State, node) -> frozenset:
        if isinstance(node, gast.Name):
            found = state.points.get(node.id)
            if found is not None:
                return found
            if node.id in self.params:
                return frozenset({("param", node.id)})
            denoted = self.ctx.resolve(node)
            if denoted is MISSING or _holds_no_data(denoted):
                return frozenset()
            return frozenset({("global", node.id)})
        if isinstance(node, gast.Attribute):
            denoted = self.ctx.resolve(node)
            if denoted is not MISSING and not _holds_no_data(denoted):
                return frozenset({("global", nodes.dotted_name(node))})
        return frozenset()

    def block(self, stmts: list, state: State) -> State:
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                then = self.block(stmt.body, state.copy())
                other = self.block(stmt.orelse, state.copy())
                state = then.join(other)
            elif isinstance(stmt, _LOOPS):
                state = self.loop(stmt, state)
            elif id(stmt) in self.ops:
                state = self.statement(stmt, self.ops[id(stmt)], state)
            elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
                self.effect_call(stmt, stmt.value, state)
                element_updates.method_change(self, stmt, stmt.value, state)
        return state

    def loop(self, stmt, state: State) -> State:
        """The body, run again until the objects each name may point to at its start stay the
        same (a value made late in the body reaches the next step's start; the sets only grow,
        so this ends)."""
        entry = state.copy()
        seen = len(self.updates)
        counted = element_updates.counted(self, stmt) if isinstance(stmt, gast.For) else None
        while True:
            del self.updates[seen:]
            after = self.block(stmt.body, state.copy())
            joined = entry.join(after).join(state)
            if joined == state:
                break
            state = joined
        for update in self.updates[seen:] if counted else ():
            if update.grows and update.objects & counted:
                self.grown.append((stmt, update))
        return state

    def statement(self, stmt, op: Operation, state: State) -> State:
        target = op.target
        if op.kind is Kind.SETITEM:
            self.update(stmt, target, self.objects(state, nodes.load(target)), state)
            value = op.args[2]
            if isinstance(self.ctx.shapes.get(target), tuple):
                return state  # (an array of known shape: `x[i] = v` copies v's values)
            if getattr(value, "id", None) in self.written_back:
                return state  # (`c[k] += v`: the array c held goes back where it was)
            for obj in self.objects(state, nodes.load(target)):  # a list or dict element
                self.store(stmt, state, obj, self.objects(state, value))
            return state
        if op.kind is Kind.APPEND:
            held = self.objects(state, nodes.load(target))
            self.update(stmt, target, held, state, grows=True)
            for obj in held:
                self.store(stmt, state, obj, self.objects(state, op.args[1]))
            return state
        self.bound_by.setdefault(target, []).append(stmt)
        if nodes.is_element_update(stmt) and element_updates.element_update(self, stmt, op, state):
            return state
        if nodes.is_augmented(stmt):  # `y += v`: y's memory changes, y_1 names it
            base = op.args[0] if op.args else None
            if isinstance(base, gast.Name) and self.may_be_an_array(base.id, state):
                joins = op.key in (runtime.joined, runtime.added)  # (`xs += [v]` of a list)
                self.update(stmt, base.id, self.objects(state, base), state, grows=joins)
                for obj in self.objects(state, base) if joins else ():
                    self.store(stmt, state, obj, self.contents(state, op.args[1]))
                state.points[target] = self.objects(state, base)
                return state
        if op.kind is Kind.CALL:
            element_updates.sized(self, op, state)
        state.points[target] = self.result(stmt, op, state)
        if op.kind is Kind.CALL and element_updates.makes_an_array(self, op, state):
            self.arrays |= state.points[target]
        if self.ctx.shapes.get(target) == () and op.kind is Kind.CALL and _in(op.key, _MAKERS):
            self.zero_d |= state.points[target]  # np.array(0.0), np.zeros(()): 0-d arrays
        if (
            self.ctx.shapes.get(target) == ()
            and op.key is operator.getitem
            and _keeps_an_array(op.args[1])
        ):
            self.zero_d |= state.points[target]  # z[..., -1] of a vector: a 0-d view
        return state

    def may_be_an_array(self, name: str, state: State) -> bool:
        """`name` may hold an array, which `+=` changes in place (a number it rebinds): its
        shape is not (), or it may hold a 0-d array made by a constructor or passed in."""
        if self.ctx.shapes.get(name) != ():
            return True
        return bool(self.objects(state, nodes.load(name)) & self.zero_d)

    def result(self, stmt, op: Operation, state: State) -> frozenset:
        """The objects the statement's target points to after it."""
        first = op.args[0] if op.args else None
        if op.kind is Kind.COPY:
            return self.objects(state, first)
        if op.kind in (Kind.INERT,):
            return frozenset()
        if op.kind in (Kind.TUPLE, Kind.LIST, Kind.DICT):
            return self.new(stmt, state, holding=op.args, container=True)
        if op.kind is Kind.UNPACK or (op.kind is Kind.CALL and op.key is operator.getitem):
            return self.element(op, state, stmt)
        if op.kind is Kind.USER:
            return self.user_call(stmt, op, state)
        if op.kind is Kind.UNKNOWN:  # a method of a value: its result may be any part of it
            if isinstance(stmt.value, gast.Call):  # (`v = d.pop(k)`: d changes too)
                element_updates.method_change(self, stmt, stmt.value, state)
            operands = [*op.args, *op.keywords.values()]
            if op.callee is not None:
                operands.append(
                    op.callee.value if isinstance(op.callee, gast.Attribute) else op.callee
                )
            reached = frozenset().union(*(state.reach(self.objects(state, a)) for a in operands))
            return reached | self.new(stmt, state)
        key = op.key
        copy = op.keywords.get("copy")
        if _in(key, SHARING) or (isinstance(copy, gast.Constant) and copy.value is False):
            return self.objects(state, first)  # (copy=False: the argument itself, where it can)
        if _in(key, _OPERANDS_SHARED):  # np.einsum('ii->i', y) is a view of y
            shared = frozenset().union(*(self.objects(state, a) for a in op.args))
            return shared | self.new(stmt, state)
        if _in(key, SPLITS):
            return self.new(stmt, state, holding=[first], container=True)
        if _in(key, _SAME_CONTENTS):
            inner = state.reach(self.objects(state, first)) - self.objects(state, first)
            made = self.new(stmt, state, container=key is not runtime.iterated)
            for obj in made:
                state.holds[obj] = inner | frozenset().union(
                    *(state.holds.get(o, frozenset()) for o in self.objects(state, first))
                )
            return made
        return self.new(stmt, state)

    def new(self, stmt, state: State, holding=(), container=False, site=None) -> frozenset:
        site = id(stmt) if site is None else site
        state.renewed(site)
        obj = ("new", site, True)
        if container:
            self.containers |= {obj, ("new", site, False)}
        for part in holding:
            if isinstance(part, (gast.List, gast.Tuple)):  # (`[[a], [b]]`: new lists too)
                held = self.new(stmt, state, part.elts, container=True, site=id(part))
            else:
                held = self.objects(state, part)
            self.store(stmt, state, obj, held)
        return frozenset({obj})

    def contents(self, state: State, node) -> frozenset:
        """What the list `node` (a name or a display) may hold."""
        if isinstance(node, (gast.List, gast.Tuple)):
            return frozenset().union(*(self.objects(state, e) for e in node.elts))
        held = self.objects(state, node)
        return state.reach(held) - held

    def store(self, stmt, state: State, container, objects: frozenset) -> None:
        """`container` holds `objects` from `stmt` on (an append, a display, `d[k] = v`)."""
        already = state.holds.get(container, frozenset())
        state.twice |= {(container, o) for o in objects & already}  # (`[y, y]`, in a loop)
        state.holds[container] = already | objects
        for obj in objects:
            self.stored_by.setdefault(obj, stmt)

    def element(self, op: Operation, state: State, stmt=None) -> frozenset:
        """`y = x[i]`: a view of an array (a number, when it is one element), or what a list,
        tuple or dict holds."""
        if isinstance(op.args[0], (gast.List, gast.Tuple)):  # (`[y, z][i]`: y or z itself)
            return self.contents(state, op.args[0])
        source = self.objects(state, op.args[0])
        held = state.reach(source) - source
        index = op.args[1] if len(op.args) > 1 else None
        scalar = index is None or not _keeps_an_array(index)
        if self.ctx.shapes.get(op.target) == () and op.kind is not Kind.UNPACK and scalar:
            return held  # (one element of an array is a number: no memory of its own)
        whole = self.ctx.shapes.get(getattr(op.args[0], "id", None))
        if scalar and op.kind is not Kind.UNPACK and isinstance(whole, tuple) and index is not None:
            parts = index.elts if isinstance(index, gast.Tuple) else [index]
            if len(parts) == len(whole) and all(self._integer(p) for p in parts):
                return held  # (x[0] of a vector, read into a name rebound later: a number)
        if index is not None and _fancy(index, self.ctx):  # (a new array: a helper may write
            # into it; an element of a list indexed so is what the list held)
            return held | (self.new(stmt, state) if stmt is not None else frozenset())
        parts = self.parts.get(next(iter(source))) if len(source) == 1 else None
        if parts is not None and isinstance(index, gast.Constant) and index.value < len(parts):
            return state.reach(parts[index.value])  # (`a, b = helper(x)`: what each may be)
        return (source - self.containers) | held  # (an element of a list is no view of it)

    def _integer(self, node: gast.expr) -> bool:
        """A Python integer: a constant, or a loop's integer or integer argument."""
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        if isinstance(node, gast.UnaryOp) and isinstance(node.operand, gast.Constant):
            return type(node.operand.value) is int  # (-1)
        name = getattr(node, "id", None)
        return name in self.ints or self.ctx.dtypes.get(name) == "int"

    def user_call(self, stmt, op: Operation, state: State) -> frozenset:
        summary = self.summaries(op.key, self.shapes_of(op.bindings, state))
        self.called(stmt, op.key, summary)
        self.written_by_call(stmt, op.key, summary, op.bindings, state)
        shared = frozenset().union(
            *(
                state.reach(self.objects(state, op.bindings[p]))
                for p in summary.returns
                if p in op.bindings
            )
        )
        if summary.parts is None:
            made = self.new(stmt, state)
            if not summary.sequence:  # (not a list or tuple it built: for `c[k] += v`)
                self.arrays |= {*made, ("new", id(stmt), False)}
            return shared | made
        inner = {label for part in summary.parts for label in part if label[0] != "param"}
        for label in inner:  # (one new object per piece of memory the helper made)
            state.renewed((id(stmt), label))
        parts = tuple(self.made_by_call(stmt, op, part, state) for part in summary.parts)
        made = self.new(stmt, state, holding=(), container=True)
        self.store(stmt, state, next(iter(made)), frozenset().union(*parts))
        self.parts[next(iter(made))] = parts
        return made

    def made_by_call(self, stmt, op: Operation, labels: frozenset, state: State) -> frozenset:
        """The objects behind one element of a helper's tuple: its arguments' memory, and the
        memory the helper made (the same object where two elements share it there)."""
        found = set()
        for label in labels:
            if label[0] != "param":
                found.add(("new", (id(stmt), label), True))
            elif label[1] in op.bindings:
                found |= state.reach(self.objects(state, op.bindings[label[1]]))
        return frozenset(found)

    def effect_call(self, stmt, call: gast.Call, state: State) -> None:
        """A call made for its effect: one of the user's functions may write into an argument."""
        callee = self.ctx.resolve(call.func)
        receiver = []
        if callee is MISSING:  # (a method of an object of the user's that carries a derivative)
            callee = self.method(call)
            receiver = [call.func.value] if callee is not None else []
        if not is_user_function(callee):
            return
        try:
            bound = inspect.signature(callee, follow_wrapped=False).bind(
                *receiver, *call.args, **{k.arg: k.value for k in call.keywords}
            )
        except TypeError:
            return
        summary = self.summaries(callee, self.shapes_of(bound.arguments, state))
        self.called(stmt, callee, summary)
        self.written_by_call(stmt, callee, summary, bound.arguments, state)

    def method(self, call: gast.Call):
        """The function `obj.name(...)` calls, where `obj` is a name of a known class of the
        user's and it or an argument of the call carries a derivative (None otherwise: an
        object with no derivative in it, a counter, is changed as plain Python changes it)."""
        func = call.func
        if not isinstance(func, gast.Attribute) or not isinstance(func.value, gast.Name):
            return None
        if self.classes is None:
            self.classes = classes(self.ctx.parsed.tree, self.ctx)
        kind = self.classes.get(func.value.id)
        read = set().union(*(nodes.names_read(a) for a in [func.value, *call.args]))
        if kind is None or not read & self.varied:
            return None
        try:
            found = inspect.getattr_static(kind, func.attr)
        except AttributeError:
            return None
        return found if isinstance(found, types.FunctionType) else None

    def called(self, stmt, callee, summary: Summary) -> None:
        written = module_level_writes(callee, summary)
        if written:
            self.globals_written = {**written, **self.globals_written}
            self.global_calls.append((stmt, callee, written))

    def written_by_call(self, stmt, callee, summary: Summary, bindings: dict, state) -> None:
        """The updates of a call of the user's `callee` that writes into arguments: what each
        argument it writes into may hold, an element (`xs[0]`), a view (`v[1:]`) or an
        attribute (`sim.u`) going through the name it is read from."""
        for param, node in bindings.items():
            root = node
            while isinstance(root, (gast.Subscript, gast.Attribute)):
                root = root.value
            if param in summary.writes and isinstance(root, gast.Name):
                objects = state.reach(self.objects(state, root))
                self.update(stmt, root.id, objects, state, callee=callee, parameter=param)
                own = self.objects(state, node)  # (what it is, not what it holds)
                self.shared_with_another(stmt, callee, bindings, param, own, state)

    def shared_with_another(self, stmt, callee, bindings: dict, param: str, objects, state):
        """`helper(y, y)`, `helper(y[1:], y)`, `helper(y, y.T)` where the helper writes into
        one of the two: its code takes its parameters for different arrays (the write into one
        would change the other in plain Python): refused at the call."""
        objects = frozenset(objects) - self.immutable
        for other, node in bindings.items():
            if other == param or not objects:
                continue
            others = frozenset(self.objects(state, node)) - self.immutable
            if objects & others:
                name = getattr(callee, "__name__", "the function")
                raise UnsupportedSyntaxError(
                    f"a call of '{name}', which changes its argument '{param}' in place, "
                    f"given memory its argument '{other}' shares, is not supported: srcgrad "
                    f"takes the two for different arrays",
                    self.ctx.origin(stmt),
                    f"pass '{name}' a copy of one of them ({spelling(node)}.copy()), or have "
                    f"it return the new array and assign what it returns",
                )

    def shapes_of(self, bindings: dict, state: State | None = None) -> tuple:
        """The `(parameter, shape, zero_d)` of a call's arguments whose shapes are known;
        `zero_d`: the argument may be an array of no axes (`x[..., -1]`), which `q -= v` in
        the callee changes in place (a number it would rebind). A list, tuple or dict has the
        shape "tree": its element is no view of it."""
        known = []
        for param, node in bindings.items():
            shape = self.ctx.shapes.get(node.id) if isinstance(node, gast.Name) else None
            objects = self.objects(state, node) if state is not None else frozenset()
            if isinstance(shape, tuple):
                known.append((param, shape, shape == () and bool(objects & self.zero_d)))
            elif objects and objects <= self.containers:
                known.append((param, "tree", False))
        return tuple(sorted(known))

    def update(
        self, stmt, name: str, objects, state: State, callee=None, parameter=None, **facts
    ) -> None:
        objects = frozenset(objects) - self.immutable
        if facts.pop("keep", False) or objects:
            self.updates.append(
                Update(stmt, name, frozenset(objects), callee, parameter, state.copy(), **facts)
            )


_INTEGER_ARITHMETIC = (operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod)


def _python_integers(ctx, ops: dict) -> set[str]:
    """Names that only ever hold Python integers: a loop's integer, and names every assignment
    of which is an integer constant, a copy or `+ - * // %` of such names and constants (`i =
    0`, `i += 1` in a while loop). The largest such set: names are dropped until every
    operand of what is left is an integer."""
    makers: dict[str, list] = {}
    for op in ops.values():
        makers.setdefault(op.target, []).append(op)
    known = set(ctx.integers) | {p for p, d in ctx.dtypes.items() if d == "int"}
    found = known | {
        name
        for name, made in makers.items()
        if all(
            op.kind is Kind.COPY or (op.kind is Kind.CALL and op.key in _INTEGER_ARITHMETIC)
            for op in made
        )
    }

    def integer(node) -> bool:
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        return getattr(node, "id", None) in found

    shrunk = True
    while shrunk:
        shrunk = False
        for name in sorted(found - known):
            if not all(integer(a) for op in makers.get(name, []) for a in op.args):
                found.discard(name)
                shrunk = True
    return found


def _holds_no_data(obj: object) -> bool:
    """A module-level object no update can change what the code computes from: a class (as
    `RuntimeWarning` given to `warnings.simplefilter`), a module, a function, a string or a
    number."""
    return obj is None or isinstance(
        obj,
        (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, str, bytes)
        + (int, float, complex, bool),
    )


def _in(key, table) -> bool:
    try:
        return key in table
    except TypeError:
        return False


def _keeps_an_array(index: gast.expr) -> bool:
    """An index with `...`, a slice or None in it: `z[..., -1]` of a vector is an array of no
    axes that shares z's memory (`z[-1]` is a number)."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    for part in parts:
        if isinstance(part, gast.Constant) and (part.value is Ellipsis or part.value is None):
            return True
        if nodes.is_slice(part):
            return True
    return False


def _fancy(index: gast.expr, ctx) -> bool:
    """An index with an integer array, a list or a mask in it: the result is a new array."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    for part in parts:
        if isinstance(part, gast.List):
            return True
        if isinstance(part, gast.Name) and ctx.shapes.get(part.id) not in (None, ()):
            return True  # (an array as an index: integers or a mask)
    return False


# ---- the check -------------------------------------------------------------------------------


def check(
    ctx, body: list, output: str, ops: dict, params: list[str], varied: frozenset = frozenset()
) -> dict[str, gast.stmt]:
    """Refuse every update in place that changes memory another name still read later holds;
    return the arguments whose memory is updated (each with the first update's statement):
    they are copied when the function starts, so the caller's arrays never change."""
    flow = _Flow(ctx, ops, params, summary_of)
    flow.varied = varied
    end = flow.block(body, flow.start())
    updated = frozenset().union(*(u.objects for u in flow.updates))
    # (a pullback puts back what the updates overwrote: a result sharing that memory would
    # change under the caller's hands when the pullback runs; it is returned as a copy)
    ctx.output_updated = bool(end.reach(flow.objects(end, nodes.load(output))) & updated)
    live = live_after(body, output)
    copies: dict[str, gast.stmt] = {}
    for stmt, callee, written in flow.global_calls:
        _refuse_global_call(ctx, stmt, callee, written)
    for stmt, container in flow.unproven:
        element_updates.refuse_unproven(ctx, stmt, container)
    for loop, update in flow.grown:
        element_updates.refuse_growth(ctx, loop, update)
    for update in flow.updates:
        after = live.get(id(update.stmt), frozenset())
        if update.method is not None:  # (run as it is)
            element_updates.check_method(flow, update, after, output)
            continue
        _refuse_global(ctx, update)
        for obj in update.objects:  # (a helper writing into the caller's array too)
            if obj[0] == "param":
                copies.setdefault(obj[1], update.stmt)
        if update.callee is not None:
            if _left_in_place(flow, update, after, varied):
                continue
            _refuse_call(ctx, flow, update, after)
            ctx.written_by_calls.setdefault(id(update.stmt), set()).add(update.parameter)
            if isinstance(update.stmt, gast.Expr):  # (a call for its effect runs as it is)
                given_copies(ctx, update.stmt, update.callee)
            continue
        op = ops.get(id(update.stmt))
        made = {op.target} if op is not None and op.kind is not Kind.SETITEM else set()
        if {(c, o) for c in update.through for o in update.objects} & update.state.twice:
            element_updates.refuse_element(ctx, update, None)
        for other in sorted(after - {update.name} - made):
            held = flow.objects(update.state, nodes.load(other))
            reached = update.state.reach(held, update.through) - held
            if update.through and (held | reached) & update.objects:
                element_updates.refuse_element(ctx, update, other)
            if held & update.objects:
                _refuse(ctx, flow, update, other, "shares")
            if reached & update.objects:
                _refuse(ctx, flow, update, other, "holds")
    return copies


def _refuse(ctx, flow: _Flow, update: Update, held_by: str, how: str) -> None:
    aliasing = _shares_by_binding(flow, update.name)  # the updated name is the view or alias
    made = flow.bound_by.get(update.name if aliasing else held_by, [])
    name, other = ctx.names.user(update.name), ctx.names.user(held_by)
    where = ""
    if made:
        origin = ctx.origin(made[0])
        where = f" (from line {origin.lineno}: {origin.text})"
    if how == "holds":
        stored = [flow.stored_by[o] for o in sorted(update.objects) if o in flow.stored_by]
        if stored:
            origin = ctx.origin(stored[0])
            where = f" (from line {origin.lineno}: {origin.text})"
        what = f"an array the container '{other}' holds{where}"
        hint = (
            f"put a copy in '{other}' ({name}.copy()) if it should keep the values it had, or "
            "a new array each time"
        )
    else:
        what = f"which shares its memory with '{other}'{where}"
        hint = (
            f"copy it first ({name} = np.copy(...)), or write {name} = {name} + ... for a new array"
            if aliasing
            else f"give '{other}' memory of its own where it is made ({other} = np.copy(...)) "
            f"if it should keep its values, or read '{name}' again after the update"
        )
    raise UnsupportedSyntaxError(
        f"an in-place update of '{name}', {what}, is not supported where '{other}' is read "
        "after it: srcgrad would take the two for different values",
        ctx.origin(update.stmt),
        hint,
    )


def _shares_by_binding(flow: _Flow, name: str) -> bool:
    """`name` got memory another name holds: a copy of a name, a view, an element, a call's
    result that may be its argument."""
    for stmt in flow.bound_by.get(name, []):
        op = flow.ops.get(id(stmt))
        if op is None or op.kind in (Kind.COPY, Kind.UNPACK, Kind.USER, Kind.UNKNOWN):
            return True
        if op.kind is Kind.CALL and (_in(op.key, SHARING) or op.key is operator.getitem):
            return True
    return False


def _refuse_global(ctx, update: Update) -> None:
    for obj in sorted(o for o in update.objects if o[0] == "global"):
        name = obj[1]
        short = f"{name.split('.')[-1].lower()}_own"  # (a local of another name than the global)
        denoted = ctx.resolve(nodes.load(name)) if "." not in name else None
        if isinstance(denoted, (list, dict)):
            kind = type(denoted).__name__
            hint = (
                f"work on a {kind} of your own ({short} = {kind}({name})) and return it beside "
                "the value (srcgrad.grad(f, has_aux=True)); a list the function only appends "
                "to, and reads nowhere else, is kept for the caller as plain Python keeps it"
            )
        else:
            kind = "array"
            hint = f"copy it into the function first ({short} = np.copy({name})) and update that"
        raise UnsupportedSyntaxError(
            f"an update in place of the module-level {kind} '{name}' is not supported",
            ctx.origin(update.stmt),
            hint,
        )


def given_copies(ctx, stmt: gast.stmt, callee) -> None:
    """`bump(w, v)` writes into `w`, which nothing reads after it (or `_refuse_call` refused
    it). Where the call runs as it is (for its effect, or not through its pullback), it is
    given a copy of `w`, as the helper's pullback and tangent code work on one: the reverse
    sweep then reads the values the statements before the call read, not the helper's."""
    written = ctx.written_by_calls.pop(id(stmt), None)
    call = stmt.value
    if not written or not isinstance(call, gast.Call):
        return
    try:
        bound = inspect.signature(callee, follow_wrapped=False).bind(
            *call.args, **{k.arg: k.value for k in call.keywords}
        )
    except TypeError:
        return
    for parameter in sorted(written):
        given = bound.arguments.get(parameter)
        if isinstance(given, gast.Name) and isinstance(ctx.shapes.get(given.id), tuple):
            copy = nodes.call(ctx.numpy_name("copy"), [nodes.load(given.id)])
        elif isinstance(given, (gast.Name, gast.Subscript, gast.Attribute)):
            # (a list, dict or object, an array of a shape not known, an element or a view)
            helper = ctx.support.name_for(runtime.copied, "copied")
            copy = nodes.call(nodes.load(helper), [nodes.copy(given)])
        else:
            continue
        call.args = [copy if a is given else a for a in call.args]
        for keyword in call.keywords:
            if keyword.value is given:
                keyword.value = copy


def _left_in_place(flow: _Flow, update: Update, after: frozenset, varied) -> bool:
    """A list or dict made in the function, with no derivative in it, that a helper writes
    into (a counter, a log, a `nonlocal` cell: normalize/cells.py) and that the caller reads
    after the call only through that name: the helper's code leaves in it what plain Python
    leaves (in_place.argument_copies, `written_back`), so the call runs as it is."""
    made = [op for op in flow.ops.values() if op.target == update.name]
    if (
        update.name in varied
        or _fed_by(flow.ctx, update, varied)
        or not made
        or any(op.kind not in (Kind.LIST, Kind.DICT, Kind.SETITEM) for op in made)
        or all(op.kind is Kind.SETITEM for op in made)
    ):
        return False
    return all(
        name == update.name
        or not update.state.reach(flow.objects(update.state, nodes.load(name))) & update.objects
        for name in after
    )


def _fed_by(ctx, update: Update, varied) -> bool:
    """The helper may write into the argument a value that moves with one of the caller's
    differentiated values (`nonlocal total; total = total + loss(w)`)."""
    sources = summary_of(update.callee).written_from
    call = getattr(update.stmt, "value", None)
    if sources is None or not isinstance(call, gast.Call):
        return True
    try:
        bound = inspect.signature(update.callee, follow_wrapped=False).bind(
            *call.args, **{k.arg: k.value for k in call.keywords}
        )
    except TypeError:
        return True
    given = [bound.arguments.get(p) for p in sources.get(update.parameter, ())]
    return any(
        not isinstance(g, (gast.Name, gast.Constant)) or getattr(g, "id", None) in varied
        for g in given
        if g is not None
    )


def _refuse_call(ctx, flow: _Flow, update: Update, after: frozenset) -> None:
    """A helper writes into its argument: refused where the caller reads that memory later
    (srcgrad's code of the helper works on a copy, so the caller would not see the change)."""
    readers = [
        name
        for name in sorted(after)
        if update.state.reach(flow.objects(update.state, nodes.load(name))) & update.objects
    ]
    if not readers:
        return
    summary = summary_of(update.callee)
    origin = summary.where.get(update.parameter)
    where = (
        f" ({origin.filename.rsplit('/', 1)[-1]}:{origin.lineno}: {origin.text})" if origin else ""
    )
    name = getattr(update.callee, "__name__", "the function")
    caller = ctx.names.user(update.name)
    shared = ctx.cells.get(update.name)
    nested = outer_writes.refusal(update.callee, update.parameter, where)
    if nested is not None:  # (a nested function's list it could not give back)
        raise UnsupportedSyntaxError(nested[0], ctx.origin(update.stmt), nested[1])
    if shared is not None:  # (a `nonlocal` name: normalize/cells.py)
        raise UnsupportedSyntaxError(
            f"a call of '{name}', which binds the nonlocal name '{shared}'{where}, is not "
            "supported where "
            + (
                "what it binds may carry a derivative"
                if _fed_by(ctx, update, flow.varied)
                else "another name reads what it held after the call"
            ),
            ctx.origin(update.stmt),
            f"have '{name}' return the new value and assign it here "
            f"({shared} = {name}(...)), without the nonlocal declaration",
        )
    func = getattr(getattr(update.stmt, "value", None), "func", None)
    if isinstance(func, gast.Attribute) and func.attr == name and update.parameter == "self":
        raise UnsupportedSyntaxError(
            f"a call of the method '{name}', which may change the object '{caller}' in place"
            f"{where}, is not supported where '{caller}' is read after it and a derivative "
            "flows through the call",
            ctx.origin(update.stmt),
            f"have '{name}' return what it computes, and assign it (or a new object) here",
        )
    if summary.unread is not None:
        raise UnsupportedSyntaxError(
            f"a call of '{name}', whose source srcgrad cannot read ({summary.unread}), is not "
            f"supported where the caller reads the memory of its argument '{update.parameter}' "
            f"after it (here '{caller}'): srcgrad cannot tell whether '{name}' changes it",
            ctx.origin(update.stmt),
            f"define '{name}' in a .py file srcgrad can read, or pass it a copy "
            f"({name}(np.copy({caller})))",
        )
    raise UnsupportedSyntaxError(
        f"a call of '{name}', which changes its argument '{update.parameter}' in place{where}, "
        f"is not supported where the caller reads that memory after it (here '{caller}')",
        ctx.origin(update.stmt),
        f"have '{name}' copy the argument ({update.parameter} = {update.parameter}.copy()) "
        f"and return the new array, and assign what it returns ({caller} = {name}(...))",
    )


# ---- what the user's functions do to their arguments ---------------------------------------

_SUMMARIES: dict = {}


def summary_of(fn, shapes: tuple = ()) -> Summary:
    """Which parameters `fn` updates in place, and which its result may share memory with,
    read from its source (cached per function object and the `(parameter, shape)` pairs the
    caller knows: `v = p[-1]; v += 1` writes into p where p has two axes, not where it has
    one; a function calling itself is taken to do nothing to its arguments while it is worked
    out)."""
    key = (fn, shapes) if shapes else fn
    found = _SUMMARIES.get(key)
    if found is not None:
        return found
    _SUMMARIES[key] = Summary()
    if reading.module_of(fn).startswith("srcgrad.rules."):
        # (a helper of srcgrad's rules, `joined_diff` in forward code read again: it writes
        # into nothing it is given, and its result may be any of its arguments)
        params = frozenset(inspect.signature(fn, follow_wrapped=False).parameters)
        made = _SUMMARIES[key] = Summary(frozenset(), params)
        return made
    try:
        made = _summarized(fn, shapes)
    except Exception as exc:  # (unreadable or refused: it may do anything to its arguments)
        params = frozenset(inspect.signature(fn, follow_wrapped=False).parameters)
        reason = exc.bare_message if isinstance(exc, SrcgradError) else str(exc)
        made = Summary(params, params, unread=reason)
    _SUMMARIES[key] = made
    return made


def _summarized(fn, known: tuple) -> Summary:

    parsed = reading.read(fn)
    fence.check(parsed)
    ctx = Context.of(parsed)
    normalize(ctx)
    *body, last = ctx.parsed.tree.body
    ops = {id(s): operation(s, ctx) for s in assignments(body)}
    for stmt in assignments(body):
        if ops[id(stmt)].kind is Kind.USER:
            bind_user_call(ctx, stmt, ops[id(stmt)], set())
    params = [a.id for a in parsed.tree.args.args + parsed.tree.args.kwonlyargs]
    shapes = {param: shape for param, shape, _ in known if shape != "tree"}
    if shapes:  # (what is one element of an array, a number, and no view of it)
        ctx.shapes = infer(list(ops.values()), shapes)
    for param, shape, zero_d in known:
        if zero_d:  # (an array of no axes: updated in place by `q -= v`)
            ctx.dtypes[param] = "float64"
        if shape == "tree":  # (a list or dict: its elements are no views of it)
            ctx.dtypes[param] = "tree"
    flow = _Flow(ctx, ops, params, summary_of)
    state = flow.block(body, flow.start())
    writes, where = set(), {}
    for update in flow.updates:
        for obj in update.objects:
            if obj[0] == "param":
                writes.add(obj[1])
                where.setdefault(obj[1], ctx.origin(update.stmt))
    written_from = _written_from(ops, params, writes, flow.updates)
    result = state.reach(flow.objects(state, last.value))
    returns = {obj[1] for obj in result if obj[0] == "param"}
    parts = None
    made = ops.get(id(body[-1])) if body else None
    if (
        made is not None
        and made.kind is Kind.TUPLE
        and isinstance(last.value, gast.Name)
        and made.target == last.value.id
    ):  # (`return a, b`: what each element may share, for `a, b = helper(x)`)
        parts = tuple(state.reach(flow.objects(state, arg)) for arg in made.args)
    makers = [op for op in ops.values() if op.target == getattr(last.value, "id", None)]
    sequence = bool(makers) and all(
        op.kind in (Kind.TUPLE, Kind.LIST, Kind.APPEND) for op in makers
    )
    return Summary(
        frozenset(writes),
        frozenset(returns),
        where,
        parts=parts,
        sequence=sequence,
        written_from=written_from,
        globals_written=_globals_written(ctx, flow),
    )


def module_level_writes(fn, summary: Summary | None = None) -> dict:
    """The module-level objects a function of the user's changes or appends to (its summary's
    `globals_written`); none for a function of Python's own library (`warnings.simplefilter`
    keeps its filters, as a print writes to a stream: state of Python's, not of the program)."""
    if reading.module_of(fn).split(".")[0] in sys.stdlib_module_names:
        return {}
    return (summary or summary_of(fn)).globals_written


def _globals_written(ctx, flow: _Flow) -> dict:
    """The module-level objects a function changes in place or appends to (a record kept for
    the caller, `LOG.append(v)`), itself or through the functions it calls, with where."""
    found = dict(flow.globals_written)
    for update in flow.updates:
        for obj in update.objects:
            if obj[0] == "global":
                found.setdefault(obj[1], (ctx.origin(update.stmt), False))
    for node in nodes.walk(ctx.parsed.tree):
        if isinstance(node, gast.Expr) and nodes.is_record(node):
            found.setdefault(nodes.dotted_name(node.value.func.value), (ctx.origin(node), True))
    return found


def _refuse_global_call(ctx, stmt, callee, written: dict) -> None:
    """A helper that changes a module-level array, list or dict (not a record it only appends
    to): refused at the call, as the same update in the function itself is."""
    changed = sorted(name for name, (_, logged) in written.items() if not logged)
    if not changed:
        return
    origin = written[changed[0]][0]
    where = f" ({origin.filename.rsplit('/', 1)[-1]}:{origin.lineno}: {origin.text})"
    name = getattr(callee, "__name__", "the function")
    own = f"{changed[0].split('.')[-1].lower()}_own"
    raise UnsupportedSyntaxError(
        f"a call of '{name}', which changes the module-level '{changed[0]}' in place{where}, "
        "is not supported: srcgrad follows no update of a module-level value",
        ctx.origin(stmt),
        f"copy it into the function first ({own} = np.copy({changed[0]})), pass it to '{name}' "
        f"and have it return the new value ({own} = {name}({own}, ...))",
    )


def _written_from(ops: dict, params: list[str], writes: set, updates: list) -> dict:
    """For each parameter written into, the parameters the written values may depend on (all
    of them where a call of another function writes into it)."""
    found = {p: set() for p in writes}
    for update in updates:
        if update.callee is not None:
            for obj in update.objects:
                if obj[0] == "param":
                    found[obj[1]] = set(params)
    for param in params:
        moved = varied_names(list(ops.values()), [param])
        for written in writes:
            if written in moved and written != param:
                found[written].add(param)
    return {p: frozenset(q) for p, q in found.items()}
