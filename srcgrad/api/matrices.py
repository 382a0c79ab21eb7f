"""Whole derivative matrices: `jacobian` (by columns in forward mode or rows in reverse mode)
and `hessian` (reverse mode over forward-mode code).

Both are built from the generated code of the other transformations, one basis vector at a
time; the generated code itself is what `forward`, `vjp` and `grad` show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, Literal, overload

import numpy as np

from ..analyse.shapes import of_value
from ..errors import SrcgradError, WrtError
from ..front import reading
from . import pickling, trees
from .gradient import Forward, Gradient, check_differentiable_value
from .hints import P, T, Wrt

_MODES = ("auto", "forward", "reverse")


def _basis(like, k: int):
    """The k-th unit tangent shaped like `like` (a float for a number)."""
    if np.ndim(like) == 0 and not isinstance(like, np.ndarray):
        return 1.0
    e = np.zeros(np.shape(like), dtype=_float_dtype(like))
    e.flat[k] = 1.0
    return e


def _float_dtype(value) -> np.dtype:
    dtype = np.result_type(value)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _tree_basis(tree, leaf: int, k: int):
    """The k-th unit tangent of leaf number `leaf` of `tree`, zeros in every other leaf."""
    parts = trees.leaves(tree)
    made = [_basis(x, k) if i == leaf else _zeros(x) for i, x in enumerate(parts)]
    return trees.rebuild(tree, iter(made))


def _blocks(tree, per_leaf: list):
    """`tree` with its leaves replaced by `per_leaf` (the blocks of a derivative), or the one
    block of an argument that is an array or a number."""
    return trees.rebuild(tree, iter(per_leaf)) if trees.is_tree(tree) else per_leaf[0]


class Jacobian(Generic[P]):
    """`jacobian(f, wrt)`: call it like `f`; the Jacobian of `f`'s output with respect to each
    `wrt` argument, shaped `output.shape + argument.shape` (a tuple exactly when `wrt` is)."""

    def __init__(self, fn: Callable[P, Any], wrt: Wrt = 0, mode: str = "auto") -> None:
        if mode not in _MODES:
            raise WrtError(f"mode={mode!r}: choose one of {_MODES}")
        self._given = fn
        self.mode = mode
        self.forward = Forward(fn, wrt)
        self.fn = self.forward.fn
        self.wrt, self.wrt_is_tuple = self.forward.wrt, self.forward.wrt_is_tuple
        self.reverse = Gradient(fn, self.wrt if self.wrt_is_tuple else self.wrt[0], mode="vjp")
        self.__name__ = f"jacobian_{self.fn.__name__}"

    def __reduce__(self) -> tuple:
        wrt = self.wrt if self.wrt_is_tuple else self.wrt[0]
        return pickling.reduced(self, self.fn, Jacobian, (self._given, wrt, self.mode))

    def _repr_html_(self) -> str:
        """In a notebook: the code made so far, beside `fn`'s lines (api/views.py)."""
        from .views import jacobian_view

        return jacobian_view(self)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        args = self.forward._bind(args, kwargs)
        inputs = [args[self.forward.params.index(w)] for w in self.wrt]
        for name, value in zip(self.wrt, inputs):
            check_differentiable_value(self.fn, name, value)
        n_in = sum(int(np.size(leaf)) for x in inputs for leaf in trees.leaves(x))
        mode = self.mode
        if mode == "auto":
            value = self.forward.fn(
                *self.forward._positional_arguments(args), **self.forward._keywords(args)
            )
            _check_output(self.fn, value)
            mode = "reverse" if np.size(value) <= n_in else "forward"
        blocks = self._reverse(args, inputs) if mode == "reverse" else self._forward(args, inputs)
        return tuple(blocks) if self.wrt_is_tuple else blocks[0]

    def _forward(self, args: tuple, inputs: list) -> list:
        """Columns: one forward-mode call per element of each input (of each leaf of a tree)."""
        blocks = []
        value = None
        for position, x in enumerate(inputs):
            per_leaf = []
            for leaf, part in enumerate(trees.leaves(x)):
                columns = []
                for k in range(int(np.size(part))):
                    tangents = [
                        _tree_basis(y, leaf, k) if i == position else trees.mapped(_zeros, y)
                        for i, y in enumerate(inputs)
                    ]
                    value, column = self.forward._call_bound(args, tuple(tangents))
                    columns.append(np.asarray(column))
                if value is None:  # (nothing to differentiate: the value, for its shape)
                    value = self.forward._call_bound(
                        args, tuple(trees.mapped(_zeros, y) for y in inputs)
                    )[0]
                _check_output(self.fn, value)
                shape = np.shape(value)
                stacked = np.stack(columns, axis=-1) if columns else np.zeros(shape + (0,))
                per_leaf.append(stacked.reshape(shape + np.shape(part)))
            blocks.append(_blocks(x, per_leaf))
        return blocks

    def _reverse(self, args: tuple, inputs: list) -> list:
        """Rows: one pullback per element of the output."""
        value, pullback = self.reverse._call_bound(args)
        _check_output(self.fn, value)
        rows: list[list] = [[] for _ in inputs]
        for k in range(int(np.size(value))):
            if pullback is None:
                pullback = self.reverse._call_bound(args)[1]  # a pullback is used once
            grads = pullback(_basis(value, k))
            pullback = None
            grads = grads if self.wrt_is_tuple else (grads,)
            for row, g in zip(rows, grads):
                row.append([np.asarray(part) for part in trees.leaves(g)])
        blocks = []
        for row, x in zip(rows, inputs):
            per_leaf = [
                np.stack([r[leaf] for r in row]).reshape(np.shape(value) + np.shape(part))
                if row
                else np.zeros(np.shape(value) + np.shape(part))
                for leaf, part in enumerate(trees.leaves(x))
            ]
            blocks.append(_blocks(x, per_leaf))
        return blocks


