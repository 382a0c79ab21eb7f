"""Starred expressions and `**` unpacking end to end (`normalize/starred.py`): a star in a call
or a display (of shape integers, of arrays), starred assignment targets, `zip(*pairs)`, `**` of
dicts, and the user's functions with `*args` and `**kwargs` parameters, in straight code, loops,
helpers and nested functions. Values equal plain Python's; gradients equal central finite
differences in reverse mode and (along a direction) in forward mode, and Hessians for some.
What cannot be written out when the code is generated is refused at its line."""

from __future__ import annotations

import inspect

import finite_differences
import numpy as np
import pytest
from two_arguments import TX, TY, X, Y, check_forward, check_reverse, close

import srcgrad

OPTIONS = {"axis": 0}
SHAPE = (2, 2)


# ---- the user's helpers ----------------------------------------------------------------------


def mul(a, b):
    return a * b


def pair_of(a, b):
    return a, b


def scaled(a, scale=1.0):
    return a * scale


def shifted(a, scale=1.0, shift=0.0):
    return a * scale + shift


def passes_on(a, **kwargs):
    return scaled(a, **kwargs)


def passes_on_twice(a, **options):
    return passes_on(np.sin(a), **options) * 2.0


def squares(*arrays):
    return sum(a * a for a in arrays)


def mixed(a, *rest, scale=1.0, **more):
    return a * scale * rest[0] + more["shift"] * rest[-1]


def head_times_tail(xs):
    first, *rest = xs
    return first * sum(rest)


def forwarded(*args, **kwargs):
    return shifted(*args, **kwargs)


def leaky(x, negative_slope=0.01):
    return np.where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def block(x, w, activation=np.tanh, **activation_kwargs):
    return activation(x * w, **activation_kwargs)


# ---- the programs ----------------------------------------------------------------------------


def zeros_of_a_starred_shape(x, y):
    z = np.zeros((*x.shape, 2))
    return np.sum(x * y) + np.sum(z[..., 0] + 1.0)


def random_numbers_of_a_starred_shape(x, y):
    rng = np.random.RandomState(0)
    noise = rng.randn(*x.shape)
    return np.sum(np.sin(x) * noise * y)


def reshape_to_a_starred_shape(x, y):
    a = np.reshape(x * y, (*x.shape[:-1], 2, -1))
    return np.sum(a[..., 0] * np.tanh(a[..., 1]))


def method_reshape_with_stars(x, y):
    a = (x * y).reshape(*x.shape[:-1], 2, -1)
    return np.sum(a[..., 0] ** 2 * a[..., 1])


def shape_from_a_local_tuple(x, y):
    shape = (2, 2)
    return np.sum(np.reshape(x, (*shape,)) @ np.reshape(y, (*shape,)))


def starred_shapes_in_a_loop(x, y):
    acc = 0.0
    for k in range(3):
        acc = acc + np.sum(np.full((*x.shape,), float(k)) * x * y)
        acc = acc + np.sum(np.zeros((*y.shape, k + 1)))
    return acc


def numpy_function_of_a_pair(x, y):
    pair = (x, y)
    return np.sum(np.add(*pair) ** 2)


def helper_of_a_pair(x, y):
    pair = (x, np.sin(y))
    return np.sum(mul(*pair))


def concatenate_a_spread(x, y):
    xs = (x, 2.0 * x)
    return np.sum(np.concatenate([*xs, y]) ** 2)


def stack_a_list_display(x, y):
    xs = [x, y]
    return np.sum(np.stack([*xs, x * y]) ** 2)


def spread_in_a_loop(x, y):
    s = 0.0
    for p in [(x, y), (y, x * x)]:
        s = s + np.sum(mul(*p))
    return s


def spread_a_slice(x, y):
    xs = (x, y, x * y)
    return np.sum(mul(*xs[1:]) + mul(*xs[::2]))


def spread_a_spread(x, y):
    return np.sum(mul(*[*(x,), y]) * squares(*(x, y), *[y]))


def spread_in_a_comprehension(x, y):
    return sum(np.sum(mul(*p)) for p in [(x, y), (y, np.cos(x))])


def spread_in_a_nested_function(x, y):
    def step(p):
        return mul(*p) + x

    return np.sum(step((x, y)) * step((y, y)))


def first_and_rest(x, y):
    first, *rest = (x, y, x * y)
    return np.sum(first * rest[1]) + np.sum(rest[0])


def first_middle_last(x, y):
    xs = [x, y, x * y, y * y]
    first, *middle, last = xs
    return np.sum(first * middle[1] * last) + np.sum(middle[0])


def rows_of_an_array(x, y):
    a, *rest = np.reshape(x * y, (2, 2))
    return np.sum(a * rest[0] * np.sin(a))


