"""A real model as users of autograd and JAX write it: Bayesian linear regression fit by
variational inference.

The variational parameters are a parameter tree (a namedtuple of a mean and a log standard
deviation); the objective is a closure made by a factory over the data; inside it, a nested
function scores the weights with SciPy's distributions, and a loop averages the score over
Monte Carlo draws (the reparameterisation trick: w = mean + exp(log_std) * eps). srcgrad
differentiates all of it and returns a gradient of the same namedtuple type.
"""

from typing import NamedTuple

import numpy as np
from scipy import stats

import srcgrad


class Variational(NamedTuple):
    mean: np.ndarray
    log_std: np.ndarray


def make_negative_elbo(X, y, noise=0.5, prior_scale=2.0):
    def log_joint(w):
        prior = np.sum(stats.norm.logpdf(w, 0.0, prior_scale))
        likelihood = np.sum(stats.norm.logpdf(y, X @ w, noise))
        return prior + likelihood

    def negative_elbo(params, draws):
        mean, log_std = params
        total = 0.0
        for eps in draws:
            w = mean + np.exp(log_std) * eps
            total = total + log_joint(w)
        entropy = np.sum(log_std)
        return -(total / len(draws) + entropy)

    return negative_elbo


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    true_w = np.array([1.5, -2.0, 0.5])
    X = rng.normal(size=(40, 3))
    y = X @ true_w + 0.5 * rng.normal(size=40)
    objective = make_negative_elbo(X, y)
    gradient = srcgrad.value_and_grad(objective)

    params = Variational(np.zeros(3), np.full(3, -1.0))
    first = None
    for step in range(301):
        draws = rng.normal(size=(8, 3))
        value, g = gradient(params, draws)
        assert isinstance(g, Variational)  # the gradient has the parameters' type
        params = Variational(params.mean - 0.003 * g.mean, params.log_std - 0.003 * g.log_std)
        first = value if first is None else first
        if step % 100 == 0:
            print(f"step {step:3d}  negative ELBO {value:9.3f}")

    # the posterior mean is the ridge solution the prior and noise scales give
    ridge = np.linalg.solve(X.T @ X + (0.5 / 2.0) ** 2 * np.eye(3), X.T @ y)
    print("posterior mean", np.round(params.mean, 3), "ridge", np.round(ridge, 3))
    assert np.allclose(params.mean, ridge, atol=0.1)
    assert value < first

    # the gradient against central finite differences, at fixed draws
    draws = rng.normal(size=(4, 3))
    report = srcgrad.check_grad(objective, params, draws)
    print(report)
