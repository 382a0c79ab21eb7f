"""A real argument's gradient is real, even where complex values are in between.

The convention is JAX's and HIPS autograd's: where an operation promotes a real value to a
complex one, the adjoint that flows back to the real value is the real part of the complex
adjoint (for a real input, the gradient of a real loss is real, as finite differences say).
srcgrad used to take that real part only at the end, and only for complex literals and FFTs:
elsewhere (a complex argument, a Python complex number, a module constant) a real argument got
a complex gradient, and where a real value made of complex ones (`np.abs(x * c + d)`) met a
complex factor again, the meaningless imaginary part of its adjoint changed the real part of
the gradient too, silently, in reverse and forward mode alike.

Each case below is checked in reverse mode (`grad`, `value_and_grad`) and forward mode (`jvp`)
against central finite differences, and its gradient must have the argument's real dtype.
A complex argument of a function of the user's keeps JAX's convention (dL/d(re z) - i dL/d(im z));
second derivatives through complex values are refused, as before.
"""

from __future__ import annotations

import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.api.gradient import CALLEES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from finite_differences import gradient

# NumPy's warning where a complex value is cast to a real one: its imaginary part is dropped
ComplexWarning = getattr(np, "exceptions", np).ComplexWarning

C = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])
D = np.array([0.5 - 1j, 2 + 1j, 1 + 1j])


# ---- the functions: real arguments x (y), complex values c, d -----------------------------------


def real_of_sum(x, c):
    return np.real(np.sum(x * c))


def energy(x, c):
    return np.sum(np.abs(x * c) ** 2)


def parts(x, c):
    y = x * c
    return np.sum(y.real**2 + y.imag)


def real_attribute(x, c):
    return np.sum(x * c).real


def real_intermediate(x, c):
    y = x * 2.0
    z = y * c
    return np.real(np.sum(z * z))


def modulus_times_complex(x, c, d):
    y = np.abs(x * c + d)  # real, made of complex values; its adjoint meets c again
    return np.real(np.sum(y * c * 1j))


def modulus_through_sine(x, c, d):
    y = np.abs(x * c + d) + x
    w = np.sin(y) * c
    return np.imag(np.sum(w * d))


def module_constant(x):
    return np.real(np.sum(x * C * x))


def module_constant_modulus(x):
    r = np.abs(x * C + D)
    return np.imag(np.sum(r * C))


def list_element(x, c):
    xs = [x, x * 2.0]
    return np.real(np.sum(xs[1] * c))


def list_of_moduli(x, c, d):
    xs = [np.abs(x * c + d), x]
    return np.real(np.sum(xs[0] * c * 1j))


def dict_argument(params, c):
    return np.real(np.sum(params["w"] * c * params["b"]))


def dict_modulus(params, c, d):
    r = np.abs(params["w"] * c + d)
    return np.real(np.sum(r * 1j * c)) + params["b"]


def complex_accumulator(x, c):
    acc = 0j
    for i in range(3):
        acc = acc + x[i] * c[i] * x[i]
    return np.abs(acc) ** 2


def modulus_in_a_loop(x, c, d):
    s = 0.0
    r = x
    for _ in range(3):
        r = np.abs(r * c + d) * 0.5
        s = s + np.real(np.sum(r * c * 1j))
    return s


def while_loop(x, c):
    z = x * c
    k = 0
    while k < 3:
        z = z * c + x
        k += 1
    return np.sum(np.abs(z))


def updated_in_place(x, c):
    y = np.zeros(3, dtype=complex)
    y += x * c
    y[1] = y[1] * 2.0
    return np.sum(np.abs(y) ** 2)


def continued(x, c):
    s = 0.0
    for i in range(3):
        if i == 1:
            continue
        z = x * c
        s = s + np.real(np.sum(z * z))
    return s


def complex_on_one_path(x, c):
    s = 0.0
    for i in range(3):
        if x[i] > 1.0:  # noqa: SIM108 (a branch, reversed as one)
            z = x * c
        else:
            z = x * 2.0
        s = s + np.real(np.sum(z * z * c))
    return s


