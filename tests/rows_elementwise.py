"""Rule-table rows for the elementwise, special-function and statistics rules (see rule_table.py
for the row format). The SciPy rows are here only when SciPy imports, as are their rules."""

from dataclasses import dataclass

import numpy as np
from rule_table import Const, Fixed, above_one, nonzero, normal, positive, row, unit


@dataclass(frozen=True)
class Between:
    """Uniform random input inside (low, high); `shape == ()` means a Python float."""

    low: float
    high: float
    shape: tuple[int, ...] = ()

    def __call__(self, rng: np.random.Generator):
        value = rng.uniform(self.low, self.high, self.shape or None)
        return float(value) if not self.shape else value

    @property
    def label(self) -> str:
        size = "x".join(map(str, self.shape)) if self.shape else "float"
        return f"{size} in ({self.low}, {self.high})"


def probability(*shape):
    return Between(0.1, 0.9, shape)


# ---- angles, sinc, signs --------------------------------------------------------------------

for name, domain in [
    ("deg2rad", normal),
    ("radians", normal),
    ("rad2deg", normal),
    ("degrees", normal),
    ("sinc", nonzero),
    ("fabs", nonzero),
    ("conjugate", normal),
    ("real", normal),
    ("imag", normal),
]:
    fn = getattr(np, name)
    row(fn, f"np.{name}(x)", x=domain(3, 4))
    row(fn, f"np.{name}(x)", x=domain())
row(np.conj, "x.conj()", x=normal(2, 3))
row(np.real, "x.real", x=normal(2, 3))
row(np.imag, "x.imag + x", x=normal(2, 3))
row(np.real, "np.fft.fft(x).real", x=normal(5))
row(np.imag, "np.fft.fft(x).imag", x=normal(5))
row(np.real_if_close, "np.real_if_close(x)", x=normal(3, 4))
row(np.real_if_close, "np.real_if_close(np.fft.ifft(np.fft.fft(x)))", x=normal(5))  # dropped
row(np.real_if_close, "np.real(np.real_if_close(np.fft.fft(x)))", x=normal(5))  # kept complex
# The angle of a complex value, and of a real one: 0 or pi. (Complex values come from np.fft
# here: the reverse sweep takes the real part of a real input's gradient only where np.fft is
# called, so `np.angle(x + 1j * y)` gets a complex gradient for x.)
row(np.angle, "np.angle(np.fft.fft(x))", x=normal(5))
row(np.angle, "np.angle(np.fft.fft(x, axis=1)[:, 1:], deg=True)", x=normal(3, 5))
row(np.angle, "np.angle(x) * x", x=nonzero(3, 4))
row(np.sinc, "np.sinc(x)", x=Fixed([0.0, 0.5, -1.0, 2.5], "with-0"))
row(np.fabs, "np.fabs(x)", x=Fixed([-1.5, 0.5, -0.2], "signs"))

row(np.copysign, "np.copysign(x, y)", x=nonzero(3, 4), y=nonzero(3, 4))
row(np.copysign, "np.copysign(x, y)", x=nonzero(3, 1), const={"y": Const([[-1.0, 2.0, -0.0, 0.0]])})
row(np.copysign, "np.copysign(x, -1.0)", x=nonzero(4))
row(np.ldexp, "np.ldexp(x, i)", x=normal(3, 4), const={"i": Const([1, -2, 0, 3])})
row(np.ldexp, "np.ldexp(x, 3)", x=normal())
row(np.hypot, "np.hypot(x, y)", x=normal(3, 4), y=normal(3, 4))
row(np.hypot, "np.hypot(x, y)", x=normal(3, 1), y=nonzero(4))
row(np.hypot, "np.hypot(x, y)", x=normal(), y=nonzero())
row(np.hypot, "np.hypot(x, 2.0)", x=normal(5))
row(np.heaviside, "np.heaviside(x, 0.5) * x", x=nonzero(3, 4))
row(np.heaviside, "np.heaviside(c, h)", h=normal(4), const={"c": Const([-1.0, 0.0, 2.0, 0.0])})
row(np.heaviside, "np.heaviside(c, h)", h=normal(), const={"c": Const([[0.0, 1.0], [0.0, -3.0]])})

