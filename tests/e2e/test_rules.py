"""Every registered derivative rule, on its domain, against central finite differences.

The rows are in `rule_table.py` beside this file. Each row becomes a real module (srcgrad reads
source, so `f` must live in a file): `def f(x, y, ...): return np.sum((<expr>) * proj)` with a
fixed random projection `proj`, or just `<expr>` when it is a scalar. `srcgrad.grad` with respect
to every differentiated argument must agree with central differences in float64, keep each
gradient shaped like its argument, and leave the caller's arrays alone.

A registered object with no row fails `test_every_registered_object_has_a_row`; a rule variant
(`registry.VARIANTS`) that no row of its object makes srcgrad choose fails
`test_every_variant_is_chosen_by_a_row`. Each row also checks that srcgrad really used a rule of
the row's object, so a row cannot claim a rule it does not exercise.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.util
import math
import sys
import zlib
from pathlib import Path

import numpy as np

try:
    import scipy.special
except ImportError:
    scipy = None
import pytest

import srcgrad
from srcgrad import runtime as srcgrad_runtime
from srcgrad.api.gradient import forget_generated_code
from srcgrad.rules import differences as srcgrad_differences
from srcgrad.rules import registry
from srcgrad.rules.registry import REVERSE, Rule


def _load_sibling(name: str):
    # pytest runs with --import-mode=importlib, so tests/ is not on sys.path.
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).resolve().parents[1] / "fixtures" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


rule_table = _load_sibling("rule_table")
ROWS = rule_table.ROWS

STEP = 1e-6
RTOL = 1e-5
ATOL = 1e-7

# Known gaps, by row id: the rule or a runtime helper it calls is wrong (checked by hand).
XFAIL: dict[str, str] = {}


def _params():
    params = []
    for row in ROWS:
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[row.id])] if row.id in XFAIL else []
        params.append(pytest.param(row, id=row.id, marks=marks))
    return params


# ---- making the function and its finite differences -------------------------------------------


MODULE = """\
import builtins
import math
import operator

import numpy as np
from srcgrad import runtime as srcgrad_runtime
from srcgrad.rules import differences as srcgrad_differences

try:
    import scipy.special
except ImportError:  # the scipy.special rows are not in the table then
    pass


def f({params}):
    return {body}
"""


def _write_function(directory: Path, row, projected: bool):
    params = [*row.wrt, *row.const] + (["proj"] if projected else [])
    body = f"np.sum(({row.expr}) * proj)" if projected else row.expr
    name = f"rule_case_{zlib.crc32(row.id.encode()):08x}"
    path = directory / f"{name}.py"
    path.write_text(MODULE.format(params=", ".join(params), body=body))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def _shifted(args: list, position: int, element, delta: float) -> list:
    shifted = list(args)
    value = args[position]
    if isinstance(value, np.ndarray):
        shifted[position] = value.copy()
        shifted[position][element] += delta
    else:
        shifted[position] = value + delta
    return shifted


def central_differences(f, args: list, position: int) -> np.ndarray:
    """d f(*args) / d args[position], elementwise, by (f(x + h) - f(x - h)) / 2h."""
    value = args[position]
    result = np.zeros(np.shape(value))
    for element in np.ndindex(np.shape(value)):
        plus = f(*_shifted(args, position, element, STEP))
        minus = f(*_shifted(args, position, element, -STEP))
        result[element] = (plus - minus) / (2 * STEP)
    return result


# ---- the tests ---------------------------------------------------------------------------------


@contextlib.contextmanager
def rules_used():
    """Record every rule srcgrad instantiates while generating code inside the block."""
    used: list[Rule] = []
    original = Rule.instantiate

    def spy(rule, *args, **kwargs):
        used.append(rule)
        return original(rule, *args, **kwargs)

    Rule.instantiate = spy
    try:
        yield used
    finally:
        Rule.instantiate = original


def _prepare(row, directory: Path):
    """The row's function, written to a module in `directory`, and its arguments."""
    rng = np.random.default_rng(zlib.crc32(row.id.encode()))
    args = [factory(rng) for factory in row.wrt.values()]
    args += [factory(rng) for factory in row.const.values()]
    names = {"np": np, "math": math, "builtins": builtins, "srcgrad_runtime": srcgrad_runtime}
    names["srcgrad_differences"] = srcgrad_differences
    if scipy is not None:
        names["scipy"] = scipy
    value = eval(row.expr, names, dict(zip([*row.wrt, *row.const], args)))
    projected = np.ndim(value) > 0
    if projected:
        args.append(rng.standard_normal(np.shape(value)))
    return _write_function(directory, row, projected), args


def _through_a_definition(obj: object) -> bool:
    """A rule used inside the code of a library function's definition (rules/scipy_linalg.py),
    which another test may have made already: the code is kept, and made without its rules."""
    return getattr(obj, "__module__", "").startswith(("scipy.", "srcgrad.rules.scipy_"))


def _uses_rule_of(used: list[Rule], obj: object) -> bool:
    return any(any(key is obj for key in rule.keys) for rule in used)


