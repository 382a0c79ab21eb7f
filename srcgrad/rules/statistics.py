"""Rules for statistics: spread, weighted and NaN-ignoring reductions, median and quantiles,
cumulative functions, differences, interpolation, polynomials and 1-D convolution.

Adjoints of reductions are spread back over the reduced axes with `expand_to`; where a rule
needs more than one NumPy call, the helper that computes it lives below, next to its rule, and
generated code calls it by name.
"""

import numpy as np

from ..errors import NoRuleError
from ..runtime import (
    choose_adjoint,
    expand_to,
    mean_count,
    product_of_others,
    reduced_axes_last,
    scatter_add,
    unbroadcast,
)
from .reductions import reduced_shape
from .registry import SAME, STANDIN, adjoint, variant

# ---- spread ---------------------------------------------------------------------------------


@adjoint(np.var, shape=reduced_shape)
def var(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return expand_to(g, a, axis, keepdims) * centred * (2.0 / (mean_count(a, axis) - ddof))


# Where every element of a slice is equal, std has no derivative (0/0, as in JAX).
@adjoint(np.std, shape=reduced_shape)
def std(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return expand_to(g / ans, a, axis, keepdims) * centred / (mean_count(a, axis) - ddof)


def cov_variables(m, rowvar=True, y=None, fweights=None, aweights=None):
    """`m` as np.cov reads it: one variable per row of a 2-d array, `(x, flipped)`. np.cov's
    other inputs are refused: differentiated wrongly they would be a silent error."""
    if y is not None or fweights is not None or aweights is not None:
        raise NoRuleError(
            "srcgrad differentiates np.cov(m, rowvar=..., bias=..., ddof=...) only, not with "
            "y, fweights or aweights",
            hint="stack the variables into one array: np.cov(np.vstack([m, y]))",
        )
    x = np.atleast_2d(m)
    flipped = not rowvar and np.ndim(m) != 1
    return (np.transpose(x) if flipped else x), flipped


def cov_divisor(x, bias=False, ddof=None):
    return np.shape(x)[1] - ((0 if bias else 1) if ddof is None else ddof)


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Adjoint of `np.cov(m, ...)` for `m`: C = xc xc^T / d with xc the centred variables, so
    dxc = (G + G^T) xc / d, whose rows already sum to 0 (the mean passes nothing back)."""
    x, flipped = cov_variables(m, rowvar, y, fweights, aweights)
    centred = x - np.mean(x, axis=1, keepdims=True)
    count = np.shape(x)[0]
    square = np.reshape(g, (count, count))
    dx = (square + np.transpose(square)) @ centred / cov_divisor(x, bias, ddof)
    return np.reshape(np.transpose(dx) if flipped else dx, np.shape(m))


def cov_shape(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    x = np.atleast_2d(np.zeros(m))
    count = np.shape(x.T if not rowvar and len(m) != 1 else x)[0]
    return () if count == 1 else (count, count)


@adjoint(np.cov, shape=cov_shape, differentiable=["m"])
def cov(g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    return cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights)


# max - min: ties share as they do for max and min.
@adjoint(np.ptp, shape=reduced_shape)
def ptp(g, ans, a, axis=None, out=None, keepdims=False):
    high = np.max(a, axis=axis, keepdims=keepdims)
    low = np.min(a, axis=axis, keepdims=keepdims)
    return choose_adjoint(g, high, a, axis, keepdims) - choose_adjoint(g, low, a, axis, keepdims)


# ---- variants: what a hand-written gradient says, where the transform knows enough ----------
# `count` is the number of elements each slice averages, less `ddof`, worked out at transform
# time; with the reduced dimensions kept (or all reduced) `g` broadcasts without help.


def _spread_count(facts):
    shape, axis, ddof = facts.shape("a"), facts.constant("axis"), facts.constant("ddof")
    if shape is None or axis is facts.UNKNOWN or type(ddof) is not int:
        return None
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[ax] for ax in axes])) - ddof


def _spread_kept(facts) -> bool:
    return facts.constant("axis") is None or facts.constant("keepdims") is True


def _spread_dropped(facts) -> bool:
    axis = facts.constant("axis")
    return axis is not None and axis is not facts.UNKNOWN and facts.constant("keepdims") is False


@variant(np.var, when=_spread_kept, count=_spread_count)
def var_kept(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return g * (a - np.mean(a, axis=axis, keepdims=True)) * (2.0 / count)


@variant(np.var, when=_spread_dropped, count=_spread_count)
def var_dropped(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return np.expand_dims(g, axis) * (a - np.mean(a, axis=axis, keepdims=True)) * (2.0 / count)


@variant(np.std, when=_spread_kept, count=_spread_count)
def std_kept(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return g / ans * (a - np.mean(a, axis=axis, keepdims=True)) / count


@variant(np.std, when=_spread_dropped, count=_spread_count)
def std_dropped(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, count):
    return np.expand_dims(g / ans, axis) * (a - np.mean(a, axis=axis, keepdims=True)) / count


# ---- weighted average, median and quantiles -------------------------------------------------


def average_shape(a, weights=None, axis=None, returned=False, keepdims=False):
    """The shape of `np.average` of an array shaped `a` (None: a tuple, with `returned`)."""
    return None if returned else reduced_shape(a, axis, keepdims=keepdims)


def average_adjoints(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    """Adjoints of `np.average(a, axis, weights, returned, keepdims)` for `a` and `weights`.

    With `w` the weights spread to `a`'s shape and `s` their sum over `axis`, the average is
    sum(w a) / s: its adjoint is g w / s for `a` and g (a - average) / s for the weights (plus
    the adjoint of `s` itself when `returned` gives it to the caller).
    """
    g_sum = None
    if returned:
        g, g_sum = g[0], g[1]
        ans = ans[0]
    if weights is None:
        return expand_to(g / mean_count(a, axis), a, axis, keepdims), None
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
        if g_sum is not None:
            g_sum = np.expand_dims(g_sum, axis)
    w = weights
    if np.ndim(weights) != np.ndim(a):  # 1-D weights along `axis`
        w = np.moveaxis(np.reshape(weights, (*(1,) * (np.ndim(a) - 1), -1)), -1, axis)
    total = np.sum(w * np.ones_like(a), axis=axis, keepdims=True)
    d_a = unbroadcast(g * w / total, a)
    d_w = g * (a - ans) / total
    if g_sum is not None:
        d_w = d_w + g_sum
    d_w = unbroadcast(d_w, w)
    return d_a, np.reshape(d_w, np.shape(weights))


@adjoint(np.average, shape=average_shape, differentiable=["a", "weights"])
def average(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    parts = average_adjoints(g, ans, a, axis, weights, returned, keepdims)
    return parts[0], parts[1]


def _unweighted(facts) -> bool:
    return facts.constant("weights") is None and facts.constant("returned") is False


# Without weights an average is a mean.
@variant(np.average, when=_unweighted, differentiable=["a", "weights"])
def average_unweighted(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    return expand_to(g / mean_count(a, axis), a, axis, keepdims), None


def median_adjoint(g, a, axis=None, keepdims=False, overwrite_input=False):
    """Adjoint of `np.median(a, axis, keepdims=keepdims)`.

    Each slice's `g` goes to its middle element, or half to each of its two middle elements.
    Among equal values, the ones a stable sort puts in the middle take it (as in JAX, whose
    median differentiates through a sort).
    """
    if overwrite_input:
        raise NoRuleError(
            "srcgrad does not differentiate np.median with overwrite_input=True: NumPy reorders "
            "the input in place, so the middle elements are no longer where they were",
            hint="leave overwrite_input out",
        )
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    flat, moved, axes, ends = reduced_axes_last(a, axis)
    count = np.shape(flat)[-1]
    ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1, kind="stable")
    ranks = np.moveaxis(np.reshape(ranks, np.shape(moved)), ends, axes)
    half = 0.5 * g
    return np.where(ranks == (count - 1) // 2, half, 0.0) + np.where(ranks == count // 2, half, 0.0)


@adjoint(np.median, shape=reduced_shape)
def median(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return median_adjoint(g, a, axis, keepdims, overwrite_input)


def quantile_axes(a, q, axis=None) -> tuple:
    """The axes of `a` a quantile over `axis` reduces, counted in an array shaped like `q`'s
    shape followed by `a`'s (the shape of `quantile_shares`)."""
    ndim, lead = np.ndim(a), np.ndim(q)
    if axis is None:
        return tuple(range(lead, lead + ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(lead + ax % ndim for ax in axes)


def quantile_shares(a, q, axis=None, method="linear", overwrite_input=False):
    """How much each element of `a` moves each quantile `q` (fractions, 0 to 1) over `axis`:
    an array shaped like `q`'s shape followed by `a`'s.

    NumPy's linear method puts the quantile at the virtual place v = (n - 1) q among the n
    sorted values of a slice and interpolates between the values at floor(v) and the next
    place: they move it by (1 - frac) and frac, frac = v - floor(v). Among equal values, the
    ones a stable sort puts there are the ones moved (as for the median). Other methods, and
    `overwrite_input` (NumPy then reorders `a` itself, so its elements are no longer where the
    rule would look), are refused.
    """
    if method != "linear":
        raise NoRuleError(
            f"srcgrad differentiates quantiles and percentiles with method='linear' only, "
            f"not method={method!r}",
            hint="leave method out (NumPy's default is 'linear')",
        )
    if overwrite_input:
        raise NoRuleError(
            "srcgrad does not differentiate quantiles with overwrite_input=True: NumPy reorders "
            "the input in place, so the elements picked are no longer where they were",
            hint="leave overwrite_input out",
        )
    q = np.asarray(q)
    if isinstance(axis, list):
        axis = tuple(axis)
    flat, moved, axes, ends = reduced_axes_last(a, axis)
    count = np.shape(flat)[-1]
    ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1, kind="stable")
    place = count * q + (1 - q) - 1  # NumPy's own arithmetic, so that floor(place) agrees
    below = np.clip(np.floor(place), 0, count - 1)
    frac = np.reshape(place - below, (*np.shape(q), *(1,) * np.ndim(flat)))
    below = np.reshape(below.astype(np.intp), np.shape(frac))
    above = np.minimum(below + 1, count - 1)
    shares = np.where(ranks == below, 1.0 - frac, 0.0) + np.where(ranks == above, frac, 0.0)
    shares = np.reshape(shares, (*np.shape(q), *np.shape(moved)))
    lead = np.ndim(q)
    shares = np.moveaxis(shares, [lead + e for e in ends], [lead + ax for ax in axes])
    return shares.astype(np.result_type(flat, 1.0), copy=False)


def quantile_adjoint(g, a, q, axis=None, method="linear", overwrite_input=False, keepdims=False):
    """Adjoint of `np.quantile(a, q, axis, method=method, keepdims=keepdims)` for `a`: each
    quantile's `g` goes to the two elements it interpolates between (`quantile_shares`)."""
    shares = quantile_shares(a, q, axis, method, overwrite_input)
    if not keepdims:
        g = np.expand_dims(g, quantile_axes(a, q, axis))
    return np.sum(g * shares, axis=tuple(range(np.ndim(q))))


def quantile_shape(a, q=0.5, axis=None, keepdims=False, **_):
    """The shape of a quantile of an array shaped `a`: `q`'s shape, then the reduced shape."""
    return (*np.shape(q), *reduced_shape(a, axis, keepdims=keepdims))


# `q` is a constant: only `a` is differentiated
@adjoint(np.quantile, shape=quantile_shape, differentiable=["a"])
def quantile(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    return quantile_adjoint(g, a, q, axis, method, overwrite_input, keepdims)


# a percentile is the quantile at q / 100 (NumPy divides so too)
@adjoint(np.percentile, shape=quantile_shape, differentiable=["a"])
def percentile(
    g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False
):
    return quantile_adjoint(g, a, np.true_divide(q, 100), axis, method, overwrite_input, keepdims)


# ---- reductions that skip NaN ---------------------------------------------------------------


def present_count(a, axis=None):
    """How many elements of each slice along `axis` are not NaN (dims kept, `a`'s float type)."""
    return np.sum(~np.isnan(a), axis=axis, keepdims=True, dtype=np.result_type(a, 1.0))


@adjoint(np.nansum, shape=reduced_shape)
def nansum(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, expand_to(g, a, axis, keepdims))


@adjoint(np.nanmean, shape=reduced_shape)
def nanmean(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, expand_to(g, a, axis, keepdims) / present_count(a, axis))


@adjoint(np.nanprod, shape=reduced_shape)
def nanprod(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    others = product_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.where(np.isnan(a), 0.0, expand_to(g, a, axis, keepdims) * others)


# NaN equals nothing, so the max/min adjoint already skips it.
@adjoint(np.nanmax, shape=reduced_shape)
def nanmax(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


@adjoint(np.nanmin, shape=reduced_shape)
def nanmin(g, ans, a, axis=None, out=None, keepdims=False):
    return choose_adjoint(g, ans, a, axis, keepdims)


# ---- cumulative -----------------------------------------------------------------------------


def cumulative_shape(a, axis=None, dtype=None, out=None):
    """The shape of a cumulative sum or product of an array shaped `a`."""
    return (int(np.prod(a)),) if axis is None else tuple(a)


# The adjoint of a running sum is the running sum of g taken from the other end. Without an
# axis the input was flattened, so the adjoint is reshaped back.
@adjoint(np.cumsum, shape=cumulative_shape)
def cumsum(g, ans, a, axis=None, dtype=None, out=None):
    return np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), np.shape(a))


def _along_an_axis(facts) -> bool:
    return isinstance(facts.constant("axis"), int)


@variant(np.cumsum, when=_along_an_axis)
def cumsum_along(g, ans, a, axis=None, dtype=None, out=None):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _flattened(facts) -> bool:
    return facts.constant("axis") is None


@variant(np.cumsum, when=_flattened)
def cumsum_flattened(g, ans, a, axis=None, dtype=None, out=None):
    return np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(a))


@adjoint(np.nancumsum, shape=cumulative_shape)
def nancumsum(g, ans, a, axis=None, dtype=None, out=None):
    running = np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), np.shape(a))
    return np.where(np.isnan(a), 0.0, running)


def cumprod_adjoint(g, ans, a, axis=None):
    """Adjoint of `np.cumprod(a, axis)`, exact where `a` holds zeros.

    Along the axis ans[j] = a[0] ... a[j], so the adjoint of a[i] is before[i] * h[i], with
    before[i] = a[0] ... a[i - 1] and h[i] = g[i] + a[i + 1] h[i + 1] summed from the end.
    Without zeros that is the running sum of g * ans from the end, divided by a[i].
    """
    if axis is None:
        return np.reshape(cumprod_adjoint(g, ans, np.ravel(a), 0), np.shape(a))
    if np.all(a != 0):
        return np.flip(np.cumsum(np.flip(g * ans, axis), axis), axis) / a
    x = np.moveaxis(a, axis, -1)
    h = np.copy(np.moveaxis(g, axis, -1))
    for i in range(np.shape(x)[-1] - 2, -1, -1):
        h[..., i] = h[..., i] + x[..., i + 1] * h[..., i + 1]
    before = np.cumprod(np.concatenate([np.ones_like(x[..., :1]), x[..., :-1]], axis=-1), -1)
    return np.moveaxis(before * h, -1, axis)


@adjoint(np.cumprod, shape=cumulative_shape)
def cumprod(g, ans, a, axis=None, dtype=None, out=None):
    return cumprod_adjoint(g, ans, a, axis)


# ---- differences ----------------------------------------------------------------------------


def diff_adjoints(g, a, n=1, axis=-1, prepend=None, append=None):
    """Adjoints of `np.diff(a, n, axis, prepend, append)` for `a`, `prepend` and `append`.

    For one difference y[i] = x[i + 1] - x[i], x[i] gets g[i - 1] - g[i], with g zero beyond
    its ends; n differences apply that n times. The adjoint of the joined input is then
    cut back into prepend, a and append (a scalar prepend or append gathers its whole slab).
    """
    for _ in range(n):
        zero = np.zeros_like(g, shape=())  # a float 0.0 would promote float32 to float64
        g = -np.diff(g, axis=axis, prepend=zero, append=zero)
    if prepend is None and append is None:
        return g, None, None
    axis = axis % np.ndim(a)
    start = 0 if prepend is None else (np.shape(prepend)[axis] if np.ndim(prepend) else 1)
    stop = start + np.shape(a)[axis]
    d_prepend, d_a, d_append = np.split(g, [start, stop], axis=axis)
    if prepend is not None and np.ndim(prepend) == 0:
        d_prepend = np.sum(d_prepend)
    if append is not None and np.ndim(append) == 0:
        d_append = np.sum(d_append)
    return d_a, d_prepend, d_append


@adjoint(np.diff, shape=STANDIN, differentiable=["a", "prepend", "append"])
def diff(g, ans, a, n=1, axis=-1, prepend=None, append=None):
    parts = diff_adjoints(g, a, n, axis, prepend, append)
    return parts[0], parts[1], parts[2]


def _one_difference(facts) -> bool:
    return (
        facts.constant("n") == 1
        and facts.constant("prepend") is None
        and facts.constant("append") is None
    )


# y[i] = a[i + 1] - a[i]: each a[i] gets g[i - 1] - g[i], with g zero beyond its ends.
@variant(np.diff, when=_one_difference, differentiable=["a", "prepend", "append"])
def diff_once(g, ans, a, n=1, axis=-1, prepend=None, append=None):
    zero = np.zeros_like(g, shape=())
    return -np.diff(g, axis=axis, prepend=zero, append=zero), None, None


def ediff1d_adjoints(g, ary, to_end=None, to_begin=None):
    """Adjoints of `np.ediff1d(ary, to_end, to_begin)` for `ary`, `to_end` and `to_begin`:
    the result is to_begin, the differences of the flattened ary, then to_end."""
    start = 0 if to_begin is None else np.size(to_begin)
    stop = np.shape(g)[0] - (0 if to_end is None else np.size(to_end))
    zero = np.zeros_like(g, shape=())
    d_ary = np.reshape(-np.diff(g[start:stop], prepend=zero, append=zero), np.shape(ary))
    d_end = None if to_end is None else np.reshape(g[stop:], np.shape(to_end))
    d_begin = None if to_begin is None else np.reshape(g[:start], np.shape(to_begin))
    return d_ary, d_end, d_begin


@adjoint(np.ediff1d, shape=STANDIN, differentiable=["ary", "to_end", "to_begin"])
def ediff1d(g, ans, ary, to_end=None, to_begin=None):
    parts = ediff1d_adjoints(g, ary, to_end, to_begin)
    return parts[0], parts[1], parts[2]


def _gradient_transposed(g, spacing, axis, edge_order):
    """The adjoint of `np.gradient(f, spacing, axis=axis, edge_order=edge_order)` for `f`.

    That gradient is linear in f: out[i] weighs the three consecutive f[j] of a window (j = i - 1,
    i, i + 1 inside, the first or last three at the ends), whose numbers j differ mod 3. So
    np.gradient of the comb that is 1 where j % 3 == k gives, at i, the weight of the f[j] of i's
    window with j % 3 == k, for every spacing NumPy takes; each g[i] is then added back to the
    window's f[j] with that weight.
    """
    moved = np.moveaxis(g, axis, 0)
    n = np.shape(moved)[0]
    position = np.cumsum(np.ones_like(moved, dtype=np.intp, shape=n)) - 1
    combs = np.stack([1.0 * (position % 3 == k) for k in range(3)])
    weights = np.gradient(combs, spacing, axis=1, edge_order=edge_order)
    start = np.clip(position - 1, 0, max(n - 3, 0))
    spread = (n, *(1,) * (np.ndim(moved) - 1))
    out = np.zeros_like(moved, dtype=np.result_type(moved, 1.0))
    for step in range(min(n, 3)):
        j = start + step
        scatter_add(out, j, moved * np.reshape(weights[j % 3, position], spread))
    return np.moveaxis(out, 0, axis)


def gradient_adjoints(g, ans, f, spacing, axis=None, edge_order=1):
    """Adjoints of `np.gradient(f, *spacing, axis=axis, edge_order=edge_order)` for `f` and
    for each spacing: `g` (and `ans`) hold one array per differentiated axis, or are one array
    when there is one axis. A number h as spacing divides that axis's result, so its adjoint is
    -sum(g ans) / h over the axes it spaces; coordinates along an axis have no rule."""
    ndim = np.ndim(f)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(axes) == 1:
        g, ans = (g,), (ans,)
    spacing = [h for h in spacing if h is not None]
    shared = len(spacing) == 1 and np.ndim(spacing[0]) == 0
    steps = spacing * len(axes) if shared else spacing or [1.0] * len(axes)
    d_f = np.zeros_like(f, dtype=np.result_type(f, 1.0))
    d_steps = []
    for part, value, h, ax in zip(g, ans, steps, axes):
        d_f = d_f + _gradient_transposed(part, h, ax, edge_order)
        if spacing:
            d_steps.append(-np.sum(part * value) / h if np.ndim(h) == 0 else None)
    if shared:
        d_steps = [sum(d_steps)]
    return d_f, d_steps


def spacing_adjoint(d_steps, k):
    """The adjoint of np.gradient's k-th spacing argument, from `gradient_adjoints`."""
    if d_steps[k] is None:
        raise NotImplementedError(
            "srcgrad differentiates np.gradient's spacing when it is a number, not coordinates"
        )
    return d_steps[k]


def gradient_shape(f, *spacing, axis=None, edge_order=1):
    """The shape of `np.gradient(x, ...)` for `x` shaped `f`: `f`, when there is one axis."""
    one_axis = len(f) == 1 if axis is None else isinstance(axis, int) or len(axis) == 1
    return tuple(f) if one_axis else None


# NumPy's gradient takes its spacings as `*varargs`: the rule names four slots (h0 ... h3).
@adjoint(np.gradient, shape=gradient_shape, differentiable=["f", "h0", "h1", "h2", "h3"])
def gradient(g, ans, f, h0=None, h1=None, h2=None, h3=None, axis=None, edge_order=1):
    parts = gradient_adjoints(g, ans, f, (h0, h1, h2, h3), axis, edge_order)
    return (
        parts[0],
        spacing_adjoint(parts[1], 0),
        spacing_adjoint(parts[1], 1),
        spacing_adjoint(parts[1], 2),
        spacing_adjoint(parts[1], 3),
    )


# ---- interpolation --------------------------------------------------------------------------


def interp_adjoints(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoints of `np.interp(x, xp, fp, left, right, period)` for `x`, `fp`, `left`, `right`.

    A point between xp[k] and xp[k + 1] is (1 - t) fp[k] + t fp[k + 1]: it sends (1 - t) g to
    fp[k], t g to fp[k + 1], and the slope times g to x. At a knot the slope is the one on its
    right (as in JAX). Points left of xp[0] take `left` (fp[0] when None), right of xp[-1]
    `right` (fp[-1]); a period wraps x and xp first, so fp gathers from both ends.
    """
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)  # (lists index by arrays too)
    if period is not None:
        order = np.argsort(xp % period)
        wrapped = (xp % period)[order]
        knots = np.concatenate([wrapped[-1:] - period, wrapped, wrapped[:1] + period])
        index = np.concatenate([order[-1:], order, order[:1]])
        parts = interp_adjoints(g, x % period, knots, fp[index])
        d_fp = np.zeros_like(fp, dtype=np.result_type(fp, g, 1.0))
        return parts[0], scatter_add(d_fp, index, parts[1]), None, None
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    width = xp[k + 1] - xp[k]
    t = (x - xp[k]) / width
    below = x < xp[0]
    above = x > xp[-1]
    inside = ~(below | above)
    d_x = np.where(inside, g * (fp[k + 1] - fp[k]) / width, 0.0)
    d_fp = np.zeros_like(fp, dtype=np.result_type(fp, g, 1.0))
    scatter_add(d_fp, k, np.where(inside, g * (1.0 - t), 0.0))
    scatter_add(d_fp, k + 1, np.where(inside, g * t, 0.0))
    d_left = np.sum(np.where(below, g, 0.0))
    d_right = np.sum(np.where(above, g, 0.0))
    if left is None:
        scatter_add(d_fp, 0, d_left)
    if right is None:
        scatter_add(d_fp, -1, d_right)
    return d_x, d_fp, d_left, d_right


# The knots xp get no gradient.
@adjoint(np.interp, shape=SAME, differentiable=["x", "fp", "left", "right"])
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    parts = interp_adjoints(g, x, xp, fp, left, right, period)
    return parts[0], parts[1], parts[2], parts[3]


# ---- polynomials ----------------------------------------------------------------------------
# np.polyval(p, x) = p[0] x^(N-1) + ... + p[N-1]: a coefficient moves it by its power of x (summed
# where it was broadcast against x), and x by the derivative polynomial at x. Coefficients may
# be arrays of their own (p shaped (N, ...)), as NumPy allows.


def polynomial_derivative_factors(p):
    """N - 1, ..., 1 for the N coefficients of `p` (highest power first), shaped to multiply
    `p[:-1]` into the coefficients of the derivative."""
    p = np.asarray(p)
    factors = np.arange(np.shape(p)[0] - 1, 0, -1, dtype=np.result_type(p, 1.0))
    return np.reshape(factors, (-1, *(1,) * (np.ndim(p) - 1)))


def polyval_coefficients_adjoint(g, p, x):
    """Adjoint of `np.polyval(p, x)` for the coefficients `p`: g x^(N-1-k) for p[k]."""
    p = np.asarray(p)
    count = np.shape(p)[0]
    parts = [unbroadcast(g * x ** (count - 1 - k), p[k]) for k in range(count)]
    return np.stack(parts) if parts else np.zeros_like(p, dtype=np.result_type(p, 1.0))


def polyval_shape(p, x):
    """The shape of `np.polyval(p, x)`: x's, broadcast against a coefficient's."""
    return tuple(np.broadcast_shapes(tuple(p)[1:], tuple(x)))


@adjoint(np.polyval, shape=polyval_shape)
def polyval(g, ans, p, x):
    slope = np.polyval(np.asarray(p)[:-1] * polynomial_derivative_factors(p), x)
    return polyval_coefficients_adjoint(g, p, x), unbroadcast(g * slope, x)


# ---- 1-D convolution and correlation --------------------------------------------------------


def _full_convolution_adjoints(g, a, u, offset):
    """Adjoints for `a` and `u` of np.convolve(a, u, 'full')[offset:offset + len(g)]: with
    `g` padded to full length G, a[i] gets sum_j G[i + j] u[j] and u[j] sum_i G[i + j] a[i]."""
    full = np.size(a) + np.size(u) - 1
    g = np.pad(g, (offset, full - np.shape(g)[0] - offset))
    return np.correlate(g, u, "valid"), np.correlate(g, a, "valid")


def convolve_adjoints(g, a, v, mode="full"):
    """Adjoints of `np.convolve(a, v, mode)` for `a` and `v` (real values): `g` is placed where
    its part sits in the full convolution, then correlated with the other input."""
    shorter = min(np.size(a), np.size(v))
    offset = {"f": 0, "s": (shorter - 1) // 2, "v": shorter - 1}[mode[0].lower()]
    return _full_convolution_adjoints(g, a, v, offset)


def correlate_adjoints(g, a, v, mode="valid"):
    """Adjoints of `np.correlate(a, v, mode)` for `a` and `v` (real values): a correlation is
    a convolution with `v` reversed, whose 'same' part sits one place later when v is longer."""
    n, m = np.size(a), np.size(v)
    same = (m - 1) // 2 if n >= m else n - 1 - (n - 1) // 2
    offset = {"f": 0, "s": same, "v": min(n, m) - 1}[mode[0].lower()]
    d_a, d_flipped = _full_convolution_adjoints(g, a, np.flip(v), offset)
    return d_a, np.flip(d_flipped)


@adjoint(np.convolve, shape=STANDIN, differentiable=["a", "v"])
def convolve(g, ans, a, v, mode="full"):
    parts = convolve_adjoints(g, a, v, mode)
    return parts[0], parts[1]


@adjoint(np.correlate, shape=STANDIN, differentiable=["a", "v"])
def correlate(g, ans, a, v, mode="valid"):
    parts = correlate_adjoints(g, a, v, mode)
    return parts[0], parts[1]