# ---- powers, log-sum-exp of two, remainders -------------------------------------------------

for sx, sy in [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (4,)), ((), ())]:
    row(np.float_power, "np.float_power(x, y)", x=positive(*sx), y=normal(*sy))
    row(np.logaddexp, "np.logaddexp(x, y)", x=normal(*sx), y=normal(*sy))
    row(np.logaddexp2, "np.logaddexp2(x, y)", x=normal(*sx), y=normal(*sy))
row(np.float_power, "np.float_power(x, 3)", x=normal(4))
row(np.logaddexp, "np.logaddexp(x, 0.0)", x=normal(3, 4))

# fmod truncates x / y: the points are placed away from its jumps, on both signs.
_FMOD_Y = np.array([[1.3, -1.7, 0.9, -1.1], [2.1, 1.5, -0.8, 1.2], [-1.4, 1.6, 1.9, -0.7]])
_FMOD_X = _FMOD_Y * np.array(
    [[2.3, -1.6, 0.4, -0.3], [1.7, -2.2, 3.5, 0.6], [-0.8, 2.4, -1.3, 4.2]]
)
row(np.fmod, "np.fmod(x, y)", x=Fixed(_FMOD_X, "3x4"), y=Fixed(_FMOD_Y, "3x4"))
row(np.fmod, "np.fmod(x, 1.5)", x=Fixed(_FMOD_X, "3x4"))
row(np.fmod, "np.fmod(x, y)", x=Fixed(5.3), y=Fixed(-1.7))

# Functions returning a pair: only the part that moves with x carries a gradient.
row(np.modf, "np.modf(x)[0]", x=normal(3, 4))
row(np.modf, "np.modf(x)[0] * np.modf(x)[1]", x=normal(3, 4))
row(np.divmod, "np.divmod(x, y)[1]", x=Fixed(_FMOD_X, "3x4"), y=Fixed(_FMOD_Y, "3x4"))
row(np.divmod, "np.divmod(x, y)[1] * x", x=Fixed(_FMOD_X, "3x4"), y=Fixed(_FMOD_Y[0], "4"))
row(np.frexp, "np.frexp(x)[0]", x=nonzero(3, 4))
row(np.frexp, "np.frexp(x)[0] * x", x=nonzero())

# ---- nan_to_num: finite values pass, replaced ones gather into the replacements -------------

_NANS = [[1.0, np.nan, -2.0], [np.inf, 0.5, -np.inf]]
row(np.nan_to_num, "np.nan_to_num(x)", x=normal(3, 4))
row(np.nan_to_num, "np.nan_to_num(x)", x=Fixed([[1.0, np.nan], [np.nan, -0.5]], "nan"))
row(
    np.nan_to_num,
    "np.nan_to_num(x, nan=a, posinf=b, neginf=c)",
    x=Fixed(_NANS, "nan-inf"),
    a=normal(),
    b=normal(),
    c=normal(),
)

# ---- spread -----------------------------------------------------------------------------------

SPREAD = [
    ("", (3, 4)),
    ("", (5,)),
    (", axis=0", (3, 4)),
    (", axis=1, keepdims=True", (3, 4)),
    (", keepdims=True", (3, 4)),
    (", axis=-1", (2, 3, 4)),
    (", axis=(0, 2)", (2, 3, 4)),
    (", ddof=1", (3, 4)),
    (", axis=0, ddof=1", (3, 4)),
    (", axis=(0, 1), ddof=2, keepdims=True", (2, 3, 4)),
]
for args, shape in SPREAD:
    row(np.var, f"np.var(x{args})", x=normal(*shape))
    row(np.std, f"np.std(x{args})", x=normal(*shape))