def _zeros(like):
    return np.zeros(np.shape(like), dtype=_float_dtype(like)) if np.ndim(like) else 0.0


def _check_output(fn, value) -> None:
    if isinstance(value, (tuple, list, dict)) or (
        isinstance(value, np.ndarray) and value.dtype.kind not in "fiu"
    ):
        raise SrcgradError(
            f"jacobian needs an array or number output; '{fn.__name__}' returned a "
            f"{type(value).__name__}",
            reading.definition_origin(fn),
            "return one array (np.concatenate the parts), or take the jacobian of each part",
        )


@overload
def jacobian(
    fn: Callable[P, Any], wrt: Wrt = ..., *, mode: str = ..., argnums: Wrt | None = ...
) -> Jacobian[P]: ...
@overload
def jacobian(
    fn: None = ..., wrt: Wrt = ..., *, mode: str = ..., argnums: Wrt | None = ...
) -> Callable[[Callable[P, Any]], Jacobian[P]]: ...
def jacobian(
    fn: Callable[P, Any] | None = None,
    wrt: Wrt = 0,
    *,
    mode: str = "auto",
    argnums: Wrt | None = None,
) -> Jacobian[P] | Callable[[Callable[P, Any]], Jacobian[P]]:
    """The Jacobian of `fn` with respect to argument(s) `wrt`, shaped `out.shape + arg.shape`.

    `mode`: "forward" (one forward-mode call per input element), "reverse" (one pullback per
    output element) or "auto" (whichever needs fewer calls).
    """
    wrt = argnums if argnums is not None else wrt
    if fn is None:
        return lambda f: Jacobian(f, wrt, mode)
    return Jacobian(fn, wrt, mode)


