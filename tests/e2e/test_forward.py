"""Forward mode, whole derivative matrices, derivatives of derivatives and custom rules.

Every number is checked against an independent reference: central finite differences, or
`np.polyder` for polynomials. The corpus functions' forward-mode tangents are checked in
test_corpus.py and every rule's forward twin in test_rules.py; this file covers the API around
them: `jvp`/`forward`, `jacobian` (both modes), `hessian` on the corpus, `grad` to fourth
order, `custom_vjp`/`custom_jvp`/`register_vjp`/`register_jvp` and their rejection messages.
"""

from __future__ import annotations

import zlib

import corpus
import corpus_control  # noqa: F401  (registers the control-flow cases)
import corpus_realworld  # noqa: F401  (and the real-world ones)
import finite_differences
import numpy as np
import pytest

import srcgrad

# ---- functions differentiated here (srcgrad reads source: they live in this file) -----------


def poly(x):
    return 3.0 * x**4 - 2.0 * x**3 + x * x - 5.0 * x + 1.0


def sin_of_exp(x):
    return np.sin(np.exp(0.5 * x)) * np.cos(x)


def looped(x):
    s = x
    for _ in range(3):
        s = np.sin(s) * x + 0.5 * s
    return s


def branchy(x):
    if x > 0.0:  # noqa: SIM108  (a branch, on purpose)
        y = np.exp(x) * x
    else:
        y = x**3
    return y


def two_args(x, y):
    return np.sin(x * y) + x**3 * y**2


def vector_out(x, A):
    h = np.tanh(A @ x)
    return h * x[0] + np.sum(x * x)


def scalar_of_vector(x):
    return np.sum(np.sin(x) * x)


def tuple_out(x):
    return x * 2.0, x * 3.0


def sum_into(x):
    buf = np.empty(3)
    z = np.sum(x, axis=0, out=buf)
    return np.sum(z * 2.0)


def partly_stopped(x):
    return np.sum(srcgrad.stop_gradient(x * x) * x)


def _central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


# ---- jvp and forward ----------------------------------------------------------------------------


def test_jvp_equals_gradient_dotted_with_tangent():
    rng = np.random.default_rng(0)
    x, A = rng.standard_normal(4), rng.standard_normal((4, 4))
    t = rng.standard_normal(4)
    value, tangent = srcgrad.jvp(vector_out, (x, A), t, wrt=0)
    np.testing.assert_allclose(value, vector_out(x, A))
    expected = _central(lambda s: vector_out(x + s * t, A), 0.0)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


def test_jvp_over_every_argument_by_default():
    value, tangent = srcgrad.jvp(two_args, (0.3, 1.2), (1.0, -2.0))
    expected = _central(lambda s: two_args(0.3 + s, 1.2 - 2.0 * s), 0.0)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)
    assert value == two_args(0.3, 1.2)


def test_forward_source_reads_like_a_tangent_program():
    fwd = srcgrad.forward(two_args, wrt=(0, 1))
    value, tangent = fwd((1.0, 0.0), 0.3, 1.2)
    source = fwd.source
    assert source.startswith("def jvp_two_args(x, y, *, x_dot, y_dot):")
    assert "np.cos(" in source  # the derivative of sin, written out
    np.testing.assert_allclose(tangent, _central(lambda s: two_args(0.3 + s, 1.2), 0.0), rtol=1e-6)


def test_jvp_rejects_wrong_tangents():
    with pytest.raises(srcgrad.WrtError, match="3 tangent"):
        srcgrad.jvp(two_args, (0.3, 1.2), (1.0, 2.0, 3.0))
    with pytest.raises(srcgrad.WrtError, match="shape"):
        srcgrad.jvp(scalar_of_vector, (np.ones(3),), np.ones(4), wrt=0)


def test_an_out_argument_is_followed_in_both_modes():
    """`np.sum(x, axis=0, out=buf)` writes into buf and is buf: `buf[...] = np.sum(x, axis=0)`."""
    x, t = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)
    value, tangent = srcgrad.jvp(sum_into, (x,), t, wrt=0)
    assert value == 12.0 and tangent == 2.0 * t.sum()
    np.testing.assert_allclose(srcgrad.grad(sum_into)(x), np.full((2, 3), 2.0))