row(np.var, "x.var(axis=1)", x=normal(3, 4))
row(np.std, "x.std(0, ddof=1)", x=normal(3, 4))
row(np.std, "np.std(x) * y", x=normal(4), y=normal())
# Shapes or axes unknown at transform time: the general rules.
row(np.var, "np.var(x[x > 0])", x=Fixed([0.5, -1.0, 1.5, 2.0, -0.3, 0.7], "6"))
row(np.std, "np.std(x[x > 0], ddof=1)", x=Fixed([0.5, -1.0, 1.5, 2.0, -0.3, 0.7], "6"))
row(np.var, "np.var(x, axis=int(k))", x=normal(3, 4), const={"k": Const(1)})
row(np.std, "np.std(x, axis=int(k), keepdims=True)", x=normal(3, 4), const={"k": Const(0)})

# ptp = max - min (ties split as for max and min).
for args, shape in SPREAD[:7]:
    row(np.ptp, f"np.ptp(x{args})", x=normal(*shape))
row(np.ptp, "np.ptp(x, axis=1)", x=Fixed([[1.0, 3.0, 3.0, 0.0], [2.0, -1.0, 2.0, -1.0]], "ties"))

# ---- weighted average ---------------------------------------------------------------------------

for args, shape in [("", (3, 4)), (", axis=0", (3, 4)), (", axis=(0, 2)", (2, 3, 4))]:
    row(np.average, f"np.average(x{args})", x=normal(*shape))
row(np.average, "np.average(x, axis=1, keepdims=True)", x=normal(3, 4))
row(np.average, "np.average(x, weights=w)", x=normal(3, 4), w=positive(3, 4))
row(np.average, "np.average(x, axis=1, weights=w)", x=normal(3, 4), w=positive(3, 4))
row(np.average, "np.average(x, 0, w)", x=normal(3, 4), w=positive(3))
row(np.average, "np.average(x, axis=2, weights=w)", x=normal(2, 3, 4), w=positive(4))
row(
    np.average, "np.average(x, axis=-2, weights=w, keepdims=True)", x=normal(2, 3, 4), w=positive(3)
)
row(
    np.average,
    "np.average(x, weights=w)",
    x=normal(5),
    const={"w": Const([1.0, 2.0, 0.5, 0.0, 1.5])},
)
row(
    np.average,
    "np.average(x, axis=0, weights=w, returned=True)[0]",
    x=normal(3, 4),
    w=positive(3, 4),
)
row(
    np.average,
    "np.average(x, axis=1, weights=w, returned=True)[1]",
    x=normal(3, 4),
    w=positive(4),
)

# ---- median: the middle element, or half to each of the two middle ones ---------------------

for args, shape in [
    ("", (3, 5)),
    ("", (4, 4)),
    (", axis=0", (3, 4)),
    (", axis=1", (3, 4)),
    (", axis=-1, keepdims=True", (2, 3, 5)),
    (", axis=(0, 2)", (2, 3, 4)),
    (", keepdims=True", (3, 4)),
]:
    row(np.median, f"np.median(x{args})", x=normal(*shape))
# Equal values: at the middle pair each takes half; elsewhere they do not matter. (Where more
# values equal the median than it averages, the ones a stable sort puts in the middle take the
# adjoint, as in JAX; a central difference cannot check that choice.)
row(
    np.median, "np.median(x, axis=1)", x=Fixed([[1.0, 2.0, 2.0, 5.0], [3.0, 4.0, 0.5, 3.0]], "ties")
)
row(np.median, "np.median(x)", x=Fixed([1.0, 1.0, 3.0, 5.0, 5.0], "ties-off-middle"))

# ---- quantiles: (1 - frac) and frac to the two order statistics interpolated ---------------
# (random values are distinct; a place (n - 1) q that is a whole number picks one element)

