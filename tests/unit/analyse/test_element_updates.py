"""Element updates (`analyse/element_updates.py`): `c[k] += v` of an array a container holds is an
update in place of that array, refused where anything else may hold it and left as it is where
the container holds it once; a method run as it is that changes a list or dict is refused
where a value that carries a derivative goes in and is read back; a list that grows while a
loop runs over it is refused. Each refusal names the user's line."""

from __future__ import annotations

import numpy as np
import pytest
from passes import analysed_program, context, define

from srcgrad.errors import UnsupportedSyntaxError

X = np.array([0.5, -1.0, 2.0])


def _analysed(source: str):
    fn = define(source)
    return analysed_program(context(fn, X.copy()))


def _refused(source: str, fragment: str, line_text: str) -> None:
    with pytest.raises(UnsupportedSyntaxError, match=fragment) as caught:
        _analysed(source)
    assert caught.value.origin.text == line_text


def test_an_array_a_list_holds_once_is_updated_where_it_is():
    _analysed("""
        def f(x):
            grads = [np.zeros(3), np.zeros(3)]
            grads[0] += x
            return np.sum(grads[0] * grads[1])
    """)


def test_an_array_another_name_reads_is_refused():
    _refused(
        """
        def f(x):
            y = x * 1.0
            lst = [y]
            lst[0] += x
            return np.sum(y)
        """,
        "'y' may hold the same array",
        "lst[0] += x",
    )


def test_an_array_held_twice_is_refused():
    _refused(
        """
        def f(x):
            y = x * 1.0
            lst = [y, y]
            lst[0] *= x
            return np.sum(lst[1])
        """,
        "at two places",
        "lst[0] *= x",
    )


def test_a_part_of_an_array_is_a_view_written_back():
    _analysed("""
        def f(x):
            v = np.zeros_like(x)
            v[:-1] += x[1:]
            return np.sum(v * v)
    """)


def test_an_append_through_a_dict_of_a_derivative_read_back_is_refused():
    _refused(
        """
        def f(x):
            hist = {"h": []}
            hist["h"].append(np.sum(x * x))
            return hist["h"][0]
        """,
        "'.append\\(\\)' changes the list",
        'hist["h"].append(np.sum(x * x))',
    )


def test_a_log_nothing_reads_is_left_as_it_is():
    _analysed("""
        def f(x):
            hist = {"loss": []}
            for i in range(3):
                loss = np.sum(x[i] * x)
                hist["loss"].append(loss)
            return loss
    """)


def test_a_list_that_grows_while_a_loop_runs_over_it_is_refused():
    _refused(
        """
        def f(x):
            lst = [x[0] * 1.0]
            for v in lst:
                if len(lst) < 3:
                    lst.append(v * 2.0)
            return sum(lst)
        """,
        "makes longer or shorter",
        "lst.append(v * 2.0)",
    )
