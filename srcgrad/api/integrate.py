"""Derivatives of `scipy.integrate.odeint` and `scipy.integrate.solve_ivp`: their rules, and the
helpers the generated code calls. Registered the first time a transformation looks a rule up
after the user's program has imported `scipy.integrate` (rules/registry.py `_OPTIONAL`).

`trajectory = odeint(rhs, y0, t, args=(k,))` and `sol = solve_ivp(rhs, (t0, t1), y0,
t_eval=t, args=(k,)); sol.y` are differentiated with respect to the initial state `y0`, the
parameters in `args` (numbers, arrays, and lists, tuples or dicts of them) and the times (`t`,
`t_span`, `t_eval`). The right-hand side is the user's own function (of the module, nested, a
lambda); srcgrad differentiates it as the code runs. The generated code reads
`dy0, dargs = odeint_adjoint(dtrajectory, trajectory, rhs, y0, t, (k,), ...)` under the user's
line in reverse mode, `trajectory_dot = odeint_tangent(...)` in forward mode.

**Method.** Reverse mode is the adjoint method: `a' = -a ∂f/∂y` and `p' = -a ∂f/∂args`
integrated backwards, each output time's adjoint added to `a` as the solve passes it, `y(s)`
taken from a forward solve made again with dense output. Forward mode is forward sensitivities:
`S' = ∂f/∂y S + ∂f/∂args args_dot`, `S(t0) = y0_dot - f(y0, t0) t0_dot`, integrated with `y`;
the tangent at `t_i` is `S(t_i) + f(y_i, t_i) t_i_dot`. A time's adjoint is `g[i] · f(y_i, t_i)`
for an output time and `-a(t0) · f(y0, t0)` for the initial time. (api/ode_solves.py says why.)

**Tolerance.** Every solve the derivative makes uses the user's `rtol` and `atol` (odeint's
defaults, 1.49012e-8, where not given; solve_ivp's, 1e-3 and 1e-6) and method (odeint's is
LSODA, here through solve_ivp): the derivative is accurate to about that tolerance, as the
values are. It is the derivative of the exact solution, not of the steps the solver took.
Options that tune the user's own steps (odeint's `h0`, `mxstep`, `Dfun`; solve_ivp's
`first_step`, `jac`) are not used by these solves; `hmax` and `max_step` are.

Refused, at the user's line: a derivative with respect to values the right-hand side reads from
the function around it (a closure's, a lambda's: pass them through `args`), a solve_ivp that a
terminal event stopped, a derivative through the solver's own step times (`sol.y` without
`t_eval`, but for its first and last columns: pass `t_eval`), `sol.t_events` and `sol.y_events`
(forward mode, which cannot know what the program reads, makes those tangents nan), and second
derivatives (Hessians) through either function.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate

from ..rules.registry import adjoint, calling, record_result, tangent
from ..runtime.checks import refusal
from . import ode_solves as ode

_ODEINT_TOLERANCE = 1.49012e-8  # odeint's default rtol and atol

calling(scipy.integrate.odeint, scipy.integrate.solve_ivp)


def closed_over(func):
    """Refuse a derivative with respect to what the right-hand side holds (the generated code
    calls this only where the function value carries a derivative)."""
    held = sorted(getattr(func, "keywords", None) or {})
    name = getattr(getattr(func, "func", func), "__name__", "the right-hand side")
    reads = f" ('{', '.join(held)}')" if held else ""
    raise refusal(
        f"srcgrad differentiates an ODE solve with respect to its initial state, its times and "
        f"its args, not the values its right-hand side '{name}' reads from the function around "
        f"it{reads}",
        "pass those values through args: odeint(rhs, y0, t, args=(k,)) or solve_ivp(rhs, "
        "t_span, y0, args=(k,)), with k a parameter of rhs",
    )


# ---- odeint ------------------------------------------------------------------------------------


def _odeint_parts(ans, func, y0, t, args, rtol, atol, tfirst, hmax):
    trajectory = ans[0] if isinstance(ans, tuple) else ans  # (full_output: (y, infodict))
    flat_y0 = np.ravel(np.asarray(y0, dtype=float))
    field = ode.Field(func, flat_y0, args, tfirst)
    rtol = _ODEINT_TOLERANCE if rtol is None else rtol
    atol = _ODEINT_TOLERANCE if atol is None else atol
    solver = ode.Solver("LSODA", rtol, atol, hmax)
    times = np.ravel(np.asarray(t, dtype=float))
    return np.asarray(trajectory, dtype=float), flat_y0, field, solver, times


def _output_adjoint(g, trajectory):
    if isinstance(g, (tuple, list)):  # (full_output: the adjoint of (y, infodict))
        g = g[0]
    if g is None:
        return np.zeros_like(trajectory)
    return np.broadcast_to(np.asarray(g, dtype=float), trajectory.shape)


def odeint_adjoint(g, ans, func, y0, t, args=(), rtol=None, atol=None, tfirst=False, hmax=0.0):
    """`(dL/dy0, dL/dargs)` of `ans = odeint(func, y0, t, args=args, ...)` for the adjoint `g`
    of `ans`, by the adjoint method (api/ode_solves.py)."""
    trajectory, flat_y0, field, solver, times = _odeint_parts(
        ans, func, y0, t, args, rtol, atol, tfirst, hmax
    )
    g = _output_adjoint(g, trajectory)
    a0, p = ode.adjoint_solve(field, solver, flat_y0, times[0], times, g.reshape(len(times), -1))
    return ode.like_y0(a0, y0), field.unflatten(p)


def odeint_times_adjoint(g, ans, func, y0, t, args, dy0, tfirst=False):
    """`dL/dt`: `g[i] · f(y_i, t_i)` at each time, and `-dL/dy0 · f(y0, t0)` more at the first,
    the initial time (`dy0`, the adjoint at t0, from `odeint_adjoint`)."""
    trajectory = ans[0] if isinstance(ans, tuple) else ans
    field = ode.Field(func, np.ravel(y0), args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    g = _output_adjoint(g, np.asarray(trajectory, dtype=float)).reshape(len(times), -1)
    ys = np.reshape(trajectory, (len(times), -1))
    dt = ode.time_terms(field, ys, times, g)
    dt[0] -= float(np.dot(np.ravel(dy0), field.value(ys[0], times[0])))
    return np.reshape(dt, np.shape(t))


def odeint_tangent(
    func,
    trajectory,
    y0,
    t,
    args=(),
    func_dot=None,
    y0_dot=None,
    t_dot=None,
    args_dot=None,
    rtol=None,
    atol=None,
    tfirst=False,
    hmax=0.0,
):
    """The tangent of `trajectory = odeint(func, y0, t, args=args, ...)` by forward
    sensitivities (api/ode_solves.py); a tangent given as None is zero."""
    if func_dot is not None and ode.moves(func_dot):
        closed_over(func)
    ys, flat_y0, field, solver, times = _odeint_parts(
        trajectory, func, y0, t, args, rtol, atol, tfirst, hmax
    )
    n = field.size
    ys = ys.reshape(len(times), n)
    t_dot = None if t_dot is None else np.broadcast_to(np.ravel(t_dot), times.shape)
    s0 = ode.flat(y0_dot, n)
    if t_dot is not None and t_dot[0] != 0:
        s0 = s0 - field.value(flat_y0, times[0]) * t_dot[0]
    moving = field.param_tangents(args_dot)
    out = ode.sensitivity_solve(field, solver, flat_y0, times[0], times, s0, moving)
    if t_dot is not None:
        for i in np.flatnonzero(t_dot):
            out[i] += field.value(ys[i], times[i]) * t_dot[i]
    if isinstance(trajectory, tuple):  # (full_output: (y, infodict))
        return out.reshape(np.shape(trajectory[0])), None
    return out.reshape(np.shape(trajectory))


@adjoint(scipy.integrate.odeint, differentiable=["func", "y0", "t", "args"])
def odeint_vjp(
    g,
    ans,
    func,
    y0,
    t,
    args=(),
    Dfun=None,
    col_deriv=0,
    full_output=0,
    ml=None,
    mu=None,
    rtol=None,
    atol=None,
    tcrit=None,
    h0=0.0,
    hmax=0.0,
    hmin=0.0,
    ixpr=0,
    mxstep=0,
    mxhnil=0,
    mxordn=12,
    mxords=5,
    printmessg=0,
    tfirst=False,
):
    dy0, dargs = odeint_adjoint(
        g, ans, func, y0, t, args, rtol=rtol, atol=atol, tfirst=tfirst, hmax=hmax
    )
    return (
        closed_over(func),
        dy0,
        odeint_times_adjoint(g, ans, func, y0, t, args, dy0, tfirst=tfirst),
        dargs,
    )


@tangent(scipy.integrate.odeint, joint=True)
def odeint_jvp(
    ans,
    func,
    y0,
    t,
    args=(),
    Dfun=None,
    col_deriv=0,
    full_output=0,
    ml=None,
    mu=None,
    rtol=None,
    atol=None,
    tcrit=None,
    h0=0.0,
    hmax=0.0,
    hmin=0.0,
    ixpr=0,
    mxstep=0,
    mxhnil=0,
    mxordn=12,
    mxords=5,
    printmessg=0,
    tfirst=False,
):
    return odeint_tangent(
        func,
        ans,
        y0,
        t,
        args,
        func_dot=func_dot,  # noqa: F821 (the tangent, filled in by the registry)
        y0_dot=y0_dot,  # noqa: F821 (the tangent, filled in by the registry)
        t_dot=t_dot,  # noqa: F821 (the tangent, filled in by the registry)
        args_dot=args_dot,  # noqa: F821 (the tangent, filled in by the registry)
        rtol=rtol,
        atol=atol,
        tfirst=tfirst,
        hmax=hmax,
    )


# ---- solve_ivp ---------------------------------------------------------------------------------

_IVP_FIELDS = ("y", "t")  # what of an OdeResult carries a derivative
record_result(scipy.integrate.solve_ivp)


def _ivp_field(fun, y0, args) -> ode.Field:
    """solve_ivp's right-hand side, `fun(t, y, *args)`."""
    return ode.Field(fun, np.ravel(y0), () if args is None else args, True)