def appended(x, c):
    zs = []
    for i in range(3):
        zs.append(x[i] * c[i])
    return np.real(np.sum(np.array(zs) ** 2))


def modulus_updated(x, c):
    y = np.abs(x * c)
    y[0] = y[1] * 2.0
    return np.real(np.sum(y * c))


def real_part_added_to(x, c):
    z = x * c
    r = np.real(z)
    r += np.imag(z) * x
    return np.sum(r * r)


def augmented_real_part(x, c):
    acc = 0.0
    for i in range(3):
        acc += np.real(x[i] * c[i] * x[i])
    return acc


def times(x, c):
    return x * c


def through_helper(x, c):
    return np.real(np.sum(times(x, c) ** 2))


def modulus(x, c, d):
    return np.abs(x * c + d)


def helper_modulus(x, c, d):
    r = modulus(x, c, d)
    return np.real(np.sum(r * c * 1j))


def conjugate(x, c):
    return np.real(np.sum(x * np.conj(c) * x * c))


def dot(x, c):
    return np.real(np.dot(x, c)) + np.abs(np.dot(c, x))


def matrix_product(x, m):
    return np.sum(np.abs(m @ x) ** 2)


def where(x, c):
    z = np.where(x > 0, x * c, c)
    return np.real(np.sum(z * z))


def branch(x, c):
    z = x * c
    if np.abs(z[0]) > 1.0:  # noqa: SIM108 (a branch, reversed as one)
        r = np.real(z) * x
    else:
        r = np.imag(z) * x
    return np.sum(r * r)


def record_fields(x, p):
    r = np.abs(x * p.c + p.d)
    return np.real(np.sum(r * p.c))


def tuple_argument(x, cs):
    return np.real(np.sum(x * cs[0] * cs[1]))


def two_arguments(x, y, c):
    return np.real(np.sum(x * c * y)) + np.sum(np.abs(y * c))


# np.vdot conjugates its first argument: its adjoint is the conjugate of the product's (its
# rule left the conjugate out, and a complex first argument's adjoint came out conjugated)


def vdot_first(x, c, d):
    return np.real(np.vdot(x * c + d, d))


def vdot_second(x, c, d):
    return np.imag(np.vdot(d, x * c + d))


def vdot_both(x, c, d):
    return np.abs(np.vdot(x * c, x * d + c))


def vdot_complex_and_real(x, c):
    return np.imag(np.vdot(c, x)) + np.real(np.vdot(x, c * x))


def vdot_matrices(x, c, d):
    return np.real(np.vdot(np.outer(x, c), np.outer(d, x) * 1j))


def vdot_real(x, y):
    return np.vdot(x, y * 2.0) + np.vdot(np.sin(x), x)


def inner_and_conj(x, c, d):
    z = x * c + d
    return np.abs(np.inner(z, d)) + np.real(np.sum(z.conj() * c * x))


# complex leaves of list, dict, tuple and object arguments, which their signature did not say
# were complex (only an np.real of a leaf gave them away): x got a complex "gradient"


def dict_leaf(x, p):
    return np.real(np.sum(x * p["c"]))


def dict_leaf_energy(x, p):
    return np.sum(np.abs(x * p["c"]) ** 2)


def list_leaves(x, p):
    return np.sum(np.abs(x * p[0] + p[1]))


def unpacked_leaves(x, p):
    a, b = p
    return np.sum(np.abs(x * a + b) ** 2)


def unpacked_modulus(x, p):
    a, b = p
    y = np.abs(x * a + b)  # real, made of complex values; its adjoint meets a again
    return np.real(np.sum(y * a * 1j)) + np.sum(y)


def attribute_leaves(x, p):
    return np.sum(np.abs(x * p.c + p.d))


def nested_leaves(x, p):
    w = p["layers"][1]["w"]
    return np.sum(np.abs(np.dot(x, w) + p["bias"])) + np.sum(x * p["scale"])


def leaves_and_a_real_leaf(p, q):
    return np.sum(np.abs(p["w"] * q[0]) ** 2) + np.real(np.sum(p["w"] * p["b"] * q[1]))


@dataclass
class Pair:
    c: object
    d: object


