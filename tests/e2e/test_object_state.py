"""Changes of what an object holds, in every spelling, in every mode: right against finite
differences where srcgrad follows them (a cached property, an object made from `*layers`, a
counter that moves no derivative), refused at the user's line otherwise (a method that sets
an attribute of its object or appends to a list it holds, `setattr`, `object.__setattr__`,
`self.__dict__[...]`, a list or dict held by an attribute or an element written into), never
a silent zero: each of these was differentiated as if nothing had been written before."""

from __future__ import annotations

import inspect
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

X = np.random.default_rng(1).normal(size=(4, 3))


class Acc:
    def __init__(self, n=3):
        self.total = np.zeros(n)
        self.n = 0.0
        self.items = []
        self.params = {}

    def add_in_place(self, v):
        self.total += v
        return self

    def add(self, v):
        self.total = self.total + v
        return self

    def add_into_array(self, v):
        self.total[...] = self.total + v

    def count(self, v):
        self.n += v

    def push(self, v):
        self.items.append(v)

    def step(self, x, w):
        out = np.tanh(x @ w)
        self.items.append(out)
        return out

    def register(self, name, value):
        self.params[name] = value
        return value

    def set_by_setattr(self, v):
        setattr(self, "total", v)  # noqa: B010

    def set_by_object(self, v):
        object.__setattr__(self, "total", v)

    def set_by_dict(self, v):
        self.__dict__["total"] = v

    def set_by_vars(self, v):
        vars(self).update(total=v)

    def loss(self, x):
        return np.sum(np.tanh(x @ self.params["W"]) ** 2)


class Holder:
    def __init__(self, w):
        self.w = w

    def scale(self, k):
        self.w = self.w * k


class Tracker:
    def __init__(self):
        self.last = None

    def record(self, v):
        self.last = v


class Outer:
    def __init__(self):
        self.total = 0.0

    def inner(self, v):
        self.total = self.total + v

    def outer(self, v):
        self.inner(v)

    def pure(self, v):
        return v * 2.0

    def calls_pure(self, v):
        self.pure(v)


class Stored:
    def __init__(self):
        self.v = 0.0

    def put(self, v):
        self.v = v


STORED = Stored()


class Calls:
    def __init__(self):
        self.calls = 0

    def tick(self):
        self.calls = self.calls + 1


def augmented(w):
    acc = Acc()
    acc.add_in_place(w)  # refused
    acc.add_in_place(w**2)
    return np.sum(acc.total**2)


def assigned(w):
    acc = Acc()
    acc.add(np.sin(w))  # refused
    return np.sum(acc.total**2)


def into_an_array(w):
    acc = Acc()
    acc.add_into_array(np.sin(w))  # refused
    return np.sum(acc.total**2)


def chained(w):
    acc = Acc()
    acc.add(w).add(w * 2.0)  # refused
    return np.sum(acc.total**2)


def value_unused(w):
    acc = Acc()
    made = acc.add(w)  # refused  # noqa: F841
    return np.sum(acc.total**2)


def in_a_loop(w):
    acc = Acc()
    for x in X:
        acc.add(np.sin(x * w))  # refused
    return np.sum(acc.total)


def a_number(w):
    acc = Acc()
    acc.count(w[0])  # refused
    acc.count(w[1] ** 2)
    return acc.n * 3.0


def appended(w):
    acc = Acc()
    acc.push(w * 2.0)  # refused
    acc.push(w**2)
    return np.sum(acc.items[0] * acc.items[1])


def recorded_states(w):
    acc = Acc()
    for x in X:
        acc.step(x, w)  # refused
    return sum(acc.items)


def recorded_and_used(w):
    acc = Acc()
    total = 0.0
    for x in X:
        total = total + acc.step(x, w)  # refused
    return total + sum(acc.items)


def registered(w):
    acc = Acc()
    acc.register("W", w[:, None] * np.ones((3, 2)))  # refused
    return acc.loss(X)


def by_setattr_method(w):
    acc = Acc()
    acc.set_by_setattr(w * 3.0)  # refused
    return np.sum(acc.total**2)


