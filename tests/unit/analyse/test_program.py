"""The program analysis (`srcgrad/analyse/program.py`): `analysed` reads the normalized function
once into a `Program` (its body, its `return name`, each assignment's operation, the active
names and the shapes) and leaves on the context what later stages read (loop integers,
integer-array and array arguments, names that may hold views). Also the scans it offers:
`assignments`, `bound_at` (names bound on every path), `loop_integers`, `bind_user_call`
(a call of the user's function bound to its parameters) and `may_be_complex`.
"""

from __future__ import annotations

import gast
import numpy as np
import pytest
from passes import analysed_program, context, define, text

from srcgrad.analyse.program import Program, bound_at, loop_integers, may_be_complex
from srcgrad.analyse.scan import assignments, bind_user_call
from srcgrad.errors import InternalError, NoRuleError, UnsupportedSyntaxError
from srcgrad.normalize.ir import Kind


def _analysed(source: str, *args, wrt=0):
    ctx = context(define(source), *args, wrt=wrt)
    return ctx, analysed_program(ctx)


def _user_calls(ctx, program: Program) -> dict:
    """Each call of a user's function, bound: target -> its operation."""
    found = {}
    for stmt in program.assigns:
        op = program.ops[id(stmt)]
        if op.kind is Kind.USER:
            bind_user_call(ctx, stmt, op, program.active)
            found[op.target] = op
    return found


