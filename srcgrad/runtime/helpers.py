"""Helpers that generated code calls: the few operations no single NumPy call expresses.

Guarantees: helpers never mutate their inputs (only arrays they create), create arrays only with
`*_like` so that other NumPy-API arrays pass through, and `unbroadcast` returns `g` itself when
the shapes already agree.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import NonFiniteError, NonScalarOutputError


def astype(x, dtype):
    """`x.astype(dtype)` (in generated code, so that it has a derivative rule)."""
    return x.astype(dtype)


def last_writes(part, like, index):
    """`part` (an adjoint read at `index`) with zeros where a later position of `index` wrote
    the same element: after `x[[0, 1, 1]] = v`, v[1] never reached x. NumPy's own assignment,
    done again with positions for values, tells which write each element kept."""
    order = np.reshape(np.arange(np.size(part)), np.shape(part))
    kept = np.full(np.shape(like), -1)
    kept[index] = order
    return np.where(kept[index] == order, part, 0.0)


def dict_values(d) -> list:
    """`d.values()`, as a list (in generated code, so that it has a derivative rule)."""
    return list(d.values())


def dict_items(d) -> list:
    """`d.items()`, as a list of `(key, value)` pairs."""
    return list(d.items())


def dict_keys(d) -> list:
    """`d.keys()`, as a list."""
    return list(d.keys())


def iterated(xs):
    """What `for v in xs` steps through, for a `xs` that may be a dict: its keys (a list)."""
    return list(xs) if isinstance(xs, dict) else xs


def iterated_adjoint(g, xs):
    """The adjoint of `xs` from that of `iterated(xs)`: none for a dict (its keys)."""
    return None if isinstance(xs, dict) else g


def values_adjoint(g, d):
    """The adjoint of the dict `d` from that of `list(d.values())` (a list of adjoints, None
    where nothing flowed; or None)."""
    if g is None:
        return None
    return {key: part for key, part in zip(d, g) if part is not None}


def items_adjoint(g, d):
    """The adjoint of the dict `d` from that of `list(d.items())`: each pair's second part."""
    if g is None:
        return None
    parts = {key: None if pair is None else pair[1] for key, pair in zip(d, g)}
    return {key: part for key, part in parts.items() if part is not None}


def sigmoid(x):
    """The logistic function, computed as the user wrote it: `1 / (1 + np.exp(-x))`."""
    return 1 / (1 + np.exp(-x))


def item(x):
    """`x.item()` (in generated code, so that it has a derivative rule)."""
    return x.item()


def abs_slope(x):
    """d|x|/dx: the sign of x (0 at 0); for complex x, conj(x)/|x| (JAX's convention), which
    moves with x: a Hessian differentiates this source (it is not declared constant)."""
    if np.iscomplexobj(x):
        size = np.abs(x)
        return np.conj(x) / np.where(size == 0, 1.0, size)
    return np.sign(x)


def unbroadcast(g, like):
    """Sum `g` over the axes along which `like` was broadcast, so that it has `like`'s shape."""
    shape = np.shape(like)
    g_shape = np.shape(g)
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    summed = np.sum(g, axis=axes, keepdims=True) if axes else g
    if lead:
        summed = np.reshape(summed, g_shape[lead:] if not axes else summed.shape[lead:])
    return summed


def _gradient_dtype(like, g):
    if isinstance(like, (list, tuple)):  # (np.result_type reads a list as a dtype's fields)
        like = np.asarray(like)
    return np.result_type(like, g, 1.0)