def by_object_setattr_method(w):
    acc = Acc()
    acc.set_by_object(w * 3.0)  # refused
    return np.sum(acc.total**2)


def by_dict_method(w):
    acc = Acc()
    acc.set_by_dict(w * 3.0)  # refused
    return np.sum(acc.total**2)


def by_vars_method(w):
    acc = Acc()
    acc.set_by_vars(w * 3.0)  # refused
    return np.sum(acc.total**2)


def scaled(w):
    h = Holder(w)
    h.scale(2.0)  # refused
    return np.sum(h.w**2)


def appended_to_an_attribute(w):
    acc = Acc()
    acc.items.append(np.sum(w**2))  # refused
    return acc.items[0]


def extended_an_attribute(w):
    acc = Acc()
    acc.items.extend([w, w**2])  # refused
    return np.sum(acc.items[1] ** 2)


def appended_to_an_element(w):
    hist = {"h": []}
    hist["h"].append(np.sum(w**2))  # refused
    return hist["h"][0]


def appended_to_a_row(w):
    rows = [[], []]
    rows[0].append(np.sum(w**2))  # refused
    return rows[0][0]


def by_setattr(w):
    ns = SimpleNamespace()
    setattr(ns, "v", w * 2)  # refused  # noqa: B010
    return np.sum(ns.v**2)


def by_object_setattr(w):
    ns = SimpleNamespace()
    object.__setattr__(ns, "v", w * 2)  # refused
    return np.sum(ns.v**2)


def by_dunder_setattr(w):
    ns = SimpleNamespace()
    ns.__setattr__("v", w * 2)  # refused
    return np.sum(ns.v**2)


def through_a_bound_method(w):
    acc = Acc()
    push = acc.items.append  # refused
    push(w * 2.0)
    return np.sum(acc.items[0])


def given_tracker(w, tracker):
    tracker.record(np.sum(w**3))  # refused
    return tracker.last * 2.0


def through_another_method(w):
    o = Outer()
    o.outer(np.sum(w**2))  # refused
    return o.total


def a_module_level_object(w):
    STORED.put(np.sum(w**2))  # refused
    return STORED.v * 1.0


def unbound_method(w):
    acc = Acc()
    Acc.add(acc, w)  # refused
    return np.sum(acc.total**2)


REFUSED = [
    through_another_method,
    a_module_level_object,
    unbound_method,
    augmented,
    assigned,
    into_an_array,
    chained,
    value_unused,
    in_a_loop,
    a_number,
    appended,
    recorded_states,
    recorded_and_used,
    registered,
    by_setattr_method,
    by_object_setattr_method,
    by_dict_method,
    by_vars_method,
    scaled,
    appended_to_an_attribute,
    extended_an_attribute,
    appended_to_an_element,
    appended_to_a_row,
    by_setattr,
    by_object_setattr,
    by_dunder_setattr,
    through_a_bound_method,
]
W = np.array([0.3, -0.2, 0.5])
V = np.array([0.4, 0.1, -0.6])


def _refused_line(fn) -> str:
    """The line of `fn` marked `# refused`, as the error prints it."""
    lines, _ = inspect.getsourcelines(fn)
    return next(line for line in lines if "# refused" in line).split("#")[0].strip()


def _calls(fn, args):
    return {
        "grad": lambda: srcgrad.grad(fn)(*args),
        "value_and_grad": lambda: srcgrad.value_and_grad(fn)(*args),
        "jvp": lambda: srcgrad.jvp(fn, args, (V,), wrt=0),
        "hvp": lambda: srcgrad.hvp(fn)(V, *args),
    }


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "jvp", "hvp"])
@pytest.mark.parametrize("fn", REFUSED, ids=lambda f: f.__name__)
def test_a_change_of_what_an_object_holds_is_refused_at_its_line(fn, mode):
    with pytest.raises(srcgrad.SrcgradError) as info:
        _calls(fn, (W.copy(),))[mode]()
    message = str(info.value)
    assert "test_object_state.py" in message
    if not (fn is scaled and mode == "hvp"):  # (refused first where the tangent code reads h.w)
        assert _refused_line(fn) in message


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "jvp", "hvp"])
def test_an_object_given_as_an_argument_that_is_not_differentiated(mode):
    with pytest.raises(srcgrad.SrcgradError, match="record") as info:
        _calls(given_tracker, (W.copy(), Tracker()))[mode]()
    assert _refused_line(given_tracker) in str(info.value)