def test_analysed_reads_the_body_the_output_and_each_operation():
    ctx, program = _analysed(
        """
        def f(x, y):
            z = x * y
            return np.sum(z)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert isinstance(program, Program)
    assert program.output == "_out"
    assert isinstance(program.last, gast.Return) and program.last.value.id == "_out"
    assert [text(s).strip() for s in program.body] == ["z = x * y", "_out = np.sum(z)"]
    assert program.assigns == program.body
    assert [program.ops[id(s)].target for s in program.assigns] == ["z", "_out"]
    assert program.active == {"x", "z", "_out"}
    assert program.shapes["z"] == (3,) and ctx.shapes is program.shapes


def test_analysed_leaves_the_facts_of_the_arguments_on_the_context():
    ctx, _ = _analysed(
        """
        def f(x, idx, k, s, p, moved):
            if k > 0:
                moved = moved + 1
            a = x[idx]
            b = a * s
            return np.sum(b * k)
        """,
        np.ones(3),
        np.array([0, 2]),
        2,
        np.float64(2.0),
        [1.0],
        np.array([1, 2]),
    )
    # an integer array that keeps its value; not a Python int, nor one the function rebinds
    assert ctx.index_arrays == {"idx"}
    assert ctx.array_arguments == {"x", "idx", "s"}


def test_analysed_finds_the_names_that_may_hold_views():
    ctx, _ = _analysed(
        """
        def f(x):
            a = x[1:]
            b = np.reshape(x, (3,))
            c = x
            d = x * 2.0
            e = np.copy(x)
            return np.sum(a * b * c * d * e)
        """,
        np.ones(3),
    )
    assert {"a", "b", "c"} <= ctx.views
    assert not {"d", "e"} & ctx.views


def test_analysed_needs_a_function_that_returns_a_name():
    fn = define(
        """
        def f(x):
            return x * 2.0
        """
    )
    ctx = context(fn, 1.0)
    ctx.parsed.tree.body[-1].value = gast.parse("x * 2.0").body[0].value
    with pytest.raises(InternalError, match="return name"):
        analysed_program(ctx)


def test_assignments_are_the_computing_statements_in_program_order():
    ctx, program = _analysed(
        """
        def f(x, n):
            xs = []
            for i in range(n):
                if i > 0:
                    xs.append(x * i)
            return np.sum(np.stack(xs))
        """,
        np.ones(3),
        2,
    )
    found = [text(s).strip() for s in assignments(program.body)]
    assert found == [
        "xs = []",
        "_t1 = i > 0",
        "_t2 = x * i",
        "xs.append(_t2)",
        "_t3 = np.stack(xs)",
        "_out = np.sum(_t3)",
    ]
    assert found == [text(s).strip() for s in program.assigns]


def test_bound_at_gives_the_names_bound_on_every_path():
    ctx, program = _analysed(
        """
        def f(x, c, n):
            a = x * 2.0
            if c > 0:
                b = a
                d = a
            else:
                b = x
            for i in range(n):
                e = b * x
            g = b * x
            return np.sum(g)
        """,
        np.ones(3),
        1.0,
        2,
    )
    body = program.body
    test, branch, loop, after = body[1], body[2], body[3], body[4]
    bound = bound_at(body, frozenset({"x", "c", "n"}))
    assert bound[id(body[0])] == {"x", "c", "n"}
    assert bound[id(branch.body[1])] == {"x", "c", "n", "a", "b", test.targets[0].id}
    assert bound[id(loop.body[0])] >= {"b", "i"}  # the loop's variable, inside it
    assert "d" not in bound[id(loop)]  # bound by one branch only
    assert bound[id(after)] >= {"a", "b"}
    assert not {"i", "e", "d"} & bound[id(after)]  # a loop's body may not run


def test_loop_integers_are_range_variables_and_integer_arithmetic_on_them():
    ctx, program = _analysed(
        """
        def f(x, n):
            s = x
            for i in range(n):
                j = i + 1
                k = j * 2 - i
                m = i * 2.0
                q = n + 1
                s = s * m
            for r in range(n):
                r = 2
                s = s * r
            return s
        """,
        1.0,
        3,
    )
    integers = loop_integers(program.body, program.assigns)
    assert {"i", "j", "k"} <= integers
    assert not {"m", "q", "n", "r", "s"} & integers  # a float, a parameter, a reassigned one
    assert ctx.integers == integers


def test_bind_user_call_binds_arguments_to_parameters_and_finds_the_active_ones():
    ctx, program = _analysed(
        """
        def h(a, b=1.0):
            return a * b

        def f(x, y):
            z = h(y, x)
            w = h(x)
            v = h(b=y, a=x)
            u = h(y, 2.0)
            return z + w + v + u
        """,
        1.0,
        2.0,
    )
    calls = _user_calls(ctx, program)
    assert {p: n.id for p, n in calls["z"].bindings.items()} == {"a": "y", "b": "x"}
    assert calls["z"].active_params == ["b"]
    assert list(calls["w"].bindings) == ["a"] and calls["w"].active_params == ["a"]
    assert calls["v"].active_params == ["a"]
    assert calls["u"].active_params == []


def test_bind_user_call_refuses_arguments_that_do_not_fit():
    with pytest.raises(NoRuleError, match="cannot call 'h'"):  # (when the program is analysed)
        _analysed(
            """
            def h(a, b):
                return a * b

            def f(x):
                z = h(x)
                return z
            """,
            1.0,
        )


def test_bind_user_call_binds_what_comes_before_a_star():
    ctx, program = _analysed(
        """
        def h(a, *rest):
            return a * rest[0]

        def f(x, y, n):
            t = [y, y] * n
            z = h(x, *t)
            return z
        """,
        1.0,
        2.0,
        1,
    )
    call = _user_calls(ctx, program)["z"]
    assert list(call.bindings) == ["a"] and call.active_params == ["a"]


def test_bind_user_call_refuses_an_active_value_after_a_star():
    with pytest.raises(UnsupportedSyntaxError, match="after '\\*'"):
        _analysed(
            """
            def h(*args):
                return args[0]

            def f(t, y):
                z = h(y, *t)
                return z
            """,
            [1.0, 2.0],
            2.0,
        )


@pytest.mark.parametrize(
    ("expression", "complex_values"),
    [
        ("np.abs(np.fft.fft(x))", True),
        ("np.real(np.fft.rfft(x))", True),
        ("np.abs(np.linalg.eigvals(np.outer(x, x)))", True),
        ("np.abs(x * 1j)", True),
        ("np.sin(x) * 2.0", False),
        ("np.linalg.eigh(np.outer(x, x))[0]", False),  # (real for a symmetric matrix)
    ],
)
def test_may_be_complex(expression, complex_values):
    ctx, program = _analysed(
        f"""
        def f(x):
            return np.sum({expression})
        """,
        np.ones(4),
    )
    assert may_be_complex(ctx.parsed.tree, program.ops) is complex_values