def expand_to(g, like, axis=None, keepdims=False):
    """A new array shaped like `like`, holding `g` repeated along the reduced `axis`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    out = np.empty_like(like, dtype=_gradient_dtype(like, g))
    out[...] = g
    return out


def mean_count(like, axis=None):
    """How many elements a mean over `axis` averages."""
    shape = np.shape(like)
    if axis is None:
        return max(int(np.prod(shape)), 1) if shape else 1
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (operator.index(axis),)
    count = 1
    for a in axes:
        count *= shape[a]
    return count


def reduced_axes_last(a, axis=None):
    """`a` with the axes a reduction over `axis` reduces moved to the end and flattened into
    one: `(flat, moved, axes, ends)`; `np.moveaxis(np.reshape(r, np.shape(moved)), ends, axes)`
    puts a result of `flat`'s shape back."""
    ndim = np.ndim(a)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(ax % ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    ends = tuple(range(ndim - len(axes), ndim))
    moved = np.moveaxis(a, axes, ends)
    flat = np.reshape(moved, np.shape(moved)[: ndim - len(axes)] + (-1,))
    return flat, moved, axes, ends


def product_of_others(a, axis=None):
    """For each element, the product of the other elements along `axis` (zeros allowed)."""
    flat, moved, axes, ends = reduced_axes_last(a, axis)
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    others = np.reshape(left * right, np.shape(moved))
    return np.moveaxis(others, ends, axes)


def choose_adjoint(g, ans, x, axis=None, keepdims=False):
    """Adjoint of max/min: `g` shared equally among the elements equal to the extreme value.

    With ties, each of the k tied elements gets g / k (JAX's convention), so the adjoint sums
    to `g` and is symmetric in the tied elements.
    """
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    hits = x == ans
    count = np.sum(hits, axis=axis, keepdims=True)
    return np.where(hits, g / count, 0.0).astype(_gradient_dtype(x, g), copy=False)


def extreme_shares(ans, x, y=None):
    """How much `x` and `y` move Python's `max(x, y)` or `min(x, y)` (`ans`), and the axes of
    x that share: `(x_share, y_share, axes)`.

    The operands equal to the result share it equally (a tie splits in half, as np.maximum
    does). With one iterable `x` (`max(xs)`, y None) its elements equal to the result share it
    equally, as np.max's do; x's shares then lie along its first axis, the one `axes` names.
    """
    if y is None:
        values = np.asarray(x)
        hits = np.reshape(values == ans, (np.shape(values)[0], -1)).all(axis=1)
        share = hits / max(int(np.sum(hits)), 1)
        share = np.reshape(share, (-1, *(1,) * (np.ndim(values) - 1)))
        return share.astype(_gradient_dtype(values, 1.0), copy=False), 0.0, 0
    x_hits, y_hits = 1.0 * np.equal(x, ans), 1.0 * np.equal(y, ans)
    count = np.maximum(x_hits + y_hits, 1.0)
    return x_hits / count, y_hits / count, ()


def sorted_order(iterable, key=None, reverse=False) -> list:
    """The element numbers of `iterable` in the order `sorted(iterable, key=key,
    reverse=reverse)` puts the elements: Python's own stable sort of the numbers, comparing
    what it compares, so that equal elements land where `sorted` puts them."""
    values = list(iterable)
    if key is None:
        return sorted(range(len(values)), key=values.__getitem__, reverse=reverse)
    keys = [key(v) for v in values]
    return sorted(range(len(values)), key=keys.__getitem__, reverse=reverse)


def permuted(values, order) -> list:
    """The list of `values[i]` for each i in `order` (the tangent of `sorted`'s result)."""
    return [values[i] for i in order]


def _is_integer_array_index(part) -> bool:
    dtype = getattr(part, "dtype", None)
    if dtype is not None:
        return getattr(part, "ndim", 0) > 0 and np.issubdtype(dtype, np.integer)
    return isinstance(part, list)


def scatter_add(out, index, values):
    """`out[index] += values`, adding repeated integer indices once per occurrence (in place)."""
    parts = index if isinstance(index, tuple) else (index,)
    if any(_is_integer_array_index(p) for p in parts):
        if (
            np.ndim(out) == 1
            and len(parts) == 1
            and np.ndim(parts[0]) == 1
            and (np.shape(values) == np.shape(parts[0]) and out.dtype.kind == "f")
        ):  # bincount adds repeated indices several times faster than np.add.at
            positions = parts[0]
            if np.min(positions, initial=0) < 0:
                positions = np.mod(positions, out.shape[0])
            out += np.bincount(positions, weights=values, minlength=out.shape[0])
            return out
        np.add.at(out, index, values)
    else:
        out[index] += values
    return out


def zero_at(g, index):
    """A copy of `g` with zeros at `index`: the adjoint of an array before `x[index] = v`."""
    out = np.copy(g)
    out[index] = 0.0
    return out


def nonnegative(index, size: int):
    """Integer positions with the negative ones counted from the end, as indexing reads them
    (np.bincount takes only positions from 0; most indices have none below 0: no new array)."""
    # (the array's own method: np.min's dispatch costs more than the minimum of a short index)
    lowest = index.min(initial=0) if type(index) is np.ndarray else np.min(index, initial=0)
    return index if lowest >= 0 else np.mod(index, size)


def index_adjoint(g, x, index):
    """Adjoint of `x[index]`: zeros shaped like `x` with `g` added at `index`."""
    dtype = _gradient_dtype(x, g)
    if (  # a vector read at integer positions: bincount makes the sums, no zeros first
        np.ndim(x) == 1
        and _is_integer_array_index(index)
        and np.ndim(index) == 1
        and np.shape(g) == np.shape(index)
        and np.dtype(dtype).kind == "f"
    ):
        positions = np.asarray(index)
        if np.min(positions, initial=0) < 0:
            positions = np.mod(positions, np.shape(x)[0])
        summed = np.bincount(positions, weights=g, minlength=np.shape(x)[0])
        return summed.astype(dtype, copy=False)
    out = np.zeros_like(x, dtype=dtype)
    return scatter_add(out, index, g)


def matmul_adjoint_left(g, x, y):
    """d(x @ y)/dx applied to g, for any ranks NumPy's matmul accepts."""
    if np.ndim(y) == 1:
        if np.ndim(x) == 1:
            return g * y
        return unbroadcast(np.expand_dims(g, -1) * y, x)
    if np.ndim(x) == 1:
        return unbroadcast(np.matmul(np.expand_dims(g, -2), np.swapaxes(y, -1, -2))[..., 0, :], x)
    return unbroadcast(np.matmul(g, np.swapaxes(y, -1, -2)), x)


def matmul_adjoint_right(g, x, y):
    """d(x @ y)/dy applied to g, for any ranks NumPy's matmul accepts."""
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return g * x
        gx = np.expand_dims(g, -2) * np.expand_dims(x, -1)
        return unbroadcast(gx, y)
    if np.ndim(y) == 1:
        return unbroadcast(
            np.sum(np.expand_dims(g, -1) * x, axis=tuple(range(np.ndim(x) - 2)) + (-2,)), y
        )
    return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), g), y)


