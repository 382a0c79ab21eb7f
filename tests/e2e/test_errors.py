"""Every construct the fence rejects raises UnsupportedSyntaxError at the user's file:line:col,
and every other misuse raises the right SrcgradError with a message that says what to do."""

import functools
import inspect
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

import rejected
from finite_differences import gradient as finite_differences

REJECTED_FILE = Path(rejected.__file__)


def _markers() -> dict[str, tuple[int, int]]:
    """function name -> (line, column) of its `# at: TEXT` marker."""
    found, current = {}, None
    for number, line in enumerate(REJECTED_FILE.read_text().splitlines(), start=1):
        header = re.match(r"def (\w+)\(", line)
        if header:
            current = header.group(1)
        marker = re.search(r"# at: (.+)$", line)
        if marker and current:
            text = marker.group(1).strip()
            found[current] = (number, line.index(text) + 1)
    return found


MARKERS = _markers()


def test_every_rejected_function_has_a_marker():
    functions = [
        n
        for n, f in inspect.getmembers(rejected, inspect.isfunction)
        if f.__module__ == rejected.__name__
    ]
    assert sorted(functions) == sorted(MARKERS)


@pytest.mark.parametrize("name", sorted(MARKERS))
def test_rejected_construct_names_file_line_and_column(name):
    fn = getattr(rejected, name)
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.grad(fn)(np.ones(3))
    line, col = MARKERS[name]
    message = str(info.value)
    assert message.startswith(f"{REJECTED_FILE}:{line}:{col}: "), message
    assert "is not supported" in message
    assert f"in function '{name}'" in message


def test_fence_runs_before_any_other_stage():
    # the fence rejects even where later stages would fail differently (unknown names here)
    with pytest.raises(srcgrad.UnsupportedSyntaxError):
        srcgrad.grad(rejected.global_statement).source  # noqa: B018


# ---- no derivative rule ---------------------------------------------------------------------


OPAQUE = np.frompyfunc(lambda v: v * 2.0, 1, 1)  # a ufunc no rule will ever know


def uses_unknown_function(x):
    return np.sum(OPAQUE(x))


def uses_unknown_method(x):
    return np.sum(x.cumsum().conjugate())


def unknown_but_inactive(x, k):
    n = np.count_nonzero(k)
    return np.sum(x * n)


def test_no_rule_names_function_and_line():
    with pytest.raises(srcgrad.NoRuleError) as info:
        srcgrad.grad(uses_unknown_function)(np.ones(3))
    line = inspect.getsourcelines(uses_unknown_function)[1] + 1
    message = str(info.value)
    assert message.startswith(f"{__file__}:{line}:5: no derivative rule for 'OPAQUE'"), message


def test_no_rule_advises_registering_one_in_both_modes():
    with pytest.raises(srcgrad.NoRuleError, match=r"srcgrad\.register_vjp\(function, rule\)"):
        srcgrad.grad(uses_unknown_function)(np.ones(3))
    with pytest.raises(srcgrad.NoRuleError, match=r"srcgrad\.register_jvp"):
        srcgrad.jvp(uses_unknown_function, (np.ones(3),), np.ones(3), wrt=0)


def method_of_a_value(x):
    y = x * 2
    return np.sum(np.array(y.tolist()))


def test_unknown_method_of_a_differentiated_value_is_refused_in_both_modes():
    # it was split into `_t = y.tolist` and `_t()`, whose result looked constant: zero, silently
    line = inspect.getsourcelines(method_of_a_value)[1] + 2
    for transform in (srcgrad.grad(method_of_a_value), srcgrad.forward(method_of_a_value, "x")):
        with pytest.raises(srcgrad.NoRuleError) as info:
            transform.source_for(np.ones(3))
        message = str(info.value)
        assert message.startswith(f"{__file__}:{line}:5: no derivative rule for "), message
        assert "'.tolist'" in message, message


def test_inactive_call_needs_no_rule():
    x = np.arange(3.0)
    assert np.allclose(srcgrad.grad(unknown_but_inactive)(x, np.array([1, 0, 2])), 2.0)


# ---- wrt ------------------------------------------------------------------------------------


def two_args(x, y):
    return np.sum(x * y)


@pytest.mark.parametrize(
    "wrt, words",
    [
        (2, "out of range"),
        (-3, "out of range"),
        ("z", "is not an argument"),
        ((0, "x"), "twice"),
        ((), "empty"),
        (1.5, "argument index or name"),
    ],
)
def test_bad_wrt(wrt, words):
    with pytest.raises(srcgrad.WrtError) as info:
        srcgrad.grad(two_args, wrt=wrt)
    assert words in str(info.value)
    assert str(info.value).startswith(f"{__file__}:")


def test_wrt_and_argnums_together():
    with pytest.raises(srcgrad.WrtError):
        srcgrad.grad(two_args, wrt=1, argnums=1)


def test_argnums_is_wrt():
    x, y = np.arange(3.0), np.ones(3)
    assert np.allclose(srcgrad.grad(two_args, argnums=1)(x, y), x)