def test_a_method_that_changes_its_object_in_a_loop_is_refused_at_its_call():
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(in_a_loop)(W)
    message = str(info.value)
    assert "acc.add(np.sin(x * w))" in message and "'add'" in message
    assert "return what it computes" in message


# ---- what srcgrad follows, against finite differences ----


class Gaussian:
    def __init__(self, mu, log_s):
        self.mu = mu
        self.log_s = log_s

    @cached_property
    def s(self):
        return np.exp(self.log_s)

    def logp(self, x):
        return np.sum(-0.5 * ((x - self.mu) / self.s) ** 2 - self.log_s)


class Layer:
    def __init__(self, W):
        self.W = W

    @cached_property
    def squashed(self):
        return np.tanh(self.W)


class Wrapper:
    def __init__(self, layer):
        self.layer = layer

    def out(self):
        return np.sum(self.layer.squashed)  # refused


def cached_in_an_object_of_an_object(w):
    return Wrapper(Layer(w)).out()


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "jvp"])
def test_a_cached_property_of_a_class_known_as_the_code_runs_is_refused(mode):
    with pytest.raises(srcgrad.SrcgradError, match="reading 'squashed' of a Layer") as info:
        _calls(cached_in_an_object_of_an_object, (W.copy(),))[mode]()
    assert "self.layer.squashed" in str(info.value)


def cached(w):
    return -Gaussian(w[0], w[1]).logp(X[:, 0]) + w[2] ** 2


def cached_read_here(w):
    q = Gaussian(w[0], w[1])
    return np.sum(q.s * X[:, 0]) + q.s * w[2]


class Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return x @ self.W


class Sequential:
    def __init__(self, *layers):
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = np.tanh(layer(x))
        return x


def sequential(w):
    net = Sequential(Linear(w[:, None] * np.ones((3, 2))), Linear(np.ones((2, 1)) * w[0]))
    return np.sum(net(X))


def a_method_that_writes_nothing(w):
    o = Outer()
    o.calls_pure(w)
    return np.sum(w**2)


def a_counter_that_moves_nothing(w):
    calls = Calls()
    calls.tick()
    calls.tick()
    return np.sum(w**2) * calls.calls


FOLLOWED = [
    cached,
    cached_read_here,
    sequential,
    a_counter_that_moves_nothing,
    a_method_that_writes_nothing,
]


@pytest.mark.parametrize("fn", FOLLOWED, ids=lambda f: f.__name__)
def test_what_srcgrad_follows_is_right(fn):
    want = finite_differences(fn, (W.copy(),))
    value, got = srcgrad.value_and_grad(fn)(W.copy())
    np.testing.assert_allclose(value, fn(W.copy()), rtol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.grad(fn)(W.copy()), want, rtol=1e-6, atol=1e-8)
    _, along = srcgrad.jvp(fn, (W.copy(),), (V,))
    np.testing.assert_allclose(along, want @ V, rtol=1e-6, atol=1e-8)


def test_a_cached_property_already_cached_is_refused():
    q = Gaussian(0.3, -0.2)
    _ = q.s  # (cached before the call: plain Python reads that value)

    def logp(mu, q):
        return q.logp(X[:, 0]) * mu

    with pytest.raises(srcgrad.SrcgradError, match="cached property 's'"):
        srcgrad.grad(logp, wrt=1)(0.5, q)


def test_a_hessian_where_nothing_moves_through_the_object():
    got = srcgrad.hvp(a_counter_that_moves_nothing)(V, W.copy())
    np.testing.assert_allclose(got, 4.0 * V, rtol=1e-10)
