"""Parameter trees as differentiated arguments: namedtuples, dataclasses (frozen too) and
SimpleNamespaces read by attribute (`params.W`), nested in each other and in lists and dicts.
The gradient has the argument's own type and structure; forward mode takes a tangent tree;
`hessian`, `hvp` and `jacobian` take trees too, and agree with the same function written over
one flat vector."""

from __future__ import annotations

import collections
import dataclasses
import types

import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad
from srcgrad.api import trees

P = collections.namedtuple("P", "W b")


@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray
    activation: object = np.tanh  # a function in the tree: kept as it is in the gradient


@dataclasses.dataclass(frozen=True)
class Frozen:
    W: np.ndarray
    b: np.ndarray


def affine_loss(p, x):
    return np.sum(np.tanh(x @ p.W + p.b) ** 2)


def layers_loss(layers, x):
    for layer in layers:
        x = np.tanh(x @ layer.W + layer.b)
    return np.sum(x**2)


def activation_field(layer, x):
    return np.sum(np.sin(x @ layer.W) * layer.b)


def nested_loss(model, x):
    h = np.sin(x @ model.encoder.W + model.encoder.b)
    return np.sum((h @ model.decoder.W + model.decoder.b) ** 2)


def mixed_access(p, x):
    W = p.W
    return np.sum(W.T @ W) + np.sum(p[1] * p.b) + np.sum(x @ p.W)


def dict_of_records(params, x):
    return np.sum(np.cos(x @ params["layer"].W) + params["scale"] * params["layer"].b)


def _rng():
    return np.random.default_rng(0)


def _trees():
    rng = _rng()

    def n(*shape):
        return rng.normal(size=shape)

    return {
        "namedtuple": (affine_loss, P(n(3, 2), n(2))),
        "dataclass": (affine_loss, Layer(n(3, 2), n(2))),
        "frozen": (affine_loss, Frozen(n(3, 2), n(2))),
        "namespace": (affine_loss, types.SimpleNamespace(W=n(3, 2), b=n(2))),
        "list of records": (layers_loss, [P(n(3, 4), n(4)), Layer(n(4, 2), n(2))]),
        "function field": (activation_field, Layer(n(3, 2), n(2), np.sin)),
        "nested": (
            nested_loss,
            types.SimpleNamespace(encoder=P(n(3, 4), n(4)), decoder=Layer(n(4, 2), n(2))),
        ),
        "index and attribute": (mixed_access, P(n(3, 2), n(2))),
        "dict of records": (dict_of_records, {"layer": Frozen(n(3, 2), n(2)), "scale": 0.5}),
    }


CASES = _trees()
X = _rng().normal(size=(4, 3))


def _leaf_gradients(fn, tree, x) -> list:
    """Central differences of `fn(tree, x)` with respect to each leaf, one at a time."""
    found = []
    for k, leaf in enumerate(trees.leaves(tree)):

        def at(value, k=k):
            parts = list(trees.leaves(tree))
            parts[k] = value
            return fn(trees.rebuild(tree, iter(parts)), x)

        found.append(finite_differences(at, [np.array(leaf, dtype=float)], 0))
    return found


@pytest.mark.parametrize("name", sorted(CASES))
def test_reverse_mode_gives_a_gradient_of_the_same_type(name):
    fn, tree = CASES[name]
    value, got = srcgrad.value_and_grad(fn)(tree, X)
    assert value == pytest.approx(fn(tree, X), rel=1e-12)
    assert trees.same_structure(got, tree), (got, tree)
    if isinstance(tree, Layer):
        assert got.activation is tree.activation
    for g, want in zip(trees.leaves(got), _leaf_gradients(fn, tree, X)):
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_mode_takes_a_tangent_tree(name):
    fn, tree = CASES[name]
    rng = np.random.default_rng(1)
    direction = trees.mapped(lambda leaf: rng.normal(size=np.shape(leaf)), tree)
    if isinstance(tree, dict):
        direction["scale"] = float(direction["scale"])
    value, tangent = srcgrad.jvp(fn, (tree, X), direction, wrt=0)
    assert value == pytest.approx(fn(tree, X), rel=1e-12)
    want = sum(
        np.sum(g * d)
        for g, d in zip(_leaf_gradients(fn, tree, X), trees.leaves(direction), strict=True)
    )
    assert tangent == pytest.approx(want, rel=1e-6, abs=1e-8)


def test_the_callers_tree_is_left_as_it_was():
    fn, tree = CASES["dataclass"]
    before = [np.copy(leaf) for leaf in trees.leaves(tree)]
    srcgrad.grad(fn)(tree, X)
    for leaf, old in zip(trees.leaves(tree), before):
        np.testing.assert_array_equal(leaf, old)


def _vector(tree) -> np.ndarray:
    return np.concatenate([np.ravel(leaf) for leaf in trees.leaves(tree)])


def _hessian_tree_fn(d, x):
    return np.sum(np.sin(x @ d["a"]["W"])) + np.sum(d["b"][0] ** 3) * d["a"]["c"]


def _hessian_flat(v):  # the same function of the leaves in one vector
    return np.sum(np.sin(X @ v[:6].reshape(3, 2))) + np.sum(v[7:9] ** 3) * v[6]


