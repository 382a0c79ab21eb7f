"""Expressions with a derivative of their own: `1 / (1 + np.exp(-z))` is the logistic function,
and `y * np.log(p) + (1 - y) * np.log(1 - p)` of its result the log-likelihood of labels `y`.

Taken apart, the logistic function is four operations whose adjoints need `exp(-z)` and
`1 + exp(-z)` kept for the reverse sweep: two arrays more than its own derivative,
`ans * (1 - ans)`, which reads only the result. The rewritten call computes exactly the user's
expression (srcgrad.runtime.sigmoid).

The log-likelihood of `p = sigmoid(z)` has the derivative `y - p` in `z`: one array, where the
chain rule through `p` makes `y / p`, `(1 - y) / (1 - p)` and `p * (1 - p)`, each an array.
It becomes `logistic_log_likelihood(z, y, p)`, which computes the user's expression from `p`;
only where `p` is certainly `sigmoid(z)` when it is read: `p` bound once, by that statement in
the function's body, `z` bound at most once before it, and neither handed to anything that
could change it (read only by arithmetic and NumPy functions that only read).

>>> from srcgrad.normalize.example import show
>>> show(run, '''
... def f(x, w):
...     p = 1 / (1 + np.exp(-(x @ w)))
...     return np.sum(1.0 / (np.exp(-p) + 1.0))
... ''')
def f(x, w):
    p = sigmoid(x @ w)
    return np.sum(sigmoid(p))
>>> show(run, '''
... def f(w, x, y):
...     z = x @ w
...     p = 1 / (1 + np.exp(-z))
...     return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
... ''')
def f(w, x, y):
    z = x @ w
    p = sigmoid(z)
    return -np.mean(logistic_log_likelihood(z, y, p))
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..front import nodes


class _Idioms(nodes.Transformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        argument = self._logistic(node)
        if argument is None:
            return node
        helper = self.ctx.support.name_for(runtime.sigmoid, "sigmoid")
        return nodes.call(nodes.load(helper), [argument])

    def visit_Call(self, node: gast.Call) -> gast.expr:
        """`np.clip(a, min=v, max=w)` (NumPy 2.1's spelling, and `x.clip(min=0.0)`) is
        `np.clip(a, v, w)`: its rule names them a_min and a_max."""
        self.generic_visit(node)
        spelled = {k.arg: k for k in node.keywords}
        if (
            {"min", "max"} & set(spelled)
            and not {"a_min", "a_max"} & set(spelled)
            and len(node.args) == 1
            and self.ctx.resolve(node.func) is np.clip
        ):
            for name in ("min", "max"):
                bound = spelled.get(name)
                node.args.append(bound.value if bound is not None else nodes.const(None))
            node.keywords = [k for k in node.keywords if k.arg not in ("min", "max")]
        return node

    def _logistic(self, node: gast.BinOp) -> gast.expr | None:
        """`z` of `1 / (1 + np.exp(-z))` (either order of the sum; 1 or 1.0)."""
        if not (isinstance(node.op, gast.Div) and _one(node.left)):
            return None
        total = node.right
        if not (isinstance(total, gast.BinOp) and isinstance(total.op, gast.Add)):
            return None
        for one, power in ((total.left, total.right), (total.right, total.left)):
            if _one(one) and self._exp_of_negative(power):
                return power.args[0].operand
        return None

    def _exp_of_negative(self, node: gast.expr) -> bool:
        return (
            isinstance(node, gast.Call)
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], gast.UnaryOp)
            and isinstance(node.args[0].op, gast.USub)
            and self.ctx.resolve(node.func) is np.exp
        )


def _one(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == 1


def run(tree: gast.FunctionDef, ctx) -> None:
    _Idioms(ctx).visit(tree)
    logits = _sigmoids(ctx, tree)
    if logits:  # (without a `p = sigmoid(z)`, no log-likelihood to find)
        _LogLikelihoods(ctx, logits).visit(tree)


# ---- the log-likelihood of a sigmoid's result -----------------------------------------------

# functions that only read their arguments (with no keyword: no out=)
_READING = (np.log, np.log1p, np.exp, np.sum, np.mean, np.abs, np.round, np.sign, runtime.sigmoid)


class _LogLikelihoods(nodes.Transformer):
    """`y * np.log(p) + (1 - y) * np.log(1 - p)`, either order of each product and of the sum,
    `1` or `1.0`, for a `p` bound by `p = sigmoid(z)` that holds that value wherever it is read."""

    def __init__(self, ctx, logits: dict[str, str]):
        self.ctx = ctx
        self.logits = logits  # p -> z, where that holds (`_sigmoids`)

    def visit_BinOp(self, node: gast.BinOp) -> gast.expr:
        self.generic_visit(node)
        if not isinstance(node.op, gast.Add):
            return node
        for first, second in ((node.left, node.right), (node.right, node.left)):
            found = self._terms(first, second)
            if found is not None:
                labels, p = found
                helper = self.ctx.support.name_for(
                    runtime.logistic_log_likelihood, "logistic_log_likelihood"
                )
                z = nodes.load(self.logits[p])
                return nodes.call(nodes.load(helper), [z, nodes.load(labels), nodes.load(p)])
        return node

    def _terms(self, first: gast.expr, second: gast.expr) -> tuple[str, str] | None:
        """(y, p) of `y * np.log(p)` and `(1 - y) * np.log(1 - p)`."""
        hit = self._times_log(first)
        miss = self._times_log(second)
        if hit is None or miss is None:
            return None
        (labels, p), (others, complement) = hit, miss
        if not (isinstance(labels, gast.Name) and isinstance(p, gast.Name)):
            return None
        if p.id not in self.logits or not _one_minus(others, labels.id):
            return None
        return (labels.id, p.id) if _one_minus(complement, p.id) else None

    def _times_log(self, node: gast.expr):
        """(factor, argument) of `factor * np.log(argument)`, in either order."""
        if not (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)):
            return None
        for factor, log in ((node.left, node.right), (node.right, node.left)):
            if (
                isinstance(log, gast.Call)
                and len(log.args) == 1
                and not log.keywords
                and self.ctx.resolve(log.func) is np.log
            ):
                return factor, log.args[0]
        return None


def _one_minus(node: gast.expr, name: str) -> bool:
    """`node` is `1 - name` (or `1.0 - name`)."""
    return (
        isinstance(node, gast.BinOp)
        and isinstance(node.op, gast.Sub)
        and _one(node.left)
        and isinstance(node.right, gast.Name)
        and node.right.id == name
    )


def _sigmoids(ctx, tree: gast.FunctionDef) -> dict[str, str]:
    """p -> z for each `p = sigmoid(z)` of the function's body after which `p` and `z` are
    certainly what they were: each bound there only (z: or as a parameter, or once before),
    never declared global or nonlocal, and read only by arithmetic and reading functions."""
    candidates = {id(stmt): _sigmoid_of_name(ctx, stmt) for stmt in tree.body}
    if not any(candidates.values()):
        return {}  # (the common case: nothing to count)
    stores: dict[str, int] = {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param, gast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
        if isinstance(node, (gast.Global, gast.Nonlocal)):
            for name in node.names:
                stores[name] = stores.get(name, 0) + 2
    handed = _handed_on(ctx, tree)
    found, bound = {}, set()
    for stmt in tree.body:
        p, z = candidates[id(stmt)] or (None, None)
        if (
            p is not None
            and stores.get(p) == 1
            and stores.get(z) == 1
            and (z in bound or _is_parameter(tree, z))
            and not {p, z} & handed
        ):
            found[p] = z
        bound |= nodes.names_stored(stmt)
    return found


def _sigmoid_of_name(ctx, stmt: gast.stmt) -> tuple[str, str] | None:
    if not (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and isinstance(stmt.value, gast.Call)
        and len(stmt.value.args) == 1
        and not stmt.value.keywords
        and isinstance(stmt.value.args[0], gast.Name)
        and ctx.resolve(stmt.value.func) is runtime.sigmoid
    ):
        return None
    return stmt.targets[0].id, stmt.value.args[0].id


def _is_parameter(tree: gast.FunctionDef, name: str) -> bool:
    return name in nodes.names_stored(tree.args)


def _handed_on(ctx, tree: gast.FunctionDef) -> set[str]:
    """Names read anywhere but as an operand of arithmetic or a comparison, an argument of a
    function that only reads it, or for their shape: where something else could get hold of
    their array."""
    handed = set()
    for parent in nodes.walk(tree):
        for child in gast.iter_child_nodes(parent):
            if not (isinstance(child, gast.Name) and isinstance(child.ctx, gast.Load)):
                continue
            if isinstance(parent, (gast.BinOp, gast.UnaryOp, gast.Compare)):
                continue
            if isinstance(parent, gast.Attribute) and parent.attr in ("shape", "ndim", "size"):
                continue
            if (
                isinstance(parent, gast.Call)
                and child is not parent.func
                and not parent.keywords
                and any(_resolved(ctx, parent.func) is f for f in _READING)
            ):
                continue
            handed.add(child.id)
    return handed


def _resolved(ctx, func: gast.expr) -> object:
    try:
        return ctx.resolve(func)
    except Exception:  # (an attribute of something that is not a module)
        return None