def unpack_a_list_built_in_a_loop(x, y):
    hs = []
    h = x
    for _ in range(3):
        h = np.tanh(h * y)
        hs.append(h)
    *init, last = hs
    return np.sum(last) + np.sum(init[0] * init[1])


def starred_loop_target(x, y):
    s = 0.0
    for a, *rest in [(x, y, y), (y, x, x * y)]:
        s = s + np.sum(a * rest[1])
    return s


def starred_target_in_a_helper(x, y):
    return np.sum(head_times_tail((x, y, x * y)))


def zip_transposes(x, y):
    pairs = [(x, y), (2.0 * x, y * y)]
    xs, ys = zip(*pairs)
    return np.sum(np.stack(xs) * np.stack(ys))


def zip_in_a_loop(x, y):
    pairs = [(x, y), (2.0 * x, y * y)]
    s = 0.0
    for a, b in zip(*pairs):
        s = s + np.sum(a * b)
    return s


def zip_of_rows_built_in_a_loop(x, y):
    rows = []
    for k in range(2):
        row = (x * (k + 1.0), np.sin(y))
        rows.append(row)
    s = 0.0
    for a, b in zip(*rows):
        s = s + np.sum(a * b)
    return s


def keywords_of_a_dict(x, y):
    opts = {"scale": y}
    return np.sum(scaled(x, **opts))


def keywords_passed_on(x, y):
    return np.sum(passes_on(x, scale=y))


def keywords_passed_on_twice(x, y):
    return np.sum(passes_on_twice(x, scale=y))


def star_parameters(x, y):
    return np.sum(squares(x, y, x * y))


def star_parameters_in_a_loop(x, y):
    h = x
    for _ in range(3):
        h = squares(h * 0.5, y)
    return np.sum(h)


def stacked_with_ones(*rows):
    return np.vstack(rows + (np.ones(rows[0].shape),))


def rows_joined_with_a_display(x, y):
    h = x
    for _ in range(2):
        h = np.tanh(stacked_with_ones(h, y).sum(axis=0))
    return np.sum(h) + np.sum(stacked_with_ones(y))


def outputs_of_every_step(x, y):
    out = [x[:2] * y[:2]]
    h = x
    for _ in range(3):
        h = np.sin(h * y)
        out.append(h)
    return out


def steps_read_at_a_loop_index(x, y):
    steps = outputs_of_every_step(x, y)
    total = 0.0
    for t in range(len(steps)):
        total = total + np.sum(steps[t] ** 2) * (t + 1)
    return total


def tuple_of_unknown_length(x, y):  # (its length known as the code runs: a join)
    hs = []
    for k in range(2):
        hs.append(x * k + y)
    t = (*hs, x)
    return np.sum(t[0] * t[2])


def all_kinds_of_parameters(x, y):
    return np.sum(mixed(x, y, x, scale=2.0, shift=y))


def everything_passed_on(x, y):
    args = (x,)
    return np.sum(forwarded(*args, y, shift=np.cos(x)))


def numpy_keywords_of_a_display(x, y):
    return np.sum(np.sum(np.outer(x, y), **{"axis": 0}) ** 2)  # noqa: PIE804


def merged_dicts(x, y):
    base = {"scale": y}
    merged = {**base, "shift": x}
    return np.sum(shifted(x, **merged))


def nested_dict_displays_as_keywords(x, y):
    return np.sum(np.sum(np.outer(x, y), **{**{"axis": 1}}) ** 2)  # noqa: PIE800, PIE804


def keywords_of_a_module_dict(x, y):
    return np.sum(np.sum(np.outer(x, y), **OPTIONS) ** 2)


def shape_of_a_module_tuple(x, y):
    return np.sum(np.reshape(x, (*SHAPE,)) @ np.reshape(np.sin(y), (1, *SHAPE))[0])


def activations_with_their_keywords(x, y):
    h = block(x, y, activation=elu, alpha=0.5)
    return np.sum(block(h, y, activation=leaky, negative_slope=0.2) ** 2)


PROGRAMS = [
    zeros_of_a_starred_shape,
    random_numbers_of_a_starred_shape,
    reshape_to_a_starred_shape,
    method_reshape_with_stars,
    shape_from_a_local_tuple,
    starred_shapes_in_a_loop,
    numpy_function_of_a_pair,
    helper_of_a_pair,
    concatenate_a_spread,
    stack_a_list_display,
    spread_in_a_loop,
    spread_a_slice,
    spread_a_spread,
    spread_in_a_comprehension,
    spread_in_a_nested_function,
    first_and_rest,
    first_middle_last,
    rows_of_an_array,
    unpack_a_list_built_in_a_loop,
    starred_loop_target,
    starred_target_in_a_helper,
    zip_transposes,
    zip_in_a_loop,
    zip_of_rows_built_in_a_loop,
    keywords_of_a_dict,
    keywords_passed_on,
    keywords_passed_on_twice,
    star_parameters,
    star_parameters_in_a_loop,
    rows_joined_with_a_display,
    tuple_of_unknown_length,
    steps_read_at_a_loop_index,
    all_kinds_of_parameters,
    everything_passed_on,
    numpy_keywords_of_a_display,
    merged_dicts,
    nested_dict_displays_as_keywords,
    keywords_of_a_module_dict,
    shape_of_a_module_tuple,
    activations_with_their_keywords,
]
NAMES = [fn.__name__ for fn in PROGRAMS]


