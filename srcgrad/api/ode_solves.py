"""The solves that differentiate an ODE's solution: the adjoint method (reverse mode) and forward
sensitivities (forward mode), for odeint and solve_ivp alike (api/integrate.py calls them).

The right-hand side `f` is the user's function; its vector-Jacobian and Jacobian-vector products
are srcgrad's code for it, made as the code runs (`pipeline.Callees`, as for any function known
only at run time), looked up once per solve.

* `adjoint_solve`: the adjoint `a(s) = dL/dy(s)` solves `a' = -a ∂f/∂y` backwards from the last
  output time that carries an adjoint, and the parameters' adjoint `p' = -a ∂f/∂args` with it
  (`p` = 0 there, the gradient at the initial time); each output time's adjoint `g[i]` is added
  to `a` as the backward solve passes `t[i]`, one solve per interval. The state `y(s)` the
  adjoint equation reads is the dense output of the forward solve made again, with the same
  method and tolerances. Integrating `y` backwards alongside `a` would save that solve and its
  memory, but it is unstable wherever the forward problem is dissipative (`y' = -k y` backwards
  grows as `e^{ks}`, and so do its errors), which would make the gradient silently wrong.
* `sensitivity_solve`: `S = dy` along one direction solves `S' = ∂f/∂y S + ∂f/∂args args_dot`
  from `S(t0)`, integrated with `y` as one system of twice its size.

Every solve uses the user's `rtol` and `atol`: the derivative is accurate to about that
tolerance, as the solution is. An `atol` given per component holds for `y` and `S`; the
adjoint's components, whose scale is not `y`'s, take its smallest value.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate

from ..runtime.checks import refusal
from ..runtime.containers import as_gradient
from . import trees
from .gradient import CALLEES

# ---- the right-hand side, differentiated as the code runs ---------------------------------------


class Field:
    """The user's right-hand side `f(y, t, *args)` (`f(t, y, *args)` with `tfirst`), with its
    value, its vector-Jacobian products (with respect to `y` and the numbers in `args`) and its
    Jacobian-vector products, by srcgrad's code for it."""

    def __init__(self, func, y0, args, tfirst: bool):
        self.func = func
        self.shape = np.shape(y0)
        self.size = int(np.size(y0))
        self.args = tuple(args)
        self.tfirst = bool(tfirst)
        # the elements of args that hold numbers: the parameters (a string, None or a function
        # there is static)
        self.params = [j for j, a in enumerate(self.args) if trees.leaves(a)]
        self.sizes = [
            [int(np.size(leaf)) for leaf in trees.leaves(self.args[j])] for j in self.params
        ]
        self.count = sum(sum(s) for s in self.sizes)
        self.y_at = 1 if self.tfirst else 0
        self._callees: dict = {}

    def arguments(self, y, s) -> tuple:
        y = np.reshape(y, self.shape)
        return (s, y, *self.args) if self.tfirst else (y, s, *self.args)

    def _callee(self, active: tuple, given: tuple):
        """What srcgrad differentiates for a call with these arguments carrying a derivative:
        `(function, the arguments it brings itself, its keywords, active parameters)`, found
        once per solve (the general dispatch, `pipeline.Callees.call_pullback`, looks it up at
        every call); None where only that dispatch serves."""
        if active not in self._callees:
            target, args, kwargs, params, held = CALLEES.make_callee(self.func, active, given, {})
            fixed = len(args) - len(given)
            same = fixed >= 0 and all(a is b for a, b in zip(args[fixed:], given))
            plain = same and not held and not hasattr(target, "pullback")
            self._callees[active] = (target, args[:fixed], kwargs, params) if plain else None
        return self._callees[active]

    def value(self, y, s) -> np.ndarray:
        return np.ravel(np.asarray(self.func(*self.arguments(y, s)), dtype=float))

    def pullback(self, y, s, a) -> tuple[np.ndarray, np.ndarray]:
        """`a ∂f/∂y` and `a ∂f/∂args` (flat, in the order of the parameters' leaves)."""
        active = (self.y_at, *(2 + j for j in self.params))
        given = self.arguments(y, s)
        callee = self._callee(active, given)
        if callee is None:
            value, back = CALLEES.call_pullback(self.func, active, *given)
        else:
            target, fixed, kwargs, params = callee
            value, back = CALLEES.pullback(target, params)(*fixed, *given, **kwargs)
        grads = back(_shaped_like(value, a))
        grads = grads if len(active) > 1 else (grads,)
        flat_y = np.ravel(as_gradient(grads[0], np.reshape(y, self.shape)))
        return np.asarray(flat_y, dtype=float), self.flatten(grads[1:])

    def push(self, y, s, direction, param_tangents) -> tuple[np.ndarray, np.ndarray]:
        """`f` and `∂f/∂y direction + ∂f/∂args param_tangents` (None: zero), flat."""
        moving = [j for j, t in zip(self.params, param_tangents) if t is not None]
        active = (self.y_at, *(2 + j for j in moving))
        given = dict(zip(self.params, param_tangents))
        tangents = (np.reshape(direction, self.shape), *(given[j] for j in moving))
        arguments = self.arguments(y, s)
        callee = self._callee(active, arguments)
        if callee is None:
            value, value_dot = CALLEES.call_tangent(self.func, active, tangents, *arguments)
        else:
            target, fixed, kwargs, params = callee
            value, value_dot = CALLEES.tangent(target, params)(
                tangents, *fixed, *arguments, **kwargs
            )
        value = np.ravel(np.asarray(value, dtype=float))
        if value_dot is None:
            return value, np.zeros_like(value)
        return value, _flat_tangent(value_dot, value)

    def flatten(self, grads) -> np.ndarray:
        """The parameters' adjoints (trees like the arguments) as one flat vector."""
        parts = []
        for j, g in zip(self.params, grads):
            for leaf in trees.leaves(as_gradient(g, self.args[j])):
                parts.append(np.ravel(np.asarray(leaf, dtype=float)))
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflatten(self, flat: np.ndarray) -> tuple:
        """`args`' adjoint: a flat vector of the parameters' back in their structure (None for
        the elements that hold no numbers)."""
        out: list = [None] * len(self.args)
        at = 0
        for j, sizes in zip(self.params, self.sizes):
            pieces = []
            for leaf, size in zip(trees.leaves(self.args[j]), sizes):
                piece = flat[at : at + size]
                at += size
                pieces.append(
                    float(piece[0]) if np.ndim(leaf) == 0 else piece.reshape(np.shape(leaf))
                )
            out[j] = trees.rebuild(self.args[j], iter(pieces))
        return tuple(out)

    def param_tangents(self, args_dot) -> list:
        """The tangents of the parameters (None where zero) from the tangent of `args`."""
        found = []
        for j in self.params:
            part = args_dot[j] if isinstance(args_dot, (tuple, list)) else None
            found.append(part if part is not None and moves(part) else None)
        return found


