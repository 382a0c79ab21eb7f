"""Definitions of `scipy.stats` functions, registered the first time a transformation looks a
rule up after the user's program has imported `scipy.stats` (registry.load_optional_rules).

Each is a plain-NumPy function of the same parameters, in the same order and with the same
defaults, that computes SciPy's values; srcgrad differentiates it by reading its source, as it
does the user's helpers (`defined_by`), so every mode and order comes with it. They follow
SciPy's formulas (`_continuous_distns.py`, `_discrete_distns.py`, `_multivariate.py`) and its
conventions: the density's log is -inf and the density 0 off the support, the distribution
function 0 or 1, and a parameter out of its range (a scale or shape at or below 0) gives nan.

Two habits keep every derivative finite inside the support, in every mode and order. A point
off the support is replaced by one inside it before a formula reads it (`inside = np.where(off,
1.0, y)`), and the result chosen with `np.where` afterwards, so that no formula computes a log
of a negative number, whose derivative would be nan. A parameter out of its range is made nan
up front (`scale + np.where(scale > 0, 0.0, np.nan)`): SciPy's value there, which every formula
then carries to the result without a warning.

A derivative with no closed form (a distribution function with respect to a shape parameter, by
way of `gammainc`, `betainc` or `stdtr`) is refused at run time by the special function's rule,
where that parameter carries a derivative. `multivariate_normal.cdf`, and every method not
defined here, is refused where it is called, as any function without a rule is.
"""

import math

import numpy as np
import scipy.special
import scipy.stats

from ..runtime import refusal
from .registry import defined_by, nondifferentiable

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_2 = math.log(2.0)
_LOG_2PI = math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


# ---- shared steps ------------------------------------------------------------------------------


def log_probability(p, q):
    """log(p) for a probability p whose complement q = 1 - p is computed on its own: log(p)
    where p < 1/2, log1p(-q) elsewhere (SciPy's logcdf and logsf split at the median), so that
    neither loses the digits of a small p or q. The branch not taken reads 1/2, so that
    neither its value nor its derivative is infinite."""
    small = p < 0.5
    return np.where(small, np.log(np.where(small, p, 0.5)), np.log1p(-np.where(small, 0.5, q)))


# ---- norm -----------------------------------------------------------------------------------------


@defined_by(scipy.stats.norm.logpdf)
def norm_logpdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return -(y**2) / 2.0 - _LOG_SQRT_2PI - np.log(scale)


@defined_by(scipy.stats.norm.pdf)
def norm_pdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return np.exp(-(y**2) / 2.0) / _SQRT_2PI / scale


@defined_by(scipy.stats.norm.cdf)
def norm_cdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.ndtr((x - loc) / scale)


@defined_by(scipy.stats.norm.logcdf)
def norm_logcdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.log_ndtr((x - loc) / scale)


@defined_by(scipy.stats.norm.sf)
def norm_sf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.ndtr(-(x - loc) / scale)


@defined_by(scipy.stats.norm.logsf)
def norm_logsf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.log_ndtr(-(x - loc) / scale)


# ---- t --------------------------------------------------------------------------------------------
# log(poch(df / 2, 1 / 2)), SciPy's first term, is the difference of two gammaln; infinitely many
# degrees of freedom make the normal distribution, whose formula is taken there.


def t_standard_logpdf(y, df):
    """The log density of Student's t with `df` degrees of freedom at `y`, loc 0 and scale 1."""
    normal = df == np.inf
    finite = np.where(normal, 1.0, df)
    half = 0.5 * finite
    value = (
        scipy.special.gammaln(half + 0.5)
        - scipy.special.gammaln(half)
        - 0.5 * (np.log(finite) + _LOG_PI)
        - (finite + 1.0) / 2.0 * np.log1p(y * y / finite)
    )
    return np.where(normal, -(y**2) / 2.0 - _LOG_SQRT_2PI, value)


@defined_by(scipy.stats.t.logpdf)
def t_logpdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return t_standard_logpdf((x - loc) / scale, df) - np.log(scale)


@defined_by(scipy.stats.t.pdf)
def t_pdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return np.exp(t_standard_logpdf((x - loc) / scale, df)) / scale


@defined_by(scipy.stats.t.cdf)
def t_cdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.stdtr(df, (x - loc) / scale)


@defined_by(scipy.stats.t.sf)
def t_sf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.stdtr(df, -(x - loc) / scale)


