"""Operands bound to a derivative rule's parameters, and how errors name an operation
(`transform/operands.py`): `bind_operands` binds a statement's positional and keyword operands
to a reverse or forward rule (the very nodes, no defaults filled in) or raises a `SrcgradError`
at the user's line saying why it cannot (a starred argument, arguments the rule does not take);
`describe` names a call by its spelling and object, a method by its attribute, anything else by
its description. Operations are built directly, and the errors are also checked as the
transforms raise them."""

from __future__ import annotations

import functools
import operator
import types

import gast
import numpy as np
import pytest
from passes import context, define, transformed_tree

from srcgrad.errors import NoRuleError, Origin, UnsupportedSyntaxError
from srcgrad.front import nodes
from srcgrad.front.context import Mode
from srcgrad.normalize.ir import Kind, Operation
from srcgrad.rules.registry import reverse_rule, tangent_rule
from srcgrad.transform.operands import bind_operands, describe

ORIGIN = Origin("model.py", 7, 4, "loss", "y = np.exp(x)")


def _exp(*args, **keywords) -> Operation:
    return Operation("y", Kind.CALL, np.exp, list(args), keywords, "np.exp")


def test_positional_operands_bind_to_the_rule_s_parameters_as_they_are():
    x, y = nodes.load("x"), nodes.load("y")
    op = Operation("z", Kind.CALL, operator.mul, [x, y])
    arguments = bind_operands(reverse_rule(operator.mul), op, ORIGIN).arguments
    assert list(arguments) == ["x", "y"]
    assert arguments["x"] is x and arguments["y"] is y


def test_keyword_operands_bind_by_name_and_defaults_are_not_filled_in():
    a, axis = nodes.load("a"), nodes.const(0)
    op = Operation("s", Kind.CALL, np.sum, [a], {"axis": axis}, "np.sum")
    arguments = bind_operands(reverse_rule(np.sum), op, ORIGIN).arguments
    assert arguments == {"a": a, "axis": axis}


def test_a_forward_rule_binds_the_same_way():
    x = nodes.load("x")
    arguments = bind_operands(tangent_rule(np.exp), _exp(x), ORIGIN).arguments
    assert arguments["x"] is x


def test_a_starred_argument_is_refused_at_the_user_s_line():
    starred = gast.Starred(value=nodes.load("a"), ctx=gast.Load())
    with pytest.raises(UnsupportedSyntaxError) as raised:
        bind_operands(reverse_rule(np.exp), _exp(starred), ORIGIN)
    message = str(raised.value)
    assert message.startswith(
        "model.py:7:5: a starred argument (*args) to 'np.exp' (numpy.exp), whose derivative is "
        "needed, is not supported (in function 'loss')"
    )
    assert raised.value.hint == "pass the arguments one by one"


def test_too_many_operands_are_refused_saying_why():
    x = nodes.load("x")
    with pytest.raises(NoRuleError) as raised:
        bind_operands(reverse_rule(np.exp), _exp(x, x, x, x, x), ORIGIN)
    assert raised.value.bare_message == (
        "the derivative rule for 'np.exp' (numpy.exp) does not accept these arguments (too many "
        "positional arguments)"
    )
    assert raised.value.origin is ORIGIN
    assert raised.value.__cause__ is None  # the TypeError is not chained


def test_an_unknown_keyword_is_refused_naming_it():
    op = _exp(nodes.load("x"), bogus=nodes.const(1))
    with pytest.raises(NoRuleError, match="unexpected keyword argument 'bogus'"):
        bind_operands(tangent_rule(np.exp), op, ORIGIN)


def test_a_call_is_described_by_its_spelling_and_its_object():
    assert describe(_exp()) == "'np.exp' (numpy.exp)"
    assert describe(Operation("y", Kind.CALL, np.exp)) == "'exp'"
    module_less = types.SimpleNamespace(__name__="opaque", __module__=None)
    assert describe(Operation("y", Kind.CALL, module_less, description="op")) == "'op' (opaque)"


def test_a_call_of_an_object_without_a_name_is_described_by_its_repr():
    partial = functools.partial(np.add, 1.0)
    assert describe(Operation("y", Kind.CALL, partial)) == f"'{partial!r}'"


def test_a_method_an_attribute_and_anything_else_are_described_in_words():
    method = Operation("y", Kind.UNKNOWN, description="x.tolist")
    method.callee = nodes.attribute(nodes.load("x"), "tolist")
    assert describe(method) == "the method '.tolist'"
    attribute = Operation("y", Kind.UNKNOWN, args=[nodes.load("x")], description=".foo")
    assert describe(attribute) == "'.foo'"
    assert describe(Operation("y", Kind.UNKNOWN)) == "this operation"


def test_the_transforms_raise_these_errors_at_the_user_s_line():
    starred = define(
        """
        def f(a):
            b = 1.0
            return np.sum(np.exp(*a) * b)
        """
    )
    with pytest.raises(UnsupportedSyntaxError, match=r"unit_case_\d+\.py:6:5: a starred"):
        transformed_tree(context(starred, [np.ones(3)]))
    keyword = define(
        """
        def f(x):
            return np.sin(x, bogus=1)
        """
    )
    with pytest.raises(NoRuleError, match=r"unit_case_\d+\.py:5:5: the derivative rule for "):
        transformed_tree(context(keyword, np.ones(3), mode=Mode.JVP))
