"""Definitions of more `scipy.stats` functions, registered with those of `scipy_stats.py` (which
this module imports; registry.py loads this one): the distributions of positive values that priors on scales use
(`lognorm`, `invgamma`, `halfnorm`), the normal quantiles (`norm.ppf`, `norm.isf`) of a
reparameterisation, and `entropy`.

They follow `scipy_stats.py`'s conventions and habits: SciPy's formulas and values, inside the
support and off it (a point off it is replaced by one inside before a formula reads it, the
result chosen with `np.where` afterwards), and a parameter out of its range made nan up front.
The inverse gamma distribution function in its shape `a` has no closed-form derivative (by way
of `gammaincc`): refused at run time, where `a` carries a derivative.
"""

import math

import numpy as np
import scipy.special
import scipy.stats

from ..runtime import refusal
from .registry import defined_by
from .scipy_stats import log_probability

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_HALF_LOG_2_OVER_PI = 0.5 * math.log(2.0 / math.pi)
_SQRT_2 = math.sqrt(2.0)


# ---- lognorm: exp of a normal value of standard deviation s ----------------------------------


def lognorm_standard(x, s, loc, scale):
    """s and scale made nan out of their range, and the standardized point: (s, scale, the
    point where it is inside the support (1 elsewhere), whether it is off the support)."""
    s = s + np.where(s > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return s, scale, np.where(off, 1.0, y), off


@defined_by(scipy.stats.lognorm.logpdf)
def lognorm_logpdf(x, s, loc=0, scale=1):
    s, scale, y, off = lognorm_standard(x, s, loc, scale)
    log_y = np.log(y)
    value = -(log_y**2) / (2.0 * s * s) - np.log(s) - log_y - _LOG_SQRT_2PI - np.log(scale)
    return np.where(off, -np.inf, value)


@defined_by(scipy.stats.lognorm.pdf)
def lognorm_pdf(x, s, loc=0, scale=1):
    s, scale, y, off = lognorm_standard(x, s, loc, scale)
    log_y = np.log(y)
    value = -(log_y**2) / (2.0 * s * s) - np.log(s) - log_y - _LOG_SQRT_2PI - np.log(scale)
    return np.where(off, 0.0, np.exp(value))


@defined_by(scipy.stats.lognorm.cdf)
def lognorm_cdf(x, s, loc=0, scale=1):
    s, scale, y, off = lognorm_standard(x, s, loc, scale)
    return np.where(off, 0.0, scipy.special.ndtr(np.log(y) / s))


@defined_by(scipy.stats.lognorm.sf)
def lognorm_sf(x, s, loc=0, scale=1):
    s, scale, y, off = lognorm_standard(x, s, loc, scale)
    return np.where(off, 1.0, scipy.special.ndtr(-np.log(y) / s))


@defined_by(scipy.stats.lognorm.logcdf)
def lognorm_logcdf(x, s, loc=0, scale=1):
    s, scale, y, off = lognorm_standard(x, s, loc, scale)
    return np.where(off, -np.inf, scipy.special.log_ndtr(np.log(y) / s))


@defined_by(scipy.stats.lognorm.logsf)
def lognorm_logsf(x, s, loc=0, scale=1):
    s, scale, y, off = lognorm_standard(x, s, loc, scale)
    return np.where(off, 0.0, scipy.special.log_ndtr(-np.log(y) / s))


# ---- invgamma: 1 / a gamma value of shape a ---------------------------------------------------


def invgamma_standard(x, loc, scale):
    """scale made nan out of its range, and the standardized point, as above. (`a` is made nan
    by each function itself: a tuple that held it would carry the point's derivative to it,
    and gammaincc has none in `a`.)"""
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return scale, np.where(off, 1.0, y), off


@defined_by(scipy.stats.invgamma.logpdf)
def invgamma_logpdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale, y, off = invgamma_standard(x, loc, scale)
    value = -(a + 1.0) * np.log(y) - scipy.special.gammaln(a) - 1.0 / y - np.log(scale)
    return np.where(off, -np.inf, value)


@defined_by(scipy.stats.invgamma.pdf)
def invgamma_pdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale, y, off = invgamma_standard(x, loc, scale)
    value = -(a + 1.0) * np.log(y) - scipy.special.gammaln(a) - 1.0 / y - np.log(scale)
    return np.where(off, 0.0, np.exp(value))


@defined_by(scipy.stats.invgamma.cdf)
def invgamma_cdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale, y, off = invgamma_standard(x, loc, scale)
    return np.where(off, 0.0, scipy.special.gammaincc(a, 1.0 / y))


@defined_by(scipy.stats.invgamma.sf)
def invgamma_sf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale, y, off = invgamma_standard(x, loc, scale)
    return np.where(off, 1.0, scipy.special.gammainc(a, 1.0 / y))


@defined_by(scipy.stats.invgamma.logcdf)
def invgamma_logcdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale, y, off = invgamma_standard(x, loc, scale)
    upper, lower = scipy.special.gammaincc(a, 1.0 / y), scipy.special.gammainc(a, 1.0 / y)
    return np.where(off, -np.inf, log_probability(upper, lower))


@defined_by(scipy.stats.invgamma.logsf)
def invgamma_logsf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale, y, off = invgamma_standard(x, loc, scale)
    upper, lower = scipy.special.gammaincc(a, 1.0 / y), scipy.special.gammainc(a, 1.0 / y)
    return np.where(off, 0.0, log_probability(lower, upper))


# ---- halfnorm: the absolute value of a standard normal one (0 is inside its support) ---------


def halfnorm_standard(x, loc, scale):
    """scale made nan out of its range, and the standardized point, as above."""
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y < 0.0
    return scale, np.where(off, 0.0, y), off


@defined_by(scipy.stats.halfnorm.logpdf)
def halfnorm_logpdf(x, loc=0, scale=1):
    scale, y, off = halfnorm_standard(x, loc, scale)
    return np.where(off, -np.inf, _HALF_LOG_2_OVER_PI - y * y / 2.0 - np.log(scale))


@defined_by(scipy.stats.halfnorm.pdf)
def halfnorm_pdf(x, loc=0, scale=1):
    scale, y, off = halfnorm_standard(x, loc, scale)
    return np.where(off, 0.0, np.exp(_HALF_LOG_2_OVER_PI - y * y / 2.0) / scale)


@defined_by(scipy.stats.halfnorm.cdf)
def halfnorm_cdf(x, loc=0, scale=1):
    scale, y, off = halfnorm_standard(x, loc, scale)
    return np.where(off, 0.0, scipy.special.erf(y / _SQRT_2))


@defined_by(scipy.stats.halfnorm.sf)
def halfnorm_sf(x, loc=0, scale=1):
    scale, y, off = halfnorm_standard(x, loc, scale)
    return np.where(off, 1.0, scipy.special.erfc(y / _SQRT_2))


@defined_by(scipy.stats.halfnorm.logcdf)
def halfnorm_logcdf(x, loc=0, scale=1):
    scale, y, off = halfnorm_standard(x, loc, scale)
    inside = np.where(off, 1.0, y)  # (log 0 at y = 0 is SciPy's -inf: taken from the formula)
    lower, upper = scipy.special.erf(inside / _SQRT_2), scipy.special.erfc(inside / _SQRT_2)
    return np.where(off, -np.inf, np.where(y == 0.0, -np.inf, log_probability(lower, upper)))


@defined_by(scipy.stats.halfnorm.logsf)
def halfnorm_logsf(x, loc=0, scale=1):
    scale, y, off = halfnorm_standard(x, loc, scale)
    inside = np.where(off, 1.0, y)
    lower, upper = scipy.special.erf(inside / _SQRT_2), scipy.special.erfc(inside / _SQRT_2)
    return np.where(off, 0.0, log_probability(upper, lower))


# ---- the normal quantiles ---------------------------------------------------------------------


@defined_by(scipy.stats.norm.ppf)
def norm_ppf(q, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return loc + scale * scipy.special.ndtri(q)


@defined_by(scipy.stats.norm.isf)
def norm_isf(q, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return loc - scale * scipy.special.ndtri(q)


# ---- entropy ------------------------------------------------------------------------------------


@defined_by(scipy.stats.entropy)
def entropy(pk, qk=None, base=None, axis=0, *, nan_policy="propagate", keepdims=False):
    if nan_policy != "propagate":
        raise refusal(
            f"srcgrad differentiates scipy.stats.entropy with nan_policy='propagate' only, not "
            f"{nan_policy!r}",
            "leave out the nans before the call (p[~np.isnan(p)])",
        )
    pk = np.asarray(pk)
    pk = pk / np.sum(pk, axis=axis, keepdims=True)
    if qk is None:
        terms = scipy.special.entr(pk)
    else:
        qk = np.asarray(qk)
        terms = scipy.special.rel_entr(pk, qk / np.sum(qk, axis=axis, keepdims=True))
    total = np.sum(terms, axis=axis, keepdims=keepdims)
    if base is not None:
        total = total / np.log(base)
    return total
