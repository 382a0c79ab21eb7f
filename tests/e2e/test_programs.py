"""Programs written as users of other tools write them (tests/fixtures/programs.py): srcgrad's
value is plain Python's, its effects are plain Python's (what the program prints, the
arguments it updates in place), and its gradient (reverse mode), its directional derivative
(forward mode) and, for some, its Hessian agree with finite differences.

A program's differentiated argument may be a parameter tree (lists, tuples, dicts, namedtuples
and dataclasses of arrays and floats): finite differences perturb its leaves one element at a
time, and srcgrad's gradient must have the tree's structure (the same container types, keys
and fields). `wrt` is an index or a tuple of indices. The Hessian is checked along two
directions against the function's own second differences, and in full against differences of
srcgrad's gradient. A program that srcgrad refuses or gets wrong today is a strict xfail in the
modes its `xfail` names (programs.KNOWN_FAILURES), with the symptom as the reason.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import programs
import pytest

import srcgrad

NAMES = sorted(programs.CASES)
RELATIVE_STEP = 1e-4


# ---- parameter trees -------------------------------------------------------------------------


def _is_namedtuple(tree) -> bool:
    return isinstance(tree, tuple) and hasattr(type(tree), "_fields")


def _children(tree) -> list | None:
    """The children of a container node, in a fixed order (None for a leaf)."""
    if isinstance(tree, dict):
        return [tree[k] for k in tree]
    if isinstance(tree, (list, tuple)):
        return list(tree)
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return [getattr(tree, f.name) for f in dataclasses.fields(tree)]
    return None


def _rebuild(tree, children: list):
    """A node of `tree`'s type holding `children` instead of its own."""
    if isinstance(tree, dict):
        return dict(zip(tree, children))
    if _is_namedtuple(tree):
        return type(tree)(*children)
    if isinstance(tree, (list, tuple)):
        return type(tree)(children)
    names = [f.name for f in dataclasses.fields(tree)]
    return dataclasses.replace(tree, **dict(zip(names, children)))


def leaves(tree) -> list:
    children = _children(tree)
    if children is None:
        return [tree]
    return [leaf for child in children for leaf in leaves(child)]


def unflatten(like, values: list):
    """`like` with its leaves replaced, in order, by `values` (consumed from the front)."""
    children = _children(like)
    if children is None:
        return values.pop(0)
    return _rebuild(like, [unflatten(child, values) for child in children])


def ravel(tree) -> np.ndarray:
    parts = [np.ravel(np.asarray(leaf, dtype=float)) for leaf in leaves(tree)]
    return np.concatenate(parts) if parts else np.zeros(0)


def unravel(like, vector: np.ndarray):
    """A tree shaped like `like` whose leaves are read from `vector` (floats stay floats)."""
    values, start = [], 0
    for leaf in leaves(like):
        size = int(np.size(leaf))
        part = vector[start : start + size]
        start += size
        values.append(float(part[0]) if np.ndim(leaf) == 0 else part.reshape(np.shape(leaf)))
    return unflatten(like, values)


def assert_same_structure(got, like, path="gradient"):
    """`got` has `like`'s containers (type, keys, fields, lengths) and leaf shapes."""
    like_children = _children(like)
    if like_children is None:
        assert _children(got) is None, f"{path}: a leaf was expected, got {type(got).__name__}"
        assert np.shape(got) == np.shape(like), (
            f"{path}: shape {np.shape(got)}, the argument's is {np.shape(like)}"
        )
        return
    assert type(got) is type(like), (
        f"{path}: a {type(like).__name__} was expected, got {type(got).__name__}"
    )
    if isinstance(like, dict):
        assert list(got) == list(like), f"{path}: keys {list(got)}, expected {list(like)}"
    got_children = _children(got)
    assert len(got_children) == len(like_children), f"{path}: length {len(got_children)}"
    for k, (g, w) in enumerate(zip(got_children, like_children)):
        assert_same_structure(g, w, f"{path}[{k}]")