for args, shape in [
    (", 30.0", (6,)),
    (", 62.5", (3, 5)),
    (", [10, 50, 90]", (7,)),
    (", 40, axis=0", (5, 3)),
    (", [25, 75], axis=1", (3, 6)),
    (", 80, axis=-1, keepdims=True", (2, 3, 5)),
    (", [5, 95], axis=(0, 2)", (2, 3, 4)),
    (", [20, 60], keepdims=True", (3, 4)),
    (", 0", (5,)),
    (", 100", (5,)),
    (", 75", (5,)),  # the place is 3.0: one element takes it all
]:
    row(np.percentile, f"np.percentile(x{args})", x=normal(*shape))
for args, shape in [
    (", 0.3", (6,)),
    (", [0.1, 0.5, 1.0]", (4, 3)),
    (", 0.35, axis=1", (4, 6)),
    (", [0.2, 0.9], axis=0, keepdims=True", (5, 2)),
    (", q=0.5, axis=(0, 1)", (3, 2, 4)),
]:
    row(np.quantile, f"np.quantile(x{args})", x=normal(*shape))
row(np.quantile, "np.quantile(x, q)", x=normal(3, 4), const={"q": Const([0.15, 0.85])})
row(np.quantile, "np.quantile([x, y * 2.0, z, 0.5], 0.6)", x=normal(), y=normal(), z=normal())
row(np.percentile, "np.percentile(x, 90.0) * x[0]", x=Fixed([0.4, -1.3, 2.1, 0.9], "distinct"))

# ---- NaN-skipping reductions ----------------------------------------------------------------

_WITH_NAN = [[1.0, np.nan, -0.5, 2.0], [0.3, -1.2, np.nan, np.nan], [1.5, 0.7, -0.9, 1.1]]
for args in ["", ", axis=0", ", axis=1, keepdims=True"]:
    row(np.nansum, f"np.nansum(x{args})", x=Fixed(_WITH_NAN, "with-nan"))
    row(np.nanmean, f"np.nanmean(x{args})", x=Fixed(_WITH_NAN, "with-nan"))
    row(np.nanprod, f"np.nanprod(x{args})", x=Fixed(_WITH_NAN, "with-nan"))
    row(np.nanmax, f"np.nanmax(x{args})", x=Fixed(_WITH_NAN, "with-nan"))
    row(np.nanmin, f"np.nanmin(x{args})", x=Fixed(_WITH_NAN, "with-nan"))
for fn in [np.nansum, np.nanmean, np.nanprod, np.nanmax, np.nanmin]:
    row(fn, f"np.{fn.__name__}(x, axis=-1)", x=nonzero(2, 3, 4))

# ---- cumulative -------------------------------------------------------------------------------

for args, shape in [
    ("", (3, 4)),
    ("", (5,)),
    (", axis=0", (3, 4)),
    (", axis=1", (3, 4)),
    (", axis=-2", (2, 3, 4)),
]:
    row(np.cumsum, f"np.cumsum(x{args})", x=normal(*shape))
    row(np.cumprod, f"np.cumprod(x{args})", x=nonzero(*shape))
row(np.cumsum, "x.cumsum(1)", x=normal(3, 4))
row(np.cumsum, "np.cumsum(x)", x=normal())
row(np.cumsum, "np.cumsum(x, axis=k)", x=normal(3, 4), const={"k": Const(1)})
row(np.cumprod, "np.cumprod(x, axis=k)", x=nonzero(3, 4), const={"k": Const(0)})
row(np.cumprod, "x.cumprod(axis=0)", x=nonzero(3, 4))
# Zeros: no division, the adjoint of a zero is the product of what comes before and after.
_CUM_ZEROS = [[0.0, 1.5, -0.7, 1.2], [0.9, 0.0, 0.0, 1.1], [1.3, -0.8, 0.6, 0.0]]
row(np.cumprod, "np.cumprod(x, axis=1)", x=Fixed(_CUM_ZEROS, "zeros"))
row(np.cumprod, "np.cumprod(x, axis=0)", x=Fixed(_CUM_ZEROS, "zeros"))
row(np.cumprod, "np.cumprod(x)", x=Fixed(_CUM_ZEROS, "zeros"))
row(np.nancumsum, "np.nancumsum(x, axis=1)", x=Fixed(_WITH_NAN, "with-nan"))
row(np.nancumsum, "np.nancumsum(x)", x=Fixed(_WITH_NAN, "with-nan"))

