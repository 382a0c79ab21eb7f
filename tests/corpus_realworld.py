"""Corpus: functions as people write them in real numerical code (mixtures, attention,
convolution by loop, regression losses), checked like the rest of the corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.special import logsumexp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pytest imports with importlib mode
from corpus import case, normal, positive

# --doctest-modules imports this file as "tests.corpus_realworld" and test_corpus.py imports it
# as "corpus_realworld": one module under both names registers each case once.
sys.modules.setdefault("corpus_realworld", sys.modules[__name__])
sys.modules.setdefault("tests.corpus_realworld", sys.modules[__name__])


@case(lambda rng: (normal(rng, 3, 2), np.log(np.ones(3) / 3), normal(rng, 5, 2)), wrt=(0, 1))
def gmm_loglik(means, log_weights, x):
    d = x[:, np.newaxis, :] - means[np.newaxis, :, :]
    sq = np.sum(d**2, axis=2)
    log_p = log_weights - 0.5 * sq - 0.5 * x.shape[1] * np.log(2 * np.pi)
    return np.sum(logsumexp(log_p, axis=1))


@case(lambda rng: (normal(rng, 6), normal(rng, 6)))
def smooth_l1(pred, target, beta=1.0):
    diff = np.abs(pred - target)
    loss = np.where(diff < beta, 0.5 * diff**2 / beta, diff - 0.5 * beta)
    return loss.mean()


@case(lambda rng: (normal(rng, 4, 3), normal(rng, 5, 3), normal(rng, 5, 2)), wrt=(0, 1, 2))
def scaled_dot_product_attention(Q, K, V):
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return np.sum((weights @ V) ** 2)


@case(lambda rng: (normal(rng, 8), normal(rng, 3)), wrt=(0, 1))
def conv1d_by_loop(x, w):
    n, k = len(x), len(w)
    out = np.zeros(n - k + 1)
    for i in range(n - k + 1):
        out[i] = np.dot(x[i : i + k], w)
    return np.sum(out**2)


@case(lambda rng: (0.3 * normal(rng, 3), normal(rng, 6, 3), positive(rng, 6)))
def poisson_nll(w, X, y):
    eta = X @ w
    return np.sum(np.exp(eta) - y * eta)


@case(lambda rng: (normal(rng, 4, 2),))
def rbf_kernel_sum(X):
    sq = np.sum(X**2, axis=1)
    D = sq[:, None] + sq[None, :] - 2 * np.dot(X, X.T)
    return np.sum(np.exp(-D))


@case(lambda rng: (normal(rng, 3),))
def keyword_only_power(x, *, scale=2.0, power=3):
    return np.sum((scale * x) ** power)


@case(lambda rng: (normal(rng, 3, 4),))
def normalize_rows(X):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.sum(np.tanh(X / norms))


@case(lambda rng: (np.array([0.2, -1.5, 0.4, 2.5, -0.1]), 0.7))
def huber_by_loop(r, delta):
    total = 0.0
    for v in r:
        a = abs(v)
        if a <= delta:
            total += 0.5 * v * v
        else:
            total += delta * (a - 0.5 * delta)
    return total


@case(lambda rng: (normal(rng, 3), normal(rng, 6, 3), normal(rng, 6)))
def ridge(w, X, y, lam=0.1):
    resid = X.dot(w) - y
    return resid.dot(resid) / len(y) + lam * w.dot(w)


@case(lambda rng: (normal(rng, 4), np.linspace(-1.0, 1.0, 9), normal(rng, 9)))
def polynomial_fit_residual(coeffs, x, y, lam=1e-2):
    resid = np.polyval(coeffs, x) - y
    return np.mean(resid**2) + lam * np.sum(coeffs**2)


@case(lambda rng: (normal(rng, 3), normal(rng, 4)), wrt=(0, 1))
def polynomial_flatness_penalty(coeffs, points):
    # the curve and its slope at each point (the slope from np.polyder's coefficients)
    slopes = np.polyval(coeffs[:-1] * np.arange(len(coeffs) - 1, 0, -1), points)
    return np.sum(np.polyval(coeffs, points) ** 2) + 0.1 * np.sum(slopes**2)


# residuals above the 75th percentile count only up to it (7 residuals: the cap sits halfway
# between two of them, so no residual equals it)
@case(lambda rng: (normal(rng, 7), normal(rng, 7)))
def clipped_residual_loss(pred, target):
    r = np.abs(pred - target)
    cap = np.percentile(r, 75)
    return np.mean(np.minimum(r, cap) ** 2) + 0.1 * cap


@case(lambda rng: (normal(rng, 3), normal(rng, 6, 3), normal(rng, 6)))
def worst_group_loss(w, X, y):
    losses = [np.mean((X[i : i + 2] @ w - y[i : i + 2]) ** 2) for i in range(0, 6, 2)]
    return max(losses) + 0.5 * min(losses)


@case(lambda rng: (normal(rng, 3), normal(rng, 8, 3)))
def top_k_margin(w, X):
    ranked = sorted(np.tanh(X @ w), reverse=True)
    return sum(ranked[:3]) / 3 - ranked[-1] + 0.1 * np.quantile(X @ w, [0.25, 0.5]).sum()


@case(lambda rng: (normal(rng, 6, 3), normal(rng, 3)), wrt=(0, 1))
def gaussian_negative_log_likelihood(samples, mu):
    # the samples' own covariance (np.cov), regularised, in a Gaussian log-density
    cov = np.cov(samples, rowvar=False) + np.eye(3)
    diff = samples - mu
    sign, logdet = np.linalg.slogdet(cov)
    mahalanobis = np.sum(diff @ np.linalg.inv(cov) * diff, axis=1)
    return 0.5 * np.mean(mahalanobis) + 0.5 * logdet