@pytest.mark.parametrize("fn", PROGRAMS, ids=NAMES)
def test_reverse_mode_gives_the_value_and_the_gradient(fn):
    check_reverse(fn)


@pytest.mark.parametrize("fn", PROGRAMS, ids=NAMES)
def test_forward_mode_gives_the_derivative_along_a_direction(fn):
    check_forward(fn)


HESSIANS = [
    numpy_function_of_a_pair,
    activations_with_their_keywords,
    first_and_rest,
    zip_transposes,
    star_parameters,
    keywords_passed_on_twice,
    rows_of_an_array,
]


@pytest.mark.parametrize("fn", HESSIANS, ids=[fn.__name__ for fn in HESSIANS])
def test_second_derivatives(fn):
    hessian = srcgrad.hessian(fn)(X, Y)

    def gradient(x):
        return finite_differences.gradient(fn, (x, Y), 0)

    want = np.array(
        [finite_differences.gradient(lambda x, k=k: gradient(x)[k], (X,)) for k in range(4)]
    )
    np.testing.assert_allclose(hessian, want, rtol=1e-4, atol=1e-6)


# ---- the structure of the arguments ----------------------------------------------------------


def tuple_argument(params, y):
    return np.sum(mul(*params) * y)


def list_argument_unpacked(xs, y):
    first, *rest = xs
    return np.sum(first * rest[-1] * y)


def pairs_argument_transposed(pairs, y):
    a, b = zip(*pairs)
    return np.sum(np.stack(a) * np.stack(b) * y)


def pairs_argument_spread_in_a_loop(pairs, y):
    s = 0.0
    for pair in pairs:
        s = s + np.sum(mul(*pair) * y)
    return s


def dict_argument_as_keywords(x, options):
    return np.sum(shifted(x, **options))


def star_argument(*xs):
    return np.sum(np.add(*xs) ** 2)


def mean_square(*xs):
    return sum(np.sum(x**2) for x in xs) / len(xs)


def keywords_argument(x, **kwargs):
    return np.sum(shifted(x, **kwargs) ** 2)


def test_a_tuple_argument_is_spread_by_its_length():
    for params in [(X, Y), (np.cos(Y), X)]:
        value, grad = srcgrad.value_and_grad(tuple_argument)(params, Y)
        close(value, tuple_argument(params, Y))
        for got, want in zip(grad, finite_differences.gradient(tuple_argument, (params, Y))):
            close(got, want)
    _, tangent = srcgrad.jvp(tuple_argument, ((X, Y), Y), ((TX, TY), TY))
    want = finite_differences.gradient(tuple_argument, ((X, Y), Y), (0, 1))
    close(tangent, np.sum(want[0][0] * TX) + np.sum(want[0][1] * TY) + np.sum(want[1] * TY))


def test_one_code_serves_lists_of_arrays_of_every_length():
    transform = srcgrad.grad(list_argument_unpacked)
    sources = set()
    for count in (2, 3, 5):
        xs = [X * (k + 1.0) for k in range(count)]
        grad = transform(xs, Y)
        for got, want in zip(grad, finite_differences.gradient(list_argument_unpacked, (xs, Y))):
            close(got, want)
        sources.add(transform.source)
    assert len(sources) == 1


def test_zip_of_a_list_argument_of_pairs():
    pairs = [(X, Y), (Y, np.sin(X)), (X * X, Y)]
    value, grad = srcgrad.value_and_grad(pairs_argument_transposed, (0, 1))(pairs, Y)
    close(value, pairs_argument_transposed(pairs, Y))
    want = finite_differences.gradient(pairs_argument_transposed, (pairs, Y), (0, 1))
    for got_pair, want_pair in zip(grad[0], want[0]):
        for got, expected in zip(got_pair, want_pair):
            close(got, expected)
    close(grad[1], want[1])


def test_the_pairs_of_a_list_argument_are_spread():
    pairs = [(X, Y), (np.sin(X), Y * Y)]
    grad = srcgrad.grad(pairs_argument_spread_in_a_loop, (0, 1))(pairs, Y)
    want = finite_differences.gradient(pairs_argument_spread_in_a_loop, (pairs, Y), (0, 1))
    for got_pair, want_pair in zip(grad[0], want[0]):
        for got, expected in zip(got_pair, want_pair):
            close(got, expected)
    close(grad[1], want[1])


