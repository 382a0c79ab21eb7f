"""Run a function through srcgrad and compare with central finite differences.

`check(fn, args, wrt, source)` raises `AssertionError` naming what went wrong, with the source
and the arguments, when srcgrad's reverse mode disagrees with finite differences, when
`value_and_grad`'s value is not the function's, when forward mode's tangent along random
directions is not the finite-difference gradient dotted with them, when a gradient's shape or
dtype is not its argument's, when a second call differs, when the caller's arguments change, or when srcgrad
raises anything at all:

* `srcgrad.InternalError`, or any exception that is not a `SrcgradError` (KeyError,
  AttributeError, IndexError, TypeError, ... escaping from srcgrad or from the code it
  generated), is a bug in srcgrad;
* any other `SrcgradError` is srcgrad rejecting the program: the programs tested are meant to
  be supported code, so either the generator or README's list of what is supported is wrong.

It raises `NotSmooth` instead when finite differences with two different steps disagree with
each other: the function has a kink or a jump (a branch, `maximum` or `where` decided
differently) within a step of the point, and no reference is trustworthy there.
`load(source)` imports a module from source written to a real file, so srcgrad can read it.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import itertools
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

import srcgrad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import finite_differences

TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}  # gradients against finite differences
EXACT = {"rtol": 1e-9, "atol": 1e-12}  # srcgrad's value and second answers against the first
SECOND_STEP = 1e-4  # relative step of the finite differences that confirm a mismatch

_DIRECTORY = tempfile.TemporaryDirectory(prefix="srcgrad_random_programs_")
_NUMBERS = itertools.count()


class NotSmooth(Exception):
    """Finite differences disagree with themselves: no reference at this point."""


class Timeout(BaseException):  # not an Exception: nothing on the way may catch it
    """The program, or srcgrad on it, ran for longer than `time_limit` allows."""


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise Timeout in the main thread after `seconds` (no limit where there is no SIGALRM)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_program(source: str, program, seconds: int = 60) -> str | None:
    """Check `source` as the module of `program` (whose arguments and `wrt` it takes): None if
    srcgrad gets everything right, else what went wrong. NotSmooth passes through."""
    try:
        module = load(source)
    except Exception as exc:
        return f"the program does not load: {exc!r}\n{source}"
    try:
        with time_limit(seconds):
            check(module.f, program.arguments(), program.wrt, source)
    except AssertionError as exc:
        return str(exc)
    except Timeout:
        return _report(f"timeout: more than {seconds} s", source, program.arguments())
    finally:
        unload(module)
    return None


def load(source: str):
    """Import `source` as a new module from a file of its own (never a cached one)."""
    name = f"random_program_{next(_NUMBERS)}"
    path = Path(_DIRECTORY.name) / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def unload(module) -> None:
    sys.modules.pop(module.__name__, None)


def _report(what: str, source: str, args: tuple) -> str:
    with np.printoptions(precision=17):
        shown = "\n".join(f"#   {a!r}" for a in args)
    return f"{what}\n--- program ---\n{source}\n--- arguments ---\n{shown}"


def _srcgrad(call: Callable, what: str, source: str, args: tuple):
    """`call()`, with any exception turned into an AssertionError that classifies it."""
    try:
        return call()
    except srcgrad.InternalError as exc:
        raise AssertionError(_report(f"srcgrad bug ({what}): {exc}", source, args)) from exc
    except srcgrad.SrcgradError as exc:
        message = f"srcgrad rejected a generated program ({what}): {exc}"
        raise AssertionError(_report(message, source, args)) from exc
    except Exception as exc:
        message = f"srcgrad bug ({what}): {type(exc).__name__} escaped: {exc}"
        raise AssertionError(_report(message, source, args)) from exc


def _leaves_equal(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _close(got, want, tolerance: dict) -> bool:
    return bool(np.allclose(got, want, **tolerance))


def check(fn: Callable, args: tuple, wrt: tuple[int, ...], source: str) -> None:
    """Every promise of srcgrad about `fn` at `args`, differentiated with respect to `wrt`."""
    before = copy.deepcopy(args)
    fail = lambda what: AssertionError(_report(what, source, before))  # noqa: E731
    try:
        value = fn(*args)
    except Exception as exc:
        raise fail(f"the program does not run: {exc!r}") from exc
    if np.shape(value) != () or not np.isfinite(value) or abs(value) > 1e6:
        raise fail(f"the program returns {value!r}")
    if not _leaves_equal(before, args):
        raise fail("the program changes its own arguments")

    transformed = _srcgrad(lambda: srcgrad.grad(fn, wrt=wrt), "grad", source, before)
    gradients = _srcgrad(lambda: transformed(*args), "grad", source, before)
    if not _leaves_equal(before, args):
        raise fail("grad changed the caller's arguments")
    if not isinstance(gradients, tuple) or len(gradients) != len(wrt):
        raise fail(f"grad returned {type(gradients).__name__}, not a tuple of {len(wrt)}")
    for i, g in zip(wrt, gradients):
        if np.shape(g) != np.shape(args[i]) or np.result_type(g) != np.float64:
            raise fail(
                f"gradient of argument {i} has shape {np.shape(g)} and dtype "
                f"{np.result_type(g)}; the argument has shape {np.shape(args[i])}"
            )

    expected = finite_differences.gradient(fn, args, wrt)
    wrong = [i for i, g, e in zip(wrt, gradients, expected) if not _close(g, e, TOLERANCE)]
    if wrong:
        confirm(fn, args, wrt, expected)
        lines = [
            f"argument {i}: srcgrad {gradients[wrt.index(i)]!r}, "
            f"finite differences {expected[wrt.index(i)]!r}"
            for i in wrong
        ]
        raise fail("gradient differs from finite differences\n" + "\n".join(lines))

    again = _srcgrad(lambda: transformed(*args), "second call of grad", source, before)
    if not _leaves_equal(again, gradients):
        raise fail("a second call of the gradient gives a different answer")

    value_and_grad = _srcgrad(
        lambda: srcgrad.value_and_grad(fn, wrt=wrt), "value_and_grad", source, before
    )
    answer = _srcgrad(lambda: value_and_grad(*args), "value_and_grad", source, before)
    if not _leaves_equal(before, args):
        raise fail("value_and_grad changed the caller's arguments")
    if np.shape(answer[0]) != () or not _close(answer[0], value, EXACT):
        raise fail(f"value_and_grad's value {answer[0]!r} is not the function's {value!r}")
    for i, got, want in zip(wrt, answer[1], gradients):
        if not _close(got, want, EXACT):
            raise fail(f"value_and_grad's gradient of argument {i} differs from grad's")

    # forward mode: the tangent along random directions is the gradient dotted with them
    rng = np.random.default_rng(len(source))
    tangents = tuple(rng.standard_normal(np.shape(args[i])) for i in wrt)
    tangents = tuple(t if np.ndim(args[i]) else float(t) for i, t in zip(wrt, tangents))
    pair = _srcgrad(
        lambda: srcgrad.jvp(fn, args, tangents, wrt=wrt), "jvp (forward mode)", source, before
    )
    if not _leaves_equal(before, args):
        raise fail("jvp changed the caller's arguments")
    if np.shape(pair[0]) != () or not _close(pair[0], value, EXACT):
        raise fail(f"jvp's value {pair[0]!r} is not the function's {value!r}")
    dotted = sum(float(np.sum(e * t)) for e, t in zip(expected, tangents))
    scale = sum(float(np.sum(np.abs(e * t))) for e, t in zip(expected, tangents))
    if np.shape(pair[1]) != () or not abs(pair[1] - dotted) <= TOLERANCE["rtol"] * scale + 1e-6:
        raise fail(f"forward-mode tangent {pair[1]!r} differs from finite differences {dotted!r}")


def confirm(fn: Callable, args: tuple, wrt: tuple[int, ...], expected: tuple) -> None:
    """Raise NotSmooth unless finite differences with a 10x smaller step agree."""
    default = finite_differences.RELATIVE_STEP
    finite_differences.RELATIVE_STEP = SECOND_STEP
    try:
        smaller = finite_differences.gradient(fn, args, wrt)
    finally:
        finite_differences.RELATIVE_STEP = default
    if not all(_close(a, b, TOLERANCE) for a, b in zip(expected, smaller)):
        raise NotSmooth