def _shaped_like(value, a: np.ndarray):
    """The cotangent `a` (flat) in the form of the right-hand side's value (a list, an array)."""
    if isinstance(value, (list, tuple)):
        return type(value)(a[k] for k in range(len(value)))
    if np.ndim(value) == 0:
        return float(a[0])
    return np.reshape(a, np.shape(value))


def _flat_tangent(value_dot, value: np.ndarray) -> np.ndarray:
    if isinstance(value_dot, (list, tuple)):
        parts = [0.0 if t is None else t for t in value_dot]
        return np.ravel(np.asarray(parts, dtype=float))
    return np.broadcast_to(np.asarray(value_dot, dtype=float), value.shape).ravel()


# ---- the solves --------------------------------------------------------------------------------


class Solver:
    """solve_ivp with the method and tolerances of the user's call."""

    def __init__(self, method, rtol, atol, max_step):
        self.method = method
        self.rtol = rtol
        self.atol = atol
        self.max_step = np.inf if max_step is None or max_step == 0 else max_step

    def _atol(self, size: int, kind: str):
        """The user's atol for a system of `kind` ("forward", "tangent", "adjoint") whose
        state `y` has `size` components."""
        if np.ndim(self.atol) == 0:
            return self.atol
        atol = np.ravel(np.asarray(self.atol, dtype=float))
        if kind == "tangent":  # y and its sensitivity, component by component
            return np.concatenate([np.broadcast_to(atol, (size,))] * 2)
        return float(np.min(atol))  # (the adjoint's scale is not y's)

    def solve(self, fun, span, z0, size: int, kind: str, t_eval=None, dense=False):
        """solve_ivp's solution of `z' = fun(s, z)`, `z(span[0]) = z0`; a solve that fails is
        refused at the user's line, with solve_ivp's message."""
        solution = scipy.integrate.solve_ivp(
            fun,
            span,
            z0,
            method=self.method,
            t_eval=t_eval,
            dense_output=dense,
            rtol=self.rtol,
            atol=self._atol(size, kind),
            max_step=self.max_step,
        )
        if solution.status < 0:
            raise refusal(
                f"the {kind} solve of the derivative failed: {solution.message}",
                "loosen rtol and atol, or check that the problem is well posed over these times",
            )
        return solution


