"""Dump the code srcgrad generates for every function of the test corpora, as one text.

    python tests/tools/dump_generated.py > before.txt   # ... change srcgrad ...
    python tests/tools/dump_generated.py > after.txt && diff before.txt after.txt

A change that means to change no behaviour (a restructuring) must leave this output byte for
byte the same. For each function it runs, with srcgrad's caches emptied first: `grad`,
`value_and_grad`, `grad` with `check_finite=True`, `jvp` (forward mode), and `hessian` where the
differentiated argument is small; it prints every function srcgrad generates on the way (the
callees' `vjp_`/`jvp_` code included), in the order they are made, and the error where srcgrad
refuses. The functions: the corpora (`corpus.py`, its control-flow and real-world parts), the
functions found by the random-program runs, the golden and example functions, and a fixed set
of random programs (`--programs N`, 200 by default; hypothesis draws them derandomized, so the
same hypothesis version gives the same programs).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import re
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
# (srcgrad itself from this checkout, whatever is installed)
for folder in (TESTS / "fixtures", TESTS, TESTS.parent / "examples", TESTS.parent):
    if folder.is_dir():
        sys.path.insert(0, str(folder))

import srcgrad  # noqa: E402

_made: list[str] = []


def _recording():
    """Record the source of every function srcgrad generates."""
    from srcgrad import pipeline

    original = pipeline.gradient

    def gradient(*args, **kwargs):
        made = original(*args, **kwargs)
        _made.append(made.source)
        return made

    return original, gradient


def _empty_caches() -> None:
    from srcgrad.api.gradient import forget_generated_code

    forget_generated_code()


def _one(label: str, call, out: io.StringIO) -> None:
    _made.clear()
    try:
        call()
        outcome = "ok"
    except srcgrad.SrcgradError as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # (a crash is part of what is recorded)
        outcome = f"crash {type(exc).__name__}: {exc}"
    out.write(f"---- {label}: {_base_names(outcome)}\n")
    for text in _made:
        out.write(_base_names(text))
        out.write("\n")


def _base_names(text: str) -> str:
    """Files named by their base name: the output does not depend on where they are."""
    return re.sub(r"(?:/[^/\s:'\"]+)+/([^/\s:'\"]+\.py)", r"\1", text)


def _random_like(value, rng):
    if isinstance(value, dict):
        return {key: _random_like(value[key], rng) for key in value}
    if isinstance(value, (list, tuple)):
        return type(value)(_random_like(part, rng) for part in value)
    if isinstance(value, np.ndarray):
        dtype = value.dtype if value.dtype.kind == "f" else np.float64
        return rng.standard_normal(value.shape).astype(dtype)
    return float(rng.standard_normal())


def _small_scalar_argument(value) -> bool:
    if isinstance(value, (list, tuple, dict)) or np.size(value) > 12:
        return False
    return not (isinstance(value, np.ndarray) and value.dtype != np.float64)


def dump_function(name: str, fn, args: tuple, wrt, out: io.StringIO) -> None:
    import finite_differences

    out.write(f"==== {name}\n")
    indices, _ = finite_differences.wrt_indices(fn, wrt)
    _empty_caches()
    _one("grad", lambda: srcgrad.grad(fn, wrt=wrt)(*args), out)
    _empty_caches()
    _one("value_and_grad", lambda: srcgrad.value_and_grad(fn, wrt=wrt)(*args), out)
    _empty_caches()
    _one("check_finite", lambda: srcgrad.grad(fn, wrt=wrt, check_finite=True)(*args), out)
    _empty_caches()
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 7)
    tangents = tuple(_random_like(args[i], rng) for i in indices)
    _one("jvp", lambda: srcgrad.jvp(fn, args, tangents, wrt=tuple(indices)), out)
    if not isinstance(wrt, (tuple, list)) and _small_scalar_argument(args[indices[0]]):
        _empty_caches()
        _one("hessian", lambda: srcgrad.hessian(fn, wrt=wrt)(*args), out)


def corpus_functions():
    import corpus
    import corpus_control  # noqa: F401  (registers its cases)
    import corpus_realworld  # noqa: F401

    for item in corpus.CASES:
        rng = np.random.default_rng(zlib.crc32(item.name.encode()))
        yield f"corpus {item.name}", item.fn, tuple(item.inputs(rng)), item.wrt


def found_functions():
    import random_programs_found

    for case in random_programs_found.CASES:
        yield f"found {case.fn.__name__}", case.fn, tuple(case.arguments()), case.wrt


def golden_functions():
    import golden_functions as golden
    import neuron

    rng = np.random.default_rng(0)
    x, w, y = rng.normal(size=(8, 3)), rng.normal(size=3), rng.integers(0, 2, 8).astype(float)
    yield "golden logistic_loss", golden.logistic_loss, (w, x, y), 0
    W1, b1 = rng.normal(size=(3, 4)), rng.normal(size=4)
    W2, b2 = rng.normal(size=(4, 2)), rng.normal(size=2)
    onehot = np.eye(2)[rng.integers(0, 2, 6)]
    mlp_args = (W1, b1, W2, b2, rng.normal(size=(6, 3)), onehot)
    yield "golden mlp_loss", golden.mlp_loss, mlp_args, (0, 1, 2, 3)
    yield "example neuron", neuron.loss, (2.0, 1.0, 2.0, 3.0, 4.0), (1, 2, 3, 4)


def random_functions(count: int):
    from hypothesis import HealthCheck, given, settings
    from random_programs import programs

    folder = Path(tempfile.mkdtemp(prefix="srcgrad_dump_"))
    drawn = []

    @settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(programs(6))
    def draw(program):
        drawn.append(program)

    draw()
    for number, program in enumerate(drawn):
        name = f"random_program_{number}"
        path = folder / f"{name}.py"
        path.write_text(program.source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            continue
        yield f"random {number}", module.f, program.arguments(), program.wrt


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=200, help="random programs to dump")
    options = parser.parse_args(argv)
    original, recording = _recording()
    from srcgrad import pipeline

    pipeline.gradient = recording
    _patch_callers(recording)
    out = io.StringIO()
    sources = [corpus_functions(), found_functions(), golden_functions()]
    sources.append(random_functions(options.programs))
    np.seterr(all="ignore")
    for source in sources:
        for name, fn, args, wrt in source:
            with contextlib.redirect_stderr(io.StringIO()):
                dump_function(name, fn, args, wrt, out)
    text = out.getvalue()
    assert text.count("\ndef ") > 1000, "hardly any generated code was recorded"
    sys.stdout.write(text)


def _patch_callers(recording) -> None:
    """The modules that call the pipeline by a name of their own."""
    from srcgrad.api import gradient

    assert hasattr(gradient, "gradient"), "the public layer no longer calls pipeline.gradient"
    gradient.gradient = recording


if __name__ == "__main__":
    main()