# ---- the cases ----------------------------------------------------------------------------------


@dataclass
class Case:
    fn: object
    args: tuple
    wrt: int | tuple = 0
    name: str = ""

    def __str__(self) -> str:
        return self.name or self.fn.__name__


_RNG = np.random.default_rng(7)


def _real(n: int = 3) -> np.ndarray:
    return _RNG.uniform(0.5, 1.5, n)


def _complex(n: int = 3) -> np.ndarray:
    return _RNG.uniform(0.5, 1.5, n) + 1j * _RNG.uniform(-1.0, 1.0, n)


CASES = [
    Case(real_of_sum, (_real(), _complex())),
    Case(real_of_sum, (_real(), 1 + 2j), name="real_of_sum-python_complex"),
    Case(real_of_sum, (_real(), np.complex128(1 - 2j)), name="real_of_sum-numpy_complex"),
    Case(real_of_sum, (0.7, 1 + 2j), name="real_of_sum-python_numbers"),
    Case(
        real_of_sum,
        (_real().astype(np.float32), _complex().astype(np.complex64)),
        name="real_of_sum-float32",
    ),
    Case(energy, (_real(), _complex())),
    Case(energy, (_real(), 1.5 - 0.5j), name="energy-python_complex"),
    Case(parts, (_real(), _complex())),
    Case(real_attribute, (_real(), _complex())),
    Case(real_intermediate, (_real(), _complex())),
    Case(modulus_times_complex, (_real(), _complex(), _complex())),
    Case(modulus_times_complex, (_real(), 1 + 2j, 0.5 - 1j), name="modulus-python_complex"),
    Case(
        modulus_times_complex,
        (_real().astype(np.float32), _complex().astype(np.complex64), _complex()),
        name="modulus-float32",
    ),
    Case(modulus_through_sine, (_real(), _complex(), _complex())),
    Case(module_constant, (_real(),)),
    Case(module_constant_modulus, (_real(),)),
    Case(list_element, (_real(), _complex())),
    Case(list_of_moduli, (_real(), _complex(), _complex())),
    Case(dict_argument, ({"w": _real(), "b": 0.7}, _complex())),
    Case(dict_modulus, ({"w": _real(), "b": 0.7}, _complex(), _complex())),
    Case(complex_accumulator, (_real(), _complex())),
    Case(modulus_in_a_loop, (_real(), _complex(), _complex())),
    Case(while_loop, (_real(), _complex() * 0.5)),
    Case(updated_in_place, (_real(), _complex())),
    Case(augmented_real_part, (_real(), _complex())),
    Case(continued, (_real(), _complex())),
    Case(complex_on_one_path, (_real(), _complex())),
    Case(appended, (_real(), _complex())),
    Case(modulus_updated, (_real(), _complex())),
    Case(real_part_added_to, (_real(), _complex())),
    Case(through_helper, (_real(), _complex())),
    Case(helper_modulus, (_real(), _complex(), _complex())),
    Case(conjugate, (_real(), _complex())),
    Case(dot, (_real(), _complex())),
    Case(matrix_product, (_real(), np.outer(_complex(), _complex()) + np.eye(3))),
    Case(where, (_real() - 1.0, _complex())),
    Case(branch, (_real(), _complex())),
    Case(record_fields, (_real(), types.SimpleNamespace(c=_complex(), d=_complex()))),
    Case(tuple_argument, (_real(), (_complex(), _complex()))),
    Case(two_arguments, (_real(), _real(), _complex()), wrt=(0, 1)),
    Case(vdot_first, (_real(), _complex(), _complex())),
    Case(vdot_second, (_real(), _complex(), _complex())),
    Case(vdot_both, (_real(), _complex(), _complex())),
    Case(vdot_complex_and_real, (_real(), _complex())),
    Case(vdot_matrices, (_real(), _complex(), _complex())),
    Case(vdot_real, (_real(), _real()), wrt=(0, 1)),
    Case(inner_and_conj, (_real(), _complex(), _complex())),
    Case(dict_leaf, (_real(), {"c": _complex()})),
    Case(dict_leaf_energy, (_real(), {"c": _complex()})),
    Case(dict_leaf_energy, (_real(), {"c": 1 + 2j}), name="dict_leaf_energy-python_complex"),
    Case(list_leaves, (_real(), [_complex(), _complex()])),
    Case(list_leaves, (_real(), (_complex(), _complex())), name="tuple_leaves"),
    Case(unpacked_leaves, (_real(), [_complex(), _complex()])),
    Case(unpacked_leaves, (_real(), (_complex(), 0.5 - 1j)), name="unpacked_tuple"),
    Case(unpacked_modulus, (_real(), (_complex(), _complex()))),
    Case(attribute_leaves, (_real(), types.SimpleNamespace(c=_complex(), d=_complex()))),
    Case(attribute_leaves, (_real(), Pair(_complex(), _complex())), name="dataclass_leaves"),
    Case(
        nested_leaves,
        (_real(), {"layers": [{"w": _real()}, {"w": _complex()}], "bias": 1j, "scale": 2.0}),
    ),
    Case(leaves_and_a_real_leaf, ({"w": _real(), "b": 0.7}, [_complex(), _complex()])),
]