def test_stop_gradient_in_forward_mode():
    x = np.array([0.5, -1.0, 2.0])
    t = np.array([1.0, 2.0, -1.0])
    _, tangent = srcgrad.jvp(partly_stopped, (x,), t, wrt=0)
    np.testing.assert_allclose(tangent, np.sum(x * x * t))  # x*x held constant


# ---- jacobian -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_matches_finite_differences(mode):
    rng = np.random.default_rng(1)
    x, A = rng.standard_normal(3), rng.standard_normal((4, 3))
    J = srcgrad.jacobian(vector_out, mode=mode)(x, A)
    assert J.shape == (4, 3)
    expected = np.stack(
        [_central(lambda s, e=e: vector_out(x + s * e, A), 0.0) for e in np.eye(3)], axis=-1
    )
    np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-9)


def test_jacobian_with_respect_to_two_arguments():
    Jx, Jy = srcgrad.jacobian(two_args, wrt=(0, 1))(0.3, 1.2)
    assert np.shape(Jx) == () and np.shape(Jy) == ()
    np.testing.assert_allclose(Jx, _central(lambda s: two_args(0.3 + s, 1.2), 0.0), rtol=1e-6)
    np.testing.assert_allclose(Jy, _central(lambda s: two_args(0.3, 1.2 + s), 0.0), rtol=1e-6)


def test_jacobian_refuses_tuple_outputs_and_bad_modes():
    with pytest.raises(srcgrad.SrcgradError, match="returned a tuple"):
        srcgrad.jacobian(tuple_out)(np.ones(2))
    with pytest.raises(srcgrad.WrtError, match="mode"):
        srcgrad.jacobian(tuple_out, mode="sideways")


# ---- hessian on the corpus ----------------------------------------------------------------------

# corpus cases whose Hessian srcgrad cannot make yet (a clear SrcgradError, never a number)
HESSIAN_GAPS = {
    "recursive_halving": "a recursive function has no derivative of a derivative yet",
}


def _hessian_cases():
    for item in corpus.CASES:
        if isinstance(item.wrt, (tuple, list)):
            continue
        args = tuple(item.inputs(np.random.default_rng(zlib.crc32(item.name.encode()))))
        index = finite_differences.wrt_indices(item.fn, item.wrt)[0][0]
        x = args[index]
        if isinstance(x, (list, tuple, dict)) or np.size(x) > 12:
            continue
        if isinstance(x, np.ndarray) and x.dtype != np.float64:
            continue
        marks = ()
        if item.name in HESSIAN_GAPS:
            marks = pytest.mark.xfail(strict=True, raises=srcgrad.SrcgradError)
        yield pytest.param(item, id=item.name, marks=marks)


HESSIAN_CASES = list(_hessian_cases())


def test_hessian_covers_loops_branches_helpers_and_matrices():
    names = {p.values[0].name for p in HESSIAN_CASES} - set(HESSIAN_GAPS)
    wanted = {
        "nested_loops_carried",  # loops
        "while_halving_data_dependent",
        "piecewise_elif_all_branches",  # branches
        "return_inside_loop",
        "helper_called_in_loop",  # the user's own functions
        "helper_returns_tuple_unpacked",
        "gram_matrix",  # matrix arguments
        "loop_over_columns",
    }
    assert wanted <= names
    assert len(names) >= 15


@pytest.mark.parametrize("item", HESSIAN_CASES)
def test_hessian_matches_finite_differences_of_the_gradient(item):
    args = list(item.inputs(np.random.default_rng(zlib.crc32(item.name.encode()))))
    index = finite_differences.wrt_indices(item.fn, item.wrt)[0][0]
    x = args[index]
    H = srcgrad.hessian(item.fn, wrt=item.wrt)(*args)
    gradient = srcgrad.grad(item.fn, wrt=item.wrt)

    def grad_at(value):
        changed = list(args)
        changed[index] = value
        return np.asarray(gradient(*changed), dtype=float)

    step = 1e-5 * max(1.0, float(np.max(np.abs(x))))
    columns = []
    for k in range(int(np.size(x))):
        e = 1.0 if np.ndim(x) == 0 else np.eye(np.size(x))[k].reshape(np.shape(x))
        columns.append((grad_at(x + step * e) - grad_at(x - step * e)) / (2 * step))
    expected = np.stack(columns).reshape(np.shape(x) + np.shape(x))
    assert np.shape(H) == np.shape(x) + np.shape(x)
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(H, expected, rtol=1e-4, atol=1e-5 * scale)