@pytest.mark.parametrize("row", _params())
def test_rule_matches_finite_differences(row, tmp_path):
    f, args = _prepare(row, tmp_path)
    originals = [np.copy(a) for a in args]

    gradient = srcgrad.grad(f, wrt=tuple(row.wrt))
    if _through_a_definition(row.obj):  # (its rule is used in the definition's code: made anew)
        forget_generated_code()
    with rules_used() as used:
        results = gradient(*args)

    source = gradient.source
    assert _uses_rule_of(used, row.obj), (
        f"the row is for {_describe(row.obj)}, but srcgrad used only the rules "
        f"{sorted({rule.name for rule in used})}\n{source}"
    )
    for arg, original in zip(args, originals):
        np.testing.assert_array_equal(arg, original, err_msg=f"an argument was mutated\n{source}")
    assert len(results) == len(row.wrt)
    for position, (name, result) in enumerate(zip(row.wrt, results)):
        expected = central_differences(f, args, position)
        result = np.asarray(result)
        assert result.shape == expected.shape, f"d{name} has shape {result.shape}\n{source}"
        np.testing.assert_allclose(
            result, expected, rtol=RTOL, atol=ATOL, err_msg=f"d{name}\n{source}"
        )


# Forward-mode gaps, by row id (strict xfails: the rule's forward twin is missing or wrong).
FORWARD_XFAIL: dict[str, str] = {}


def _forward_params():
    params = []
    for row in ROWS:
        reason = FORWARD_XFAIL.get(row.id) or XFAIL.get(row.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(row, id=row.id, marks=marks))
    return params


@pytest.mark.parametrize("row", _forward_params())
def test_forward_rule_matches_finite_differences(row, tmp_path):
    """`srcgrad.jvp` along a random tangent of every differentiated argument equals the sum
    of the finite-difference gradients dotted with those tangents."""
    f, args = _prepare(row, tmp_path)
    originals = [np.copy(a) for a in args]
    rng = np.random.default_rng(zlib.crc32(row.id.encode()) + 1)
    tangents = tuple(
        rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal())
        for a in args[: len(row.wrt)]
    )
    value, result = srcgrad.jvp(f, args, tangents, wrt=tuple(range(len(row.wrt))))
    source = srcgrad.forward(f, wrt=tuple(range(len(row.wrt)))).source_for(*args)
    for arg, original in zip(args, originals):
        np.testing.assert_array_equal(arg, original, err_msg=f"an argument was mutated\n{source}")
    expected = sum(
        np.sum(central_differences(f, args, position) * t) for position, t in enumerate(tangents)
    )
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12, err_msg=source)
    assert np.shape(result) == (), f"the tangent has shape {np.shape(result)}\n{source}"
    np.testing.assert_allclose(result, expected, rtol=RTOL, atol=ATOL, err_msg=source)


def _describe(obj: object) -> str:
    module = getattr(obj, "__module__", None) or ("numpy" if isinstance(obj, np.ufunc) else "?")
    return f"{module.lstrip('_')}.{getattr(obj, '__name__', repr(obj))}"


_RULES_DIRECTORY = str(Path(srcgrad.__file__).parent / "rules")


def _registered() -> dict[int, tuple[object, object]]:
    """id -> (object, rule) for every object that has one of srcgrad's own reverse rules (not
    the rules other tests register for their functions with srcgrad.register_vjp)."""
    return {
        id(key): (key, rule)
        for rule in REVERSE.values()
        if rule.origin.filename.startswith(_RULES_DIRECTORY)
        for key in rule.keys
    }


def test_every_registered_object_has_a_row():
    covered = {id(row.obj) for row in ROWS}
    missing = [
        f"{_describe(obj)} (rule '{rule.name}', {rule.origin.where()})"
        for key, (obj, rule) in _registered().items()
        if key not in covered
    ]
    assert not missing, (
        "registered rules with no row in tests/fixtures/rule_table.py:\n  " + "\n  ".join(missing)
    )


def test_every_variant_is_chosen_by_a_row(tmp_path):
    """Each specialised rule, for each object it is registered for, is what some row gets."""
    chosen: set[tuple[int, int]] = set()  # (id of the row's object, id of the rule)
    for number, row in enumerate(ROWS):
        directory = tmp_path / str(number)
        directory.mkdir()
        f, args = _prepare(row, directory)
        with rules_used() as used, contextlib.suppress(Exception):
            # rows that fail here fail (or xfail) in test_rule_matches_finite_differences
            srcgrad.grad(f, wrt=tuple(row.wrt)).source_for(*args)
        chosen.update((id(row.obj), id(rule)) for rule in used)
    unchosen = [
        f"{_describe(obj)}: variant '{rule.name}' ({rule.origin.where()})"
        for variants in registry.VARIANTS.values()
        for rule in variants
        for obj in rule.keys
        if (id(obj), id(rule)) not in chosen
    ]
    assert not unchosen, "rule variants no row of their object exercises:\n  " + "\n  ".join(
        dict.fromkeys(unchosen)
    )


def test_every_row_names_a_registered_object():
    registered = _registered()
    strays = sorted({_describe(row.obj) for row in ROWS if id(row.obj) not in registered})
    assert not strays, f"rows for objects with no reverse rule: {strays}"


def test_row_ids_are_unique_and_xfails_name_rows():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert not set(XFAIL) - set(ids), f"XFAIL names no row: {sorted(set(XFAIL) - set(ids))}"
