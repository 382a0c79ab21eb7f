"""scipy.integrate.odeint and solve_ivp, differentiated by srcgrad/api/integrate.py: the adjoint
method in reverse mode, forward sensitivities in forward mode.

Each program is checked against central finite differences of the program itself, in reverse
mode (the gradient) and in forward mode (the tangent along a random direction), with the solver's
tolerances tight enough (1e-11) that the differences' own error is far below the comparison's.
Then what is refused, at the user's line: a right-hand side that reads a differentiated value
from the function around it, second derivatives, the solver's own step times, terminal events
and the times of events.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from finite_differences import gradient as finite_differences
from scipy.integrate import odeint, solve_ivp

import srcgrad
from srcgrad.api import trees

TIGHT = {"rtol": 1e-11, "atol": 1e-11}
RTOL = 1e-6
ATOL = 1e-8


def _close(got, want, what: str, rtol: float = RTOL, atol: float = ATOL):
    got_leaves, want_leaves = trees.leaves(got), trees.leaves(want)
    assert len(got_leaves) == len(want_leaves), what
    for a, b in zip(got_leaves, want_leaves):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def _direction(value, rng):
    return trees.mapped(lambda leaf: rng.normal(size=np.shape(leaf)), value)


def _dot(a, b) -> float:
    return sum(float(np.sum(x * y)) for x, y in zip(trees.leaves(a), trees.leaves(b)))


def check(fn, args: tuple, wrt: tuple, rtol: float = RTOL, atol: float = ATOL) -> None:
    """srcgrad's gradient and tangent of `fn` equal finite differences of `fn`."""
    want = finite_differences(fn, args, wrt)
    got = srcgrad.grad(fn, wrt=wrt)(*args)
    _close(got, want, f"reverse mode of {fn.__name__}", rtol, atol)
    rng = np.random.default_rng(0)
    directions = tuple(_direction(args[i], rng) for i in wrt)
    value, tangent = srcgrad.jvp(fn, args, directions, wrt=wrt)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    expected = sum(_dot(w, d) for w, d in zip(want, directions))
    _close(tangent, expected, f"forward mode of {fn.__name__}", rtol, atol)


T = np.linspace(0.0, 2.0, 6)
Y0 = np.array([1.0, 2.0])


# ---- odeint ------------------------------------------------------------------------------------


def decay(y, t, k):
    return -k * y


def decay_fit(k, y0, observed):
    trajectory = odeint(decay, y0, T, args=(k,), **TIGHT)
    return np.sum((trajectory - observed) ** 2)


def test_odeint_with_respect_to_the_initial_state_and_a_scalar_parameter():
    observed = np.random.default_rng(1).random((len(T), 2))
    check(decay_fit, (0.7, Y0, observed), (0, 1))


def linear_system(y, t, A, b):
    return A @ y + b * np.sin(t)


def linear_system_fit(A, b, y0):
    trajectory = odeint(linear_system, y0, T, args=(A, b), **TIGHT)
    return np.sum(np.tanh(trajectory))


def test_odeint_with_respect_to_parameter_arrays():
    A = np.array([[-0.5, 0.3], [-0.2, -0.4]])
    check(linear_system_fit, (A, np.array([0.1, -0.3]), Y0), (0, 1, 2))


def lotka_volterra(y, t, params):
    a, b, c, d = params
    prey, predator = y
    return [a * prey - b * prey * predator, d * prey * predator - c * predator]


def lotka_volterra_fit(params, y0):
    trajectory = odeint(lotka_volterra, y0, np.linspace(0.0, 5.0, 11), args=(params,), **TIGHT)
    return np.sum(np.log(trajectory))


def test_odeint_of_a_nonlinear_system_whose_right_hand_side_returns_a_list():
    check(lotka_volterra_fit, (np.array([1.0, 0.5, 0.8, 0.3]), np.array([2.0, 1.0])), (0, 1))


def pendulum(t, y, g, length):
    return np.array([y[1], -g / length * np.sin(y[0])])


def pendulum_angles(g, y0, t):
    trajectory = odeint(pendulum, y0, t, args=(g, 1.5), tfirst=True, **TIGHT)
    return np.sum(trajectory[:, 0] ** 2)


def test_odeint_of_a_pendulum_with_tfirst_and_with_respect_to_the_times():
    check(pendulum_angles, (9.8, np.array([0.3, 0.0]), np.linspace(0.0, 2.0, 5)), (0, 1, 2))


