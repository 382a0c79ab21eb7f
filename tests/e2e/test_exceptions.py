"""`try` statements end to end (`normalize/exceptions.py`, `normalize/attempts.py`): handlers
chosen by type, `except E as e`, `else`, `finally`, nested tries, tries in loops and branches,
`raise` caught by the function's own handlers or raised again to the caller, exceptions from
NumPy (LinAlgError), Python's float division (ZeroDivisionError), indexing and dict look-ups.

Each program takes an integer `k` that decides where an exception is raised (or that none is),
so each statement of a `try` body is the one that raises for some `k`: the reverse sweep must
replay exactly the statements that ran. Values equal plain Python's; gradients equal central
finite differences in reverse mode, along a direction in forward mode, and Hessians for all.
What cannot be made sound is refused at its line."""

from __future__ import annotations

import inspect

import finite_differences
import numpy as np
import pytest

import srcgrad

X = np.array([0.5, -1.0, 2.0, 1.5])
Y = np.array([1.5, 0.5, -0.5, 2.0])
TX = np.array([1.0, -0.5, 0.25, 2.0])  # the direction of forward mode
TY = np.array([0.5, 1.0, -1.0, 0.25])
KS = range(4)
LOG = []


# ---- programs --------------------------------------------------------------------------------


def raised_at_each_statement(x, y, k):
    total = np.sum(x * y)
    try:
        total = total * 2.0 + 1.0 / (k - 0)
        h = np.tanh(x) * total
        total = total + np.sum(h * y) * (1.0 / (k - 1))
        z = np.exp(y) * (1.0 / (k - 2))
        total = total + np.sum(z * x)
    except ZeroDivisionError:
        total = total + np.sum(x**2)
    return total


def try_in_every_step_of_a_loop(x, y, k):
    ks = [1, k - 1, 2, k - 3]
    total = 0.0
    for i in range(4):
        try:
            total = total + x[i] * y[i] * (1.0 / ks[i])
        except ZeroDivisionError:
            total = total * np.cos(x[i])
    return total


def handlers_chosen_by_type(x, y, k):
    data = {"a": x, "b": y}
    keys = ["a", "b", "c"]
    out = np.sum(x)
    try:
        if k == 0:
            raise ValueError("zero")
        v = data[keys[k - 1]]
        out = out + np.sum(v * x)
    except KeyError as e:
        out = out * 2.0 + len(str(e))
    except (IndexError, ValueError):
        out = out * np.sum(y)
    else:
        out = out + np.sum(np.cos(y))
    finally:
        out = out * 1.5
    return out


def nested_tries(x, y, k):
    total = np.sum(x * x)
    try:
        try:
            total = total + np.sum(y) * (1.0 / (k - 0))
            w = [x, y][k - 2]
            total = total + np.sum(w * y)
        except ZeroDivisionError:
            total = total + np.sum(np.sin(y))
        total = total * 2.0 * (1.0 / (k - 1))
    except (IndexError, ZeroDivisionError):
        total = total - np.sum(x * y)
    return total


def cholesky_or_jitter(x, y, k):
    c = np.sum(y * y)
    K = np.outer(x, x) + (1.0 - 2.0 * (k % 2)) * c * np.eye(4)
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        L = np.linalg.cholesky(K + 2.0 * c * np.eye(4))
    return np.sum(np.log(np.diag(L))) + np.sum(L @ y)


def while_loop_left_by_an_exception(x, y, k):
    total = 0.0
    i = 0
    try:
        while i < 4:
            total = total + np.sum(x * y) * (1.0 / (k - i)) + x[i]
            i = i + 1
    except ZeroDivisionError:
        total = total * 2.0 + np.sum(y)
    return total


def try_in_a_branch(x, y, k):
    s = np.sum(x)
    if k > 1:
        try:
            s = s * np.sum(y) * (1.0 / (k - 2))
        except ZeroDivisionError:
            s = s + np.prod(y)
    else:
        s = s * 3.0
    return s * s


def finally_runs_either_way(x, y, k):
    try:
        s = np.sum(x * y) * (1.0 / (k - 1))
    except ZeroDivisionError:
        s = np.sum(x)
    finally:
        LOG.append(k)
    return s * np.sum(y)


def except_exception(x, y, k):
    try:
        r = np.sum(np.sqrt(x * x + y * y)) * (1.0 / (k - 2))
    except Exception:
        r = np.sum(y * x)
    return r


def raise_caught_by_its_own_handler(x, y, k):
    s = np.sum(x * y)
    try:
        s = s + np.sum(x)
        if k > 1:
            raise ValueError
        s = s * np.sum(y)
    except ValueError:
        s = s - np.sum(np.exp(x))
    return s


def appends_in_a_try(x, y, k):
    parts = []
    for i in range(4):
        try:
            parts.append(x[i] * y[i] * (1.0 / (k - i)))
        except ZeroDivisionError:
            parts.append(x[i])
    return sum(parts)