@defined_by(scipy.stats.t.logcdf)
def t_logcdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return log_probability(scipy.special.stdtr(df, y), scipy.special.stdtr(df, -y))


@defined_by(scipy.stats.t.logsf)
def t_logsf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return log_probability(scipy.special.stdtr(df, -y), scipy.special.stdtr(df, y))


# ---- gamma ----------------------------------------------------------------------------------------


def gamma_standard_logpdf(y, a):
    return scipy.special.xlogy(a - 1.0, y) - y - scipy.special.gammaln(a)


@defined_by(scipy.stats.gamma.logpdf)
def gamma_logpdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y < 0.0
    inside = np.where(off, 1.0, y)
    return np.where(off, -np.inf, gamma_standard_logpdf(inside, a) - np.log(scale))


@defined_by(scipy.stats.gamma.pdf)
def gamma_pdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y < 0.0
    inside = np.where(off, 1.0, y)
    return np.where(off, 0.0, np.exp(gamma_standard_logpdf(inside, a)) / scale)


@defined_by(scipy.stats.gamma.cdf)
def gamma_cdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return np.where(off, 0.0, scipy.special.gammainc(a, np.where(off, 1.0, y)))


@defined_by(scipy.stats.gamma.sf)
def gamma_sf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return np.where(off, 1.0, scipy.special.gammaincc(a, np.where(off, 1.0, y)))


@defined_by(scipy.stats.gamma.logcdf)
def gamma_logcdf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    inside = np.where(off, 1.0, y)
    value = log_probability(scipy.special.gammainc(a, inside), scipy.special.gammaincc(a, inside))
    return np.where(off, -np.inf, value)


