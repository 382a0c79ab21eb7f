"""Real parts (`srcgrad/transform/real_parts.py`): where complex values meet active ones, each
contribution to a real value's adjoint is its real part (`np.real`), one to a value the code
does not say the kind of is `real_like(g, value)`, and the tangent of a real value made of
complex ones is made real; a function where they do not meet is transformed as before. The code
is read before the optimizer runs."""

from __future__ import annotations

import numpy as np
from passes import context, define, text, transformed_tree

from srcgrad.front.context import Mode
from srcgrad.transform.real_parts import RealAdjoints


def _code(source: str, *args, **options) -> str:
    return text(transformed_tree(context(define(source), *args, **options)))


X, Z = np.ones(3), np.ones(3) + 1j

PROMOTED = """
    def f(x, c):
        y = x * 2.0
        return np.real(np.sum(y * c))
"""


def test_a_real_operand_of_a_complex_product_gets_the_real_part():
    code = _code(PROMOTED, X, Z)
    assert "dy = np.real(" in code
    assert "dx = dy * 2.0" in code  # (a real statement: real already)
    assert code.count("np.real(") == 2  # (and the forward sweep's)


def test_a_real_program_is_transformed_as_before():
    code = _code(PROMOTED, X, X)
    assert code.count("np.real(") == 1 and "real_like" not in code


def test_a_value_of_a_kind_the_code_does_not_say_is_made_real_as_the_code_runs():
    code = _code(
        """
        def f(ps, c):
            w = ps["w"]
            return np.real(np.sum(w * c))
        """,
        {"w": X},
        Z,
    )
    assert "dw = real_like(" in code and ", w)" in code
    assert code.rstrip().endswith("return real_like(as_gradient(dps, ps), ps)")


def test_a_real_value_made_of_complex_ones_has_a_real_tangent():
    code = _code(
        """
        def f(x, c, d):
            r = np.abs(x * c + d)
            return np.real(np.sum(r * c))
        """,
        X,
        Z,
        Z,
        wrt=(0,),
        mode=Mode.JVP,
    )
    lines = [line.strip() for line in code.splitlines()]
    assert "r_dot = np.real(r_dot)" in lines
    assert lines.index("r_dot = np.real(r_dot)") > lines.index("r = np.abs(_t2)")


def test_the_adjoints_are_real_adjoints_only_where_complex_values_meet_active_ones():
    from passes import analysed_program

    from srcgrad.transform.reverse import _sweep

    for second, real in ((Z, True), (X, False)):
        ctx = context(define(PROMOTED), X, second)
        program = analysed_program(ctx)
        sweep, _, _ = _sweep(ctx, program, ["x"], {"x", "c"}, Mode.GRAD)
        assert isinstance(sweep.adjoints, RealAdjoints) is real