def adjoint_solve(field: Field, solver: Solver, y0, t0, times, g) -> tuple[np.ndarray, np.ndarray]:
    """The adjoint at the initial time (`dL/dy0`) and the parameters' adjoint (flat), for the
    output adjoints `g` (one row per output time)."""
    n = field.size
    z = np.zeros(n + field.count)
    reached = [i for i in range(len(times)) if np.any(g[i])]
    if not reached:
        return z[:n], z[n:]
    last = times[reached[-1]]
    state = None
    if last != t0:  # y(s) between t0 and the last output time that matters
        state = solver.solve(
            lambda s, y: field.value(y, s), (t0, last), y0, n, "forward", dense=True
        ).sol

    def backwards(s, z):
        gy, gp = field.pullback(state(s), s, z[:n])
        return -np.concatenate([gy, gp])

    for i in reversed(range(reached[-1] + 1)):
        z[:n] += g[i]
        end = times[i - 1] if i else t0
        if end != times[i] and np.any(z[:n]):  # (a zero adjoint stays zero)
            z = solver.solve(backwards, (times[i], end), z, n, "adjoint").y[:, -1].copy()
    return z[:n], z[n:]


def sensitivity_solve(
    field: Field, solver: Solver, y0, t0, times, s0, param_tangents
) -> np.ndarray:
    """`S(t_i)` for `S(t0) = s0` and the parameters' tangents, one row per output time."""
    n = field.size
    if not np.any(s0) and all(t is None for t in param_tangents):
        return np.zeros((len(times), n))
    if all(s == t0 for s in times):
        return np.tile(s0, (len(times), 1))

    def joined(s, w):
        value, value_dot = field.push(w[:n], s, w[n:], param_tangents)
        return np.concatenate([value, value_dot])

    z0 = np.concatenate([y0, s0])
    solution = solver.solve(joined, (t0, times[-1]), z0, n, "tangent", t_eval=times)
    return solution.y[n:].T


def flat(x, size: int) -> np.ndarray:
    """A tangent or an adjoint (None: zero) as a flat float vector of `size`."""
    if x is None:
        return np.zeros(size)
    return np.broadcast_to(np.asarray(x, dtype=float).ravel(), (size,)).copy()


def like_y0(vector: np.ndarray, y0):
    """`vector` in the shape of `y0` (a float where y0 is a number)."""
    if np.ndim(y0) == 0:
        return float(vector[0])
    return np.reshape(vector, np.shape(y0))


def time_terms(field: Field, ys, times, g) -> np.ndarray:
    """`g[i] · f(y_i, t_i)` for each output time."""
    return np.array(
        [
            float(np.dot(g[i], field.value(ys[i], times[i]))) if np.any(g[i]) else 0.0
            for i in range(len(times))
        ]
    )


def moves(tree) -> bool:
    """Some number of `tree` (an adjoint or a tangent) is not zero."""
    return any(np.any(np.asarray(leaf) != 0) for leaf in trees.leaves(tree))