def final_state(k, y0):
    trajectory = odeint(decay, y0, T, args=(k,), **TIGHT)
    return np.sum(trajectory[-1] ** 2)


def test_a_loss_that_reads_only_the_final_state():
    check(final_state, (0.7, Y0), (0, 1))


def default_call(k, y0):
    trajectory = odeint(decay, y0, T, args=(k,))
    return np.sum(trajectory**2)


def test_a_call_with_odeints_default_tolerances_is_accurate_to_about_them():
    check(default_call, (0.7, Y0), (0, 1), rtol=1e-5, atol=1e-6)


def closure_over_a_constant(k, y0):
    rate = 2.0

    def rhs(y, t, k):
        return -k * rate * y

    return np.sum(odeint(rhs, y0, T, args=(k,), **TIGHT) ** 2)


def lambda_over_a_constant(k, y0):
    rate = 2.0
    return np.sum(odeint(lambda y, t, k: -k * rate * y, y0, T, args=(k,), **TIGHT) ** 2)


@pytest.mark.parametrize("fn", [closure_over_a_constant, lambda_over_a_constant])
def test_a_right_hand_side_that_reads_a_constant_from_the_function_around_it(fn):
    check(fn, (0.7, Y0), (0, 1))


def dict_rhs(y, t, p):
    return p["A"] @ y + p["b"]


def parameter_tree(p, y0):
    return np.sum(np.sin(odeint(dict_rhs, y0, T, args=(p,), **TIGHT)))


def test_a_parameter_tree_in_args_gets_a_gradient_of_its_structure():
    p = {"A": np.array([[-0.5, 0.3], [-0.2, -0.4]]), "b": np.array([0.1, 0.2])}
    check(parameter_tree, (p, Y0), (0, 1))
    assert set(srcgrad.grad(parameter_tree)(p, Y0)) == {"A", "b"}


def simulate(k, y0):
    return odeint(decay, y0, T, args=(k,), **TIGHT)


def through_a_helper(k, y0):
    return np.sum(simulate(k, y0)[-1] ** 2)


def test_odeint_called_inside_a_helper():
    check(through_a_helper, (0.7, Y0), (0, 1))


def in_a_loop(rates, y0):
    total = 0.0
    for i in range(len(rates)):
        trajectory = odeint(decay, y0, T, args=(rates[i],), **TIGHT)
        total = total + np.sum(trajectory[-1])
        y0 = trajectory[-1]
    return total


def test_a_loop_calling_odeint():
    check(in_a_loop, (np.array([0.7, 0.3, 1.1]), Y0), (0, 1))


def readable(k, y0):
    trajectory = odeint(decay, y0, T, args=(k,), rtol=1e-11)
    return np.sum(trajectory**2)


def test_the_generated_code_calls_the_adjoint_solve_under_the_users_line():
    lines = srcgrad.grad(readable, wrt=(0, 1)).source_for(0.7, Y0).splitlines()
    title = next(k for k, line in enumerate(lines) if "#" in line and "= odeint(decay" in line)
    assert lines[title].strip().startswith("# test_scipy_integrate.py:")
    adjoints = re.fullmatch(
        r"dy0, (_t\d+) = odeint_adjoint\(dtrajectory, trajectory, decay, y0, T, \(k,\), "
        r"rtol=1e-11, atol=None, tfirst=False, hmax=0.0\)",
        lines[title + 1].strip(),
    )
    assert adjoints, lines[title + 1]
    assert lines[title + 2].strip() == f"dk = {adjoints[1]}[0]"
    forward = srcgrad.forward(readable, wrt=(0, 1))
    forward((1.0, Y0), 0.7, Y0)
    assert (
        "trajectory_dot = odeint_tangent(decay, trajectory, y0, T, (k,), func_dot=None, "
        "y0_dot=y0_dot, t_dot=None, args_dot=(k_dot,), rtol=1e-11, atol=None, tfirst=False, "
        "hmax=0.0)"
    ) in forward.source


# ---- solve_ivp ---------------------------------------------------------------------------------


def decay_ivp(t, y, k):
    return -k * y


def solve_ivp_fit(k, y0, t):
    solution = solve_ivp(decay_ivp, (t[0], t[-1]), y0, t_eval=t, args=(k,), **TIGHT)
    return np.sum((solution.y - 0.5) ** 2) + np.sum(solution.t)


def test_solve_ivp_with_t_eval_and_args():
    check(solve_ivp_fit, (0.7, Y0, T), (0, 1, 2))