class Hessian(Generic[P]):
    """`hessian(f, wrt)`: call it like `f`; the matrix of second derivatives of scalar `f` with
    respect to one argument, shaped `arg.shape + arg.shape`.

    Each row is the gradient of a directional derivative: reverse mode over `f`'s forward-mode
    code (the tangent code is plain, tape-free Python, so it is transformed like the user's own
    code, loops and branches included).
    """

    def __init__(self, fn: Callable[P, Any], wrt: int | str = 0) -> None:
        if isinstance(wrt, (tuple, list)):
            raise WrtError(
                "hessian is taken with respect to one argument",
                reading.definition_origin(reading.plain_function(fn)),
                "concatenate the parameters into one vector, or use jacobian(grad(f, wrt=...))",
            )
        self._given = fn
        self.gradient = Gradient(fn, wrt)
        self.fn = self.gradient.fn
        self.wrt = self.gradient.wrt[0]
        self._rows: dict = {}
        self.__name__ = f"hessian_{self.fn.__name__}"

    def __reduce__(self) -> tuple:
        return pickling.reduced(self, self.fn, Hessian, (self._given, self.wrt))

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        args = self.gradient._bind(args, kwargs)
        x = args[self.gradient.params.index(self.wrt)]
        check_differentiable_value(self.fn, self.wrt, x)
        if not trees.is_tree(x):
            rows = [np.asarray(self.product(_basis(x, k), args)) for k in range(int(np.size(x)))]
            return np.stack(rows).reshape(np.shape(x) + np.shape(x))
        # a tree: block (i, j) of leaves i and j is shaped `leaf_i.shape + leaf_j.shape`, and
        # the blocks of row i make a tree like x, held where x holds leaf i
        parts = trees.leaves(x)
        outer = []
        for i, part in enumerate(parts):
            rows = [
                [np.asarray(r) for r in trees.leaves(self.product(_tree_basis(x, i, k), args))]
                for k in range(int(np.size(part)))
            ]
            inner = [
                np.stack([row[j] for row in rows]).reshape(np.shape(part) + np.shape(other))
                if rows
                else np.zeros(np.shape(part) + np.shape(other))
                for j, other in enumerate(parts)
            ]
            outer.append(trees.rebuild(x, iter(inner)))
        return trees.rebuild(x, iter(outer))

    def product(self, v: Any, args: tuple) -> Any:
        """H @ v for the bound `args`: the gradient, with respect to x, of the derivative of
        `fn` along v (reverse mode over the forward-mode code)."""
        signature = tuple(of_value(a) for a in args)
        generated = self.gradient.tangent_function(signature)
        row = self._rows.get(generated.function)
        if row is None:
            row = self._rows[generated.function] = Gradient(generated.function, self.wrt)
        positional = self.gradient._positional_arguments(args)
        keywords = self.gradient._keywords(args)
        return row(*positional, **keywords, **{generated.tangents[0]: v})

    @property
    def source(self) -> str:
        """The generated code of the latest row function (reverse over forward)."""
        if not self._rows:
            raise SrcgradError("call the hessian once first: its code is made per argument shape")
        return list(self._rows.values())[-1].source

    def _repr_html_(self) -> str:
        """In a notebook: the row function's code beside `fn`'s lines (api/views.py)."""
        from .views import hessian_view

        return hessian_view(self)


@overload
def hessian(
    fn: Callable[P, Any], wrt: int | str = ..., *, argnums: int | str | None = ...
) -> Hessian[P]: ...
@overload
def hessian(
    fn: None = ..., wrt: int | str = ..., *, argnums: int | str | None = ...
) -> Callable[[Callable[P, Any]], Hessian[P]]: ...
def hessian(
    fn: Callable[P, Any] | None = None,
    wrt: int | str = 0,
    *,
    argnums: int | str | None = None,
) -> Hessian[P] | Callable[[Callable[P, Any]], Hessian[P]]:
    """The Hessian of scalar `fn` with respect to one argument `wrt`."""
    wrt = argnums if argnums is not None else wrt
    if fn is None:
        return lambda f: Hessian(f, wrt)
    return Hessian(fn, wrt)