def bare_except_and_else(x, y, k):
    try:
        q = np.sum(x / y) * (1.0 / (k - 3))
    except:  # noqa: E722
        q = np.sum(y)
    else:
        q = q * np.sum(x)
    return q


PROGRAMS = [
    raised_at_each_statement,
    try_in_every_step_of_a_loop,
    handlers_chosen_by_type,
    nested_tries,
    cholesky_or_jitter,
    while_loop_left_by_an_exception,
    try_in_a_branch,
    finally_runs_either_way,
    except_exception,
    raise_caught_by_its_own_handler,
    appends_in_a_try,
    bare_except_and_else,
]
CASES = [pytest.param(fn, k, id=f"{fn.__name__}-{k}") for fn in PROGRAMS for k in KS]


def close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("fn", "k"), CASES)
def test_reverse_mode_replays_the_path_taken(fn, k):
    value, (dx, dy) = srcgrad.value_and_grad(fn, (0, 1))(X, Y, k)
    close(value, fn(X, Y, k))
    want_x, want_y = finite_differences.gradient(fn, (X, Y, k), (0, 1))
    close(dx, want_x)
    close(dy, want_y)
    value, pullback = srcgrad.vjp(fn, X, Y, k, wrt=(0, 1))
    close(value, fn(X, Y, k))
    back_x, back_y = pullback(2.0)
    close(back_x, 2.0 * want_x)
    close(back_y, 2.0 * want_y)


@pytest.mark.parametrize(("fn", "k"), CASES)
def test_forward_mode_follows_the_path_taken(fn, k):
    value, tangent = srcgrad.jvp(fn, (X, Y, k), (TX, TY), wrt=(0, 1))
    close(value, fn(X, Y, k))
    want_x, want_y = finite_differences.gradient(fn, (X, Y, k), (0, 1))
    close(tangent, np.sum(want_x * TX) + np.sum(want_y * TY))


@pytest.mark.parametrize(("fn", "k"), CASES)
def test_second_derivatives(fn, k):
    hessian = srcgrad.hessian(fn)(X, Y, k)

    def gradient(x):
        return finite_differences.gradient(fn, (x, Y, k), 0)

    want = np.array(
        [finite_differences.gradient(lambda x, j=j: gradient(x)[j], (X,)) for j in range(4)]
    )
    np.testing.assert_allclose(hessian, want, rtol=1e-4, atol=1e-6)


def test_finally_runs_on_every_path_and_once():
    LOG.clear()
    srcgrad.grad(finally_runs_either_way)(X, Y, 1)
    srcgrad.jvp(finally_runs_either_way, (X, Y, 2), (TX, TY), wrt=(0, 1))
    assert LOG == [1, 2]


# ---- exceptions that reach the caller --------------------------------------------------------


def reraised_to_the_caller(x, y, k):
    try:
        s = np.sum(x) * (1.0 / k)
    except ZeroDivisionError:
        raise ValueError("k must not be zero")  # noqa: B904 (as users write it)
    return s * np.sum(y)


def bare_raise_in_a_handler(x, y, k):
    try:
        s = np.sum(x) * (1.0 / k)
    except ZeroDivisionError:
        LOG.append("caught")
        raise
    return s * np.sum(y)


def uncaught_type_through_finally(x, y, k):
    try:
        s = np.sum(x) * (1.0 / k)
    except KeyError:
        s = np.sum(y)
    finally:
        LOG.append("finally")
    return s


def not_positive_definite_twice(x, y, k):
    K = np.outer(x, x) - np.eye(4)
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        L = np.linalg.cholesky(K - np.eye(4))
    return np.sum(L)


RAISED = {
    reraised_to_the_caller: (ValueError, ["before"]),
    bare_raise_in_a_handler: (ZeroDivisionError, ["before", "caught"]),
    uncaught_type_through_finally: (ZeroDivisionError, ["before", "finally"]),
    not_positive_definite_twice: (np.linalg.LinAlgError, ["before"]),
}


@pytest.mark.parametrize("fn", RAISED, ids=[fn.__name__ for fn in RAISED])
@pytest.mark.parametrize(
    "transform",
    [
        lambda fn: srcgrad.grad(fn, (0, 1)),
        lambda fn: lambda *args: srcgrad.jvp(fn, args, (TX, TY), wrt=(0, 1)),
        lambda fn: srcgrad.hessian(fn),
    ],
    ids=["reverse", "forward", "hessian"],
)
def test_what_is_not_caught_reaches_the_caller(fn, transform):
    error, effects = RAISED[fn]
    LOG[:] = ["before"]
    with pytest.raises(error) as raised:
        transform(fn)(X, Y, 0)
    assert not isinstance(raised.value, srcgrad.SrcgradError)
    assert effects == LOG
    if fn is not not_positive_definite_twice:
        close(srcgrad.grad(fn)(X, Y, 2), finite_differences.gradient(fn, (X, Y, 2), 0))