# ---- finite differences over trees ------------------------------------------------------------


def _setup(name):
    program = programs.CASES[name]
    args = program.make_args(np.random.default_rng(0))
    indices = program.wrt if isinstance(program.wrt, tuple) else (program.wrt,)
    return program, list(args), indices


def _with_vector(fn, args, indices, vector):
    """fn(*args) with the wrt arguments' leaves read from one flat vector."""
    changed, start = list(args), 0
    for i in indices:
        size = ravel(args[i]).size
        changed[i] = unravel(args[i], vector[start : start + size])
        start += size
    return fn(*changed)


def differences(fn, args, indices) -> np.ndarray:
    """The gradient of fn with respect to all the leaves of args[indices], flattened in order:
    five-point central differences, one element at a time."""
    x = np.concatenate([ravel(args[i]) for i in indices])
    out = np.empty_like(x)
    for k in range(x.size):

        def along(t, k=k):
            moved = x.copy()
            moved[k] = t
            value = _with_vector(fn, args, indices, moved)
            assert np.size(value) == 1, f"{fn.__name__} returned shape {np.shape(value)}"
            return float(np.asarray(value).reshape(()))

        h = RELATIVE_STEP * max(1.0, abs(x[k]))
        h = (x[k] + h) - x[k]
        near = along(x[k] + h) - along(x[k] - h)
        far = along(x[k] + 2 * h) - along(x[k] - 2 * h)
        out[k] = (8.0 * near - far) / (12.0 * h)
    return out


@functools.cache
def finite_differences(name) -> np.ndarray:
    program, args, indices = _setup(name)
    return differences(program.fn, args, indices)


def assert_close_to_differences(got, want, what):
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * scale, err_msg=what)


def _marks(name, mode):
    reason = programs.CASES[name].xfail.get(mode)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _params(mode, names=NAMES):
    return [pytest.param(n, marks=_marks(n, mode), id=n) for n in names]


# ---- the tests -------------------------------------------------------------------------------


def assert_same_effects(args, plain_args, indices):
    """The arguments that are not differentiated end as plain Python left them (a program may
    update them in place: running statistics, a history list)."""
    for i, (got, want) in enumerate(zip(args, plain_args)):
        if i in indices:
            continue
        for g, w in zip(leaves(got), leaves(want)):
            if isinstance(w, np.ndarray):
                np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=f"argument {i}")
            else:
                assert g is w or g == w, f"argument {i}: {g!r} != {w!r}"


def plain_call(name, capsys):
    """The program's value called as plain Python, its arguments after the call, and what it
    printed."""
    program, plain_args, _ = _setup(name)
    capsys.readouterr()
    value = program.fn(*plain_args)
    return value, plain_args, capsys.readouterr().out


@pytest.mark.parametrize("name", _params("reverse"))
def test_reverse_mode(name, capsys):
    want, plain_args, printed = plain_call(name, capsys)
    program, args, indices = _setup(name)
    value, got = srcgrad.value_and_grad(program.fn, wrt=program.wrt)(*args)
    np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-12)
    assert capsys.readouterr().out == printed, "what the program prints"
    assert_same_effects(args, plain_args, indices)
    gradients = got if isinstance(program.wrt, tuple) else (got,)
    assert len(gradients) == len(indices)
    for i, gradient in zip(indices, gradients):
        assert_same_structure(gradient, args[i])
    flat = np.concatenate([ravel(g) for g in gradients])
    assert_close_to_differences(flat, finite_differences(name), f"gradient of {name}")


@pytest.mark.parametrize("name", _params("forward"))
def test_forward_mode(name, capsys):
    want, plain_args, printed = plain_call(name, capsys)
    program, args, indices = _setup(name)
    rng = np.random.default_rng(1)
    directions = [unravel(args[i], rng.normal(size=ravel(args[i]).size)) for i in indices]
    tangents = tuple(directions) if isinstance(program.wrt, tuple) else directions[0]
    value, tangent = srcgrad.jvp(program.fn, tuple(args), tangents, wrt=program.wrt)
    np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-12)
    assert capsys.readouterr().out == printed, "what the program prints"
    assert_same_effects(args, plain_args, indices)
    direction = np.concatenate([ravel(d) for d in directions])
    fd = finite_differences(name)
    scale = max(1.0, float(np.abs(fd) @ np.abs(direction)))
    np.testing.assert_allclose(tangent, float(fd @ direction), rtol=1e-6, atol=1e-7 * scale)


