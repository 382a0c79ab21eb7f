"""Array methods and `.T` as the NumPy functions they are: `x.sum(axis=0)` is `np.sum(x, axis=0)`.

Only calls on the function's own values are rewritten (a module's `np.linalg.norm` is not a
method call). Methods that take a shape as separate arguments get it as one tuple.

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     h = x.dot(w).T
...     return h.reshape(2, -1).sum(axis=0).mean()
... ''')
def f(x, w):
    h = np.transpose(np.dot(x, w))
    return np.mean(np.sum(np.reshape(h, (2, -1)), axis=0))
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..front import nodes

# method name -> numpy function name, for `x.method(*args, **kwargs) == np.function(x, ...)`
METHODS = {
    name: name
    for name in [
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "std",
        "var",
        "cumsum",
        "cumprod",
        "argmax",
        "argmin",
        "argsort",
        "clip",
        "dot",
        "ravel",
        "squeeze",
        "copy",
        "trace",
        "diagonal",
        "round",
        "conj",
        "conjugate",
        "any",
        "all",
        "nonzero",
        "repeat",
        "take",
        "swapaxes",
        "ptp",
    ]
}
METHODS["flatten"] = "ravel"
SHAPE_METHODS = {"reshape": "reshape", "transpose": "transpose"}  # also take *shape
ATTRIBUTES = {"T": "transpose", "real": "real", "imag": "imag"}
# a dict's views, as lists (srcgrad.runtime): rules carry the adjoints back to the dict's values
_DICT_VIEWS = {
    "values": runtime.dict_values,
    "items": runtime.dict_items,
    "keys": runtime.dict_keys,
}


class _Methods(nodes.Transformer):
    def __init__(self, ctx, containers: dict[str, str]):
        self.ctx = ctx
        self.containers = containers  # name -> "list" or "dict", where the code says so

    def _is_value(self, node: gast.expr) -> bool:
        return not self.ctx.is_global_reference(node)

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        func = node.func
        made = self._container_copy(node)
        if made is not None:
            return made
        if not isinstance(func, gast.Attribute) or not self._is_value(func.value):
            return node
        receiver, method, args = func.value, func.attr, node.args
        if method in _DICT_VIEWS and not args and not node.keywords:  # d.values(), d.items()
            helper = self.ctx.support.name_for(_DICT_VIEWS[method], f"dict_{method}")
            return nodes.call(nodes.load(helper), [receiver])
        if method == "copy" and not args and not node.keywords:
            kind = _container_kind(receiver, self.containers)
            if kind is not None:
                return self._copied(receiver, kind)
        if method == "item" and not args and not node.keywords:
            helper = self.ctx.support.name_for(runtime.item, "item")
            return nodes.call(nodes.load(helper), [receiver])
        if method == "astype":
            helper = self.ctx.support.name_for(runtime.astype, "astype")
            return nodes.call(
                nodes.load(helper), [receiver, *args], {kw.arg: kw.value for kw in node.keywords}
            )
        if method in SHAPE_METHODS:
            if len(args) > 1 or (len(args) == 1 and _is_int_constant(args[0])):
                args = [nodes.tuple_(args)]
            function = SHAPE_METHODS[method]
        elif method in METHODS:
            function = METHODS[method]
        else:
            return node
        node.func = self.ctx.numpy_name(function)
        node.args = [receiver, *args]
        return node

    def _container_copy(self, node: gast.Call) -> gast.expr | None:
        """`list(xs)`, `dict(d)`: a new list of the same elements, a new dict of the same values
        (`dict(a=v)` is the display `{"a": v}`)."""
        made = self.ctx.resolve(node.func)
        if made is dict and not node.args and all(k.arg for k in node.keywords):
            return gast.Dict(
                keys=[nodes.const(k.arg) for k in node.keywords],
                values=[k.value for k in node.keywords],
            )
        if made not in (list, dict) or len(node.args) != 1 or node.keywords:
            return None
        argument = node.args[0]
        if made is dict and _container_kind(argument, self.containers) != "dict":
            return None  # (pairs, a zip: not followed)
        return self._copied(argument, made.__name__)

    def _copied(self, receiver: gast.expr, kind: str) -> gast.expr:
        if kind == "dict":  # a new dict of the same values, not an array
            helper = self.ctx.support.name_for(runtime.dict_copy, "dict_copy")
            return nodes.call(nodes.load(helper), [receiver])
        element = self.ctx.names.fresh("_e")  # a new list of the same elements
        loop = gast.comprehension(target=nodes.store(element), iter=receiver, ifs=[], is_async=0)
        return gast.ListComp(elt=nodes.load(element), generators=[loop])

    def visit_Subscript(self, node: gast.Subscript) -> gast.expr:
        """`np.r_[a, b]` and `np.c_[a, b]` as the joins they are (np.concatenate of the parts
        made at least 1-d; np.column_stack)."""
        self.generic_visit(node)
        trick = self.ctx.resolve(node.value)
        if trick is not np.r_ and trick is not np.c_:
            return node
        parts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if any(
            isinstance(p, gast.Slice) or isinstance(getattr(p, "value", None), str) for p in parts
        ):
            raise UnsupportedSyntaxError(
                f"np.{'r_' if trick is np.r_ else 'c_'}[...] with a slice or a string is not "
                "supported",
                nodes.origin_of(node) or self.ctx.parsed.definition,
                "write the values with np.arange or np.linspace, then np.concatenate",
            )
        if trick is np.c_:
            return nodes.call(
                self.ctx.numpy_name("column_stack"), [gast.List(elts=parts, ctx=gast.Load())]
            )
        one_d = [nodes.call(self.ctx.numpy_name("atleast_1d"), [p]) for p in parts]
        return nodes.call(
            self.ctx.numpy_name("concatenate"), [gast.List(elts=one_d, ctx=gast.Load())]
        )

    def visit_Attribute(self, node: gast.Attribute) -> gast.expr:
        self.generic_visit(node)
        if node.attr in ATTRIBUTES and self._is_value(node.value):
            return nodes.call(self.ctx.numpy_name(ATTRIBUTES[node.attr]), [node.value])
        return node


def _is_int_constant(node: gast.expr) -> bool:
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node = node.operand
    return isinstance(node, gast.Constant) and isinstance(node.value, int)


def _container_kind(node: gast.expr, containers: dict[str, str]) -> str | None:
    if isinstance(node, (gast.List, gast.ListComp)):
        return "list"
    if isinstance(node, gast.Dict):
        return "dict"
    return containers.get(node.id) if isinstance(node, gast.Name) else None


_ARGUMENT_KINDS = {"tree": "list", "dict": "dict"}  # what a container argument's dtype says


def _copy_of_an_argument(value: gast.expr, ctx) -> bool:
    """`xs.copy()` of a list or dict argument."""
    return (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and value.func.attr == "copy"
        and not value.args
        and isinstance(value.func.value, gast.Name)
        and ctx.dtypes.get(value.func.value.id) in _ARGUMENT_KINDS
    )


def containers(tree: gast.FunctionDef, ctx) -> dict[str, str]:
    """Names the function binds only to lists or only to dicts (displays, comprehensions,
    `list(...)`, `dict(...)`), and the arguments that are lists or dicts."""
    found: dict[str, set] = {}
    for stmt in nodes.walk(tree):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            value = stmt.value
            kind = None
            if isinstance(value, (gast.List, gast.ListComp)):
                kind = "list"
            elif isinstance(value, gast.Dict):
                kind = "dict"
            elif isinstance(value, gast.Call) and ctx.resolve(value.func) in (list, dict):
                kind = ctx.resolve(value.func).__name__
            elif _copy_of_an_argument(value, ctx):  # `xs = xs.copy()` of a list argument
                kind = _ARGUMENT_KINDS[ctx.dtypes[value.func.value.id]]
            found.setdefault(stmt.targets[0].id, set()).add(kind)
    kinds = {name: kinds.pop() for name, kinds in found.items() if len(kinds) == 1}
    for name, dtype in ctx.dtypes.items():
        if name not in found and dtype in _ARGUMENT_KINDS:
            kinds[name] = _ARGUMENT_KINDS[dtype]
    return {name: kind for name, kind in kinds.items() if kind is not None}


def run(tree: gast.FunctionDef, ctx) -> None:
    _Methods(ctx, containers(tree, ctx)).visit(tree)