def test_the_keys_of_a_module_dict_are_checked_as_the_code_runs():
    transform = srcgrad.grad(keywords_of_a_module_dict)
    transform(X, Y)
    OPTIONS["keepdims"] = True
    try:
        with pytest.raises(KeyError, match="OPTIONS has other keys"):
            transform(X, Y)
    finally:
        del OPTIONS["keepdims"]


def test_a_dict_argument_is_passed_as_keywords():
    options = {"scale": Y, "shift": np.sin(X)}
    grad = srcgrad.grad(dict_argument_as_keywords, (0, 1))(X, options)
    want = finite_differences.gradient(dict_argument_as_keywords, (X, options), (0, 1))
    close(grad[0], want[0])
    for key in options:
        close(grad[1][key], want[1][key])


def spread_of_a_list_of_arrays(xs, y):
    return np.sum(mul(*xs) * y)  # refused: mul(*xs)


def test_a_list_of_arrays_is_not_spread_by_its_length():
    lines, first = inspect.getsourcelines(spread_of_a_list_of_arrays)
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as error:
        srcgrad.grad(spread_of_a_list_of_arrays)([X, Y], Y)
    assert str(error.value).startswith(f"{__file__}:{first + 1}:"), str(error.value)
    assert "after '*'" in str(error.value)
    close(srcgrad.grad(spread_of_a_list_of_arrays, 1)([X, Y], Y), X * Y)  # (not differentiated)


def test_star_and_keywords_parameters_of_the_differentiated_function():
    grad = srcgrad.grad(star_argument)(X, Y)
    want = finite_differences.gradient(lambda x, y: star_argument(x, y), (X, Y), (0, 1))
    close(grad[0], want[0])
    close(grad[1], want[1])
    for given in [(X,), (X, Y, X)]:  # (one array: still packed into the tuple `xs`)
        value, grad = srcgrad.value_and_grad(mean_square, "xs")(*given)
        close(value, mean_square(*given))
        for got, want in zip(
            grad, finite_differences.gradient(lambda xs: mean_square(*xs), (given,))
        ):
            close(got, want)
    value, grad = srcgrad.value_and_grad(keywords_argument)(X, scale=Y, shift=2.0)
    close(value, keywords_argument(X, scale=Y, shift=2.0))
    close(
        grad, finite_differences.gradient(lambda x: keywords_argument(x, scale=Y, shift=2.0), (X,))
    )
    close(srcgrad.hessian(keywords_argument)(X, scale=Y, shift=2.0), np.diag(2.0 * Y**2))
    by_keyword = srcgrad.grad(keywords_argument, "kwargs")(X, scale=Y)
    close(
        by_keyword["scale"],
        finite_differences.gradient(lambda s: keywords_argument(X, scale=s), (Y,)),
    )


def test_the_generated_code_spreads_what_it_knows():
    source = srcgrad.grad(zip_transposes).source_for(X, Y)
    code = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    assert not any("zip(" in line or "*pairs" in line for line in code), source


# ---- refused, at the line --------------------------------------------------------------------


def star_of_an_array(x, y):
    return np.sum(np.add(*x) * y)  # refused: np.add(*x)


def star_of_a_result(x, y):
    return np.sum(mul(*pair_of(x, y)))  # refused: mul(*pair_of


def options_of(x):
    return {"axis": 0} if x.ndim else {}


def keywords_of_a_result(x, y):
    return np.sum(x * y, **options_of(x))  # refused: **options_of


def too_few_values(x, y):
    t = (x,)
    a, *b, c = t  # refused: a, *b, c
    return np.sum(a * c * y)


def starred_comprehension_target(x, y):
    return np.sum(sum(a * r[0] for a, *r in [(x, y)]))  # refused: for a, *r


REFUSED = {
    star_of_an_array: "a starred argument (*args) to 'np.add'",
    star_of_a_result: "a differentiated value passed to your function after '*'",
    keywords_of_a_result: "unpacking '**options_of(x)', whose keys are not known",
    too_few_values: "unpacking 1 values into at least 2 names",
    starred_comprehension_target: "a starred name in a comprehension's target",
}


@pytest.mark.parametrize("fn", REFUSED, ids=[fn.__name__ for fn in REFUSED])
def test_what_cannot_be_spread_is_refused_at_its_line(fn):
    lines, first = inspect.getsourcelines(fn)
    line = first + next(k for k, text in enumerate(lines) if "# refused" in text)
    with pytest.raises(srcgrad.SrcgradError) as error:
        srcgrad.grad(fn)(X, Y)
    message = str(error.value)
    assert message.startswith(f"{__file__}:{line}:"), message
    assert REFUSED[fn] in message and "not supported" in message, message
