"""`normalize.ir` on normalized functions: what `operation(stmt, ctx)` says each kind of core
statement computes (copies, operators and NumPy calls with the object their rule is looked up
by, inert comparisons and attributes, unknown calls and the value they call, the user's own
functions, element assignments, tuple, list and dict displays, appends) with its operands, and
which functions `is_user_function` reads the source of."""

from __future__ import annotations

import math
import operator

import gast
import numpy as np
import pytest
from passes import define, fresh_context, text

import srcgrad
from srcgrad import runtime
from srcgrad.normalize import normalize
from srcgrad.normalize.ir import Kind, is_user_function, operation
from srcgrad.rules import registry


def operations(source: str, **names) -> dict[str, object]:
    """The operation of every top-level statement of the normalized function, by target (the
    last one of a target wins)."""
    ctx = fresh_context(define(source, **names))
    normalize(ctx)
    found = {}
    for stmt in ctx.parsed.tree.body:
        if isinstance(stmt, (gast.Assign, gast.Expr)):
            op = operation(stmt, ctx)
            found[op.target] = op
    return found


def spelled(nodes: list) -> list[str]:
    return [text(node).strip() for node in nodes]


def test_a_name_a_constant_and_a_module_attribute_are_copies():
    ops = operations("""
        def f(x):
            a = x
            b = 1.5
            c = np.pi
            return a * b * c
    """)
    assert [(ops[t].kind, spelled(ops[t].args)) for t in "abc"] == [
        (Kind.COPY, ["x"]),
        (Kind.COPY, ["1.5"]),
        (Kind.COPY, ["np.pi"]),
    ]
    assert all(ops[t].key is None for t in "abc")


@pytest.mark.parametrize(
    ("symbol", "function"),
    [
        ("+", operator.add),
        ("-", operator.sub),
        ("*", operator.mul),
        ("/", operator.truediv),
        ("**", operator.pow),
        ("@", operator.matmul),
        ("//", operator.floordiv),
        ("%", operator.mod),
    ],
)
def test_a_binary_operator_is_a_call_of_the_operator_function(symbol, function):
    op = operations(f"""
        def f(x, y):
            z = x {symbol} y
            return z
    """)["z"]
    assert (op.kind, op.key, spelled(op.args)) == (Kind.CALL, function, ["x", "y"])


def test_negation_is_a_call_and_not_is_inert():
    ops = operations("""
        def f(x):
            a = -x
            b = +x
            c = not x
            return a
    """)
    assert (ops["a"].kind, ops["a"].key) == (Kind.CALL, operator.neg)
    assert (ops["b"].kind, ops["b"].key) == (Kind.CALL, operator.pos)
    assert (ops["c"].kind, ops["c"].key) == (Kind.INERT, operator.not_)
    assert spelled(ops["c"].args) == ["x"]


def test_indexing_is_getitem_with_the_index_as_a_value():
    ops = operations("""
        def f(x, i):
            a = x[i]
            b = x[1:i, ::2]
            return a
    """)
    assert (ops["a"].kind, ops["a"].key, spelled(ops["a"].args)) == (
        Kind.CALL,
        operator.getitem,
        ["x", "i"],
    )
    assert spelled(ops["b"].args) == ["x", "(slice(1, i, None), slice(None, None, 2))"]


def test_comparisons_and_shape_attributes_are_inert_other_attributes_unknown():
    ops = operations("""
        def f(x, y):
            a = x < y
            b = x.shape
            c = x.ndim
            d = x.foo
            return a
    """)
    assert (ops["a"].kind, spelled(ops["a"].args), ops["a"].description) == (
        Kind.INERT,
        ["x", "y"],
        "comparison",
    )
    assert (ops["b"].kind, ops["b"].description) == (Kind.INERT, ".shape")
    assert ops["c"].kind is Kind.INERT
    assert (ops["d"].kind, spelled(ops["d"].args), ops["d"].description) == (
        Kind.UNKNOWN,
        ["x"],
        ".foo",
    )