def _ivp_parts(ans, fun, t_span, y0, args, method, rtol, atol, max_step):
    if ans.status == 1:
        raise refusal(
            "a solve_ivp that a terminal event stopped has no derivative in srcgrad (the time "
            "it stops at moves with the parameters)",
            "make the event not terminal, or integrate up to a time computed first",
        )
    flat_y0 = np.ravel(np.asarray(y0, dtype=float))
    field = _ivp_field(fun, flat_y0, args)
    solver = ode.Solver(method, rtol, atol, max_step)
    t0 = float(np.ravel(t_span)[0])
    times = np.asarray(ans.t, dtype=float)
    return flat_y0, field, solver, t0, times


def _ivp_adjoints(g, ans) -> tuple[np.ndarray, np.ndarray]:
    """The adjoints of `sol.y` (one row per output time) and `sol.t`, from the adjoint of the
    OdeResult (a dict of its fields')."""
    g = {} if g is None else g
    if not isinstance(g, dict):
        g = dict(vars(g))
    others = sorted(k for k, v in g.items() if k not in _IVP_FIELDS and ode.moves(v))
    if others:
        raise refusal(
            f"srcgrad has no derivative of solve_ivp's '{others[0]}' (only of 'y' and 't')",
            "compute what you need from sol.y at the times of t_eval",
        )
    gy = g.get("y")
    gy = np.zeros_like(ans.y) if gy is None else np.broadcast_to(gy, np.shape(ans.y))
    gt = g.get("t")
    gt = np.zeros_like(ans.t) if gt is None else np.broadcast_to(gt, np.shape(ans.t))
    return np.asarray(gy, dtype=float).T, np.asarray(gt, dtype=float)


