"""The `method_calls` pass alone: array methods and `.T`/`.real`/`.imag` on the function's own
values become the NumPy functions they are (a shape given as separate numbers becomes one
tuple), `.item()`, `.astype()` and a dict's views become srcgrad's runtime helpers, numpy is
named with the user's alias or a fresh name, and calls on modules and globals, unknown methods
and other attributes are left alone."""

from __future__ import annotations

import textwrap

import numpy
import pytest
from passes import define, normalized_until, text

from srcgrad import runtime
from srcgrad.normalize import method_calls


def normalized(source: str, **names):
    ctx = normalized_until(define(source, **names), method_calls)
    method_calls.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str, **names) -> str:
    return text(normalized(source, **names).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_chained_methods_and_transpose_become_nested_numpy_calls():
    assert after("""
        def f(x, w):
            h = x.dot(w).T
            return h.reshape(2, -1).sum(axis=0).mean()
    """) == code("""
        def f(x, w):
            h = np.transpose(np.dot(x, w))
            return np.mean(np.sum(np.reshape(h, (2, -1)), axis=0))
    """)


def test_arguments_and_keywords_follow_the_receiver():
    assert after("""
        def f(x, lo):
            a = x.sum(axis=0, keepdims=True)
            b = x.clip(lo, 1.0)
            c = x.swapaxes(0, 1)
            return a + b + c
    """) == code("""
        def f(x, lo):
            a = np.sum(x, axis=0, keepdims=True)
            b = np.clip(x, lo, 1.0)
            c = np.swapaxes(x, 0, 1)
            return a + b + c
    """)


def test_a_shape_given_as_separate_numbers_becomes_one_tuple():
    assert after("""
        def f(x, n, shape):
            a = x.reshape(3)
            b = x.reshape(-1)
            c = x.reshape(n, 2)
            d = x.reshape((2, 3))
            e = x.reshape(shape)
            g = x.transpose(1, 0)
            h = x.transpose()
            return a
    """) == code("""
        def f(x, n, shape):
            a = np.reshape(x, (3,))
            b = np.reshape(x, (-1,))
            c = np.reshape(x, (n, 2))
            d = np.reshape(x, (2, 3))
            e = np.reshape(x, shape)
            g = np.transpose(x, (1, 0))
            h = np.transpose(x)
            return a
    """)


def test_flatten_is_ravel_and_attributes_are_calls():
    assert after("""
        def f(x):
            a = x.flatten()
            b = x.T
            c = x.real + x.imag
            return a
    """) == code("""
        def f(x):
            a = np.ravel(x)
            b = np.transpose(x)
            c = np.real(x) + np.imag(x)
            return a
    """)


def test_item_astype_and_dict_views_become_runtime_helpers():
    ctx = normalized("""
        def f(x, d):
            a = x.item()
            b = x.astype(float, copy=False)
            c = d.values()
            e = d.items()
            g = d.keys()
            return a
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x, d):
            a = item(x)
            b = astype(x, float, copy=False)
            c = dict_values(d)
            e = dict_items(d)
            g = dict_keys(d)
            return a
    """)
    assert ctx.support.injected == {
        "item": runtime.item,
        "astype": runtime.astype,
        "dict_values": runtime.dict_values,
        "dict_items": runtime.dict_items,
        "dict_keys": runtime.dict_keys,
    }


def test_module_functions_globals_and_other_attributes_are_left_alone():
    source = """
        def f(x):
            a = np.linalg.norm(x) + np.pi
            b = W.sum() + W.T
            c = x.shape[0] + x.ndim
            return a
    """
    assert after(source, W=numpy.ones(3)) == code(source)


def test_unknown_methods_and_views_with_arguments_are_left_alone():
    source = """
        def f(x, d):
            a = x.tolist()
            b = d.values(1)
            c = x.item(0)
            return a
    """
    assert after(source) == code(source)


def test_the_receiver_may_be_any_expression():
    assert after("""
        def f(x, y):
            a = (x * y).sum()
            b = np.ones(3).mean()
            return a
    """) == code("""
        def f(x, y):
            a = np.sum(x * y)
            b = np.mean(np.ones(3))
            return a
    """)


def test_numpy_is_named_by_the_modules_own_alias():
    ctx = normalized("""
        import numpy as xp
        np = None
        def f(x):
            return x.sum()
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x):
            return xp.sum(x)
    """)
    assert ctx.support.injected == {}


def test_numpy_gets_a_fresh_name_when_np_is_a_local():
    ctx = normalized("""
        def f(x, np):
            return x.sum() * np
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x, np):
            return np_1.sum(x) * np
    """)
    assert ctx.support.injected == {"np_1": numpy}


@pytest.mark.parametrize("display", ["{'w': x}", "[x, x]"])
def test_copy_of_a_dict_or_list_display_stays_a_copy_of_it(display):
    output = after(f"""
        def f(x):
            d = {display}
            e = d.copy()
            return x
    """)
    assert "np.copy" not in output


def test_list_and_dict_of_a_container_are_copies_and_dict_of_keywords_a_display():
    assert after("""
        def f(x):
            d = {'w': x}
            xs = list([x, x])
            e = dict(d)
            g = dict(w=x, b=2.0)
            pairs = dict([('w', x)])
            return x
    """) == code("""
        def f(x):
            d = {'w': x}
            xs = [_e for _e in [x, x]]
            e = dict_copy(d)
            g = {'w': x, 'b': 2.0}
            pairs = dict([('w', x)])
            return x
    """)


@pytest.mark.parametrize(
    "body",
    [
        "ys = list(xs); ys.append(x * 3.0); return np.sum(ys[1] * xs[0])",
        "e = dict(d); e['w'] = x * 3.0; return np.sum(e['w'] * d['w'])",
        "e = dict(w=x * 2.0); return np.sum(e['w'] * x)",
    ],
)
def test_copies_of_containers_give_the_gradient_of_finite_differences(body):
    import finite_differences

    import srcgrad

    source = "def f(x):\n    xs = [x]\n    d = {'w': x}\n    " + body.replace("; ", "\n    ")
    fn = define(source, np=numpy)
    x = numpy.array([0.5, -1.0, 2.0])
    want = finite_differences.gradient(fn, (x,))
    numpy.testing.assert_allclose(srcgrad.grad(fn)(x), want, rtol=1e-6, atol=1e-8)