def test_tuple_list_and_dict_displays_with_their_operands_and_keys():
    ops = operations("""
        def f(x, y):
            p = (x, y)
            q = [x, 2.0]
            r = {'w': x, 3: y}
            e = []
            return p
    """)
    assert (ops["p"].kind, spelled(ops["p"].args)) == (Kind.TUPLE, ["x", "y"])
    assert (ops["q"].kind, spelled(ops["q"].args)) == (Kind.LIST, ["x", "2.0"])
    assert (ops["r"].kind, spelled(ops["r"].args), ops["r"].keys) == (
        Kind.DICT,
        ["x", "y"],
        ["w", 3],
    )
    assert (ops["e"].kind, ops["e"].args) == (Kind.LIST, [])


def test_a_library_call_resolves_to_the_function_itself_under_any_alias():
    ops = operations(
        """
        import numpy as xp
        from numpy import exp
        def f(x, y):
            a = np.sum(x, axis=y)
            b = xp.sum(x)
            c = exp(x)
            d = m.sin(y)
            return a
    """,
        m=math,
    )
    a = ops["a"]
    assert (a.kind, a.key, spelled(a.args), a.description) == (
        Kind.CALL,
        np.sum,
        ["x"],
        "np.sum",
    )
    assert {name: text(value).strip() for name, value in a.keywords.items()} == {"axis": "y"}
    assert (ops["b"].key, ops["b"].description) == (np.sum, "xp.sum")
    assert ops["c"].key is np.exp
    assert (ops["d"].kind, ops["d"].key) == (Kind.CALL, math.sin)


def test_a_call_of_the_functions_own_value_is_unknown_and_names_what_it_calls():
    op = operations("""
        def f(x, g):
            y = g(x)
            return y
    """)["y"]
    assert (op.kind, op.key, text(op.callee).strip()) == (Kind.UNKNOWN, None, "g")
    assert op.names() == {"g", "x"}


def test_the_users_own_function_is_a_user_call():
    def helper(a, b):
        return a * b

    op = operations(
        """
        def f(x, y):
            z = helper(x, b=y)
            return z
    """,
        helper=helper,
    )["z"]
    assert (op.kind, op.key, op.description) == (Kind.USER, helper, "helper")
    assert spelled(op.args) == ["x"]
    assert list(op.keywords) == ["b"]


def test_the_users_function_with_a_rule_of_its_own_is_a_plain_call():
    def scaled(a):
        return a * 2

    def scaled_vjp(g, ans, a):
        return g * 2

    srcgrad.register_vjp(scaled, scaled_vjp)
    op = operations(
        """
        def f(x):
            z = scaled(x)
            return z
    """,
        scaled=scaled,
    )["z"]
    assert (op.kind, op.key) == (Kind.CALL, scaled)


def test_element_assignments_and_appends_name_the_container_they_change():
    ops = operations("""
        def f(x, y, i):
            x[i] = y
            ys = []
            ys.append(x)
            return ys
    """)
    assert (ops["x"].kind, spelled(ops["x"].args)) == (Kind.SETITEM, ["x", "i", "y"])
    assert (ops["ys"].kind, spelled(ops["ys"].args)) == (Kind.APPEND, ["ys", "x"])


def test_nested_expressions_are_read_after_normalization_as_temporaries():
    ops = operations("""
        def f(x, w):
            return np.sum(np.tanh(x @ w))
    """)
    assert {target: (op.kind, op.key) for target, op in ops.items()} == {
        "_t1": (Kind.CALL, operator.matmul),
        "_t2": (Kind.CALL, np.tanh),
        "_out": (Kind.CALL, np.sum),
    }
    assert spelled(ops["_out"].args) == ["_t2"]


def test_is_user_function_is_true_for_python_functions_without_rules():
    def mine(x):
        return x

    assert is_user_function(mine)
    assert is_user_function(runtime.product_of_others)  # srcgrad's own helper, read as source


def test_is_user_function_is_false_for_library_code_rules_and_non_functions():
    def declared(x):
        return x

    registry.nondifferentiable(declared)
    for obj in [np.sum, np.hamming, math.sin, len, runtime.sigmoid, declared, np.ndarray]:
        assert not is_user_function(obj), obj