def test_hessian_vector_product_without_the_hessian():
    rng = np.random.default_rng(3)
    x, A = rng.standard_normal(4), rng.standard_normal((4, 4))
    v = rng.standard_normal(4)
    product = srcgrad.hvp(scalar_of_matrix)(v, x, A)
    H = srcgrad.hessian(scalar_of_matrix)(x, A)
    np.testing.assert_allclose(product, H @ v, rtol=1e-10, atol=1e-12)
    gradient = srcgrad.grad(scalar_of_matrix)
    expected = (gradient(x + 1e-5 * v, A) - gradient(x - 1e-5 * v, A)) / 2e-5
    np.testing.assert_allclose(product, expected, rtol=1e-5, atol=1e-7)
    with pytest.raises(srcgrad.WrtError, match="shape"):
        srcgrad.hvp(scalar_of_matrix)(np.ones(3), x, A)


def scalar_of_matrix(x, A):
    return np.sum(np.tanh(A @ x) ** 2) + np.sum(x**3)


# ---- grad of grad ---------------------------------------------------------------------------------


def test_fourth_derivative_of_a_polynomial_is_exact():
    coefficients = [3.0, -2.0, 1.0, -5.0, 1.0]
    d = poly
    for order in range(1, 5):
        d = srcgrad.grad(d)
        for x in (-1.3, 0.0, 0.7, 2.0):
            exact = np.polyval(np.polyder(coefficients, order), x)
            np.testing.assert_allclose(d(x), exact, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", [sin_of_exp, looped, branchy], ids=lambda f: f.__name__)
def test_each_order_is_the_derivative_of_the_one_before(fn):
    orders = [fn]
    for _ in range(4):
        orders.append(srcgrad.grad(orders[-1]))
    for x in (-0.8, 0.4, 1.1):
        for k in range(1, 5):
            expected = _central(orders[k - 1], x, h=1e-4)
            np.testing.assert_allclose(orders[k](x), expected, rtol=2e-5, atol=1e-6)


def test_fourth_derivative_of_sin_is_sin():
    d = srcgrad.grad(srcgrad.grad(srcgrad.grad(srcgrad.grad(np_sin))))
    for x in (-2.0, 0.3, 1.7):
        np.testing.assert_allclose(d(x), np.sin(x), rtol=1e-12, atol=1e-12)


def np_sin(x):
    return np.sin(x)


def test_mixed_second_derivative():
    d2 = srcgrad.grad(srcgrad.grad(two_args, wrt=0), wrt=1)
    x, y = 0.3, 1.2
    expected = _central(lambda s: srcgrad.grad(two_args, wrt=0)(x, y + s), 0.0)
    np.testing.assert_allclose(d2(x, y), expected, rtol=1e-6)


def test_grad_of_a_vector_gradient_is_refused():
    with pytest.raises(srcgrad.NonScalarOutputError, match="hessian"):
        srcgrad.grad(srcgrad.grad(scalar_of_vector))(np.ones(3))


# ---- custom rules -----------------------------------------------------------------------------


@srcgrad.custom_vjp
def clip_gradient(x):
    return x


@clip_gradient.defvjp
def clip_gradient_vjp(g, ans, x):
    return np.clip(g, -1.0, 1.0)


def uses_clip_gradient(x):
    return np.sum(clip_gradient(x * 10.0))


@srcgrad.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


@softplus.defjvp
def softplus_jvp(ans, x):
    return x_dot / (1.0 + np.exp(-x))  # noqa: F821  (the registry's placeholder)


def uses_softplus(x):
    return np.sum(softplus(x) ** 2)


def my_hypot(x, y):
    return np.sqrt(x * x + y * y)


def uses_hypot(a, b):
    return my_hypot(a, b) * 2.0


def test_custom_vjp_is_used_and_shown():
    gradient = srcgrad.grad(uses_clip_gradient)
    np.testing.assert_allclose(gradient(np.array([0.5, -2.0])), [10.0, 10.0])  # clipped to 1
    assert "np.clip(" in gradient.source
    # forward mode has no custom rule for it: it reads the function's source instead
    _, tangent = srcgrad.jvp(uses_clip_gradient, (np.array([0.5, -2.0]),), np.ones(2), wrt=0)
    np.testing.assert_allclose(tangent, 20.0)


def test_custom_jvp_is_used_in_forward_mode():
    x, t = np.array([0.5, -2.0]), np.array([1.0, 0.5])
    fwd = srcgrad.forward(uses_softplus)
    _, tangent = fwd(t, x)
    assert "np.exp(-x)" in fwd.source
    np.testing.assert_allclose(
        tangent, _central(lambda s: uses_softplus(x + s * t), 0.0), rtol=1e-6
    )
    # reverse mode reads the source (no custom vjp)
    np.testing.assert_allclose(srcgrad.grad(uses_softplus)(x) @ t, tangent, rtol=1e-10)


def test_register_rules_for_a_function_srcgrad_should_not_read():
    def hypot_vjp(g, ans, x, y):
        return g * x / ans, g * y / ans

    def hypot_jvp(ans, x, y):
        return x_dot * x / ans, y_dot * y / ans  # noqa: F821

    srcgrad.register_vjp(my_hypot, hypot_vjp)
    srcgrad.register_jvp(my_hypot, hypot_jvp)
    gx, gy = srcgrad.grad(uses_hypot, wrt=(0, 1))(3.0, 4.0)
    np.testing.assert_allclose((gx, gy), (1.2, 1.6))
    fwd = srcgrad.forward(uses_hypot, wrt=(0, 1))
    _, tangent = fwd((1.0, -1.0), 3.0, 4.0)
    np.testing.assert_allclose(tangent, 1.2 - 1.6)
    assert "my_hypot(a, b)" in fwd.source and "a_dot * a /" in fwd.source


def test_a_rule_with_the_wrong_number_of_outputs_is_rejected_where_it_is_written():
    def bad_vjp(g, ans, x, y):
        return g * y

    with pytest.raises(srcgrad.SrcgradError) as caught:
        srcgrad.register_vjp(my_hypot, bad_vjp)
    message = str(caught.value)
    assert "test_forward.py:" in message and "1 adjoint(s) for 2" in message

    def bad_jvp(ans, x, y):
        return x_dot * y  # noqa: F821

    with pytest.raises(srcgrad.SrcgradError) as caught:
        srcgrad.register_jvp(my_hypot, bad_jvp)
    message = str(caught.value)
    assert "test_forward.py:" in message and "1 term(s) for 2" in message


def test_a_term_may_read_only_its_own_tangent():
    def crossed(ans, x, y):
        return y_dot * x, x_dot * y  # noqa: F821

    with pytest.raises(srcgrad.SrcgradError, match="the term for 'x' reads"):
        srcgrad.register_jvp(my_hypot, crossed)


def spectral_energy(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def test_second_derivatives_through_complex_values_are_refused_not_wrong():
    # reverse over the tangent code of |z| for complex z gave a wrong Hessian, silently
    x = np.array([1.2, -0.4, 2.0])
    # Parseval, n = 3: |X0|^2 + |X1|^2 = (3 sum(x^2) + sum(x)^2) / 2
    assert np.allclose(srcgrad.grad(spectral_energy)(x), 3 * x + np.sum(x))
    with pytest.raises(srcgrad.NoRuleError, match="complex values"):
        srcgrad.hessian(spectral_energy, 0)(x)


def singular_value_energy(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 2)


def test_hessian_through_svd_is_refused_naming_the_helper():
    a = np.array([[2.0, 0.5], [0.3, 1.0]])
    assert np.allclose(srcgrad.grad(singular_value_energy)(a), 2 * a)  # sum s^2 = |a|_F^2
    with pytest.raises(srcgrad.NoRuleError, match="svd_jvp"):
        srcgrad.hessian(singular_value_energy, 0)(a)
