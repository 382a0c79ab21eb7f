"""The optimizer's checks for `check_finite=True` (`srcgrad/optimize/finite.py`): `add_checks`
puts a `check_finite(dx, 'dx', where, line, {...})` call after every statement of the reverse
sweep that assigns or updates an adjoint, in loops and pullbacks too, naming the user's line and
the local values the statement read; it checks nothing else. The checked code raises
`NonFiniteError` at the first adjoint that holds a nan or an infinity, and otherwise gives the
same gradient.
"""

from __future__ import annotations

import re

import gast
import numpy as np
import pytest
from passes import context, define, optimized_tree, text

from srcgrad.errors import NonFiniteError
from srcgrad.front.context import Mode
from srcgrad.optimize.finite import add_checks

ROOTS = """
    def f(x, y):
        z = np.sqrt(x) * y
        m = np.max(z, axis=1)
        return np.sum(z) + np.mean(m)
    """
LOOP = """
    def f(x, n):
        y = x
        for i in range(n):
            y = np.sin(y) * y
        return y * 2.0
    """


def checked(source: str, *args, mode: Mode = Mode.GRAD):
    """The context, the optimized tree without checks, and with them."""
    ctx = context(define(source), *args, mode=mode)
    tree = optimized_tree(ctx)
    plain = gast.parse(text(tree)).body[0]
    add_checks(tree, ctx)
    return ctx, plain, tree


def run(tree: gast.FunctionDef, ctx, *args):
    scope = {**ctx.parsed.fn.__globals__, **ctx.support.injected}
    exec(compile(text(tree), "<test>", "exec"), scope)
    return scope[tree.name](*args)


def lines(tree: gast.FunctionDef) -> list[str]:
    return [line.strip() for line in text(tree).splitlines()]


def test_every_adjoint_assignment_is_followed_by_its_check():
    _, plain, tree = checked(ROOTS, np.ones((4, 3)), 2.0)
    out = lines(tree)
    adjoints = [line for line in lines(plain) if re.match(r"d\w+ \+?= ", line)]
    assert adjoints == [
        "dm = np.full_like(m, 0.25)",
        "dz = np.full_like(z, 1.0)",
        "dz += choose_adjoint(dm, m, z, 1, False)",
        "dx = dz * y * (0.5 / _t1)",
    ]
    for line in adjoints:
        name = line.split()[0]
        assert out[out.index(line) + 1].startswith(f"check_finite({name}, '{name}', ")
    assert sum(line.startswith("check_finite(") for line in out) == len(adjoints)


def test_a_check_names_the_users_line_and_the_values_read():
    ctx, _, tree = checked(ROOTS, np.ones((4, 3)), 2.0)
    out = lines(tree)
    check = out[out.index("dx = dz * y * (0.5 / _t1)") + 1]
    assert ":5:5', 'z = np.sqrt(x) * y', {'_t1': _t1, 'dz': dz, 'y': y})" in check
    update = out[out.index("dz += choose_adjoint(dm, m, z, 1, False)") + 1]
    assert "{'dm': dm, 'dz': dz, 'm': m, 'z': z}" in update  # `dz +=` reads dz too
    assert "'choose_adjoint'" not in update  # srcgrad's own helpers are not the user's values
    assert "check_finite" in ctx.support.injected


def test_the_forward_sweep_and_unmarked_statements_are_not_checked():
    ctx, plain, _ = checked(ROOTS, np.ones((4, 3)), 2.0)
    add_checks(plain, ctx)  # parsed again: no statement carries the reverse sweep's mark
    assert "check_finite" not in text(plain)
    _, _, tree = checked(ROOTS, np.ones((4, 3)), 2.0)
    out = lines(tree)
    assert out[out.index("z = _t1 * y") + 1] == "m = z.max(axis=1)"


def test_adjoints_in_a_loop_of_the_reverse_sweep_are_checked_inside_it():
    ctx, _, tree = checked(LOOP.replace("return y * 2.0", "return np.sum(y)"), np.ones(3), 3)
    forward, reverse = [s for s in tree.body if isinstance(s, gast.For)]
    adjoints = ctx.names.adjoints_all()
    updates = 0
    for stmt, after in zip(reverse.body, reverse.body[1:]):
        target = getattr(stmt, "target", None) or getattr(stmt, "targets", [None])[0]
        if isinstance(target, gast.Name) and target.id in adjoints:
            updates += 1
            assert text(after).startswith(f"check_finite({target.id}, '{target.id}', ")
    assert updates >= 2
    assert "check_finite" not in text(forward)


def test_a_pullbacks_adjoints_are_checked_inside_the_pullback():
    _, _, tree = checked(LOOP, np.ones(3), 3, mode=Mode.VJP)
    pullback = next(s for s in tree.body if isinstance(s, gast.FunctionDef))
    assert "check_finite(dy, 'dy', " in text(pullback)
    outside = [s for s in tree.body if not isinstance(s, gast.FunctionDef)]
    assert all("check_finite" not in text(s) for s in outside)


def test_the_checks_change_no_finite_gradient():
    x = np.linspace(0.5, 2.0, 12).reshape(4, 3)
    ctx, plain, tree = checked(ROOTS, x, 2.0)
    np.testing.assert_allclose(run(tree, ctx, x, 2.0), run(plain, ctx, x, 2.0))


def test_an_infinite_adjoint_stops_at_the_users_line():
    x = np.ones((4, 3))
    x[1, 2] = 0.0  # sqrt's derivative is infinite there
    ctx, plain, tree = checked(ROOTS, x, 2.0)
    with np.errstate(divide="ignore"):
        assert np.isinf(run(plain, ctx, x, 2.0)).any()
    with (
        np.errstate(divide="ignore"),
        pytest.raises(NonFiniteError, match=r"infinity in the adjoint dx.*\n.*np\.sqrt\(x\) \* y"),
    ):
        run(tree, ctx, x, 2.0)


@pytest.mark.parametrize(
    ("source", "x", "line"),
    [
        # the whole gradient folds into one expression: the check stays where it was computed
        ("def f(x):\n    return np.sum(np.sqrt(x - 1))\n", [1.0, 2.0], "np.sqrt(x - 1)"),
        # an element's adjoint is checked before it is written into the array's
        ("def f(x):\n    return np.log(x[0]) + np.sum(x)\n", [0.0, 2.0], "np.log(x[0])"),
    ],
)
def test_a_folded_adjoint_is_still_checked_at_its_line(source, x, line):
    import srcgrad

    fn = define(source)
    with np.errstate(divide="ignore"), pytest.raises(NonFiniteError, match=re.escape(line)):
        srcgrad.grad(fn, check_finite=True)(np.array(x))


def test_checks_of_constants_and_repeated_checks_are_pruned():
    import srcgrad

    fn = define("def f(x):\n    return np.sum(np.sqrt(x - 1))\n")
    code = srcgrad.grad(fn, check_finite=True).source_for(np.array([2.0, 3.0]))
    checks = [line.strip() for line in code.splitlines() if "check_finite(" in line]
    # (the temporary d_t1 holds dx's value, which it is copied into: it is dx from the start)
    assert len(checks) == 1 and checks[0].startswith("check_finite(dx, 'd_t1', ")