def _leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for key in value for leaf in _leaves(value[key])]
    return [value]


def _check_gradients(case: Case, gradients) -> None:
    indices = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    gradients = gradients if isinstance(case.wrt, tuple) else (gradients,)
    expected = gradient(case.fn, case.args, indices)
    for index, got, want in zip(indices, gradients, expected):
        for g, w, a in zip(_leaves(got), _leaves(want), _leaves(case.args[index])):
            single = np.result_type(a) == np.float32
            assert not np.iscomplexobj(g), f"argument {index}: complex gradient {g!r}"
            assert np.result_type(g) == (np.float32 if single else np.float64)
            tolerance = 1e-3 if single else 1e-6
            assert np.allclose(g, w, rtol=tolerance, atol=tolerance), (index, g, w)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_real_argument_has_a_real_gradient(case: Case):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComplexWarning)  # (nothing is dropped by a cast)
        gradients = srcgrad.grad(case.fn, wrt=case.wrt)(*case.args)
    _check_gradients(case, gradients)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_value_and_grad_and_forward_mode_agree(case: Case):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComplexWarning)
        value, gradients = srcgrad.value_and_grad(case.fn, wrt=case.wrt)(*case.args)
        assert np.isclose(value, case.fn(*case.args))
        _check_gradients(case, gradients)
        indices = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
        if any(isinstance(case.args[i], dict) for i in indices):
            return  # (forward mode's tangents of a dict: test_trees.py)
        rng = np.random.default_rng(3)
        tangents = tuple(
            rng.standard_normal(np.shape(case.args[i])).astype(np.result_type(case.args[i]))
            for i in indices
        )
        tangents = tuple(t if np.ndim(t) else float(t) for t in tangents)
        value, tangent = srcgrad.jvp(case.fn, case.args, tangents, wrt=indices)
    expected = gradient(case.fn, case.args, indices)
    dotted = sum(float(np.sum(e * t)) for e, t in zip(expected, tangents))
    assert not np.iscomplexobj(tangent), tangent
    assert np.isclose(tangent, dotted, rtol=1e-3, atol=1e-4), (tangent, dotted)


def rotated(x):
    return x * (1 + 2j)  # (complex numbers made inside a helper, of a real argument)


def modulus_of_a_helpers_result(s, x):
    z = rotated(x)
    r = np.abs(s * z + 3.0)  # real, made of complex values; its adjoint meets z again
    return np.real(np.sum(r * z))


@pytest.mark.xfail(
    strict=True,
    reason="complex numbers a helper makes of real arguments are not seen where its result "
    "is used: nothing in f says they are complex, so r's adjoint keeps its imaginary part",
)
def test_complex_numbers_made_by_a_helper():
    s, x = 0.7, np.array([0.5, 1.0, -0.3])
    got = srcgrad.grad(modulus_of_a_helpers_result)(s, x)
    want = gradient(modulus_of_a_helpers_result, (s, x), (0,))[0]
    assert not np.iscomplexobj(got) and np.isclose(got, want)


