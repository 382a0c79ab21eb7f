"""Memory (`analyse/memory.py`): the points-to analysis that follows which objects each name may
hold (aliases, views from `in_place.SHARING`, np.split's parts, rows unpacked from a 2-D array,
elements of lists, dicts and tuples, a helper's result that is its argument; an array made at
each step of a loop told apart from the earlier ones), and `check`, which refuses at the
update's line, naming the other name, an update in place of memory another name read later
holds (or a container read later holds), refuses updates of module-level arrays, returns the
arguments updated in place (directly or through a view) so that they are copied first, and
refuses a call of the user's helper that writes into an argument the caller reads later.
`summary_of(fn)` says which parameters a helper writes into and which its result may share.
Programs it accepts must give plain Python's values and gradients equal to finite differences.
"""

from __future__ import annotations

from pathlib import Path

import finite_differences
import numpy as np
import pytest
from passes import analysed_program, context, define

import srcgrad
from srcgrad.analyse.memory import State, summary_of
from srcgrad.errors import UnsupportedSyntaxError

X = np.array([0.5, -1.0, 2.0])
M = np.array([[0.5, -1.0, 2.0], [1.5, 3.0, -0.5]])


def _copies(fn, *args) -> dict[str, str]:
    """The arguments `check` says to copy, each with the user's line of its first update."""
    ctx = context(fn, *args)
    program = analysed_program(ctx)
    return {name: ctx.origin(stmt).text for name, stmt in program.copies.items()}


def _line_of(fn, fragment: str) -> int:
    lines = Path(fn.__code__.co_filename).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if fragment in line)


def refused(source: str, *args, at: str, other: str, **names) -> str:
    """The message of the refusal of `source`, checked to start at the line holding `at` and to
    name `other`."""
    fn = define(source, **names)
    with pytest.raises(UnsupportedSyntaxError) as caught:
        _copies(fn, *args)
    message = str(caught.value)
    assert message.startswith(f"{fn.__code__.co_filename}:{_line_of(fn, at)}:"), message
    assert f"'{other}'" in message
    return message


def _fresh(args) -> list:
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def right(fn, *args) -> None:
    """srcgrad's value is plain Python's and its gradient (with respect to the first argument)
    agrees with finite differences; each call gets fresh copies, since `fn` may update its
    arguments."""
    value, grad = srcgrad.value_and_grad(fn)(*_fresh(args))
    np.testing.assert_allclose(value, fn(*_fresh(args)))
    numeric = finite_differences.gradient(lambda *a: fn(*_fresh(a)), tuple(args))
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def right_or_refused(source: str, *args) -> None:
    """Right, or a clear refusal: the principle every accepted program answers to."""
    fn = define(source)
    try:
        _copies(fn, *args)
    except UnsupportedSyntaxError:
        return
    right(fn, *args)


# ---- the points-to state ---------------------------------------------------------------------


def test_the_state_joins_what_names_may_point_to_and_reaches_through_containers():
    a, b, c, xs = ("new", 1, True), ("new", 2, True), ("new", 3, True), ("new", 4, True)
    one = State({"v": frozenset({a})}, {xs: frozenset({a})})
    other = State({"v": frozenset({b}), "w": frozenset({c})}, {xs: frozenset({c})})
    joined = one.join(other)
    assert joined.points == {"v": frozenset({a, b}), "w": frozenset({c})}
    assert joined.holds == {xs: frozenset({a, c})}
    nested = State({}, {xs: frozenset({b}), b: frozenset({c})})
    assert nested.reach({xs}) == {xs, b, c}
    assert one.points == {"v": frozenset({a})}  # (join makes a new state)


def test_a_statement_made_again_turns_its_last_object_into_an_older_one():
    recent, old = ("new", 7, True), ("new", 7, False)
    xs = ("new", 1, True)
    state = State({"y": frozenset({recent}), "z": frozenset({old})}, {xs: frozenset({recent})})
    state.renewed(7)
    assert state.points == {"y": frozenset({old}), "z": frozenset({old})}
    assert state.holds == {xs: frozenset({old})}


# ---- refusals ----------------------------------------------------------------------------------