def _own_steps(gy, gt) -> None:
    """Without t_eval, the output times are the solver's own steps, which move with the
    parameters in no way srcgrad follows: only the first and last (t_span's) have a
    derivative."""
    inner = np.any(gy[1:-1]) or np.any(gt[1:-1])
    if inner:
        raise refusal(
            "sol.y and sol.t of a solve_ivp without t_eval are at the solver's own step times, "
            "which have no derivative in srcgrad (only the first and the last column do)",
            "pass t_eval: solve_ivp(fun, t_span, y0, t_eval=t, ...)",
        )


def solve_ivp_adjoint(
    g,
    ans,
    fun,
    t_span,
    y0,
    t_eval=None,
    args=None,
    method="RK45",
    rtol=1e-3,
    atol=1e-6,
    max_step=None,
):
    """`(dL/dy0, dL/dargs)` of `ans = solve_ivp(fun, t_span, y0, ...)` for the adjoint `g` of the
    OdeResult, by the adjoint method (api/ode_solves.py)."""
    flat_y0, field, solver, t0, times = _ivp_parts(
        ans, fun, t_span, y0, args, method, rtol, atol, max_step
    )
    gy, gt = _ivp_adjoints(g, ans)
    if t_eval is None:
        _own_steps(gy, gt)
    a0, p = ode.adjoint_solve(field, solver, flat_y0, t0, times, gy)
    dargs = field.unflatten(p)
    return ode.like_y0(a0, y0), (dargs if args is not None else None)