def lotka_volterra_ivp(t, y, a, b, c, d):
    prey, predator = y
    return [a * prey - b * prey * predator, d * prey * predator - c * predator]


def solve_ivp_methods(params, y0, method):
    a, b, c, d = params
    t = np.linspace(0.0, 3.0, 7)
    solution = solve_ivp(
        lotka_volterra_ivp, (0.0, 3.0), y0, method=method, t_eval=t, args=(a, b, c, d), **TIGHT
    )
    return np.sum(solution.y[1])


@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA"])
def test_solve_ivp_of_a_nonlinear_system_with_its_method(method):
    args = (np.array([1.0, 0.5, 0.8, 0.3]), np.array([2.0, 1.0]), method)
    check(solve_ivp_methods, args, (0, 1), rtol=1e-5, atol=1e-7)


def solve_ivp_final_state(k, y0, end):
    solution = solve_ivp(decay_ivp, (0.0, end), y0, args=(k,), **TIGHT)
    return np.sum(solution.y[:, -1] ** 2)


def test_solve_ivp_without_t_eval_reading_the_final_state():
    check(solve_ivp_final_state, (0.7, Y0, 2.0), (0, 1, 2))


# ---- refused -----------------------------------------------------------------------------------


def _refused(call, *words: str) -> str:
    with pytest.raises(srcgrad.SrcgradError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(__file__), message
    for word in words:
        assert word in message, message
    return message


def closure_over_the_parameter(k, y0):
    def rhs(y, t):
        return -k * y

    return np.sum(odeint(rhs, y0, T, **TIGHT))


def lambda_over_the_parameter(k, y0):
    solution = solve_ivp(lambda t, y: -k * y, (0.0, 2.0), y0, t_eval=T, **TIGHT)
    return np.sum(solution.y)


@pytest.mark.parametrize("fn", [closure_over_the_parameter, lambda_over_the_parameter])
def test_a_right_hand_side_reading_a_differentiated_value_is_refused_in_both_modes(fn):
    line = "odeint(rhs" if fn is closure_over_the_parameter else "solve_ivp(lambda"
    _refused(lambda: srcgrad.grad(fn)(0.7, Y0), "('k')", "pass those values through args", line)
    _refused(lambda: srcgrad.jvp(fn, (0.7, Y0), 1.0, wrt=0), "('k')", line)


def test_second_derivatives_are_refused_at_the_users_line():
    message = _refused(lambda: srcgrad.hessian(final_state)(0.7, Y0), "no second derivative")
    assert "odeint(decay" in message
    _refused(lambda: srcgrad.grad(srcgrad.grad(final_state))(0.7, Y0), "no second derivative")


def solve_ivp_every_step(k, y0):
    solution = solve_ivp(decay_ivp, (0.0, 2.0), y0, args=(k,), **TIGHT)
    return np.sum(solution.y**2)


def test_the_solvers_own_step_times_are_refused_in_reverse_mode_and_nan_in_forward_mode():
    _refused(lambda: srcgrad.grad(solve_ivp_every_step)(0.7, Y0), "pass t_eval", "solve_ivp(")
    _, tangent = srcgrad.jvp(solve_ivp_every_step, (0.7, Y0), 1.0, wrt=0)
    assert np.isnan(tangent)


def hits_the_ground(t, y, k):
    return y[0] - 0.5


hits_the_ground.terminal = True


def stopped_by_an_event(k, y0):
    solution = solve_ivp(decay_ivp, (0.0, 2.0), y0, args=(k,), events=hits_the_ground, **TIGHT)
    return np.sum(solution.y[:, -1])


def test_a_solve_that_a_terminal_event_stopped_is_refused():
    _refused(lambda: srcgrad.grad(stopped_by_an_event)(0.7, Y0), "terminal event")


def event_times(k, y0):
    solution = solve_ivp(decay_ivp, (0.0, 2.0), y0, args=(k,), events=hits_half, **TIGHT)
    return np.sum(solution.t_events[0])


def hits_half(t, y, k):
    return y[0] - 0.5


def test_the_times_of_events_are_refused_in_reverse_mode_and_nan_in_forward_mode():
    _refused(lambda: srcgrad.grad(event_times)(0.7, Y0), "'t_events'", "solve_ivp(")
    _, tangent = srcgrad.jvp(event_times, (0.7, Y0), 1.0, wrt=0)
    assert np.isnan(tangent)