def inverse_permutation(axes):
    """The axes that undo `np.transpose(x, axes)` (None: reversing undoes reversing)."""
    return None if axes is None else tuple(np.argsort(axes))


def clip_weights(a, a_min, a_max):
    """d np.clip(a, a_min, a_max) / d(a, a_min, a_max), as min(max(a, a_min), a_max) with ties
    split in half (as `maximum` and `minimum` do, and as in JAX)."""
    low = 1.0 if a_min is None else (a > a_min) + 0.5 * (a == a_min)
    raised = a if a_min is None else np.maximum(a, a_min)
    high = 1.0 if a_max is None else (raised < a_max) + 0.5 * (raised == a_max)
    return low * high, (1.0 - low) * high, 1.0 - high


def dot_adjoint_left(g, a, b):
    """d(np.dot(a, b))/da applied to g."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return matmul_adjoint_left(g, a, b)
    if np.ndim(b) == 1:
        return np.expand_dims(g, -1) * b
    b_axes = [i for i in range(np.ndim(b)) if i != np.ndim(b) - 2]
    return np.tensordot(g, b, axes=(list(range(np.ndim(a) - 1, np.ndim(g))), b_axes))


def dot_adjoint_right(g, a, b):
    """d(np.dot(a, b))/db applied to g."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return matmul_adjoint_right(g, a, b)
    lead = list(range(np.ndim(a) - 1))
    if np.ndim(b) == 1:
        return np.tensordot(a, g, axes=(lead, lead))
    return np.moveaxis(np.tensordot(a, g, axes=(lead, lead)), 0, -2)


def check_scalar(value, where: str, function: str):
    """Raise NonScalarOutputError unless `value` is a scalar (the seed of reverse mode is 1.0)."""
    shape = np.shape(value)
    if shape != ():
        raise NonScalarOutputError(
            f"{where}: grad needs a scalar output, but '{function}' returned an array of "
            f"shape {shape}",
            hint="reduce it to a scalar (np.sum, np.mean) or use srcgrad.vjp with a seed "
            "gradient of that shape (PyTorch's backward(gradient=...)).",
        )
    return value


def zero_gradient(x):
    """The gradient with respect to an input the output does not depend on."""
    if isinstance(x, (int, float)):
        return 0.0
    return np.zeros_like(x, dtype=np.result_type(x, 1.0))


# ---- Python lists: the adjoint of a list is a list of adjoints, None where nothing flowed ----


def list_adjoint(values: list) -> list:
    """The adjoint of `values` before anything flowed into it."""
    return [None] * len(values)


def add_at(adjoints: list, index, g) -> None:
    """Add `g` to the adjoint of element `index` (in place: the list is the adjoint's own)."""
    current = adjoints[index]
    adjoints[index] = g if current is None else current + g


def add_all(adjoints: list, gs) -> list:
    """Elementwise sum of two lists of adjoints."""
    return [g if a is None else a + g for a, g in zip(adjoints, gs)]


def pop_adjoint(adjoints: list, like):
    """The adjoint of the element appended last (zeros if nothing flowed into it)."""
    g = adjoints.pop()
    return np.zeros_like(like) if g is None else g


def element_adjoint(adjoints: list, index: int, like):
    g = adjoints[index]
    return np.zeros_like(like) if g is None else g


def list_of(g, values: list) -> list:
    """`g` as the adjoint of every element (the adjoint of `sum(values)`)."""
    return [g] * len(values)


# ---- containers of arrays as arguments: adjoints of the same structure, None where nothing ----


