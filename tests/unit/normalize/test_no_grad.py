"""The `no_grad` pass alone: a `with srcgrad.no_grad():` block is replaced by its statements,
each value they assign wrapped in `stop_gradient` (blocks nested in ifs and loops included), the
manager recognised by identity whatever it is called, `stop_gradient` named without colliding
with the user's names, and everything outside the block left as it was."""

from __future__ import annotations

import textwrap

import pytest
from passes import define, normalized_until, text

import srcgrad
from srcgrad.normalize import no_grad


def normalized(source: str, **names):
    """The context of the last function of `source` after `no_grad` (and the passes before)."""
    ctx = normalized_until(define(source, **names), no_grad)
    no_grad.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str, **names) -> str:
    return text(normalized(source, **names).parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_the_block_is_unwrapped_and_its_assignments_stop_the_gradient():
    assert after("""
        from srcgrad import no_grad
        def f(x, w):
            with no_grad():
                scale = np.max(np.abs(w))
            return np.sum(x * w / scale)
    """) == code("""
        def f(x, w):
            scale = stop_gradient(np.max(np.abs(w)))
            return np.sum(x * w / scale)
    """)


def test_statements_outside_the_block_are_left_alone():
    assert after("""
        from srcgrad import no_grad
        def f(x, w):
            y = w * 2
            with no_grad():
                z = w * 2
            y = y + z
            return x * y
    """) == code("""
        def f(x, w):
            y = w * 2
            z = stop_gradient(w * 2)
            y = y + z
            return x * y
    """)


def test_an_augmented_assignment_in_the_block_becomes_a_stopped_binary_operation():
    assert after("""
        from srcgrad import no_grad
        def f(x, w):
            s = x
            with no_grad():
                s += w
            return s
    """) == code("""
        def f(x, w):
            s = x
            s = stop_gradient(s + w)
            return s
    """)


def test_assignments_in_ifs_and_loops_inside_the_block_are_stopped_too():
    assert after("""
        from srcgrad import no_grad
        def f(x, w):
            with no_grad():
                m = w
                if x > 0:
                    m = w * 2
                for i in range(3):
                    m = m + i
            return x * m
    """) == code("""
        def f(x, w):
            m = stop_gradient(w)
            if x > 0:
                m = stop_gradient(w * 2)
            for i in range(3):
                m = stop_gradient(m + i)
            return x * m
    """)


def test_tuple_and_element_assignments_are_stopped_as_a_whole():
    assert after("""
        from srcgrad import no_grad
        def f(x, w):
            with no_grad():
                a, b = w, x
                w[0] = a
            return a * x
    """) == code("""
        def f(x, w):
            a, b = stop_gradient((w, x))
            w[0] = stop_gradient(a)
            return a * x
    """)


def test_a_block_nested_in_an_if_and_in_another_block_is_stopped_once():
    assert after("""
        from srcgrad import no_grad
        def f(x, w):
            if x > 0:
                with no_grad():
                    with no_grad():
                        s = w * 2
            else:
                s = x
            return s
    """) == code("""
        def f(x, w):
            if x > 0:
                s = stop_gradient(w * 2)
            else:
                s = x
            return s
    """)


@pytest.mark.parametrize(
    ("header", "manager"),
    [
        ("import srcgrad as sg", "sg.no_grad"),
        ("from srcgrad import no_grad as frozen", "frozen"),
        ("from srcgrad.runtime.markers import no_grad", "no_grad"),
    ],
)
def test_the_manager_is_recognised_by_identity_under_any_spelling(header, manager):
    function = code("""
        def f(x, w):
            with MANAGER():
                s = w
            return x * s
    """)
    assert after(header + "\n" + function.replace("MANAGER", manager)) == code("""
        def f(x, w):
            s = stop_gradient(w)
            return x * s
    """)


def test_stop_gradient_is_injected_when_the_module_does_not_name_it():
    ctx = normalized("""
        from srcgrad import no_grad
        def f(x, w):
            with no_grad():
                s = w
            return x * s
    """)
    assert ctx.support.injected == {"stop_gradient": srcgrad.stop_gradient}


def test_the_modules_own_stop_gradient_is_used_and_nothing_is_injected():
    ctx = normalized("""
        from srcgrad import no_grad, stop_gradient as frozen
        def f(x, w):
            with no_grad():
                s = w
            return x * s
    """)
    assert "s = frozen(w)" in text(ctx.parsed.tree)
    assert ctx.support.injected == {}


def test_a_local_named_stop_gradient_is_not_shadowed():
    ctx = normalized("""
        from srcgrad import no_grad
        def f(x, w):
            stop_gradient = w
            with no_grad():
                s = x
            return s * stop_gradient
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x, w):
            stop_gradient = w
            s = stop_gradient_1(x)
            return s * stop_gradient
    """)
    assert ctx.support.injected == {"stop_gradient_1": srcgrad.stop_gradient}


def test_a_function_without_a_block_is_unchanged():
    source = """
        def f(x, w):
            s = w * 2
            s += x
            return s
    """
    assert after(source) == code(source)
    assert normalized(source).support.injected == {}


def test_a_value_appended_in_the_block_is_stopped():
    assert after("""
        from srcgrad import no_grad
        def f(w):
            with no_grad():
                ws = []
                ws.append(w * 1.0)
            return w * ws[0]
    """) == code("""
        def f(w):
            ws = stop_gradient([])
            ws.append(stop_gradient(w * 1.0))
            return w * ws[0]
    """)


def test_a_loop_variable_bound_in_the_block_is_stopped():
    assert after("""
        from srcgrad import no_grad
        def f(w):
            with no_grad():
                for v in w:
                    pass
            return np.sum(w * v)
    """) == code("""
        def f(w):
            for v in w:
                v = stop_gradient(v)
                pass
            return np.sum(w * v)
    """)