@pytest.mark.parametrize("value", ["text", None, np.array(["a"]), np.ones(2, dtype=complex)])
def test_differentiated_argument_must_be_a_real_number_or_array(value):
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(two_args)(value, np.ones(2))
    assert "argument 'x' is differentiated" in str(info.value)


# ---- source unavailable ---------------------------------------------------------------------


def test_builtin_function_without_a_derivative():
    with pytest.raises(srcgrad.SourceUnavailableError) as info:
        srcgrad.grad(math.floor)(0.5)
    assert "built-in" in str(info.value)


def test_numpy_function_without_a_derivative():
    with pytest.raises(srcgrad.SourceUnavailableError):
        srcgrad.grad(np.random.normal)(0.5)


def test_partial_is_the_partial_of_the_gradient():
    # (once refused; the gradient of the function it wraps, with what it holds)
    got = srcgrad.grad(functools.partial(two_args, y=1.5))(0.7)
    assert got == pytest.approx(srcgrad.grad(two_args)(0.7, 1.5))


def test_function_defined_by_exec():
    namespace = {"np": np}
    exec("def f(x):\n    return np.sum(x * x)\n", namespace)
    with pytest.raises(srcgrad.SourceUnavailableError) as info:
        srcgrad.grad(namespace["f"])(np.ones(2))
    assert "cannot read the source" in str(info.value)


class Model:
    def __init__(self, scale):
        self.W = np.arange(6.0).reshape(3, 2) * scale

    def loss(self, x, y=1.0):
        return np.sum(np.tanh(x @ self.W) ** 2) * y


def test_bound_method_is_differentiated_with_its_instance_held_constant():
    x = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    for scale in (0.1, 0.3):  # one generated function serves every instance
        model = Model(scale)
        got = srcgrad.grad(model.loss)(x, 2.0)
        assert np.allclose(got, srcgrad.grad(Model.loss, wrt="x")(model, x, 2.0))
        assert srcgrad.check_grad(model.loss, x, y=2.0).ok
        assert srcgrad.check_grad(model.loss, x, 2.0, wrt="y").ok
        value, tangent = srcgrad.jvp(model.loss, (x, 2.0), (np.ones_like(x),), wrt="x")
        assert np.isclose(value, model.loss(x, 2.0))


def test_two_lambdas_on_one_line_are_told_apart():
    f, g = (lambda x: x * 2), (lambda x: x * 3)
    assert (srcgrad.grad(f)(1.0), srcgrad.grad(g)(1.0)) == (2.0, 3.0)
    if sys.version_info >= (3, 11):  # (where Python says where a lambda's code is)
        h, k = (lambda x: x * 2), (lambda x: x * 2 + x)
        assert (srcgrad.grad(h)(1.0), srcgrad.grad(k)(1.0)) == (2.0, 3.0)


ACTIVATIONS = {"tanh": np.tanh,
               "softplus": lambda z: np.logaddexp(0.0, z), "square": lambda z: z * z,
               "cube": lambda z: (z *
                                  z * z)}  # fmt: skip
PAIR = (lambda a, b: a * b, lambda a, b: {"s": a + b}["s"])


def through_the_activations(x):
    return np.sum(ACTIVATIONS["softplus"](x) + ACTIVATIONS["square"](x) + ACTIVATIONS["cube"](x))


def test_lambdas_inside_a_display_are_read_as_themselves():
    x = np.array([0.3, -1.0])
    want = 1.0 / (1.0 + np.exp(-x)) + 2.0 * x + 3.0 * x * x
    np.testing.assert_allclose(srcgrad.grad(through_the_activations)(x), want)
    assert srcgrad.grad(ACTIVATIONS["cube"])(2.0) == 12.0
    assert srcgrad.grad(PAIR[0], wrt=(0, 1))(2.0, 3.0) == (3.0, 2.0)
    assert srcgrad.grad(PAIR[1], wrt=(0, 1))(2.0, 3.0) == (1.0, 1.0)


def test_named_lambda_is_differentiated():
    square = lambda x: x * x
    assert srcgrad.grad(square)(3.0) == 6.0


# ---- non-scalar output ----------------------------------------------------------------------


def vector_output(x):
    return x * 2


def test_non_scalar_output_known_at_transform_time():
    with pytest.raises(srcgrad.NonScalarOutputError) as info:
        srcgrad.grad(vector_output)(np.ones(3))
    message = str(info.value)
    assert "(3,)" in message and "vjp" in message
    line = inspect.getsourcelines(vector_output)[1] + 1
    assert message.startswith(f"{__file__}:{line}:")


def shape_from_values(x, n):
    return x[:n] * 2


def test_non_scalar_output_found_at_run_time():
    with pytest.raises(srcgrad.NonScalarOutputError) as info:
        srcgrad.grad(shape_from_values)(np.ones(3), 2)
    assert "(2,)" in str(info.value)
    line = inspect.getsourcelines(shape_from_values)[1] + 1
    assert str(info.value).startswith(f"{__file__}:{line}:")


# ---- internal errors never escape bare ------------------------------------------------------


