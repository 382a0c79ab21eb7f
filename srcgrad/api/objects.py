"""Objects of the user's classes in differentiated code, as the code runs (api/dynamic.py).

An object is a parameter tree whose parts are the attributes it holds (`vars(obj)`); a method
call `q.log_prob(x)` is a call of the class's function with `q` as its first argument, so the
derivative flows into what `q` holds as into the fields of a dataclass argument.

`Constructor`: `q = Gaussian(m, s)`, an object made from values that carry a derivative. The
class's `__init__` runs as it is, and each number or float array the new object holds is
followed to the argument it is (by identity: `self.mean = mean` stores the argument itself);
the object's adjoint flows back to those arguments, their tangents make the object's. A
float value the object holds that is none of its arguments (computed in `__init__`, or made
there) is refused at the user's line: srcgrad cannot tell how it depends on the arguments.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import types

import numpy as np

from ..errors import NoRuleError, UnsupportedSyntaxError
from ..runtime.checks import calling_line
from ..runtime.containers import (
    add_adjoints,
    as_gradient,
    is_object,
    is_record,
    record_fields,
    record_like,
)
from ..runtime.tangents import zero_tangent

_COUNT = itertools.count(1)
_MADE: dict = {}


def method(obj, attribute: str, count: int, keywords: tuple):
    """`obj.attribute` as a method bound to `obj`: the class's own function, or (a function the
    object holds, a static method) a one-line function of `obj` and the call's arguments that
    calls it, so that `obj` is always the first parameter."""
    if not is_record(obj):
        raise NoRuleError(
            f"no derivative rule for the method '.{attribute}' of a {type(obj).__name__}",
            calling_line(),
            "srcgrad differentiates the NumPy functions it has rules for and the methods of "
            "objects of your own classes",
        )
    found = getattr(obj, attribute)
    if isinstance(found, types.MethodType) and found.__self__ is obj:
        return found
    try:
        key = (found, attribute, count, keywords)
        made = _MADE.get(key)
    except TypeError:  # (a value that is not hashable: made again)
        key, made = None, None
    if made is None:
        params = [f"a{k}" for k in range(count)]
        signature = ", ".join(["self_", *params, *(["*", *keywords] if keywords else [])])
        passed = ", ".join([*params, *(f"{k}={k}" for k in keywords)])
        name = attribute if attribute.isidentifier() else "method"
        # (a function: called as it is; an object or a closure it holds: read from the object,
        # so that what that holds is the object's part)
        through = "F" if _plain_function(found) else f"self_.{attribute}"
        text = f"def {name}({signature}):\n    held = {through}\n    return held({passed})\n"
        filename = f"<srcgrad: call {next(_COUNT)} of {name}>"
        namespace = {"F": found, "__name__": "srcgrad_calls"}
        exec(compile(text, filename, "exec"), namespace)
        made = namespace[name]
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        if key is not None:
            _MADE[key] = made
    return types.MethodType(made, obj)


def _plain_function(value) -> bool:
    """A function that holds nothing that may carry a derivative: no object, no partial, no
    closure over values."""
    if isinstance(value, types.FunctionType):
        return not value.__closure__ or all(
            callable(cell.cell_contents) for cell in value.__closure__
        )
    return isinstance(value, (types.BuiltinFunctionType, np.ufunc)) or (
        callable(value) and not is_record(value) and not hasattr(value, "keywords")
    )


def _floating(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind in "fc"


def _leaves(value, path: tuple, out: list, seen: frozenset) -> list:
    """`(path, leaf)` of every part of `value` that is no container."""
    if is_record(value) or isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            raise UnsupportedSyntaxError(
                "an object that holds itself (a cycle of attributes) where it carries a "
                "derivative is not supported",
                calling_line(),
                "keep the differentiated values in a tree of objects, lists and dicts",
            )
        seen = seen | {id(value)}
        if is_record(value):
            items = record_fields(value).items()
        elif isinstance(value, dict):
            items = value.items()
        else:
            items = enumerate(value)
        for key, part in items:
            _leaves(part, (*path, key), out, seen)
    else:
        out.append((path, value))
    return out


def _at(tree, path: tuple):
    """The part of an adjoint or tangent tree at `path` (None where nothing is)."""
    for key in path:
        if tree is None:
            return None
        if isinstance(tree, (list, tuple)):
            tree = tree[key]
        elif isinstance(tree, dict):
            tree = tree.get(key)
        elif is_record(tree) or isinstance(tree, types.SimpleNamespace):
            tree = getattr(tree, key, None)
        else:
            return None
    return tree


def _put(adjoint, like, path: tuple, g):
    """`adjoint` with `g` added at `path` of a tree shaped like `like`."""
    if not path:
        return add_adjoints(adjoint, g)
    key, rest = path[0], path[1:]
    if isinstance(like, (list, tuple)):
        made = [None] * len(like) if adjoint is None else list(adjoint)
        made[key] = _put(made[key], like[key], rest, g)
        return made
    made = dict(record_fields(adjoint) if is_record(adjoint) else adjoint or {})
    part = like[key] if isinstance(like, dict) else getattr(like, key)
    made[key] = _put(made.get(key), part, rest, g)
    return made


def _tangent_tree(value, path: tuple, given: dict):
    """The tangent of `value` (a part of the new object at `path`): what `given` says for its
    leaves, zeros elsewhere; an object's is a namespace of its attributes' tangents (no
    property of its class computes anything from tangents)."""
    if path in given:
        return given[path]
    if is_record(value):
        parts = {k: _tangent_tree(v, (*path, k), given) for k, v in record_fields(value).items()}
        if is_object(value):
            return types.SimpleNamespace(**parts)
        return record_like(value, parts)
    if isinstance(value, dict):
        return {k: _tangent_tree(v, (*path, k), given) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        parts = [_tangent_tree(v, (*path, k), given) for k, v in enumerate(value)]
        return type(value)(*parts) if hasattr(value, "_fields") else type(value)(parts)
    return zero_tangent(value)


class Constructor:
    """`cls(...)` called with arguments that carry a derivative (see the module's docstring)."""

    def __init__(self, cls: type):
        self.cls = cls

    def _made(self, active: tuple, args: tuple, kwargs: dict):
        """The new object, the active arguments (as `(parameter, path in its value)`: a
        position gathered by `*args` is an element of that tuple) with their values, and the
        links `(path in the object, active argument, path in the argument)`."""
        try:
            bound = inspect.signature(self.cls).bind(*args, **kwargs)
        except (TypeError, ValueError):
            bound = None
        obj = self.cls(*args, **kwargs)
        if bound is None:
            raise UnsupportedSyntaxError(
                f"making a {self.cls.__name__} whose signature srcgrad cannot read, from values "
                "that carry a derivative, is not supported",
                calling_line(),
                "give the class an __init__ of plain parameters",
            )
        bound.apply_defaults()
        chosen = [_argument(bound, a) for a in active]
        values = [args[a] if isinstance(a, int) else kwargs[a] for a in active]
        sources: dict[int, list] = {}
        for name, value in bound.arguments.items():
            for path, leaf in _leaves(value, (), [], frozenset()):
                if _floating(leaf):
                    sources.setdefault(id(leaf), []).append((name, path))
        links = []
        for path, leaf in _leaves(obj, (), [], frozenset()):
            if not _floating(leaf):
                continue
            found = sources.get(id(leaf))
            if not found:
                self._refuse(path, "is none of its arguments (it is computed or made there)")
            moving = [
                (k, inner[len(within) :])
                for name, inner in found
                for k, (param, within) in enumerate(chosen)
                if name == param and inner[: len(within)] == within
            ]
            if len(moving) > 1:
                self._refuse(path, "is passed to it more than once")
            if moving:
                links.append((path, *moving[0]))
        return obj, values, links

    def _refuse(self, path: tuple, why: str):
        place = ".".join(str(k) for k in path)
        raise UnsupportedSyntaxError(
            f"making a {self.cls.__name__} from values that carry a derivative, where the "
            f"value its __init__ stores in '{place}' {why}, is not supported",
            calling_line(),
            "store the arguments themselves (self.w = w) and compute from them in a method or "
            "a property, or pass the computed value as an argument",
        )

    def pullback(self, active: tuple, args: tuple, kwargs: dict):
        obj, values, links = self._made(active, args, kwargs)

        def back(g):
            grads = [None] * len(values)
            for path, k, inner in links:
                part = _at(g, path)
                if part is not None:
                    grads[k] = _put(grads[k], values[k], inner, part)
            made = tuple(as_gradient(a, v) for a, v in zip(grads, values))
            return made[0] if len(made) == 1 else made

        return obj, back

    def tangent(self, active: tuple, tangents: tuple, args: tuple, kwargs: dict):
        obj, _, links = self._made(active, args, kwargs)
        leaves = {path: _at(tangents[k], inner) for path, k, inner in links}
        return obj, _tangent_tree(obj, (), leaves)


def _argument(bound: inspect.BoundArguments, active) -> tuple[str, tuple]:
    """The parameter an active argument (a position or a keyword) is bound to, and its path
    in that parameter's value: `()`, or `(k,)` for a position `*args` gathers."""
    params = list(bound.signature.parameters.values())
    if isinstance(active, str):
        if active in bound.arguments:
            return active, ()
        _keyword_holder(bound, active)
    position = active
    for param in params:
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return param.name, (position,)
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            break
        if position == 0:
            return param.name, ()
        position -= 1
    raise UnsupportedSyntaxError(  # (bind() would have failed first)
        f"an argument srcgrad cannot place among the parameters of {bound.signature}",
        calling_line(),
    )


def _keyword_holder(bound: inspect.BoundArguments, keyword: str) -> str:
    raise UnsupportedSyntaxError(
        f"a differentiated value passed as '{keyword}=' into '**' of a class's __init__ is not "
        "supported",
        calling_line(),
        "pass it by the name of a parameter of __init__",
    )
