"""Every corpus function through `srcgrad.grad` and `value_and_grad`, against finite differences.

Besides the gradient's values, each case checks what a user relies on without thinking about
it: gradients have their inputs' shapes and dtypes (integer inputs give float gradients), the
caller's arrays are left as they were, `value_and_grad` agrees with the function and with
`grad`, a second call (the cached path) gives the same answer, and `.source` is readable code.
Known gaps in srcgrad are strict xfails listed in KNOWN_GAPS, with the symptom as the reason.
"""

from __future__ import annotations

import copy
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import srcgrad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import corpus
import corpus_control  # noqa: F401  (importing it registers the control-flow cases)
import corpus_realworld  # noqa: F401  (and the real-world ones)
import finite_differences

FLOAT64_TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}
FLOAT32_TOLERANCE = {"rtol": 2e-3, "atol": 2e-4}  # reference computed in float64

# name -> why srcgrad fails on it today (symptom; suspected cause)
KNOWN_GAPS: dict[str, str] = {
    # control-flow corpus (corpus_control.py): the next work
}


def _params():
    for item in corpus.CASES:
        marks = ()
        if item.name in KNOWN_GAPS:
            marks = pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[item.name])
        yield pytest.param(item, id=item.name, marks=marks)


def _arguments(item: corpus.Case) -> tuple:
    rng = np.random.default_rng(zlib.crc32(item.name.encode()))
    return tuple(item.inputs(rng))


def _snapshot(args: tuple) -> list:
    return [copy.deepcopy(a) for a in args]


def _as_tuple(gradients, is_tuple: bool) -> tuple:
    return tuple(gradients) if is_tuple else (gradients,)