# ---- differences --------------------------------------------------------------------------------

for args, shape in [
    ("", (6,)),
    ("", (3, 5)),
    (", axis=0", (4, 3)),
    (", n=2", (6,)),
    (", 3, 0", (6, 2)),
    (", n=2, axis=1", (2, 5, 3)),
]:
    row(np.diff, f"np.diff(x{args})", x=normal(*shape))
row(np.diff, "np.diff(x, prepend=0.0)", x=normal(3, 4))
row(np.diff, "np.diff(x, axis=0, append=y)", x=normal(3, 4), y=normal(2, 4))
row(np.diff, "np.diff(x, n=2, prepend=y, append=z)", x=normal(5), y=normal(), z=normal(2))
row(np.diff, "np.diff(x, axis=0, prepend=y)", x=normal(3, 4), y=normal())
row(np.ediff1d, "np.ediff1d(x)", x=normal(6))
row(np.ediff1d, "np.ediff1d(x)", x=normal(3, 4))
row(np.ediff1d, "np.ediff1d(x, to_end=y, to_begin=z)", x=normal(2, 3), y=normal(2), z=normal())
row(np.ediff1d, "np.ediff1d(x, y)", x=normal(5), y=normal(2, 2))

# ---- np.gradient: central differences inside, one-sided ones at the ends --------------------

for args, shape in [
    ("", (6,)),
    ("", (2,)),
    (", edge_order=2", (5,)),
    (", axis=0", (4, 3)),
    (", axis=-1, edge_order=2", (2, 3, 4)),
    (", 0.5", (6,)),
    (", 0.5, axis=1", (3, 5)),
]:
    row(np.gradient, f"np.gradient(x{args})", x=normal(*shape))
row(np.gradient, "np.gradient(x, c)", x=normal(5), const={"c": Const([0.0, 0.3, 1.1, 1.5, 2.6])})
row(
    np.gradient,
    "np.gradient(x, c, edge_order=2)",
    x=normal(5),
    const={"c": Const([-1.0, -0.2, 0.1, 1.3, 1.5])},
)
row(np.gradient, "np.gradient(x, h)", x=normal(6), h=positive())
row(np.gradient, "np.gradient(x, h, axis=0, edge_order=2)", x=normal(4, 3), h=positive())

# ---- interpolation: with respect to the query points, the values and the fill values ----------

_XP = Const([-1.0, -0.2, 0.5, 1.1, 2.0])
_QUERY = [[-1.5, -0.7, 0.1, 0.9], [1.4, 2.5, 0.3, -0.4]]  # inside and outside, off the knots
row(np.interp, "np.interp(x, xp, fp)", x=Fixed(_QUERY, "2x4"), fp=normal(5), const={"xp": _XP})
row(np.interp, "np.interp(x, xp, fp)", x=Fixed(0.35, "float"), fp=normal(5), const={"xp": _XP})
row(
    np.interp,
    "np.interp(x, xp, fp, left=a, right=b)",
    x=Fixed(_QUERY, "2x4"),
    fp=normal(5),
    a=normal(),
    b=normal(),
    const={"xp": _XP},
)
row(
    np.interp,
    "np.interp(x, xp, fp, period=3.0)",
    x=Fixed([-2.2, -0.65, 0.7, 1.6, 3.4, 5.2], "wraps"),
    fp=normal(4),
    const={"xp": Const([2.5, 0.2, 1.0, -0.4])},
)
row(np.interp, "np.interp(x, xp, fp)", fp=normal(5), const={"x": Const(_QUERY), "xp": _XP})