def test_srcgrad_errors_are_not_the_users_to_catch():
    def nonfinite(x, y, k):
        try:
            r = np.sum(np.sqrt(x - x))
        except Exception:
            r = np.sum(x)
        return r

    # (the check of a nonfinite adjoint runs in the reverse sweep, outside every `try`)
    with pytest.raises(srcgrad.NonFiniteError):
        srcgrad.grad(nonfinite, check_finite=True)(X, Y, 0)


# ---- a function of the user's in a `try` block -----------------------------------------------


def shorter_than_four(a, b):
    return np.sum(a * b) * (1.0 / (len(a) - 4))


def user_function_in_a_try(x, y, k):
    try:
        s = shorter_than_four(x, y)
    except ZeroDivisionError:
        s = np.sum(x) * np.sum(y)
    return s


def test_a_call_of_the_users_function_in_reverse_mode():
    for x, y in ((X, Y), (X[:3], Y[:3])):
        value, grads = srcgrad.value_and_grad(user_function_in_a_try, (0, 1))(x, y, 0)
        close(value, user_function_in_a_try(x, y, 0))
        want = finite_differences.gradient(user_function_in_a_try, (x, y, 0), (0, 1))
        for got, expected in zip(grads, want):
            close(got, expected)


# ---- refused ---------------------------------------------------------------------------------


def return_inside_try_finally(x, y, k):
    try:
        return np.sum(x)  # refused
    finally:
        LOG.append(k)


def break_inside_try_finally(x, y, k):
    total = 0.0
    for i in range(4):
        try:
            total = total + x[i]
            break  # refused
        finally:
            LOG.append(i)
    return total


def bare_raise_outside_a_handler(x, y, k):
    try:
        if k > 5:
            raise  # refused
        s = np.sum(x)
    except RuntimeError:
        s = np.sum(y)
    return s


def raise_from_inside_a_try(x, y, k):
    try:
        raise ValueError("x") from None  # refused
    except ValueError:
        pass
    return np.sum(x)


def local_exception_type(x, y, k):
    errors = (ValueError, KeyError)
    try:
        s = np.sum(x)
    except errors:  # refused
        s = np.sum(y)
    return s


def element_update_in_a_try(x, y, k):
    z = np.copy(x)
    try:
        z[k] = y[k] * 2.0  # refused
    except IndexError:
        z = z * 2.0
    return np.sum(z)


def with_inside_a_try(x, y, k):
    try:
        with np.errstate(divide="ignore"):  # refused
            s = np.sum(np.log(x * x))
    except FloatingPointError:
        s = np.sum(x)
    return s


REFUSED = {
    return_inside_try_finally: "'return' inside a 'try' statement with a 'finally' block",
    break_inside_try_finally: "'break' inside a 'try' statement with a 'finally' block",
    bare_raise_outside_a_handler: "a bare 'raise' outside an 'except' block",
    raise_from_inside_a_try: "'raise ... from ...' inside a 'try' block",
    local_exception_type: "an 'except' clause whose exception type is not a class",
    element_update_in_a_try: "an update of an element (x[i] = v) inside a 'try' block",
    with_inside_a_try: "a 'with' statement inside a 'try' block",
}


@pytest.mark.parametrize("fn", REFUSED, ids=[fn.__name__ for fn in REFUSED])
def test_what_cannot_be_made_sound_is_refused_at_its_line(fn):
    lines, first = inspect.getsourcelines(fn)
    line = first + next(k for k, text in enumerate(lines) if "# refused" in text)
    with pytest.raises(srcgrad.SrcgradError) as error:
        srcgrad.grad(fn)(X, Y, 1)
    message = str(error.value)
    assert message.startswith(f"{__file__}:{line}:"), message
    assert REFUSED[fn] in message and "not supported" in message, message


def test_forward_mode_through_the_users_function_in_a_try_is_refused():
    lines, first = inspect.getsourcelines(user_function_in_a_try)
    line = first + next(k for k, text in enumerate(lines) if "shorter_than_four(" in text)
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as error:
        srcgrad.jvp(user_function_in_a_try, (X, Y, 0), (TX, TY), wrt=(0, 1))
    message = str(error.value)
    assert message.startswith(f"{__file__}:{line}:"), message
    assert "forward mode through a call of 'shorter_than_four' inside a 'try' block" in message


# ---- the generated code ----------------------------------------------------------------------


def test_the_generated_code_guards_each_statement_and_records_the_path():
    grad = srcgrad.grad(cholesky_or_jitter)
    grad(X, Y, 0)
    source = grad.source
    assert "except np.linalg.LinAlgError as " in source
    # the flag after the `try` block says which path the call took; the reverse sweep reads it
    assert source.count("if _ok:") >= 2