def test_the_code_for_every_shape_takes_complex_arguments_for_complex():
    # past eight signatures one generic version serves every call: it knows no dtype, so
    # complex arguments get code of their own
    transformed = srcgrad.grad(energy)
    for n in range(1, 12):
        x = np.linspace(0.5, 1.5, n)
        c = x * (1 + 0.5j) + 0.3j
        got = transformed(x, c)
        assert not np.iscomplexobj(got)
        assert np.allclose(got, gradient(energy, (x, c), (0,))[0])


def test_second_derivatives_through_complex_numbers_are_refused():
    # (a Python complex number is complex values in between too: the Hessian came out wrong)
    x = np.array([0.7, 1.2, 0.9])
    with pytest.raises(srcgrad.NoRuleError, match="complex values"):
        srcgrad.hessian(modulus_times_real)(x, 1 + 2j, 0.5 - 1j)


def test_code_for_real_leaves_never_serves_complex_ones():
    # (the signature of a container said nothing of its leaves' dtypes: the code made for the
    # first call served the second, in this process and, with the disk cache, in the next)
    x = np.array([0.7, 1.2, 0.9])
    transformed = srcgrad.grad(dict_leaf_energy)
    for leaf in (np.array([1.0, 2.0, -1.0]), C, 2.0, 1 - 1j, np.array([1.0, 2.0, -1.0]), C):
        got = transformed(x, {"c": leaf})
        assert not np.iscomplexobj(got)
        assert np.allclose(got, 2 * x * np.abs(leaf) ** 2)
    for n in range(1, 12):  # (past eight signatures, the generic code takes real leaves only)
        x = np.linspace(0.5, 1.5, n)
        assert np.allclose(transformed(x, {"c": C[0]}), 2 * x * np.abs(C[0]) ** 2)


def test_a_hessian_through_complex_leaves_is_refused_at_the_users_line():
    x = np.array([0.7, 1.2, 0.9])
    with pytest.raises(srcgrad.NoRuleError, match="complex values") as raised:
        srcgrad.hessian(list_leaves)(x, [C, D])
    line = list_leaves.__code__.co_firstlineno + 1
    assert str(raised.value).startswith(f"{__file__}:{line}:")
    assert srcgrad.hessian(list_leaves)(x, [C.real, D.real]).shape == (3, 3)


def modulus_times_real(x, c, d):
    y = np.abs(x * c + d)
    return np.real(np.sum(y * c))


def sum_of_angles(x):
    return np.sum(np.angle(x))  # (0 or pi: constant)


def sum_of_imaginary_parts(x, w):
    return np.sum(np.imag(x * w))


def test_the_adjoint_of_a_sum_of_parts_is_shaped_like_the_argument():
    # (the adjoint of a sum, one number, gave np.angle's and np.imag's rules a number back)
    x = np.ones((2, 3))
    assert np.array_equal(srcgrad.grad(sum_of_angles)(x), np.zeros((2, 3)))
    for w in (-0.6 + 0.7j, np.complex128(-0.6 + 0.7j)):
        assert np.array_equal(srcgrad.grad(sum_of_imaginary_parts)(x, w), np.full((2, 3), 0.7))


def complex_output(x, c):
    return np.sum(x * c)


def helper_output(x, c):
    return times(np.sum(x), np.mean(c))  # (complex only as the code runs: checked then)


@pytest.mark.parametrize("fn", [complex_output, helper_output])
@pytest.mark.parametrize("c", [C, 1 + 2j], ids=["array", "python"])
def test_a_complex_output_has_no_gradient(fn, c):
    # (JAX refuses it too; the derivative of a complex value along a direction is jvp's)
    x = np.array([0.7, 1.2, 0.9])
    with pytest.raises(srcgrad.NonScalarOutputError, match="grad needs a real output"):
        srcgrad.grad(fn)(x, c)
    value, tangent = srcgrad.jvp(fn, (x, c), (np.ones(3),), wrt=0)
    assert np.isclose(tangent, 3 * np.mean(c))


