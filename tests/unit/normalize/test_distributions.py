"""The `distributions` pass alone: a method call on a frozen SciPy distribution becomes the
distribution's own method called with the frozen arguments after the point, whether the frozen
distribution is named or not; arguments the function may rebind are kept in names of their own
where the distribution was frozen; the freezing statement goes once nothing reads its name; and
a name bound more than once, a parameter, another object, and calls that are not a method of a
point or a statistic are left as they are."""

from __future__ import annotations

import textwrap

import scipy.stats
from passes import define, normalized_until, text

from srcgrad.normalize import distributions

NAMES = {
    "st": scipy.stats,
    "scipy": scipy,
    "norm": scipy.stats.norm,
    "gamma": scipy.stats.gamma,
    "multivariate_normal": scipy.stats.multivariate_normal,
}


def after(source: str, **names) -> str:
    ctx = normalized_until(define(source, **NAMES, **names), distributions)
    distributions.run(ctx.parsed.tree, ctx)
    return text(ctx.parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_a_named_frozen_distribution_is_the_distribution_called_with_its_arguments():
    assert after("""
        def f(mu, s, x):
            d = st.norm(mu, s)
            return np.sum(d.logpdf(x) + d.cdf(x))
    """) == code("""
        def f(mu, s, x):
            return np.sum(st.norm.logpdf(x, mu, s) + st.norm.cdf(x, mu, s))
    """)


def test_a_distribution_frozen_where_its_method_is_called_is_rewritten_in_place():
    assert after("""
        def f(mu, x):
            a = scipy.stats.norm(mu, 2.0).logpdf(x)
            b = norm(loc=mu).sf(x)
            return a + b
    """) == code("""
        def f(mu, x):
            a = scipy.stats.norm.logpdf(x, mu, 2.0)
            b = norm.sf(x, loc=mu)
            return a + b
    """)


def test_keywords_of_the_freezing_call_and_the_point_by_its_name_are_kept():
    assert after("""
        def f(a, s, x):
            g = gamma(a, scale=s)
            return g.logpdf(x=x)
    """) == code("""
        def f(a, s, x):
            return gamma.logpdf(x, a, scale=s)
    """)


def test_an_argument_the_function_rebinds_is_kept_as_it_was_frozen():
    assert after("""
        def f(mu, s, x):
            s = s * 2.0
            m = mu + 1.0
            d = norm(m, scale=s)
            s = s + 1.0
            return d.logpdf(x) + s
    """) == code("""
        def f(mu, s, x):
            s = s * 2.0
            m = mu + 1.0
            d_loc = m
            d_scale = s
            s = s + 1.0
            return norm.logpdf(x, d_loc, scale=d_scale) + s
    """)


def test_an_expression_argument_is_computed_once_where_the_distribution_is_frozen():
    assert after("""
        def f(mu, x):
            for i in range(3):
                d = norm(mu * i, 1.0)
                x = x + d.pdf(x) + d.cdf(x)
            return x
    """) == code("""
        def f(mu, x):
            for i in range(3):
                d_loc = mu * i
                x = x + norm.pdf(x, d_loc, 1.0) + norm.cdf(x, d_loc, 1.0)
            return x
    """)


def test_a_statistic_is_the_distributions_statistic_and_other_methods_keep_the_binding():
    assert after("""
        def f(mu, x, rng):
            d = norm(mu, 1.0)
            e = d.rvs(size=3, random_state=rng)
            return d.mean() + d.logpdf(x) + e
    """) == code("""
        def f(mu, x, rng):
            d = norm(mu, 1.0)
            e = d.rvs(size=3, random_state=rng)
            return norm.mean(mu, 1.0) + norm.logpdf(x, mu, 1.0) + e
    """)


def test_the_seed_of_a_frozen_multivariate_normal_is_left_out_of_its_density():
    assert after("""
        def f(mean, cov, x):
            d = multivariate_normal(mean, cov, seed=3)
            return d.logpdf(x)
    """) == code("""
        def f(mean, cov, x):
            return multivariate_normal.logpdf(x, mean, cov)
    """)


def test_a_name_bound_twice_a_parameter_and_other_objects_are_left_alone():
    source = """
        def f(mu, x, frozen):
            d = norm(mu, 1.0)
            d = norm(mu, 2.0)
            m = Model(mu)
            return d.logpdf(x) + frozen.logpdf(x) + m.logpdf(x)
    """

    class Model:
        def __init__(self, mu):
            self.mu = mu

        def logpdf(self, x):
            return -((x - self.mu) ** 2)

    assert after(source, Model=Model) == code(source)


def test_method_calls_that_do_not_take_one_point_are_left_alone():
    source = """
        def f(mu, x):
            d = norm(mu, 1.0)
            a = d.logpdf(x, 2.0)
            b = d.logpdf(*x)
            c = d.interval(0.9)
            e = norm(*mu).logpdf(x)
            return a + b + c + e
    """
    assert after(source) == code(source)