# ---- polynomials: with respect to the coefficients and to x ---------------------------------

row(np.polyval, "np.polyval(p, x)", p=normal(4), x=normal(5))
row(np.polyval, "np.polyval(p, x)", p=normal(3), x=normal(2, 3))
row(np.polyval, "np.polyval(p, x)", p=normal(3), x=normal())
row(np.polyval, "np.polyval(p, x)", p=normal(1), x=normal(3))
row(np.polyval, "np.polyval([a, b, 0.5], x)", a=normal(), b=normal(), x=normal(4))
row(np.polyval, "np.polyval(p, x)", x=normal(4), const={"p": Const([0.5, -1.0, 2.0, 0.25])})
row(np.polyval, "np.polyval(p, 0.7)", p=normal(3))
row(np.polyval, "np.polyval(p, x)", p=normal(3, 2), x=normal(4, 1))  # coefficients of a shape

# ---- 1-D convolution and correlation -----------------------------------------------------------

for mode in ["full", "same", "valid"]:
    for n, m in [(6, 3), (3, 6), (4, 4), (5, 2), (2, 5)]:
        row(np.convolve, f"np.convolve(a, v, '{mode}')", a=normal(n), v=normal(m))
        row(np.correlate, f"np.correlate(a, v, mode='{mode}')", a=normal(n), v=normal(m))
row(np.convolve, "np.convolve(a, v)", a=normal(5), v=normal(3))
row(np.correlate, "np.correlate(a, v)", a=normal(5), v=normal(3))
row(np.convolve, "np.convolve(a, v)", a=normal(4), const={"v": Const([0.25, 0.5, 0.25])})

# ---- log-sum-exp written out in NumPy: only the rules above and in rule_table.py ---------------

row(np.exp, "np.log(np.sum(np.exp(x)))", x=normal(3, 4))
row(np.max, "np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))", x=normal(3, 4))
row(
    np.max,
    "np.max(x, axis=1, keepdims=True) + np.log(np.sum(np.exp(x - np.max(x, axis=1, "
    "keepdims=True)), axis=1, keepdims=True))",
    x=normal(3, 4),
)
row(np.exp, "np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)", x=normal(3, 4))

# ---- scipy.special ----------------------------------------------------------------------------

try:
    import scipy.special
except ImportError:  # pragma: no cover - SciPy is optional
    scipy = None