def real_in_a_complex_dtype(x, c):
    # |sum(x * c)|**2 in a complex dtype, from a helper: complex only as the code runs
    return times(np.sum(x * c), np.conj(np.sum(x * c)))


def test_a_complex_output_whose_imaginary_part_is_zero_is_a_real_output():
    # (NumPy 2.5's np.linalg.eigvals gives even real eigenvalues in a complex dtype)
    x, c = np.array([0.7, 1.2, 0.9]), np.array([1.0 + 2.0j, -0.5j, 2.0])
    got = srcgrad.grad(real_in_a_complex_dtype)(x, c)
    total = np.sum(x * c)
    assert np.allclose(got, 2 * np.real(np.conj(total) * c)) and got.dtype == np.float64


# ---- complex arguments of the user's functions: JAX's convention, unchanged ---------------------


def energy_and_phase(z):
    return np.sum(np.abs(z) ** 2 + np.real(z * 2j))


def mixed(z, x):
    return np.real(np.sum(z * x * z))


Z = np.array([1.0 + 0.5j, -2.0 + 1.0j])


def test_a_complex_argument_keeps_its_convention():
    # (passed before the change too: it says the convention did not change) a pullback of a
    # function of the user's called with complex values, as generated code calls it:
    # dL/d(re z) - i dL/d(im z)
    z = Z
    value, back = CALLEES.pullback(energy_and_phase, ("z",))(z)
    dz = back(1.0)
    assert np.iscomplexobj(dz)
    assert np.allclose(dz, 2 * np.conj(z) + 2j)  # |z|^2 moves by 2 re, 2 im; re(2iz) by 0, -2


def test_a_complex_argument_beside_a_real_one():
    z, x = Z, np.array([0.5, 1.5])
    value, back = CALLEES.pullback(mixed, ("z", "x"))(z, x)
    dz, dx = back(1.0)
    assert np.iscomplexobj(dz) and np.allclose(dz, 2 * z * x)  # holomorphic: as if real
    assert not np.iscomplexobj(dx) and np.allclose(dx, np.real(z * z))


def vdot_of(z, w):
    return np.real(np.vdot(z, w)) + np.imag(np.vdot(w, z * 2.0))


def test_a_complex_argument_of_vdot_keeps_the_convention():
    # dL/d(re z) - i dL/d(im z), each part's derivative by central differences
    z, w = Z, np.array([0.5 - 1.0j, 2.0 + 0.25j])
    value, back = CALLEES.pullback(vdot_of, ("z", "w"))(z, w)
    dz, dw = back(1.0)
    assert np.allclose(dz, np.conj(w) - 2j * np.conj(w))  # (by hand: the same)
    by_parts = (
        gradient(lambda r, i: vdot_of(r + 1j * i, w), (np.real(z), np.imag(z)), (0, 1)),
        gradient(lambda r, i: vdot_of(z, r + 1j * i), (np.real(w), np.imag(w)), (0, 1)),
    )
    for got, (real, imaginary) in zip((dz, dw), by_parts):
        assert np.allclose(got, real - 1j * imaginary)
    # both modes through z = re + 1j * im, against central differences
    parts, tangents = (np.real(z), np.imag(z), w), (np.array([0.3, -1.0]), np.array([0.2, 0.5]))
    want = gradient(vdot_parts, parts, (0, 1))
    got = srcgrad.grad(vdot_parts, wrt=(0, 1))(*parts)
    assert all(np.allclose(g, e) and not np.iscomplexobj(g) for g, e in zip(got, want))
    _, tangent = srcgrad.jvp(vdot_parts, parts, tangents, wrt=(0, 1))
    assert np.isclose(tangent, sum(np.sum(e * t) for e, t in zip(want, tangents)))


def vdot_parts(re, im, w):
    return vdot_of(re + 1j * im, w)


def split(x, y):
    return energy_and_phase(x + 1j * y)


def test_a_complex_argument_s_adjoint_gives_its_parts_their_gradients():
    x, y = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    dx, dy = srcgrad.grad(split, wrt=(0, 1))(x, y)
    assert np.allclose(dx, 2 * x) and np.allclose(dy, 2 * y - 2)