def second_directional_derivative(fn, args, index, x, v) -> float:
    """d^2/dt^2 fn(x + t v) at t = 0 from values of fn alone: central second differences at
    steps h and h/2, extrapolated (Richardson), so O(h**4)."""

    def f(t):
        changed = list(args)
        moved = x + t * v
        changed[index] = moved if x.ndim else float(moved)
        return float(np.asarray(fn(*changed)).reshape(()))

    h = 3e-3 * max(1.0, float(np.max(np.abs(x))))
    center = f(0.0)

    def at(step):
        return (f(step) - 2 * center + f(-step)) / step**2

    return (4 * at(h / 2) - at(h)) / 3


@pytest.mark.parametrize(
    "name", _params("hessian", [n for n in NAMES if programs.CASES[n].hessian])
)
def test_hessian(name):
    program, args, (index,) = _setup(name)
    got = srcgrad.hessian(program.fn, wrt=program.wrt)(*args)
    x = np.asarray(args[index], dtype=float)
    assert np.shape(got) == x.shape + x.shape
    # along two directions, against the function's own second differences (independent of
    # srcgrad) ...
    rng = np.random.default_rng(2)
    for _ in range(2):
        v = rng.normal(size=x.shape)
        quadratic = float(np.tensordot(np.tensordot(got, v, axes=v.ndim), v, axes=v.ndim))
        want = second_directional_derivative(program.fn, args, index, x, v)
        scale = max(1.0, abs(want))
        np.testing.assert_allclose(quadratic, want, rtol=1e-5, atol=1e-6 * scale, err_msg="v'Hv")
    # ... and against differences of srcgrad's own gradient
    gradient = srcgrad.grad(program.fn, wrt=program.wrt)

    def gradient_at(value):
        changed = list(args)
        changed[index] = value if np.ndim(args[index]) else float(value)
        return np.asarray(gradient(*changed), dtype=float)

    columns = []
    for k in range(x.size):  # central differences of the gradient, one input at a time
        step = np.zeros(x.size)
        step[k] = 1e-5 * max(1.0, abs(x.ravel()[k]))
        step = step.reshape(x.shape)
        columns.append((gradient_at(x + step) - gradient_at(x - step)) / (2 * step.max()))
    want = np.stack(columns, axis=-1).reshape(np.shape(got))
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * scale, err_msg="gradient")


def test_every_program_is_deterministic_and_scalar():
    for name in NAMES:
        program, args, _ = _setup(name)
        first, second = program.fn(*args), program.fn(*_setup(name)[1])
        assert np.size(first) == 1, name
        assert first == second, name


def test_a_parameter_tree_with_batches_of_many_sizes():
    """A training loop whose minibatches vary in size calls one gradient with many signatures:
    past the eighth, srcgrad serves them all with one generic version (which knows the
    structure of the tree: without it, the generated code crashed)."""
    program = programs.CASES["dict_params_classifier"]
    params, _, _, weight_decay = program.make_args(np.random.default_rng(0))
    gradient = srcgrad.value_and_grad(program.fn)
    rng = np.random.default_rng(3)
    for n in range(1, 11):
        args = [params, rng.normal(size=(n, 3)), rng.integers(0, 3, n), weight_decay]
        value, got = gradient(*args)
        np.testing.assert_allclose(value, program.fn(*args), rtol=1e-12, atol=1e-12)
        assert_same_structure(got, params)
        want = differences(program.fn, args, (0,))
        assert_close_to_differences(ravel(got), want, f"gradient with a batch of {n}")