def _is_float32(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype == np.float32


def _leaves(value) -> list:
    """The arrays and numbers of a value that may be a list, tuple or dict of them."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for part in value for leaf in _leaves(part)]
    return [value]


def _assert_same_structure(value, gradient) -> None:
    """A container argument's gradient is a container of the same kind, keys and length."""
    assert type(gradient) is type(value) or not isinstance(value, (list, tuple, dict))
    if isinstance(value, dict):
        assert sorted(gradient) == sorted(value)
    elif isinstance(value, (list, tuple)):
        assert len(gradient) == len(value)


def _expected_dtype(value) -> np.dtype:
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f":
        return value.dtype
    return np.dtype(np.float64)  # Python floats and ints, integer arrays


def _assert_same(a, b, what: str) -> None:
    for x, y in zip(a, b, strict=True):
        for p, q in zip(_leaves(x), _leaves(y), strict=True):
            np.testing.assert_array_equal(p, q, err_msg=what)


_REFERENCES: dict[str, tuple] = {}


def _reference(item: corpus.Case, args: tuple) -> tuple:
    """The finite-difference gradients of a case (computed once, for both modes' tests)."""
    if item.name not in _REFERENCES:
        _, is_tuple = finite_differences.wrt_indices(item.fn, item.wrt)
        found = finite_differences.gradient(item.fn, args, item.wrt)
        _REFERENCES[item.name] = _as_tuple(found, is_tuple)
    return _REFERENCES[item.name]


def _random_like(value, rng):
    """A random tangent with the structure, shapes and float dtype of `value`."""
    if isinstance(value, dict):
        return {key: _random_like(value[key], rng) for key in value}
    if isinstance(value, (list, tuple)):
        return type(value)(_random_like(part, rng) for part in value)
    if isinstance(value, np.ndarray):
        dtype = value.dtype if value.dtype.kind == "f" else np.float64
        return rng.standard_normal(value.shape).astype(dtype)
    return float(rng.standard_normal())


# name -> why forward mode fails on it today
FORWARD_GAPS: dict[str, str] = {}


def _forward_params():
    for item in corpus.CASES:
        reason = FORWARD_GAPS.get(item.name) or KNOWN_GAPS.get(item.name)
        marks = pytest.mark.xfail(strict=True, reason=reason) if reason else ()
        yield pytest.param(item, id=item.name, marks=marks)


@pytest.mark.parametrize("item", list(_forward_params()))
def test_corpus_function_forward(item: corpus.Case):
    """`srcgrad.jvp` along random tangents equals the finite-difference gradients dotted with
    them; the value is the function's, and the caller's inputs are left alone."""
    args = _arguments(item)
    before = _snapshot(args)
    indices, is_tuple = finite_differences.wrt_indices(item.fn, item.wrt)
    rng = np.random.default_rng(zlib.crc32(item.name.encode()) + 7)
    tangents = tuple(_random_like(args[i], rng) for i in indices)
    tolerance = FLOAT32_TOLERANCE if any(map(_is_float32, args)) else FLOAT64_TOLERANCE

    value, result = srcgrad.jvp(item.fn, args, tangents, wrt=tuple(indices))
    _assert_same(before, args, "jvp changed the caller's inputs")
    expected = sum(
        sum(np.sum(np.asarray(g, dtype=float) * t) for g, t in zip(_leaves(want), _leaves(tan)))
        for want, tan in zip(_reference(item, args), tangents, strict=True)
    )
    assert np.shape(result) == ()
    scale = sum(np.sum(np.abs(t)) for tan in tangents for t in _leaves(tan))
    np.testing.assert_allclose(
        result,
        expected,
        rtol=tolerance["rtol"],
        atol=tolerance["atol"] * max(1.0, scale),
        err_msg="tangent vs finite differences",
    )
    np.testing.assert_allclose(value, item.fn(*args), rtol=tolerance["rtol"] * 1e-2, atol=0)


def test_corpus_names_are_unique_and_gaps_exist():
    names = [item.name for item in corpus.CASES]
    assert len(names) == len(set(names))
    assert len(names) >= 90
    assert set(KNOWN_GAPS) <= set(names)


@pytest.fixture
def release_everything(monkeypatch):
    """Generated code that lets go of every value after its last read (`del`), not only of
    large arrays; the caches are emptied before and after, so no other test sees this code."""
    from srcgrad.api.gradient import forget_generated_code as empty
    from srcgrad.optimize import release

    empty()
    monkeypatch.setattr(release, "LARGE", 1)
    yield
    monkeypatch.undo()
    empty()


@pytest.mark.parametrize("item", list(_params()))
def test_corpus_function_releasing_every_value(item: corpus.Case, release_everything):
    args = _arguments(item)
    _, is_tuple = finite_differences.wrt_indices(item.fn, item.wrt)
    tolerance = FLOAT32_TOLERANCE if any(map(_is_float32, args)) else FLOAT64_TOLERANCE
    gradients = _as_tuple(srcgrad.grad(item.fn, wrt=item.wrt)(*args), is_tuple)
    expected = _reference(item, args)
    for got, want in zip(gradients, expected, strict=True):
        for got_leaf, want_leaf in zip(_leaves(got), _leaves(want)):
            np.testing.assert_allclose(got_leaf, want_leaf, **tolerance)


@pytest.mark.parametrize("item", list(_params()))
def test_corpus_function(item: corpus.Case):
    args = _arguments(item)
    before = _snapshot(args)
    indices, is_tuple = finite_differences.wrt_indices(item.fn, item.wrt)
    differentiated = [args[i] for i in indices]
    tolerance = FLOAT32_TOLERANCE if any(map(_is_float32, args)) else FLOAT64_TOLERANCE

    transformed = srcgrad.grad(item.fn, wrt=item.wrt)
    gradients = _as_tuple(transformed(*args), is_tuple)
    _assert_same(before, args, "grad changed the caller's inputs")

    expected = _reference(item, args)
    assert len(gradients) == len(expected)
    for value, got, want in zip(differentiated, gradients, expected):
        _assert_same_structure(value, got)
        for leaf, got_leaf, want_leaf in zip(_leaves(value), _leaves(got), _leaves(want)):
            assert np.shape(got_leaf) == np.shape(leaf), "gradient shape differs from the input's"
            assert np.result_type(got_leaf) == _expected_dtype(leaf), "gradient dtype"
            np.testing.assert_allclose(
                got_leaf, want_leaf, **tolerance, err_msg="gradient vs finite differences"
            )

    _assert_same(_as_tuple(transformed(*args), is_tuple), gradients, "second call differs")
    fresh = srcgrad.grad(item.fn, wrt=item.wrt)
    _assert_same(_as_tuple(fresh(*args), is_tuple), gradients, "cached gradient differs")

    value, with_value = srcgrad.value_and_grad(item.fn, wrt=item.wrt)(*args)
    _assert_same(before, args, "value_and_grad changed the caller's inputs")
    exact = item.fn(*args)
    assert np.shape(value) == ()
    np.testing.assert_allclose(value, exact, rtol=tolerance["rtol"] * 1e-2, atol=0)
    for got, want in zip(_as_tuple(with_value, is_tuple), gradients, strict=True):
        for got_leaf, want_leaf in zip(_leaves(got), _leaves(want), strict=True):
            np.testing.assert_allclose(
                got_leaf, want_leaf, rtol=1e-12, atol=0, err_msg="value_and_grad"
            )

    source = transformed.source
    assert isinstance(source, str) and "def " in source
