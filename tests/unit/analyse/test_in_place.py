"""In-place updates (`analyse/memory.py` decides, `analyse/in_place.py` copies): `x[i] = v` and
`y += v` are refused where another name that shares the memory (a view from one of the SHARING
functions, an alias `z = x`) is read after the update; an update through a view of an argument
that nothing reads afterwards is followed, the argument copied first (the caller's arrays never
change); updates of arrays the function made itself are left alone. The check runs when the
program is analysed (`analysed_program`).
"""

from __future__ import annotations

import numpy as np
import pytest
from passes import analysed_program, context, define, text

import srcgrad
from srcgrad.analyse.in_place import argument_copies
from srcgrad.errors import UnsupportedSyntaxError


def _copies(source: str, *args) -> list[str]:
    """The copies of the arguments the forward sweep starts with, as code."""
    ctx = context(define(source), *args)
    program = analysed_program(ctx)  # (analyse/memory.py refuses updates here)
    return [text(copy).strip() for copy in argument_copies(ctx, program.copies)[0]]


def _refused(source: str, *args) -> str:
    with pytest.raises(UnsupportedSyntaxError) as caught:
        _copies(source, *args)
    return str(caught.value)


def test_an_update_of_a_slice_of_an_argument_is_refused():
    message = _refused(
        """
        def f(x):
            v = x[1:]
            v[0] = 2.0
            return np.sum(x)
        """,
        np.ones(3),
    )
    assert "in-place update of 'v'" in message
    assert "v = x[1:]" in message  # the line that made the view
    assert "v = np.copy(...)" in message  # the way out


@pytest.mark.parametrize(
    "call", ["np.reshape(x, (3,))", "np.ravel(x)", "np.transpose(x)", "np.asarray(x)", "x.T"]
)
def test_an_update_of_a_view_of_an_argument_read_no_more_copies_the_argument(call):
    source = f"""
        def f(x):
            v = {call}
            v[0] = 1.0
            return np.sum(v * v)
    """
    assert _copies(source, np.ones(3)) == ["x = np.copy(x)"]
    fn, x = define(source), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(fn)(x), [0.0, -2.0, 4.0])
    assert (x == [0.5, -1.0, 2.0]).all()  # the caller's array as it was


def test_an_update_of_a_view_made_by_a_function_is_refused_where_the_argument_is_read():
    message = _refused(
        """
        def f(x):
            v = np.reshape(x, (3,))
            v[0] = 1.0
            return np.sum(v * x)
        """,
        np.ones(3),
    )
    assert "in-place update of 'v'" in message and "v = np.reshape(x, (3,))" in message


def test_an_update_of_an_alias_is_refused():
    message = _refused(
        """
        def f(x):
            z = x
            z[0] = 2.0
            return np.sum(x)
        """,
        np.ones(3),
    )
    assert "in-place update of 'z'" in message and "z = x" in message


@pytest.mark.parametrize("made", ["np.zeros(3)", "x * 1.0", "np.copy(x)", "np.sin(x)"])
def test_an_update_of_an_array_the_function_made_is_allowed(made):
    copies = _copies(
        f"""
        def f(x):
            v = {made}
            v[0] = 1.0
            return np.sum(v * x)
        """,
        np.ones(3),
    )
    assert copies == []


def test_arguments_updated_in_place_are_copied_first():
    copies = _copies(
        """
        def f(y, x, z):
            y[0] = 1.0
            x[1] = 2.0
            return np.sum(y * x * z)
        """,
        np.ones(3),
        np.ones(3),
        np.ones(3),
    )
    assert copies == ["x = np.copy(x)", "y = np.copy(y)"]  # z is only read


def test_a_view_that_is_only_read_is_left_alone():
    copies = _copies(
        """
        def f(x, y):
            v = y[1:]
            w = np.reshape(x, (3,))
            return np.sum(v * w)
        """,
        np.ones(3),
        np.ones(3),
    )
    assert copies == []


def test_a_view_on_one_path_only_is_enough_to_refuse():
    message = _refused(
        """
        def f(x, c):
            if c > 0:
                v = x[1:]
            else:
                v = np.zeros(2)
            v[0] = 1.0
            return np.sum(v * x[1:])
        """,
        np.ones(3),
        1.0,
    )
    assert "in-place update of 'v'" in message


def test_a_view_rebound_before_the_update_is_left_alone():
    # in the loop, v is a view only until it is rebound to a new array
    copies = _copies(
        """
        def f(x, n):
            s = x
            for i in range(n):
                v = x[1:]
                w = np.sum(v)
                v = np.zeros(2)
                v[0] = w
                s = s * w
            return np.sum(s)
        """,
        np.ones(3),
        2,
    )
    assert copies == []


def test_an_update_in_a_loop_of_a_view_made_before_it_is_refused():
    message = _refused(
        """
        def f(x, n):
            v = x[1:]
            s = 0.0
            for i in range(n):
                s = s + np.sum(x)
                v[i] = 1.0
            return np.sum(v) + s
        """,
        np.ones(3),
        2,
    )
    assert "in-place update of 'v'" in message  # (x is read again at the next step)


def test_augmented_assignment_to_an_alias_is_refused_only_where_the_other_array_is_read():
    read_again = """
        def f(x):
            y = x
            y += 1.0
            return np.sum(y * x)
    """
    not_read = """
        def f(x):
            y = x
            y += 1.0
            return np.sum(y)
    """
    assert "in-place update of 'y'" in _refused(read_again, np.ones(3))
    assert _copies(not_read, np.ones(3)) == ["x = np.copy(x)"]  # (y is the caller's x)


def test_augmented_assignment_in_a_loop_reads_the_other_array_in_the_next_iteration():
    message = _refused(
        """
        def f(x, n):
            y = x
            for i in range(n):
                y += x
            return np.sum(y)
        """,
        np.ones(3),
        2,
    )
    assert "in-place update of 'y'" in message


def test_augmented_assignment_to_a_number_rebinds_it():
    # an element of a vector, or a copy of a float: `+=` changes nothing else
    element = """
        def f(x):
            s = x[0]
            s += 1.0
            return s * x[1]
    """
    number = """
        def f(x):
            s = x
            s += 1.0
            return s * x
    """
    assert _copies(element, np.ones(3)) == []
    assert _copies(number, 2.0) == []


def test_augmented_assignment_to_a_row_of_a_matrix_read_again_is_refused():
    message = _refused(
        """
        def f(x):
            s = x[0]
            s += 1.0
            return np.sum(s * x)
        """,
        np.ones((2, 3)),
    )
    assert "in-place update of 's'" in message


def test_the_results_of_the_users_functions_are_read_from_their_source():
    setitem = """
        def h(a):
            return a * 2.0

        def f(x):
            v = h(x)
            v[0] = 1.0
            return np.sum(v)
    """
    augmented = """
        def h(a):
            return a * 2.0

        def f(x):
            v = h(x)
            v += x
            return np.sum(v)
    """
    assert _copies(setitem, np.ones(3)) == []  # h returns a new array
    assert _copies(augmented, np.ones(3)) == []
    returns_its_argument = """
        def h(a):
            return a

        def f(x):
            v = h(x)
            v[0] = 1.0
            return np.sum(v * x)
    """
    assert "in-place update of 'v'" in _refused(returns_its_argument, np.ones(3))


def test_an_update_of_an_alias_made_by_a_conditional_expression_is_refused():
    _refused(
        """
        def f(x, w, c):
            v = x if c > 0 else x * 2.0
            v[0] = w
            return np.sum(x)
        """,
        np.ones(3),
        3.0,
        1.0,
    )