SHARED = {
    "an alias": ("z = y", "z[0] = 5.0", X),
    "a view": ("z = y[1:]", "z[0] = 5.0", X),
    "a reshaped view": ("z = np.reshape(y, (3, 1))", "z[0, 0] = 5.0", X),
    "a part of np.split": ("z, w = np.split(y, [1])", "z[0] = 5.0", X),
    "a row unpacked from a matrix": ("z, w = y", "z[0] = 5.0", M),
    "an element of a list": ("zs = [y, x]; z = zs[0]", "z[0] = 5.0", X),
    "an element of a dict": ("d = {'a': y}; z = d['a']", "z[0] = 5.0", X),
    "an element of a tuple": ("t = (y, x); z = t[0]", "z[0] = 5.0", X),
    "a helper's result that is its argument": ("z = same(y)", "z[0] = 5.0", X),
    "an update of the array a view was made from": ("z = y[1:]", "y[1] = 5.0", X),
}


@pytest.mark.parametrize("case", SHARED, ids=list(SHARED))
def test_an_update_of_memory_another_name_reads_later_is_refused(case):
    made, update, x = SHARED[case]
    other = "z" if update.startswith("y") else "y"
    message = refused(
        f"""
        def same(a):
            return a

        def f(x):
            y = x * 2.0
            {made}
            {update}
            return np.sum(y) + np.sum(z)
        """,
        x,
        at=update,
        other=other,
    )
    assert "in-place update of" in message and "shares its memory" in message


@pytest.mark.parametrize("holding", ["xs = [y]", "xs = []; xs.append(y)", "xs = {'a': y}"])
def test_an_update_of_an_array_a_container_holds_is_refused_where_the_container_is_read(holding):
    message = refused(
        f"""
        def f(x):
            y = x * 2.0
            {holding}
            y[0] = 5.0
            return np.sum(y) * len(xs)
        """,
        X,
        at="y[0] = 5.0",
        other="xs",
    )
    assert "an array the container 'xs' holds" in message


def test_a_refusal_names_the_line_that_put_the_array_in_the_container():
    message = refused(
        """
        def f(x):
            y = x * 2.0
            xs = []
            xs.append(y)
            y[0] = 5.0
            return np.sum(xs[0])
        """,
        X,
        at="y[0] = 5.0",
        other="xs",
    )
    assert "(from line" in message and ": xs.append(y))" in message


def test_a_refusal_names_the_users_names_not_srcgrads_new_ones():
    message = refused(
        """
        def f(x):
            x = x * 2.0
            v = x[:2]
            x += 1.0
            return np.sum(v)
        """,
        X,
        at="x += 1.0",
        other="v",
    )
    assert "x_1" not in message and "update of 'x'" in message


@pytest.mark.parametrize(
    "store",
    ["d['a'] = x * 3.0", "d.update({'a': x * 3.0})", "d.update(a=x * 3.0)"],
)
def test_an_element_read_from_a_container_keeps_its_value_when_the_entry_is_replaced(store):
    fn = define(
        f"""
        def f(x):
            d = {{'a': x * 2.0}}
            z = d['a']
            {store}
            return np.sum(z * x) + np.sum(d['a'] * x)
        """
    )
    right(fn, X)


def test_an_array_made_at_each_step_and_appended_is_not_the_one_updated_later():
    fn = define(
        """
        def f(x, n):
            xs = []
            for i in range(n):
                y = x * (i + 1.0)
                y[0] = y[1] * y[2]
                xs.append(y)
            return np.sum(xs[0] * xs[2])
        """
    )
    assert _copies(fn, X, 3) == {}
    right(fn, X, 3)


def test_an_array_appended_at_each_step_and_updated_at_the_next_is_refused():
    refused(
        """
        def f(x, n):
            xs = []
            y = x * 1.0
            for i in range(n):
                y[0] = x[1] * i
                xs.append(y)
            return np.sum(xs[0] * x)
        """,
        X,
        3,
        at="y[0] = x[1] * i",
        other="xs",
    )


def test_a_view_kept_in_a_list_and_its_array_updated_in_the_same_step_is_refused():
    refused(
        """
        def f(x, n):
            views = []
            for i in range(n):
                y = x * (i + 1.0)
                views.append(y[1:])
                y[1] = 0.0
            return np.sum(views[0])
        """,
        X,
        2,
        at="y[1] = 0.0",
        other="views",
    )


def test_a_view_rebound_before_the_read_is_not_a_conflict():
    fn = define(
        """
        def f(x):
            y = x * 2.0
            v = y[1:]
            v = np.sin(x[:2])
            y[0] = x[1] * x[2]
            return np.sum(y * x) + np.sum(v)
        """
    )
    assert _copies(fn, X) == {}
    right(fn, X)


