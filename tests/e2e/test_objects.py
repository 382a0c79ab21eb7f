"""Objects of the user's classes in differentiated code: methods, a method calling another,
callable objects, properties and attributes, objects in a list, objects made from
differentiated values, and objects passed as the differentiated argument, in reverse and
forward mode, against finite differences; and what is refused, at the user's line."""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad


class Gaussian:
    def __init__(self, mean, log_std):
        self.mean = mean
        self.log_std = log_std

    @property
    def std(self):
        return np.exp(self.log_std)

    def log_prob(self, x):
        z = (x - self.mean) / self.std
        return np.sum(-0.5 * z**2 - self.log_std)

    def loss(self, x):
        return -self.log_prob(x) + 0.1 * np.sum(self.mean**2)


class Dense:
    def __init__(self, W, activation=np.tanh):
        self.W = W
        self.activation = activation

    def __call__(self, x):
        return self.activation(x @ self.W)


class Computed:
    def __init__(self, log_std):
        self.std = np.exp(log_std)  # computed in __init__: refused


class Counter:
    def __init__(self, w):
        self.w = w

    def bump(self, x):
        self.w = self.w + x  # a method that changes its object: refused
        return self.w


X = np.array([0.3, -0.2, 1.1])


def made_here(mean, log_std):
    q = Gaussian(mean, log_std)
    return q.loss(X) + np.sum(q.std)


def layers_in_a_list(W1, W2):
    layers = [Dense(W1), Dense(W2, activation=np.sin)]
    h = X[None, :]
    for layer in layers:
        h = layer(h)
    return np.sum(h**2)


def object_argument(q):
    return q.loss(X)


def computed(log_std):
    d = Computed(log_std)
    return np.sum(d.std)


def mutated(w):
    c = Counter(w)
    return np.sum(c.bump(X))


def _check(fn, args, wrt):
    value, got = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    assert np.allclose(value, fn(*args), rtol=1e-12)
    got = got if isinstance(wrt, tuple) else (got,)
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    for k, g in zip(indices, got):

        def one(v, k=k):
            changed = list(args)
            changed[k] = v
            return fn(*changed)

        np.testing.assert_allclose(g, finite_differences(one, (args[k],)), rtol=1e-6, atol=1e-8)
    directions = tuple(np.random.default_rng(k).normal(size=np.shape(args[k])) for k in indices)
    _, tangent = srcgrad.jvp(
        fn, tuple(args), directions if len(indices) > 1 else directions[0], wrt=wrt
    )
    want = sum(np.sum(g * d) for g, d in zip(got, directions))
    np.testing.assert_allclose(tangent, want, rtol=1e-6, atol=1e-8)


def test_an_object_made_from_differentiated_values():
    _check(made_here, (np.array([0.1, 0.2, -0.3]), np.array([0.0, 0.1, -0.2])), (0, 1))


def test_callable_objects_in_a_list():
    rng = np.random.default_rng(0)
    _check(layers_in_a_list, (rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), (0, 1))


def test_an_object_as_the_differentiated_argument():
    q = Gaussian(np.array([0.1, 0.2, -0.3]), np.array([0.0, 0.1, -0.2]))
    got = srcgrad.grad(object_argument)(q)
    assert type(got) is Gaussian

    def by_mean(m):
        return object_argument(Gaussian(m, q.log_std))

    np.testing.assert_allclose(got.mean, finite_differences(by_mean, (q.mean,)), rtol=1e-6)
    tangent = Gaussian(np.ones(3), np.zeros(3))
    _, along = srcgrad.jvp(object_argument, (q,), (tangent,))
    np.testing.assert_allclose(along, np.sum(got.mean), rtol=1e-6)


class Module:  # (PyTorch's habit: __call__ passes every input on to forward)
    def __call__(self, *inputs):
        return self.forward(*inputs)

    def parameters(self):
        return []


class Affine(Module):
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def forward(self, x):
        return x * self.w + self.b

    def parameters(self):
        return [self.w, self.b]


class Sine(Module):
    def forward(self, x):
        return np.sin(x)


class Stack(Module):
    def __init__(self, w, b):
        self.first = Affine(w, b)
        self.act = Sine()
        self.second = Affine(b, w)

    def forward(self, x):
        return self.second(self.act(self.first(x)))

    def parameters(self):  # (lists joined, each from a method known only as the code runs)
        return self.first.parameters() + self.second.parameters()


def modules_with_star_inputs_and_joined_parameters(w, b):
    model = Stack(w, b)
    penalty = 0.0
    for p in model.parameters():
        penalty = penalty + np.sum(p**2)
    return np.sum(model(np.array([0.5, -1.0, 2.0])) ** 2) + 0.1 * penalty


def test_modules_with_star_inputs_and_joined_parameters():
    _check(
        modules_with_star_inputs_and_joined_parameters,
        (np.array([0.1, 0.2, -0.3]), np.array([0.3, -0.1, 0.2])),
        (0, 1),
    )


def test_a_hessian_through_an_object_is_refused_at_its_line():
    with pytest.raises(srcgrad.SrcgradError, match="a second derivative") as info:
        srcgrad.hessian(made_here, wrt=0)(np.array([0.1, 0.2, -0.3]), np.zeros(3))
    assert "test_objects.py" in str(info.value)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (computed, "the value its __init__ stores in 'std' is none of its arguments"),
        (mutated, "which changes its argument 'self' in place"),
    ],
)
def test_what_cannot_be_followed_is_refused_at_its_line(fn, message):
    with pytest.raises(srcgrad.SrcgradError, match=message) as info:
        srcgrad.grad(fn)(np.array([0.1, 0.2, 0.3]))
    assert "test_objects.py" in str(info.value)