def _ivp_time_terms(g, ans, fun, y0, args) -> np.ndarray:
    """`g[i] · f(y_i, t_i)` at each output time, and the adjoint of sol.t there."""
    field = _ivp_field(fun, y0, args)
    gy, gt = _ivp_adjoints(g, ans)
    ys = np.asarray(ans.y, dtype=float).T
    return ode.time_terms(field, ys, np.asarray(ans.t, dtype=float), gy) + gt


def solve_ivp_span_adjoint(g, ans, fun, t_span, y0, t_eval, args, dy0) -> tuple:
    """`dL/dt_span`: `-dL/dy0 · f(y0, t0)` for the initial time (`dy0`, the adjoint at t0);
    without t_eval, the first and last output times are t_span's too."""
    field = _ivp_field(fun, y0, args)
    t0 = float(np.ravel(t_span)[0])
    dt0 = -float(np.dot(np.ravel(dy0), field.value(np.ravel(y0), t0)))
    if t_eval is not None:
        return (dt0, 0.0)
    _own_steps(*_ivp_adjoints(g, ans))
    terms = _ivp_time_terms(g, ans, fun, y0, args)
    return (dt0 + float(terms[0]), float(terms[-1]))


def solve_ivp_eval_adjoint(g, ans, fun, y0, t_eval, args) -> np.ndarray:
    """`dL/dt_eval`: `g[i] · f(y_i, t_i)` at each time of t_eval (and sol.t's adjoint)."""
    return np.reshape(_ivp_time_terms(g, ans, fun, y0, args), np.shape(t_eval))


def solve_ivp_tangent(
    fun,
    solution,
    t_span,
    y0,
    t_eval=None,
    args=None,
    fun_dot=None,
    t_span_dot=None,
    y0_dot=None,
    t_eval_dot=None,
    args_dot=None,
    method="RK45",
    rtol=1e-3,
    atol=1e-6,
    max_step=None,
):
    """The tangent of `solution = solve_ivp(fun, t_span, y0, ...)` by forward sensitivities
    (api/ode_solves.py): a dict of the tangents of its fields `y` and `t`. Without t_eval
    the columns between the first and the last, at the solver's own steps, have no derivative:
    their tangent is nan, as are the tangents of `t_events` and `y_events`."""
    if fun_dot is not None and ode.moves(fun_dot):
        closed_over(fun)
    flat_y0, field, solver, t0, times = _ivp_parts(
        solution, fun, t_span, y0, args, method, rtol, atol, max_step
    )
    n = field.size
    ys = np.asarray(solution.y, dtype=float).T
    span_dot = np.zeros(2) if t_span_dot is None else np.array([_number(v) for v in t_span_dot])
    if t_eval is None:
        times_dot = np.full(len(times), np.nan)
        times_dot[0], times_dot[-1] = span_dot
    else:
        times_dot = np.broadcast_to(ode.flat(t_eval_dot, len(times)), (len(times),)).copy()
    s0 = ode.flat(y0_dot, n)
    if span_dot[0] != 0:
        s0 = s0 - field.value(flat_y0, t0) * span_dot[0]
    out = ode.sensitivity_solve(
        field, solver, flat_y0, t0, times, s0, field.param_tangents(args_dot)
    )
    for i in np.flatnonzero(times_dot):
        out[i] += field.value(ys[i], times[i]) * times_dot[i]
    tangents = {"y": out.T, "t": times_dot}
    for name in ("t_events", "y_events"):  # (no derivative: nan, where events were given)
        found = getattr(solution, name, None)
        if found is not None:
            tangents[name] = [np.full(np.shape(part), np.nan) for part in found]
    return tangents


def _number(v) -> float:
    return 0.0 if v is None else float(v)


@adjoint(scipy.integrate.solve_ivp, differentiable=["fun", "t_span", "y0", "t_eval", "args"])
def solve_ivp_vjp(
    g,
    ans,
    fun,
    t_span,
    y0,
    method="RK45",
    t_eval=None,
    dense_output=False,
    events=None,
    vectorized=False,
    args=None,
    rtol=1e-3,
    atol=1e-6,
    max_step=None,
    first_step=None,
    min_step=0.0,
    jac=None,
    jac_sparsity=None,
    lband=None,
    uband=None,
):
    dy0, dargs = solve_ivp_adjoint(
        g,
        ans,
        fun,
        t_span,
        y0,
        t_eval,
        args,
        method=method,
        rtol=rtol,
        atol=atol,
        max_step=max_step,
    )
    return (
        closed_over(fun),
        solve_ivp_span_adjoint(g, ans, fun, t_span, y0, t_eval, args, dy0),
        dy0,
        solve_ivp_eval_adjoint(g, ans, fun, y0, t_eval, args),
        dargs,
    )