def test_an_update_of_a_module_level_array_is_refused_at_its_line():
    fn = define(
        """
        def f(x):
            G[0] = 1.0
            return np.sum(G * x)
        """,
        G=np.ones(3),
    )
    with pytest.raises(UnsupportedSyntaxError) as caught:
        _copies(fn, X)
    message = str(caught.value)
    assert message.startswith(f"{fn.__code__.co_filename}:{_line_of(fn, 'G[0] = 1.0')}:")
    assert "module-level array 'G'" in message and "g_own = np.copy(G)" in message


# ---- arguments -------------------------------------------------------------------------------


def test_arguments_updated_directly_or_through_a_view_are_copied_with_their_first_update():
    fn = define(
        """
        def f(x, y, z, w):
            v = y[1:]
            v[0] = x[0]
            z[1] = x[1]
            z[2] = x[2]
            return np.sum(x * z) + np.sum(v) + np.sum(w)
        """
    )
    args = (X, np.ones(3), np.ones(3), np.ones(3))
    assert _copies(fn, *args) == {"y": "v[0] = x[0]", "z": "z[1] = x[1]"}  # w is only read
    caller = _fresh(args)
    srcgrad.grad(fn)(*caller)
    assert all((a == b).all() for a, b in zip(caller, args))  # the caller's arrays unchanged
    right(fn, *args)


# ---- the user's helpers ------------------------------------------------------------------------


def test_summary_of_says_which_parameters_a_helper_writes_into_and_its_result_shares():
    writes_a_view = define(
        """
        def h(a, b):
            v = a[1:]
            v[0] = 1.0
            return b
        """
    )
    returns_a_view = define("def h(a, b):\n    return a[1:]\n")
    new = define("def h(a, b):\n    return a * b\n")
    through_another = define(
        """
        def g(z):
            z += 1.0
            return z

        def h(a, b):
            return g(b)
        """
    )
    summary = summary_of(writes_a_view)
    assert (summary.writes, summary.returns) == ({"a"}, {"b"})
    assert summary.where["a"].text == "v[0] = 1.0"
    assert (summary_of(returns_a_view).writes, summary_of(returns_a_view).returns) == (set(), {"a"})
    assert (summary_of(new).writes, summary_of(new).returns) == (set(), set())
    assert (summary_of(through_another).writes, summary_of(through_another).returns) == (
        {"b"},
        {"b"},
    )


def test_summary_of_a_function_without_source_assumes_the_worst():
    namespace = {"np": np}
    exec("def h(a, b):\n    return a * b\n", namespace)
    summary = summary_of(namespace["h"])
    assert summary.writes == summary.returns == {"a", "b"}
    assert "cannot read the source of 'h'" in summary.unread


def test_a_call_of_a_helper_without_source_says_it_cannot_be_read():
    namespace = {"np": np}
    exec("def h(a):\n    return a * 2.0\n", namespace)
    message = refused(
        """
        def f(x):
            y = x * 2.0
            z = h(y)
            return np.sum(z) + np.sum(y)
        """,
        X,
        at="z = h(y)",
        other="y",
        h=namespace["h"],
    )
    assert "whose source srcgrad cannot read" in message
    assert "define 'h' in a .py file" in message


@pytest.mark.parametrize("call", ["s = h(y)", "h(y); s = 1.0"])
def test_a_helper_that_writes_into_an_argument_the_caller_reads_later_is_refused(call):
    message = refused(
        f"""
        def h(a):
            a[0] = 0.0
            return np.sum(a)

        def f(x):
            y = x * 2.0
            {call}
            return s + np.sum(y)
        """,
        X,
        at=call.split(";")[0],
        other="y",
    )
    assert "a call of 'h', which changes its argument 'a' in place" in message
    assert ".py:5: a[0] = 0.0)" in message  # where the helper writes (after define's import)


def test_a_helper_that_writes_into_an_argument_read_no_more_is_accepted():
    fn = define(
        """
        def h(a):
            a[0] = 0.0
            return np.sum(a * a)

        def f(x):
            y = x * 2.0
            s = h(y)
            return s * x[0]
        """
    )
    assert _copies(fn, X) == {}
    right(fn, X)


@pytest.mark.parametrize(("given", "other"), [("ys[0]", "ys"), ("y[1:]", "y")])
def test_a_helper_given_an_element_or_a_view_that_it_writes_into_is_followed(given, other):
    """`bump(ys[0], w)` changes the array the list holds, `bump(y[1:], w)` the array it is a
    view of: refused where the caller reads it after (before, the call was not seen: the
    gradient left out the helper's update, silently)."""
    source = f"""
        def bump(a, s):
            a[1:] += s * a[:-1]

        def f(x, w):
            y = x * 1.0
            ys = [y * 1.0, y * 2.0]
            bump({given}, w)
            return np.sum(ys[0] * ys[1]) + np.sum(y * y)
        """
    refused(source, X, 0.3, at=f"bump({given}, w)", other=other)