def _hessian_tree():
    rng = np.random.default_rng(2)
    return {"a": {"W": rng.normal(size=(3, 2)), "c": 0.7}, "b": [rng.normal(size=2)]}


def test_hessian_of_a_tree_is_a_tree_of_trees_of_blocks():
    tree = _hessian_tree()
    got = srcgrad.hessian(_hessian_tree_fn)(tree, X)
    want = srcgrad.hessian(_hessian_flat)(_vector(tree))
    leaves = trees.leaves(tree)
    sizes = [int(np.size(leaf)) for leaf in leaves]
    edges = np.cumsum([0, *sizes])
    blocks = trees.leaves(got)  # row by row: the blocks of leaf i sit where x holds leaf i
    assert len(blocks) == len(leaves) ** 2
    for i in range(len(leaves)):
        for j in range(len(leaves)):
            block = blocks[i * len(leaves) + j]
            assert np.shape(block) == np.shape(leaves[i]) + np.shape(leaves[j])
            np.testing.assert_allclose(
                np.reshape(block, (sizes[i], sizes[j])),
                want[edges[i] : edges[i + 1], edges[j] : edges[j + 1]],
                rtol=1e-10,
                atol=1e-12,
            )


def test_hvp_of_a_tree_takes_and_gives_trees():
    tree = _hessian_tree()
    rng = np.random.default_rng(3)
    v = trees.mapped(lambda leaf: rng.normal(size=np.shape(leaf)), tree)
    v["a"]["c"] = float(v["a"]["c"])
    got = srcgrad.hvp(_hessian_tree_fn)(v, tree, X)
    assert trees.same_structure(got, tree)
    want = srcgrad.hessian(_hessian_flat)(_vector(tree)) @ _vector(v)
    np.testing.assert_allclose(
        np.concatenate([np.ravel(g) for g in trees.leaves(got)]), want, rtol=1e-10, atol=1e-12
    )
    with pytest.raises(srcgrad.WrtError, match="structure"):
        srcgrad.hvp(_hessian_tree_fn)({"a": v["a"]}, tree, X)


def _outputs(p, x):
    return np.tanh(x @ p.W + p.b).ravel()


def _outputs_flat(v):
    return np.tanh(X @ v[:6].reshape(3, 2) + v[6:]).ravel()


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_with_respect_to_a_record(mode):
    p = CASES["namedtuple"][1]
    got = srcgrad.jacobian(_outputs, mode=mode)(p, X)
    assert type(got) is P
    want = srcgrad.jacobian(_outputs_flat)(_vector(p))
    np.testing.assert_allclose(got.W.reshape(8, 6), want[:, :6], rtol=1e-12)
    np.testing.assert_allclose(got.b, want[:, 6:], rtol=1e-12)


class Plain:
    def __init__(self, W):
        self.W = W


def _object_loss(p, x):
    return np.sum(np.tanh(x @ p.W + p.b) ** 2)


def test_an_object_of_the_users_is_a_tree_of_its_attributes():
    p = Plain(np.ones((3, 2)))
    p.b = np.zeros(2)
    got = srcgrad.grad(_object_loss)(p, X)
    want = srcgrad.grad(affine_loss)(P(p.W, p.b), X)
    assert type(got) is Plain
    np.testing.assert_allclose(got.W, want.W, rtol=1e-12)
    np.testing.assert_allclose(got.b, want.b, rtol=1e-12)


def _real_part(p):
    W = p.W
    return np.sum(W.real * W.T.T) + np.sum(p.b.shape[0] * p.b)


def test_an_attribute_of_an_array_in_a_tree_is_the_arrays():
    p = P(np.arange(6.0).reshape(3, 2), np.ones(2))
    got = srcgrad.grad(_real_part)(p)
    np.testing.assert_allclose(got.W, 2 * p.W)
    np.testing.assert_allclose(got.b, [2.0, 2.0])


def test_past_eight_shapes_the_code_for_every_shape_knows_the_record():
    # (the code for every shape knew no argument's kind: `p.W` was no attribute it knew)
    transformed = srcgrad.grad(affine_loss)
    for n in range(1, 12):
        p, x = types.SimpleNamespace(W=np.ones((3, 2)), b=np.zeros(2)), np.ones((n, 3)) * 0.1
        got = transformed(p, x)
        want = srcgrad.grad(affine_loss)(P(p.W, p.b), x)
        np.testing.assert_allclose(got.W, want.W, rtol=1e-12)


@dataclasses.dataclass
class LogScale:
    log_s: float

    @property
    def s(self):
        return np.exp(self.log_s)


def _scaled(x, q):
    return x * q.s


def test_a_namespace_is_not_served_the_code_of_an_object_of_a_class():
    # (their signatures were equal: the namespace's `q.s` was read as the class's property)
    transformed = srcgrad.grad(_scaled)
    assert transformed(2.0, LogScale(0.5)) == pytest.approx(np.exp(0.5))
    assert transformed(2.0, types.SimpleNamespace(s=3.0, log_s=0.5)) == pytest.approx(3.0)