def add_item(adjoint, container, index, g):
    """The adjoint of `container` after adding `g` to the adjoint of `container[index]`.

    A list's or tuple's adjoint is a list, a dict's a dict (made on first use, from None);
    an array's is an array.
    """
    if isinstance(container, dict):
        adjoint = {} if adjoint is None else adjoint
        adjoint[index] = add_adjoints(adjoint.get(index), g)
        return adjoint
    if isinstance(container, (list, tuple)):
        adjoint = [None] * len(container) if adjoint is None else adjoint
        adjoint[index] = add_adjoints(adjoint[index], g)
        return adjoint
    part = index_adjoint(g, container, index)
    return part if adjoint is None else adjoint + part


def add_adjoints(a, b):
    """`a + b` for adjoints that may be None (zero), lists, tuples or dicts of adjoints."""
    if a is None:
        return list(b) if isinstance(b, tuple) else b
    if b is None:
        return a
    if isinstance(a, dict):
        return {k: add_adjoints(a.get(k), b.get(k)) for k in {**a, **b}}
    if isinstance(a, (list, tuple)):
        return [add_adjoints(x, y) for x, y in zip(a, b)]
    return a + b


def entry_adjoint(adjoint, key, like):
    """The adjoint of `d[key]` (`like` is the value) from the adjoint of the dict `d`, which is
    None or a dict with an entry for each key something flowed into."""
    g = None if adjoint is None else adjoint.get(key)
    return as_gradient(g, like)


def as_gradient(adjoint, like):
    """The gradient with the structure of `like`: tuples where it has tuples, zeros for None."""
    if isinstance(like, dict):
        adjoint = adjoint or {}
        return {k: as_gradient(adjoint.get(k), v) for k, v in like.items()}
    if isinstance(like, (list, tuple)):  # (an array adjoint too: a rule's, for a list operand)
        adjoint = [None] * len(like) if adjoint is None else adjoint
        parts = [as_gradient(a, v) for a, v in zip(adjoint, like)]
        return tuple(parts) if isinstance(like, tuple) else parts
    if adjoint is None:
        return None if isinstance(like, (str, bytes)) or like is None else zero_gradient(like)
    return adjoint


def check_finite(value, name: str, where: str, text: str, involved: dict):
    """Raise NonFiniteError if the adjoint `name` holds a nan or an infinity."""
    if value is None or isinstance(value, (list, tuple, dict)):
        return value
    finite = np.isfinite(value)
    if np.all(finite):
        return value
    bad = "nan" if np.any(np.isnan(value)) else "an infinity"
    described = "\n".join(f"      {k} = {_summary(v)}" for k, v in involved.items())
    raise NonFiniteError(
        f"{where}: {bad} in the adjoint {name}, computed for this line\n    {text}\n"
        f"  values involved:\n{described}",
        hint="look for a log, a division or a sqrt at zero or below in this line; guard it with "
        "np.where(condition, safe, other), whose untaken branch gets a zero adjoint",
    )


def _summary(value) -> str:
    if np.ndim(value) == 0:
        return repr(value)
    array = np.asarray(value)
    flags = []
    if np.any(np.isnan(array)):
        flags.append(f"{int(np.sum(np.isnan(array)))} nan")
    if np.any(np.isinf(array)):
        flags.append(f"{int(np.sum(np.isinf(array)))} inf")
    if np.any(array == 0):
        flags.append(f"{int(np.sum(array == 0))} zero")
    extra = f" ({', '.join(flags)})" if flags else ""
    return f"array of shape {array.shape}, min {np.nanmin(array):.4g}, max {np.nanmax(array):.4g}{extra}"


# ---- forward mode ---------------------------------------------------------------------------


def zero_tangent(x):
    """The tangent of a value that does not depend on the differentiated inputs: 0.0 for a
    number, zeros of its shape for an array (float, keeping a float array's dtype), the same
    structure for a list, tuple or dict, and None for anything else (a string, None)."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # NumPy's named results (EighResult)
        return tuple(zero_tangent(v) for v in x)
    if isinstance(x, (list, tuple)):
        return type(x)(zero_tangent(v) for v in x)
    if isinstance(x, dict):
        return {k: zero_tangent(v) for k, v in x.items()}
    if isinstance(x, (bool, str)) or x is None:
        return None
    if isinstance(x, (int, float, np.integer, np.floating)) and np.ndim(x) == 0:
        return 0.0
    if isinstance(x, np.ndarray):
        return np.zeros_like(x, dtype=x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, complex):
        return 0.0
    return None


def tangent_like(t, ans):
    """`t` spread to the shape of `ans` where it was broadcast against a larger operand."""
    shape = np.shape(ans)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def real_tangent(t, ans):
    """The real part of `t` where the value itself is real (complex values in between)."""
    if isinstance(ans, (tuple, list)):
        return type(t)(real_tangent(a, b) for a, b in zip(t, ans))
    return t if np.iscomplexobj(ans) else np.real(t)