@tangent(scipy.integrate.solve_ivp, joint=True)
def solve_ivp_jvp(
    ans,
    fun,
    t_span,
    y0,
    method="RK45",
    t_eval=None,
    dense_output=False,
    events=None,
    vectorized=False,
    args=None,
    rtol=1e-3,
    atol=1e-6,
    max_step=None,
    first_step=None,
    min_step=0.0,
    jac=None,
    jac_sparsity=None,
    lband=None,
    uband=None,
):
    return solve_ivp_tangent(
        fun,
        ans,
        t_span,
        y0,
        t_eval,
        args,
        fun_dot=fun_dot,  # noqa: F821 (the tangent, filled in by the registry)
        t_span_dot=t_span_dot,  # noqa: F821 (the tangent, filled in by the registry)
        y0_dot=y0_dot,  # noqa: F821 (the tangent, filled in by the registry)
        t_eval_dot=t_eval_dot,  # noqa: F821 (the tangent, filled in by the registry)
        args_dot=args_dot,  # noqa: F821 (the tangent, filled in by the registry)
        method=method,
        rtol=rtol,
        atol=atol,
        max_step=max_step,
    )


# ---- second derivatives: refused ---------------------------------------------------------------
# A Hessian differentiates the forward-mode code again (reverse mode over it), which calls
# odeint_tangent or solve_ivp_tangent: their rules refuse, where a derivative flows through.


def second_derivative(function: str):
    raise refusal(
        f"srcgrad has no second derivative (a Hessian, a derivative of a derivative) through "
        f"{function}: it differentiates the solve once, by the adjoint method in reverse mode "
        "and forward sensitivities in forward mode",
        "take first derivatives of the solve only (srcgrad.grad, srcgrad.jvp, srcgrad.jacobian), "
        "or finite differences of srcgrad.grad for the Hessian",
    )


_ODEINT_TANGENT_OPERANDS = [
    "func",
    "trajectory",
    "y0",
    "t",
    "args",
    "func_dot",
    "y0_dot",
    "t_dot",
    "args_dot",
]


@adjoint(odeint_tangent, differentiable=_ODEINT_TANGENT_OPERANDS)
def odeint_tangent_vjp(
    g,
    ans,
    func,
    trajectory,
    y0,
    t,
    args=(),
    func_dot=None,
    y0_dot=None,
    t_dot=None,
    args_dot=None,
    rtol=None,
    atol=None,
    tfirst=False,
    hmax=0.0,
):
    refused = second_derivative("odeint")
    return refused, refused, refused, refused, refused, refused, refused, refused, refused


@tangent(odeint_tangent, joint=True)
def odeint_tangent_jvp(
    ans,
    func,
    trajectory,
    y0,
    t,
    args=(),
    func_dot=None,
    y0_dot=None,
    t_dot=None,
    args_dot=None,
    rtol=None,
    atol=None,
    tfirst=False,
    hmax=0.0,
):
    return second_derivative("odeint")


_IVP_TANGENT_OPERANDS = [
    "fun",
    "solution",
    "t_span",
    "y0",
    "t_eval",
    "args",
    "fun_dot",
    "t_span_dot",
    "y0_dot",
    "t_eval_dot",
    "args_dot",
]


@adjoint(solve_ivp_tangent, differentiable=_IVP_TANGENT_OPERANDS)
def solve_ivp_tangent_vjp(
    g,
    ans,
    fun,
    solution,
    t_span,
    y0,
    t_eval=None,
    args=None,
    fun_dot=None,
    t_span_dot=None,
    y0_dot=None,
    t_eval_dot=None,
    args_dot=None,
    method="RK45",
    rtol=1e-3,
    atol=1e-6,
    max_step=None,
):
    refused = second_derivative("solve_ivp")
    return (
        refused,
        refused,
        refused,
        refused,
        refused,
        refused,
        refused,
        refused,
        refused,
        refused,
        refused,
    )


@tangent(solve_ivp_tangent, joint=True)
def solve_ivp_tangent_jvp(
    ans,
    fun,
    solution,
    t_span,
    y0,
    t_eval=None,
    args=None,
    fun_dot=None,
    t_span_dot=None,
    y0_dot=None,
    t_eval_dot=None,
    args_dot=None,
    method="RK45",
    rtol=1e-3,
    atol=1e-6,
    max_step=None,
):
    return second_derivative("solve_ivp")