if scipy is not None:
    special = scipy.special
    for fn, domain in [
        (special.expit, normal),
        (special.logit, probability),
        (special.erf, normal),
        (special.erfc, normal),
        (special.erfinv, unit),
        (special.erfcinv, lambda *shape: Between(0.2, 1.8, shape)),
        (special.gamma, positive),
        (special.gammaln, positive),
        (special.digamma, positive),
        (special.i0, normal),
        (special.i1, normal),
    ]:
        row(fn, f"scipy.special.{fn.__name__}(x)", x=domain(3, 4))
        row(fn, f"scipy.special.{fn.__name__}(x)", x=domain())
    for fn, domain in [
        (special.rgamma, positive),
        (special.j0, normal),
        (special.y0, positive),
        (special.j1, normal),
        (special.y1, positive),
    ]:
        row(fn, f"scipy.special.{fn.__name__}(x)", x=domain(3, 4))
        row(fn, f"scipy.special.{fn.__name__}(x)", x=domain())
    for sx, sy in [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (4,))]:
        row(special.beta, "scipy.special.beta(x, y)", x=positive(*sx), y=positive(*sy))
        row(special.betaln, "scipy.special.betaln(x, y)", x=positive(*sx), y=positive(*sy))
    row(
        special.betainc,
        "scipy.special.betainc(a, b, x)",
        x=probability(3, 4),
        const={"a": Const([0.5, 1.0, 2.0, 3.5]), "b": Const([[1.5], [2.0], [0.7]])},
    )
    row(special.gammainc, "scipy.special.gammainc(2.5, x)", x=positive(3, 4))
    row(special.gammainc, "scipy.special.gammainc(a, x)", x=positive(4), const={"a": Const(1.5)})
    row(special.gammaincc, "scipy.special.gammaincc(2.5, x)", x=positive(3, 4))
    row(special.polygamma, "scipy.special.polygamma(1, x)", x=positive(3, 4))
    row(
        special.polygamma,
        "scipy.special.polygamma(n, x)",
        x=positive(3),
        const={"n": Const([0, 1, 2])},
    )
    row(special.multigammaln, "scipy.special.multigammaln(x, 3)", x=above_one(4))
    row(special.multigammaln, "scipy.special.multigammaln(x, 2)", x=above_one())
    row(special.jv, "scipy.special.jv(1.5, x)", x=positive(3, 4))
    row(special.jn, "scipy.special.jn(2, x)", x=normal(3, 4))  # jn is jv
    row(special.yn, "scipy.special.yn(2, x)", x=positive(3, 4))
    row(special.iv, "scipy.special.iv(0.5, x)", x=positive(3, 4))
    row(special.iv, "scipy.special.iv(3, x)", x=normal(5))
    # (a non-integer order at a negative x is complex: NaN here)
    row(special.ive, "scipy.special.ive(1.5, x)", x=positive(3, 4))
    row(
        special.ive,
        "scipy.special.ive(v, x)",
        x=nonzero(4),
        const={"v": Const([0.0, 1.0, 2.0, 3.0])},
    )
    row(special.psi, "scipy.special.psi(x)", x=above_one(5))
    row(np.i0, "np.i0(x)", x=normal(3, 4))
    row(special.i1, "scipy.special.i1(x)", x=Fixed([0.0, 0.5, -1.5], "with-0"))
    for sx, sy in [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (4,))]:
        row(special.xlogy, "scipy.special.xlogy(x, y)", x=normal(*sx), y=positive(*sy))
        row(special.xlog1py, "scipy.special.xlog1py(x, y)", x=normal(*sx), y=positive(*sy))
    row(special.xlogy, "scipy.special.xlogy(x, y)", x=Fixed([0.0, 1.5], "x-0"), y=positive(2))
    for args, shape in [("", (3, 4)), (", axis=0", (3, 4)), (", axis=-1", (2, 3, 4)), ("", (5,))]:
        row(special.softmax, f"scipy.special.softmax(x{args})", x=normal(*shape))
        row(special.log_softmax, f"scipy.special.log_softmax(x{args})", x=normal(*shape))
        row(special.logsumexp, f"scipy.special.logsumexp(x{args})", x=normal(*shape))
    row(special.softmax, "scipy.special.softmax(x, axis=(0, 2))", x=normal(2, 3, 4))
    row(special.logsumexp, "scipy.special.logsumexp(x, axis=1, keepdims=True)", x=normal(3, 4))
    row(special.logsumexp, "scipy.special.logsumexp(x, axis=(0, 2))", x=normal(2, 3, 4))
    row(special.logsumexp, "scipy.special.logsumexp(x, b=b)", x=normal(3, 4), b=positive(3, 4))
    row(
        special.logsumexp,
        "scipy.special.logsumexp(x, axis=0, b=b)",
        x=normal(3, 4),
        b=positive(4),
    )
    row(
        special.logsumexp,
        "scipy.special.logsumexp(x, axis=1, b=b, keepdims=True)",
        x=normal(3, 4),
        const={"b": Const([[0.5], [1.0], [2.0]])},
    )