@defined_by(scipy.stats.gamma.logsf)
def gamma_logsf(x, a, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    inside = np.where(off, 1.0, y)
    value = log_probability(scipy.special.gammaincc(a, inside), scipy.special.gammainc(a, inside))
    return np.where(off, 0.0, value)


# ---- chi2: a gamma distribution of shape df / 2 and scale 2 -----------------------------------


def chi2_standard_logpdf(y, df):
    return (
        scipy.special.xlogy(df / 2.0 - 1.0, y)
        - y / 2.0
        - scipy.special.gammaln(df / 2.0)
        - (_LOG_2 * df) / 2.0
    )


@defined_by(scipy.stats.chi2.logpdf)
def chi2_logpdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y < 0.0
    inside = np.where(off, 1.0, y)
    return np.where(off, -np.inf, chi2_standard_logpdf(inside, df) - np.log(scale))


@defined_by(scipy.stats.chi2.pdf)
def chi2_pdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y < 0.0
    inside = np.where(off, 1.0, y)
    return np.where(off, 0.0, np.exp(chi2_standard_logpdf(inside, df)) / scale)


# chdtr(df, y) and chdtrc(df, y), SciPy's chi2 distribution functions, are these gammainc.
@defined_by(scipy.stats.chi2.cdf)
def chi2_cdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return np.where(off, 0.0, scipy.special.gammainc(df / 2.0, np.where(off, 1.0, y) / 2.0))


@defined_by(scipy.stats.chi2.sf)
def chi2_sf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return np.where(off, 1.0, scipy.special.gammaincc(df / 2.0, np.where(off, 1.0, y) / 2.0))


@defined_by(scipy.stats.chi2.logcdf)
def chi2_logcdf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    half = np.where(off, 1.0, y) / 2.0
    value = log_probability(
        scipy.special.gammainc(df / 2.0, half), scipy.special.gammaincc(df / 2.0, half)
    )
    return np.where(off, -np.inf, value)


@defined_by(scipy.stats.chi2.logsf)
def chi2_logsf(x, df, loc=0, scale=1):
    df = df + np.where(df > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    half = np.where(off, 1.0, y) / 2.0
    value = log_probability(
        scipy.special.gammaincc(df / 2.0, half), scipy.special.gammainc(df / 2.0, half)
    )
    return np.where(off, 0.0, value)


# ---- beta -----------------------------------------------------------------------------------------


def beta_standard_logpdf(y, a, b):
    return (
        scipy.special.xlog1py(b - 1.0, -y)
        + scipy.special.xlogy(a - 1.0, y)
        - scipy.special.betaln(a, b)
    )


@defined_by(scipy.stats.beta.logpdf)
def beta_logpdf(x, a, b, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    b = b + np.where(b > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = np.logical_or(y < 0.0, y > 1.0)
    inside = np.where(off, 0.5, y)
    return np.where(off, -np.inf, beta_standard_logpdf(inside, a, b) - np.log(scale))


@defined_by(scipy.stats.beta.pdf)
def beta_pdf(x, a, b, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    b = b + np.where(b > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = np.logical_or(y < 0.0, y > 1.0)
    inside = np.where(off, 0.5, y)
    return np.where(off, 0.0, np.exp(beta_standard_logpdf(inside, a, b)) / scale)


@defined_by(scipy.stats.beta.cdf)
def beta_cdf(x, a, b, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    b = b + np.where(b > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = np.logical_or(y <= 0.0, y >= 1.0)
    value = scipy.special.betainc(a, b, np.where(off, 0.5, y))
    return np.where(off, np.where(y <= 0.0, 0.0, 1.0), value)


@defined_by(scipy.stats.beta.sf)
def beta_sf(x, a, b, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    b = b + np.where(b > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = np.logical_or(y <= 0.0, y >= 1.0)
    value = scipy.special.betaincc(a, b, np.where(off, 0.5, y))
    return np.where(off, np.where(y <= 0.0, 1.0, 0.0), value)


@defined_by(scipy.stats.beta.logcdf)
def beta_logcdf(x, a, b, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    b = b + np.where(b > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = np.logical_or(y <= 0.0, y >= 1.0)
    inside = np.where(off, 0.5, y)
    value = log_probability(
        scipy.special.betainc(a, b, inside), scipy.special.betaincc(a, b, inside)
    )
    return np.where(off, np.where(y <= 0.0, -np.inf, 0.0), value)


@defined_by(scipy.stats.beta.logsf)
def beta_logsf(x, a, b, loc=0, scale=1):
    a = a + np.where(a > 0, 0.0, np.nan)
    b = b + np.where(b > 0, 0.0, np.nan)
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = np.logical_or(y <= 0.0, y >= 1.0)
    inside = np.where(off, 0.5, y)
    value = log_probability(
        scipy.special.betaincc(a, b, inside), scipy.special.betainc(a, b, inside)
    )
    return np.where(off, np.where(y <= 0.0, 0.0, -np.inf), value)


# ---- expon ----------------------------------------------------------------------------------------


@defined_by(scipy.stats.expon.logpdf)
def expon_logpdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return np.where(y < 0.0, -np.inf, -y - np.log(scale))


@defined_by(scipy.stats.expon.pdf)
def expon_pdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y < 0.0
    return np.where(off, 0.0, np.exp(-np.where(off, 0.0, y)) / scale)


@defined_by(scipy.stats.expon.cdf)
def expon_cdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return np.where(off, 0.0, -np.expm1(-np.where(off, 1.0, y)))


@defined_by(scipy.stats.expon.sf)
def expon_sf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    return np.where(off, 1.0, np.exp(-np.where(off, 1.0, y)))


@defined_by(scipy.stats.expon.logcdf)
def expon_logcdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    off = y <= 0.0
    inside = np.where(off, 1.0, y)
    return np.where(off, -np.inf, log_probability(-np.expm1(-inside), np.exp(-inside)))


@defined_by(scipy.stats.expon.logsf)
def expon_logsf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return np.where(y <= 0.0, 0.0, -y)


# ---- laplace --------------------------------------------------------------------------------------
# -|y| is written `np.where(y > 0, -y, y)`, the side taken at 0 chosen so that the derivative
# there is that of the branch the formula takes (the distribution function is smooth at 0).
# The log density is -|y| - log 2, SciPy's log(pdf) without its underflow.


@defined_by(scipy.stats.laplace.logpdf)
def laplace_logpdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return np.where(y > 0.0, -y, y) - _LOG_2 - np.log(scale)


@defined_by(scipy.stats.laplace.pdf)
def laplace_pdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    return 0.5 * np.exp(np.where(y > 0.0, -y, y)) / scale


@defined_by(scipy.stats.laplace.cdf)
def laplace_cdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    above = y > 0.0
    tail = 0.5 * np.exp(np.where(above, -y, y))
    return np.where(above, 1.0 - tail, tail)


@defined_by(scipy.stats.laplace.sf)
def laplace_sf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    below = y < 0.0
    tail = 0.5 * np.exp(np.where(below, y, -y))
    return np.where(below, 1.0 - tail, tail)


@defined_by(scipy.stats.laplace.logcdf)
def laplace_logcdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    below = y < 0.0
    return np.where(below, y - _LOG_2, np.log1p(-0.5 * np.exp(-np.where(below, 0.0, y))))


@defined_by(scipy.stats.laplace.logsf)
def laplace_logsf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    y = (x - loc) / scale
    above = y > 0.0
    return np.where(above, -y - _LOG_2, np.log1p(-0.5 * np.exp(np.where(above, 0.0, y))))


# ---- logistic -------------------------------------------------------------------------------------


def logistic_standard_logpdf(y):
    """SciPy's -|y| - 2 log1p(exp(-|y|)), with -|y| written as laplace's is."""
    low = np.where(y > 0.0, -y, y)
    return low - 2.0 * np.log1p(np.exp(low))


@defined_by(scipy.stats.logistic.logpdf)
def logistic_logpdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return logistic_standard_logpdf((x - loc) / scale) - np.log(scale)


@defined_by(scipy.stats.logistic.pdf)
def logistic_pdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return np.exp(logistic_standard_logpdf((x - loc) / scale)) / scale


@defined_by(scipy.stats.logistic.cdf)
def logistic_cdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.expit((x - loc) / scale)


@defined_by(scipy.stats.logistic.sf)
def logistic_sf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.expit(-(x - loc) / scale)


@defined_by(scipy.stats.logistic.logcdf)
def logistic_logcdf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.log_expit((x - loc) / scale)


@defined_by(scipy.stats.logistic.logsf)
def logistic_logsf(x, loc=0, scale=1):
    scale = scale + np.where(scale > 0, 0.0, np.nan)
    return scipy.special.log_expit(-(x - loc) / scale)


# ---- poisson --------------------------------------------------------------------------------------
# The mass sits on the integers n = k - loc >= 0. A count has no derivative (np.floor has none);
# the mean mu has. pdtr(n, mu) and pdtrc(n, mu), SciPy's distribution functions, are gammaincc
# and gammainc of floor(n) + 1; their logs are the logs of those, as in SciPy.


@defined_by(scipy.stats.poisson.logpmf)
def poisson_logpmf(k, mu, loc=0):
    mu = mu + np.where(mu >= 0, 0.0, np.nan)
    n = k - loc
    off = np.logical_or(n < 0.0, np.floor(n) < n)
    count = np.where(off, 0.0, np.floor(n))
    value = scipy.special.xlogy(count, mu) - scipy.special.gammaln(count + 1.0) - mu
    return np.where(off, -np.inf, value)


@defined_by(scipy.stats.poisson.pmf)
def poisson_pmf(k, mu, loc=0):
    mu = mu + np.where(mu >= 0, 0.0, np.nan)
    n = k - loc
    off = np.logical_or(n < 0.0, np.floor(n) < n)
    count = np.where(off, 0.0, np.floor(n))
    value = scipy.special.xlogy(count, mu) - scipy.special.gammaln(count + 1.0) - mu
    return np.where(off, 0.0, np.exp(value))


@defined_by(scipy.stats.poisson.cdf)
def poisson_cdf(k, mu, loc=0):
    mu = mu + np.where(mu >= 0, 0.0, np.nan)
    n = k - loc
    count = np.floor(np.where(np.logical_or(n < 0.0, n == np.inf), 0.0, n))
    value = scipy.special.gammaincc(count + 1.0, mu)
    return np.where(n < 0.0, 0.0, np.where(n == np.inf, 1.0, value))


@defined_by(scipy.stats.poisson.sf)
def poisson_sf(k, mu, loc=0):
    mu = mu + np.where(mu >= 0, 0.0, np.nan)
    n = k - loc
    count = np.floor(np.where(np.logical_or(n < 0.0, n == np.inf), 0.0, n))
    value = scipy.special.gammainc(count + 1.0, mu)
    return np.where(n < 0.0, 1.0, np.where(n == np.inf, 0.0, value))


@defined_by(scipy.stats.poisson.logcdf)
def poisson_logcdf(k, mu, loc=0):
    mu = mu + np.where(mu >= 0, 0.0, np.nan)
    n = k - loc
    count = np.floor(np.where(np.logical_or(n < 0.0, n == np.inf), 0.0, n))
    value = np.log(scipy.special.gammaincc(count + 1.0, mu))
    return np.where(n < 0.0, -np.inf, np.where(n == np.inf, 0.0, value))


@defined_by(scipy.stats.poisson.logsf)
def poisson_logsf(k, mu, loc=0):
    mu = mu + np.where(mu >= 0, 0.0, np.nan)
    n = k - loc
    count = np.floor(np.where(np.logical_or(n < 0.0, n == np.inf), 0.0, n))
    value = np.log(scipy.special.gammainc(count + 1.0, mu))
    return np.where(n < 0.0, 0.0, np.where(n == np.inf, -np.inf, value))


# ---- multivariate_normal --------------------------------------------------------------------------
# By the Cholesky factor L of the covariance: log det = 2 sum(log diag L) and the Mahalanobis
# distance is |L^-1 (x - mean)|^2 (SciPy uses an eigendecomposition, whose derivative is not
# finite where eigenvalues repeat, as those of a multiple of the identity do). A point is a
# row of x's last axis; one point gives a number, several an array, as in SciPy.


def multivariate_normal_dimension(x, mean, cov, allow_singular):
    """The dimension of the distribution, after SciPy's own checks of the arguments (its
    errors); refused where the covariance is singular (and allowed to be)."""
    frozen = scipy.stats.multivariate_normal(mean, cov, allow_singular)
    frozen.logpdf(x)
    if frozen.cov_object.rank < frozen.dim:
        raise refusal(
            "srcgrad differentiates scipy.stats.multivariate_normal with a nonsingular "
            "covariance only, and this one is singular",
            "differentiate the density of the nonsingular part, in coordinates of its range",
        )
    return frozen.dim


def multivariate_normal_parts(x, mean, cov, dim):
    """x with a point in each row of its last axis, the mean as a vector and the covariance as
    a matrix, as SciPy reads them (`mean=None` is 0; a number or vector `cov` is diagonal)."""
    if mean is None:
        mean = np.zeros(dim)
    if dim == 1:
        mean = np.reshape(mean, (1,))
        cov = np.reshape(cov, (1, 1))
    if np.ndim(cov) == 0:
        cov = cov * np.eye(dim)
    if np.ndim(cov) == 1:
        cov = np.diag(cov)
    if np.ndim(x) == 0:
        x = np.reshape(x, (1,))
    if np.ndim(x) == 1 and dim == 1:
        x = np.reshape(x, (-1, 1))
    return x, mean, cov


@defined_by(scipy.stats.multivariate_normal.logpdf)
def multivariate_normal_logpdf(x, mean=None, cov=1, allow_singular=False):
    dim = multivariate_normal_dimension(x, mean, cov, allow_singular)
    x, mean, cov = multivariate_normal_parts(x, mean, cov, dim)
    factor = np.linalg.cholesky(cov)
    deviations = np.reshape(x - mean, (-1, dim))
    whitened = np.linalg.solve(factor, np.transpose(deviations))
    distance = np.sum(whitened * whitened, axis=0)
    log_det = 2.0 * np.sum(np.log(np.diagonal(factor)))
    out = -0.5 * (dim * _LOG_2PI + log_det + distance)
    return np.squeeze(np.reshape(out, np.shape(x)[:-1]))


@defined_by(scipy.stats.multivariate_normal.pdf)
def multivariate_normal_pdf(x, mean=None, cov=1, allow_singular=False):
    return np.exp(multivariate_normal_logpdf(x, mean, cov, allow_singular))


# ---- dirichlet ------------------------------------------------------------------------------------
# Components along x's first axis, as SciPy reads them; x may leave out the last component,
# which is then 1 minus the sum of the others.


def dirichlet_complete(x, alpha):
    """Whether x has a component for every alpha, after SciPy's own checks of x and alpha
    (its errors: x on the simplex, alpha above 0)."""
    scipy.stats.dirichlet.logpdf(x, alpha)
    return np.shape(x)[0] == np.shape(alpha)[0]


@defined_by(scipy.stats.dirichlet.logpdf)
def dirichlet_logpdf(x, alpha):
    if not dirichlet_complete(x, alpha):
        x = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)])
    log_beta = np.sum(scipy.special.gammaln(alpha)) - scipy.special.gammaln(np.sum(alpha))
    logs = np.transpose(scipy.special.xlogy(alpha - 1.0, np.transpose(x)))
    return np.squeeze(np.sum(logs, axis=0) - log_beta)


@defined_by(scipy.stats.dirichlet.pdf)
def dirichlet_pdf(x, alpha):
    return np.exp(dirichlet_logpdf(x, alpha))


nondifferentiable(multivariate_normal_dimension, dirichlet_complete)
