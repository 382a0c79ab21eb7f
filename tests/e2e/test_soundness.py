"""Never silently wrong (issue 14): programs that share memory or state get the right value and
gradient, or a refusal at the user's line whose advice leads to a right program; code generated
for names the program has since rebound is never run."""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest
import soundness_cases as cases
from finite_differences import gradient as finite_differences

import srcgrad


def _copies(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def _assert_right(fn, args):
    """srcgrad's value equals plain Python's, and its gradient equals finite differences."""
    want_value = fn(*_copies(args))
    value, got = srcgrad.value_and_grad(fn)(*_copies(args))
    np.testing.assert_allclose(value, want_value, rtol=1e-12, atol=1e-12)
    want = finite_differences(lambda *a: fn(*_copies(a)), tuple(_copies(args)), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(cases.RIGHT))
def test_right(name):
    fn, args = cases.RIGHT[name]
    _assert_right(fn, args)


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    marked = [first + k for k, line in enumerate(lines) if "# refused here" in line]
    assert len(marked) == 1, f"{fn.__name__} must mark one line '# refused here'"
    return marked[0]


@pytest.mark.parametrize("name", sorted(cases.REFUSED))
def test_refused_at_the_line_with_advice_that_works(name):
    fn, fixed, args = cases.REFUSED[name]
    with pytest.raises(srcgrad.SrcgradError) as caught:
        srcgrad.grad(fn)(*_copies(args))
    error = caught.value
    assert error.origin is not None
    assert (error.origin.filename, error.origin.lineno) == (
        inspect.getsourcefile(fn),
        _marked_line(fn),
    )
    message = str(error)
    assert f"{cases.__file__}:{_marked_line(fn)}" in message
    assert error.hint and message.endswith(error.hint)  # advice, on the last line
    _assert_right(fixed, args)


def test_the_refusal_names_both_lines_of_the_sharing():
    fn, _, _ = cases.REFUSED["view_then_base_updated"]
    with pytest.raises(srcgrad.SrcgradError, match=r"'v' \(from line \d+: v = y\[:2\]\)"):
        srcgrad.grad(fn)(cases.X.copy())


def test_a_refused_helper_names_the_line_in_the_helper_that_mutates():
    fn, _, _ = cases.REFUSED["helper_mutates"]
    line = inspect.getsourcelines(cases.bump)[1] + 1
    with pytest.raises(srcgrad.SrcgradError, match=rf"soundness_cases.py:{line}: a\[0\] = "):
        srcgrad.grad(fn)(cases.X.copy())


def test_no_return_is_an_error_not_a_zero_gradient():
    def no_return(x):
        y = np.sum(x * x)  # noqa: F841

    with pytest.raises(srcgrad.NonScalarOutputError, match="returns None"):
        srcgrad.grad(no_return)(cases.X.copy())


def test_the_pullback_names_the_shape_its_seed_must_have():
    def f(x):
        return x * 2.0

    _, pullback = srcgrad.vjp(f, cases.X.copy())
    with pytest.raises(srcgrad.WrtError, match=r"shape \(2,\).*shape \(3,\)"):
        pullback(np.ones(2))
    np.testing.assert_allclose(pullback(np.ones(3)), 2.0 * np.ones(3))


# ---- 5. stale code after a rebinding: each test runs the gradient often enough to reach the
# guarded fast path before it rebinds


def _module(text: str, name: str) -> types.ModuleType:
    """A module from `text`, with a file of its own (srcgrad reads source from files)."""
    import importlib.util
    import sys
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    path = folder / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


REBOUND = """
import numpy as np
import types

ACT = np.tanh
SCALE = 2.0
CONFIG = types.SimpleNamespace(act=np.tanh)


def helper(z):
    return z * 2.0


def by_global(x):
    return np.sum(ACT(x) * SCALE)


def by_helper(x):
    return np.sum(helper(x) * x)


def by_attribute(x):
    return np.sum(CONFIG.act(x))


def counter(k):
    def inner(x):
        return np.sum(x * k)

    def set_k(value):
        nonlocal k
        k = value

    return inner, set_k
"""


def _redefine(module, text: str) -> None:
    """Run `text` in the module, from a file of its own, as a notebook re-runs a cell."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "cell.py"
    path.write_text(text)
    exec(compile(text, str(path), "exec"), module.__dict__)


def _warm(fn, *args):
    for _ in range(3):
        fn(*args)


@pytest.fixture
def module(request):
    return _module(REBOUND, f"rebound_{request.node.name.replace('[', '_').rstrip(']')}")


def test_a_global_function_rebound_between_calls(module):
    x = cases.X.copy()
    old = srcgrad.grad(module.by_global)
    _warm(old, x)
    module.ACT = np.sin
    np.testing.assert_allclose(old(x), 2.0 * np.cos(x))
    np.testing.assert_allclose(srcgrad.grad(module.by_global)(x), 2.0 * np.cos(x))


def test_a_global_function_rebound_between_calls_in_forward_mode(module):
    x = cases.X.copy()
    forward = srcgrad.forward(module.by_global)
    _warm(forward, np.ones(3), x)
    module.ACT = np.sin
    np.testing.assert_allclose(forward(np.ones(3), x)[1], np.sum(2.0 * np.cos(x)))


def test_a_module_float_rebound_to_an_array(module):
    x = cases.X.copy()
    df = srcgrad.grad(module.by_global)
    _warm(df, x)
    module.SCALE = np.array([1.0, 2.0, 3.0])
    got = df(x)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, module.SCALE / np.cosh(x) ** 2)


def test_a_helper_redefined_like_a_notebook_cell(module):
    x = cases.X.copy()
    df = srcgrad.grad(module.by_helper)
    _warm(df, x)
    _redefine(module, "def helper(z):\n    return z * 5.0\n")
    np.testing.assert_allclose(df(x), 10.0 * x)
    np.testing.assert_allclose(srcgrad.grad(module.by_helper)(x), 10.0 * x)


def test_an_attribute_of_a_global_object_rebound(module):
    x = cases.X.copy()
    df = srcgrad.grad(module.by_attribute)
    _warm(df, x)
    module.CONFIG.act = np.sin
    np.testing.assert_allclose(df(x), np.cos(x))


def test_a_closure_variable_changed_through_nonlocal(module):
    x = cases.X.copy()
    inner, set_k = module.counter(2.0)
    df = srcgrad.grad(inner)
    _warm(df, x)
    set_k(7.0)
    np.testing.assert_allclose(df(x), 7.0 * np.ones(3))
    set_k(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(df(x), [1.0, 2.0, 3.0])
