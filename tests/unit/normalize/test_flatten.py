"""The `flatten` pass alone: every statement becomes one operation on names and constants (or
module-level references such as `np.pi`), nested expressions computed into temporaries in
evaluation order; a statement that already is one operation keeps the user's target; `x if c
else y`, `and`/`or` and chained comparisons become ifs that evaluate what Python evaluates; a
tuple target is assigned one name at a time; a `while` test is computed before the loop and at
the end of every iteration; and the result still computes what the user's code does."""

from __future__ import annotations

import textwrap

import gast
import numpy as np
from passes import define, normalized_until, text

import srcgrad
from srcgrad.front import nodes
from srcgrad.front.fence import is_append
from srcgrad.normalize import flatten


def normalized(source: str):
    fn = define(source)
    ctx = normalized_until(fn, flatten)
    flatten.run(ctx.parsed.tree, ctx)
    return fn, ctx


def after(source: str) -> str:
    return text(normalized(source)[1].parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def as_function(fn, ctx):
    """The rewritten tree compiled as a function in `fn`'s module namespace."""
    namespace = {**fn.__globals__, **ctx.support.injected}
    exec(compile(text(ctx.parsed.tree), "<flatten>", "exec"), namespace)
    return namespace[fn.__name__]


# ---- what "one operation" means, checked statement by statement ----


def _operand(node, ctx) -> bool:
    return nodes.is_atom(node) or (
        isinstance(node, gast.Attribute) and ctx.is_global_reference(node)
    )


def _argument(node, ctx) -> bool:
    """A call's argument: an operand, a name passed on with `*`, or a display of operands."""
    if isinstance(node, (gast.Tuple, gast.List)):
        return all(_argument(e, ctx) for e in node.elts)
    return _operand(node, ctx) or (isinstance(node, gast.Starred) and nodes.is_atom(node.value))


def _index(node, ctx) -> bool:
    if isinstance(node, gast.Slice):
        parts = (node.lower, node.upper, node.step)
        return all(p is None or _operand(p, ctx) for p in parts)
    if isinstance(node, gast.Tuple):
        return all(_index(e, ctx) for e in node.elts)
    return _operand(node, ctx)


def _one_operation(node, ctx) -> bool:
    if _operand(node, ctx):
        return True
    if isinstance(node, gast.BinOp):
        return _operand(node.left, ctx) and _operand(node.right, ctx)
    if isinstance(node, gast.UnaryOp):
        return _operand(node.operand, ctx)
    if isinstance(node, gast.Compare):
        return len(node.ops) == 1 and all(_operand(n, ctx) for n in [node.left, *node.comparators])
    if isinstance(node, gast.Subscript):
        return _operand(node.value, ctx) and _index(node.slice, ctx)
    if isinstance(node, gast.Attribute):
        return _operand(node.value, ctx)
    if isinstance(node, gast.Call):
        func = node.func
        named = isinstance(func, gast.Name) or _operand(func, ctx)
        method = isinstance(func, gast.Attribute) and _operand(func.value, ctx)
        return (
            (named or method)
            and all(_argument(a, ctx) for a in node.args)
            and all(_operand(k.value, ctx) for k in node.keywords)
        )
    if isinstance(node, (gast.Tuple, gast.List)):
        return all(_operand(e, ctx) for e in node.elts)
    if isinstance(node, gast.Dict):
        return all(_operand(v, ctx) for v in node.values)
    return False


def not_one_operation(block: list, ctx) -> list[str]:
    """The statements of `block` (and the blocks inside it) that are not in the core language."""
    wrong = []
    for stmt in block:
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            target_ok = isinstance(target, gast.Name) or (
                isinstance(target, gast.Subscript)
                and isinstance(target.value, gast.Name)
                and _index(target.slice, ctx)
            )
            ok = target_ok and len(stmt.targets) == 1 and _one_operation(stmt.value, ctx)
        elif isinstance(stmt, (gast.If, gast.While)):
            ok = isinstance(stmt.test, gast.Name)
            wrong += not_one_operation(stmt.body + stmt.orelse, ctx)
        elif isinstance(stmt, gast.For):
            ok = _one_operation(stmt.iter, ctx)
            wrong += not_one_operation(stmt.body, ctx)
        elif isinstance(stmt, gast.Return):
            ok = isinstance(stmt.value, gast.Name)
        elif isinstance(stmt, gast.Assert):
            ok = _operand(stmt.test, ctx)
        elif isinstance(stmt, gast.Pass):  # a branch with nothing to do
            ok = True
        else:
            ok = is_append(stmt) and _operand(stmt.value.args[0], ctx)
        if not ok:
            wrong.append(text(stmt).strip())
    return wrong


# ---- the rewrites ----


def test_nested_expressions_are_computed_into_temporaries_in_order():
    assert after("""
        def f(w, x):
            d = w * x + np.exp(-x[1:, 0])
            a, b = d, -1
            return np.sum(a * b)
    """) == code("""
        def f(w, x):
            _t1 = w * x
            _t2 = x[1:, 0]
            _t3 = -_t2
            _t4 = np.exp(_t3)
            d = _t1 + _t4
            a = d
            b = -1
            _t5 = a * b
            _out = np.sum(_t5)
            return _out
    """)


def test_one_operation_keeps_the_users_target_and_a_returned_name_is_returned():
    source = """
        def f(x, y):
            z = np.sum(x, axis=0)
            w = z * np.pi
            v = x[-1]
            return w
    """
    assert after(source) == code(source)


def test_arguments_keywords_and_slice_bounds_become_operands():
    assert after("""
        def f(x, y):
            z = np.sum(np.stack([x * 2, y]), axis=y + 1)
            v = x[::2] + x[y - 1:, 0]
            return z + v
    """) == code("""
        def f(x, y):
            _t1 = x * 2
            _t2 = np.stack([_t1, y])
            _t3 = y + 1
            z = np.sum(_t2, axis=_t3)
            _t4 = x[::2]
            _t5 = y - 1
            _t6 = x[_t5:, 0]
            v = _t4 + _t6
            _out = z + v
            return _out
    """)


def test_a_method_on_a_computed_value_calls_it_on_a_temporary():
    assert after("""
        def f(x, y):
            z = (x + y).tolist()
            return z
    """) == code("""
        def f(x, y):
            _t1 = x + y
            z = _t1.tolist()
            return z
    """)


def test_a_conditional_expression_becomes_an_if_assigning_a_temporary():
    assert after("""
        def f(x, y):
            z = x * 2 if y > 0 else -x
            return z
    """) == code("""
        def f(x, y):
            _t2 = y > 0
            if _t2:
                _t1 = x * 2
            else:
                _t1 = -x
            z = _t1
            return z
    """)


def test_and_evaluates_its_second_operand_only_when_the_first_is_true():
    assert after("""
        def f(x, y):
            a = x > 0 and np.all(y) and y
            return a
    """) == code("""
        def f(x, y):
            _t1 = x > 0
            _t2 = _t1
            if _t1:
                _t3 = np.all(y)
                _t4 = _t3
                if _t3:
                    _t4 = y
                _t2 = _t4
            a = _t2
            return a
    """)


def test_or_evaluates_its_second_operand_in_an_if_on_a_name():
    fn, ctx = normalized("""
        def f(x, c):
            a = c or x
            return a * x
    """)
    assert not_one_operation(ctx.parsed.tree.body, ctx) == []
    assert as_function(fn, ctx)(3.0, 0.0) == 9.0
    assert as_function(fn, ctx)(3.0, 2.0) == 6.0


def test_an_if_never_assigns_the_name_it_tests():
    """The reverse sweep replays the decision the if made: a branch that rebinds the tested
    name would leave the other decision on the tape."""
    fn, ctx = normalized("""
        def f(x, flag):
            if flag:
                flag = False
                x = x * 2.0
            return x
    """)
    copy, decision = ctx.parsed.tree.body[:2]
    assert text(copy) == "_t1 = flag\n" and text(decision.test) == "_t1\n"
    assert srcgrad.grad(fn)(1.5, True) == 2.0 and srcgrad.grad(fn)(1.5, False) == 1.0


def test_a_chained_comparison_computes_its_middle_once():
    assert after("""
        def f(x, y):
            g = 0 < x * 2 < y
            return g
    """) == code("""
        def f(x, y):
            _t1 = x * 2
            _t2 = 0 < _t1
            _t3 = _t2
            if _t2:
                _t3 = _t1 < y
            g = _t3
            return g
    """)


def test_unpacking_a_call_indexes_its_result_and_records_the_length():
    fn, ctx = normalized("""
        def f(x):
            a, b = np.linalg.eigh(x)
            return a
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x):
            _t1 = np.linalg.eigh(x)
            a = _t1[0]
            b = _t1[1]
            return a
    """)
    assert ctx.unpacked == {"_t1": 2}


def test_a_tuple_assignment_that_reads_its_targets_goes_through_temporaries():
    assert after("""
        def f(a, b):
            a, b = b, a + b
            c, d = a, b * 2
            return c
    """) == code("""
        def f(a, b):
            _t1 = b
            _t2 = a + b
            a = _t1
            b = _t2
            c = a
            d = b * 2
            return c
    """)


def test_elements_as_targets_get_every_value_first_then_left_to_right():
    assert after("""
        def f(a, i, j):
            a[i], a[j] = a[j], a[i] * 2
            a[0], b = g(a)
            return b
    """) == code("""
        def f(a, i, j):
            _t1 = a[j]
            _t2 = a[i]
            _t3 = _t2 * 2
            a[i] = _t1
            a[j] = _t3
            _t4 = g(a)
            _t5 = _t4[0]
            _t6 = _t4[1]
            a[0] = _t5
            b = _t6
            return b
    """)


def test_a_while_test_is_computed_before_the_loop_and_after_each_iteration():
    assert after("""
        def f(x, y):
            while np.sum(x) > y:
                x = x / 2
            return x
    """) == code("""
        def f(x, y):
            _t1 = np.sum(x)
            _t2 = _t1 > y
            while _t2:
                x = x / 2
                _t3 = np.sum(x)
                _t2 = _t3 > y
            return x
    """)


def test_element_assignments_appends_asserts_and_tests_get_operands():
    assert after("""
        def f(x, y):
            x[y + 1] = y * 2
            ys = []
            ys.append(x * 2)
            assert np.all(x > 0)
            if x[0] > 0:
                y = y + 1
            return (x * 2, y)
    """) == code("""
        def f(x, y):
            _t1 = y * 2
            _t2 = y + 1
            x[_t2] = _t1
            ys = []
            _t3 = x * 2
            ys.append(_t3)
            _t4 = x > 0
            _t5 = np.all(_t4)
            assert _t5
            _t6 = x[0]
            _t7 = _t6 > 0
            if _t7:
                y = y + 1
            _t8 = x * 2
            _out = (_t8, y)
            return _out
    """)


def test_a_bare_return_returns_a_name_holding_none():
    assert after("""
        def f(x):
            return
    """) == code("""
        def f(x):
            _out = None
            return _out
    """)


def test_temporaries_collide_with_no_users_name_and_are_generated():
    fn, ctx = normalized("""
        def f(x, _t1, _out):
            return x * _t1 + _out
    """)
    assert text(ctx.parsed.tree) == code("""
        def f(x, _t1, _out):
            _t2 = x * _t1
            _out_1 = _t2 + _out
            return _out_1
    """)
    assert {"_t2", "_out_1"} <= ctx.names.generated


def test_every_statement_is_one_operation_and_computes_the_same_values():
    fn, ctx = normalized("""
        def f(x, y):
            a, b = x[1:-1] * 2, np.sum(x ** -2, axis=0)
            s = 0.0
            for i in range(len(x) - 1):
                s = s + a[i - 1] * (b if i > 0 and y < 3 else -b) + np.pi
                while 0 < s < y * 10:
                    s = s * (1.5 + np.tanh(s))
            t = np.array([s, s * 2, float(s > 1 and y > 2)])
            t[i - 1:] = t[0] * -1.0
            d = {'s': s * 3, 't': t}
            return np.dot(d['t'], t) + d['s'] / (1 + np.exp(-s))
    """)
    assert not_one_operation(ctx.parsed.tree.body, ctx) == []
    x = np.arange(1.0, 6.0)
    for y in [1.0, 2.5, 4.0]:
        assert as_function(fn, ctx)(x, y) == fn(x, y), y