_ORDERS = ("vector_first", "scipy")


@overload
def hvp(
    fn: Callable[P, Any], wrt: int | str = ..., *, order: Literal["vector_first"] = ...
) -> Callable[Concatenate[Any, P], Any]: ...
@overload
def hvp(
    fn: Callable[Concatenate[T, P], Any], wrt: int | str = ..., *, order: Literal["scipy"]
) -> Callable[Concatenate[T, Any, P], Any]: ...
def hvp(fn: Callable[..., Any], wrt: int | str = 0, *, order: str = "vector_first") -> Any:
    """The Hessian of scalar `f` (with respect to argument `wrt`) times a vector `v`, without
    making the Hessian: one reverse pass over `f`'s forward-mode code.

    `order` says where `v` goes: `hvp(f)(v, *args)` ("vector_first"), or, with
    `order="scipy"`, `hvp(f, order="scipy")(x, v, *args)`, right after the first argument,
    which it differentiates: what `scipy.optimize.minimize` calls as `hessp(x, p, *args)`
    (and autograd's `hessian_vector_product(f)(x, v)`).
    """
    if order not in _ORDERS:
        raise WrtError(f"order={order!r}: choose one of {_ORDERS}")
    return _HessianVectorProduct(fn, wrt, order)


class _HessianVectorProduct:
    """`hvp(f, wrt, order)`: H @ v by `Hessian.product`, `v` placed as `order` says."""

    def __init__(self, fn: Callable[..., Any], wrt: int | str, order: str) -> None:
        self.hessian = Hessian(fn, wrt)
        self.order = order
        self.__name__ = f"hvp_{self.hessian.fn.__name__}"
        self.__doc__ = f"Hessian-vector product of {self.hessian.fn.__qualname__}."
        gradient = self.hessian.gradient
        called = gradient.params[1:] if gradient.bound is not None else gradient.params
        if order == "scipy" and called[:1] != [self.hessian.wrt]:
            raise WrtError(
                f"order='scipy' calls hvp(x, v, *args), x being the first argument, but wrt "
                f"is '{self.hessian.wrt}'",
                reading.definition_origin(self.hessian.fn),
                "use the default order, hvp(f, wrt=...)(v, *args), or make the differentiated "
                "argument the first",
            )

    def __reduce__(self) -> tuple:
        made = (self.hessian._given, self.hessian.wrt, self.order)
        return pickling.reduced(self, self.hessian.fn, _HessianVectorProduct, made)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.order == "scipy":
            if len(args) < 2:
                raise WrtError(
                    f"{self.__name__}(x, v, *args) needs x and v by position "
                    f"(order='scipy'); {len(args)} given",
                    reading.definition_origin(self.hessian.fn),
                )
            v, args = args[1], (args[0], *args[2:])
        else:
            if not args:
                raise WrtError(
                    f"{self.__name__}(v, *args) needs v first",
                    reading.definition_origin(self.hessian.fn),
                )
            v, args = args[0], args[1:]
        hessian_ = self.hessian
        bound = hessian_.gradient._bind(args, kwargs)
        x = bound[hessian_.gradient.params.index(hessian_.wrt)]
        check_differentiable_value(hessian_.fn, hessian_.wrt, x)
        if trees.is_tree(x) and not trees.same_structure(v, x):
            raise WrtError(
                f"v must be a tree of the structure of '{hessian_.wrt}' (the same types, keys "
                "and leaf shapes)",
                reading.definition_origin(hessian_.fn),
            )
        if not trees.is_tree(x) and np.shape(v) != np.shape(x):
            raise WrtError(
                f"v has shape {np.shape(v)}, '{hessian_.wrt}' has {np.shape(x)}",
                reading.definition_origin(hessian_.fn),
            )
        return hessian_.product(v, bound)