def list_of_zeros_filled_in(x):
    zs = [0.0] * 3  # a repeated list of constants carries no derivative: not refused
    zs[1] = x[0] * 2.0
    return zs[1] + zs[0]


def test_a_repeated_list_of_constants_is_not_refused():
    assert np.array_equal(srcgrad.grad(list_of_zeros_filled_in)(np.ones(3)), [2.0, 0.0, 0.0])


def test_errors_are_srcgrad_errors():
    for cls in (
        srcgrad.UnsupportedSyntaxError,
        srcgrad.NoRuleError,
        srcgrad.WrtError,
        srcgrad.SourceUnavailableError,
        srcgrad.NonScalarOutputError,
        srcgrad.InternalError,
    ):
        assert issubclass(cls, srcgrad.SrcgradError)


# ---- tuples joined with +: a join, not the arithmetic the rule of + describes ---------------


def joined_results(x, y):
    t = np.divmod(x, y) + np.divmod(x, y)
    return np.sum(t[3])


def joined_displays(x):
    t = (x, 2.0 * x) + (x,)
    return np.sum(t[2])


def joined_lists(x):
    xs = [x, 2.0 * x] + [x * x]  # (the reverse gradient of xs[2] was once silently wrong)
    return np.sum(xs[2])


def extended_list(x):
    xs = [x[0], x[1]]
    ys = xs + [x[1] * 3.0]
    return ys[2] * 2.0


JOINED = [joined_results, joined_displays, joined_lists, extended_list]


@pytest.mark.parametrize("fn", JOINED, ids=lambda f: f.__name__)
def test_joining_tuples_is_differentiated_as_a_join_not_a_sum(fn):
    args = (np.array([3.5, 2.2]), np.array([1.0, 0.7]))[: fn.__code__.co_argcount]
    want = finite_differences(fn, list(args), 0)
    np.testing.assert_allclose(srcgrad.grad(fn)(*args), want, rtol=1e-6, atol=1e-8)
    value, tangent = srcgrad.forward(fn)(np.ones(2), *args)
    assert value == pytest.approx(fn(*args))
    assert tangent == pytest.approx(np.sum(want), rel=1e-6, abs=1e-8)


def repeated_list(x):
    xs = [x, 2.0 * x] * 2  # repeated
    return np.sum(xs[3])


def test_repeating_a_list_is_refused_not_differentiated_as_a_product():
    x = np.array([3.5, 2.2])
    lines, first = inspect.getsourcelines(repeated_list)
    line = first + next(i for i, text in enumerate(lines) if "# repeated" in text)
    for transform in (srcgrad.grad(repeated_list), srcgrad.forward(repeated_list)):
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match="joining or repeating") as info:
            transform(x) if transform.mode.value != "jvp" else transform(np.ones(2), x)
        assert str(info.value).startswith(f"{__file__}:{line}:")


# ---- quantiles srcgrad has no exact derivative of: refused, never a wrong number -------------


def quantile_nearest(x):
    return np.percentile(x, 40, method="nearest")


def quantile_method_given_at_run_time(x, method):
    return np.quantile(x, 0.4, method=method)


def quantile_overwriting_its_input(x):
    y = x * 1.0
    return np.quantile(y, 0.4, overwrite_input=True)


def median_overwriting_its_input(x):
    y = x * 1.0
    return np.median(y, overwrite_input=True)


def cov_with_a_second_variable(x):
    return np.sum(np.cov(x, 2.0 * x))


def quantile_weighted(x):
    return np.quantile(x, 0.4, method="inverted_cdf", weights=np.ones(5))


def extreme_of_three(x):
    return max(x[0], x[1], x[2])


@pytest.mark.parametrize(
    "fn, extra, words",
    [
        pytest.param(*case, id=case[0].__name__)
        for case in [
            (quantile_nearest, (), "method='linear' only, not method='nearest'"),
            (quantile_method_given_at_run_time, ("lower",), "not method='lower'"),
            (quantile_overwriting_its_input, (), "overwrite_input=True"),
            (median_overwriting_its_input, (), "overwrite_input=True"),
            (cov_with_a_second_variable, (), "not with y"),
            (quantile_weighted, (), "unexpected keyword argument 'weights'"),
            (extreme_of_three, (), "too many positional arguments"),
        ]
    ],
)
def test_unsupported_forms_of_supported_functions_are_refused_in_both_modes(fn, extra, words):
    x = np.array([0.4, -1.3, 2.1, 0.9, -0.2])
    with pytest.raises(srcgrad.NoRuleError, match=re.escape(words)):
        srcgrad.grad(fn, wrt=0)(x, *extra)
    with pytest.raises(srcgrad.NoRuleError, match=re.escape(words)):
        srcgrad.jvp(fn, (x, *extra), np.ones(5), wrt=0)
    # the linear method, given by name at run time, is differentiated
    if fn is quantile_method_given_at_run_time:
        gradient = srcgrad.grad(fn, wrt=0)(x, "linear")
        assert np.allclose(gradient, [0.6, 0.0, 0.0, 0.0, 0.4])
