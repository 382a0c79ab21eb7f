"""The rule registry: rules are read at import and parsed on first use, so every built-in rule
is parsed here, and a broken rule must name itself whenever it is parsed."""

import numpy as np
import pytest

from srcgrad.rules import registry


def _every_rule():
    registry.load_optional_rules()
    yield from registry.REVERSE.values()
    for variants in registry.VARIANTS.values():
        yield from variants
    yield from registry.TANGENT.values()


def test_every_built_in_rule_parses_and_has_the_shape_the_registry_needs():
    rules = list(_every_rule())
    assert len(rules) > 400
    for rule in rules:
        rule.load()  # a broken rule raises RuleError, naming its file and line
        assert rule.origin is not None and rule.origin.lineno > 0
        if isinstance(rule, registry.Rule):
            assert len(rule.outputs) == len(rule.differentiable), rule.name
        elif rule.joint:  # one term: the result's tangent (odeint's forward sensitivities)
            assert len(rule.terms) == 1, rule.name
        elif not rule.linear:
            assert len(rule.terms) == len(rule.differentiable), rule.name


def test_a_broken_rule_names_itself_when_it_is_first_used():
    marker = object()

    def two_adjoints_for_one(g, ans, x):
        return g, g

    rule = registry.build_rule(two_adjoints_for_one)
    registry.register(rule, [marker])
    try:
        with pytest.raises(registry.RuleError) as info:
            rule.load()
        assert "returns 2 adjoint(s) for 1 differentiable parameter" in str(info.value)
        assert "test_registry.py" in str(info.value)
    finally:
        registry.REVERSE.pop(registry._key(marker))


def test_a_rule_is_parsed_once():
    rule = registry.reverse_rule(np.tanh)
    assert rule.load().body is rule.body and rule.outputs is rule.outputs


def test_a_rule_is_parsed_from_its_file_as_it_was_when_declared(tmp_path):
    import importlib.util

    path = tmp_path / "late_rule.py"
    path.write_text("def doubled(g, ans, x):\n    return 2.0 * g\n")
    spec = importlib.util.spec_from_file_location("late_rule", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rule = registry.build_rule(module.doubled)
    # the file changes on disk before the rule is first used (an upgrade, an editor)
    path.write_text("# moved\n\n\ndef something_else(g, ans, x):\n    return g\n")
    rule.load()
    assert rule.name == "doubled" and "2.0" in ast_text(rule.outputs[0])


def ast_text(node) -> str:
    from srcgrad.front.emit import unparse

    return unparse(node)


# ---- one declaration, both modes ----------------------------------------------------------------


def test_an_elementwise_binary_rule_gives_its_forward_rule_by_substitution():
    marker = object()

    @registry.broadcasting(marker)
    def ratio(g, ans, x, y):
        return g / y, -g * ans / y

    try:
        terms = [srcgrad_unparse(t) for t in registry.tangent_rule(marker).load().terms]
        assert terms == ["x_dot / y", "-y_dot * ans / y"]
    finally:
        registry.REVERSE.pop(marker, None)
        registry.TANGENT.pop(marker, None)


def test_a_forward_rule_is_not_derived_from_a_body_that_reads_g():
    marker = object()

    @registry.broadcasting(marker)
    def reads_g_first(g, ans, x, y):
        h = g * 2.0
        return h, h

    try:
        with pytest.raises(registry.RuleError, match="cannot be derived: its body reads 'g'"):
            registry.tangent_rule(marker).load()
    finally:
        registry.REVERSE.pop(marker, None)
        registry.TANGENT.pop(marker, None)


def test_linear_and_bilinear_declare_the_forward_rule_by_substitution():
    one, two = object(), object()

    @registry.linear(one)
    def scaled(g, ans, x):
        return 2.0 * g

    @registry.bilinear(two)
    def product(g, ans, x, y):
        return g * y, g * x

    try:
        assert registry.reverse_rule(one).load().name == "scaled"
        assert registry.tangent_rule(one).linear and registry.tangent_rule(two).linear
        assert registry.tangent_rule(two).differentiable == ["x", "y"]
    finally:
        for key in (one, two):
            registry.REVERSE.pop(key, None)
            registry.TANGENT.pop(key, None)


def test_linear_refuses_a_function_of_two_operands():
    with pytest.raises(registry.RuleError, match="declare a function linear in each .* @bilinear"):

        @registry.linear(object())
        def product(g, ans, x, y):
            return g * y, g * x


def srcgrad_unparse(node) -> str:
    from srcgrad.front.emit import unparse

    return unparse(node)
