"""Lists, tuples and dicts that share what they hold (`lst = [y]; lst[0] += x`, `al = lst`,
`d["h"].append(v)`), change while a loop or a lazy `map` still reads them, or gain a key: the
value, gradient, forward derivative and Hessian-vector product are right, or srcgrad refuses at
the user's line with advice that leads to a right program."""

from __future__ import annotations

import copy
import inspect

import container_alias_cases as cases
import numpy as np
import pytest
from finite_differences import gradient as finite_differences

import srcgrad

TANGENT = np.array([0.3, -0.2, 0.5, 0.1])


def _fresh(args):
    return copy.deepcopy(list(args))


def _plain(fn, args):
    return lambda x: fn(x, *_fresh(args[1:]))


def _assert_right(fn, args, hessian: bool = False):
    """Value and gradient against plain Python and finite differences; the forward derivative
    along TANGENT; the Hessian-vector product against differences of the gradient."""
    plain = _plain(fn, args)
    value, got = srcgrad.value_and_grad(fn)(*_fresh(args))
    np.testing.assert_allclose(value, plain(args[0].copy()), rtol=1e-12, atol=1e-12)
    want = finite_differences(plain, (args[0].copy(),), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(srcgrad.grad(fn)(*_fresh(args)), want, rtol=1e-6, atol=1e-6)
    _, derivative = srcgrad.jvp(fn, tuple(_fresh(args)), TANGENT, wrt=0)
    step = 1e-6
    expected = (plain(args[0] + step * TANGENT) - plain(args[0] - step * TANGENT)) / (2 * step)
    np.testing.assert_allclose(derivative, expected, rtol=1e-5, atol=1e-5)
    if hessian:
        product = srcgrad.hvp(fn)(TANGENT, *_fresh(args))
        gradient = srcgrad.grad(fn)
        step = 1e-5
        ahead = gradient(args[0] + step * TANGENT, *_fresh(args[1:]))
        behind = gradient(args[0] - step * TANGENT, *_fresh(args[1:]))
        np.testing.assert_allclose(product, (ahead - behind) / (2 * step), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(cases.RIGHT))
def test_right_in_every_mode(name):
    fn, args = cases.RIGHT[name]
    _assert_right(fn, args, hessian=True)


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    marked = [first + k for k, line in enumerate(lines) if "# refused here" in line]
    assert len(marked) == 1, f"{fn.__name__} must mark one line '# refused here'"
    return marked[0]


def _assert_refused_at_the_line(call, fn):
    with pytest.raises(srcgrad.SrcgradError) as caught:
        call()
    error = caught.value
    line = _marked_line(fn)
    assert error.origin is not None
    assert (error.origin.filename, error.origin.lineno) == (inspect.getsourcefile(fn), line)
    assert f"{cases.__file__}:{line}" in str(error)
    assert error.hint and str(error).endswith(error.hint)  # advice, on the last line


@pytest.mark.parametrize("name", sorted(cases.REFUSED))
def test_refused_at_the_line_with_advice_that_works(name):
    fn, fixed, args = cases.REFUSED[name]
    _assert_refused_at_the_line(lambda: srcgrad.grad(fn)(*_fresh(args)), fn)
    _assert_refused_at_the_line(lambda: srcgrad.value_and_grad(fn)(*_fresh(args)), fn)
    _assert_refused_at_the_line(lambda: srcgrad.jvp(fn, tuple(_fresh(args)), TANGENT, wrt=0), fn)
    _assert_refused_at_the_line(lambda: srcgrad.hvp(fn)(TANGENT, *_fresh(args)), fn)
    _assert_right(fixed, args)