@pytest.mark.parametrize("given", ["ys[0]", "y[1:]"])
def test_a_helper_given_an_element_or_a_view_read_no_more_works_on_a_copy(given):
    right(
        define(
            f"""
            def bump(a, s):
                a[1:] += s * a[:-1]

            def f(x, w):
                y = x * 1.0
                ys = [y * 1.0, y * 2.0]
                total = np.sum(ys[0] * ys[0]) + np.sum(y * y)
                bump({given}, w)
                return total
            """
        ),
        X,
        0.3,
    )


_SIMULATION = """
    class Simulation:
        def __init__(self, u):
            self.u = u
            self.steps = 0

        def advance(self, w):
            self.u[1:] += w * self.u[:-1]

        def count(self):
            self.steps += 1

    def f(x, w):
        sim = Simulation(x * 1.0)
        sim.advance(w)
        return np.sum(sim.u * sim.u)
    """


def test_a_method_that_changes_an_object_carrying_a_derivative_is_refused():
    """Before, `sim.advance(w)` ran as it is and the gradient left its update out, silently."""
    message = refused(_SIMULATION, X, 0.3, at="sim.advance(w)", other="sim")
    assert "a call of the method 'advance', which may change the object 'sim'" in message


def test_a_method_that_changes_an_object_with_no_derivative_in_it_runs_as_it_is():
    source = _SIMULATION.replace(
        "sim.advance(w)", "counter = Simulation(1.0)\n        counter.count()"
    )
    source = source.replace("sim.u * sim.u)", "sim.u * sim.u) * counter.steps")
    right(define(source), X, 0.3)


# ---- known gaps ------------------------------------------------------------------------------


def test_a_chain_of_copies_through_a_loop_is_followed_to_its_end():
    right_or_refused(
        """
        def f(x, n):
            a = x * 1.0
            b = x * 2.0
            c = x * 3.0
            d = x * 4.0
            e = x * 5.0
            for i in range(n):
                a = b
                b = c
                c = d
                d = e
            e[0] = 7.0
            return np.sum(a * x)
        """,
        X,
        4,
    )


VIEWS_NOT_FOLLOWED = {
    "np.array(copy=False)": ("z = np.array(y, copy=False)", X),
    "np.unstack": ("z, w = np.unstack(y)", M),
    "np.nan_to_num(copy=False)": ("z = np.nan_to_num(y, copy=False)", X),
    "np.einsum diagonal": ("z = np.einsum('ii->i', y)", np.eye(3) + 0.5),
}


@pytest.mark.parametrize("case", VIEWS_NOT_FOLLOWED, ids=list(VIEWS_NOT_FOLLOWED))
def test_an_update_of_a_view_made_by_other_numpy_calls_is_right_or_refused(case):
    made, x = VIEWS_NOT_FOLLOWED[case]
    right_or_refused(
        f"""
        def f(x):
            y = x * 2.0
            {made}
            z[0] = 0.0
            return np.sum(y * x)
        """,
        x,
    )


def test_an_augmented_assignment_to_a_zero_dimensional_array_is_right_or_refused():
    right_or_refused(
        """
        def f(x):
            s = np.array(0.0)
            t = s
            s += x
            return t * x
        """,
        1.5,
    )


@pytest.mark.parametrize(
    ("update", "container"),
    [
        ("xs.append(x * 2.0)", [np.ones(3)]),
        ("xs['k'] = x * 2.0", {"a": np.ones(3)}),
        ("a = xs[0]; a[0] = x[0]", (np.ones(3), np.ones(2))),
    ],
    ids=["list", "dict", "tuple"],
)
def test_a_container_argument_updated_in_place_is_copied_as_a_container(update, container):
    fn = define(
        f"""
        def f(x, xs):
            {update}
            return np.sum(x * x)
        """
    )
    grad = srcgrad.grad(fn)(X, container)
    np.testing.assert_allclose(grad, 2 * X)


def test_a_helper_writing_into_an_argument_leaves_the_callers_array_as_it_was():
    fn = define(
        """
        def h(a):
            a[0] = 0.0
            return np.sum(a)

        def f(x, z):
            s = h(z)
            return s * np.sum(x)
        """
    )
    z = np.ones(3)
    np.testing.assert_allclose(srcgrad.grad(fn)(X, z), [2.0, 2.0, 2.0])
    assert (z == 1.0).all()
