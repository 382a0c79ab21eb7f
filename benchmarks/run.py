"""Benchmark srcgrad's gradients against hand-written NumPy and the installed peers.

    python benchmarks/run.py [--quick] [--cases rnn,mlp] [--sizes small] [--peers torch]

prints, per case and size, the median time of one gradient call for the hand-written gradient,
srcgrad and every installed peer (HIPS autograd, JAX with and without jit, torch on the CPU),
then srcgrad's detail (gradient / forward time, peak memory, transformation time, the cost of
the cached look-up), the lines of srcgrad's generated gradient against the hand-written one
(readability.py), and the targets of the performance and readability issues; the first call
in a new process that finds the code in srcgrad's cache is timed by first_call.py where that
module is present. Every gradient is checked against
the hand-written one before it is timed; the exit status is 1 if any check failed.
Everything runs on one thread. Unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for real numbers.
"""

from __future__ import annotations

import machine

machine.single_thread_environment()  # before NumPy is imported

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import catalogue  # noqa: E402
import numpy as np  # noqa: E402
import peers  # noqa: E402
import readability  # noqa: E402
import report  # noqa: E402
import timing  # noqa: E402


@dataclass(frozen=True)
class Settings:
    min_time: float  # seconds per timed run
    repeats: int  # timed runs per median
    transformations: int  # uncached transformations per median


FULL = Settings(min_time=0.2, repeats=7, transformations=7)
QUICK = Settings(min_time=0.02, repeats=3, transformations=2)


def check(name: str, got, want) -> None:
    """Raise AssertionError unless `got` matches the hand-written gradients `want`."""
    assert len(got) == len(want), f"{name}: {len(got)} gradients, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert np.shape(g) == np.shape(w), f"{name}: gradient {i} shape {np.shape(g)}"
        error = np.max(np.abs(np.asarray(g) - w) / (1e-9 + np.abs(w)), initial=0.0)
        assert np.allclose(g, w, rtol=1e-6, atol=1e-9), f"{name}: gradient {i} off by {error:.1e}"


def prepare(name: str, case, args) -> peers.Method:
    if name == "srcgrad":
        return peers.srcgrad_grad(case, args)
    return peers.MAKERS[name](case, args)


def measure(case, size: str, methods: list[str], settings: Settings, failures: list) -> report.Row:
    args = case.arguments(size)
    row = report.Row(case.name, size)
    ready = {"forward": peers.forward(case, args)}
    want = case.by_hand(*args)
    for name in ["hand", *methods]:
        try:
            method = peers.by_hand(case, args) if name == "hand" else prepare(name, case, args)
            check(name, method.gradients(method.call()), want)
        except peers.Unavailable as why:
            row.times[name] = f"n/a {why}"
            continue
        except Exception as error:  # a wrong or failing gradient: reported, never timed
            row.times[name] = "FAIL"
            failures.append(f"{case.name}/{size} {name}: {type(error).__name__}: {error}")
            continue
        ready[name] = method
    calls = {name: method.call for name, method in ready.items()}
    row.times.update(timing.per_call(calls, settings.min_time, settings.repeats))
    row.forward = row.times.pop("forward")
    for name, method in ready.items():
        if method.numpy_memory and name != "forward":
            row.memory[name] = timing.peak_memory(method.call)
    if "srcgrad" in ready:
        _measure_srcgrad(case, args, row, settings)
    return row


def _measure_srcgrad(case, args, row: report.Row, settings: Settings) -> None:
    fresh = lambda: peers.fresh_copy(case.function)  # noqa: E731
    row.transformation = timing.transformation(fresh, case.wrt, args, settings.transformations)
    if row.size == "small":  # at large sizes the difference drowns in the arithmetic's noise
        calls = {
            "direct": peers.srcgrad_direct(case, args).call,
            "through": peers.srcgrad_grad(case, args).call,
        }
        # shorter, more numerous runs: a difference of a few µs needs fine interleaving
        times = timing.per_call(calls, settings.min_time / 4, settings.repeats * 4)
        row.overhead = times["through"] - times["direct"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test")
    parser.add_argument("--cases", help="comma-separated: " + ",".join(catalogue.BY_NAME))
    parser.add_argument("--sizes", default="small,large", help="comma-separated: small,large")
    parser.add_argument("--peers", help="comma-separated, default every installed one")
    options = parser.parse_args()
    names = options.cases.split(",") if options.cases else list(catalogue.BY_NAME)
    unknown = [n for n in names if n not in catalogue.BY_NAME]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {', '.join(catalogue.BY_NAME)}")
    options.cases = [catalogue.BY_NAME[n] for n in names]
    options.sizes = options.sizes.split(",")
    chosen = options.peers.split(",") if options.peers else list(peers.PEERS)
    options.peers = [p for p in chosen if p in peers.PEERS and peers.installed(p)]
    return options


def main() -> int:
    options = arguments()
    limiter = machine.pin_threads(options.peers)  # noqa: F841  (kept alive for the whole run)
    settings = QUICK if options.quick else FULL
    versions = {p: importlib.metadata.version(p) for p in options.peers if "." not in p}
    print("\n".join(machine.describe(versions)))
    methods = ["srcgrad", *options.peers]
    rows, failures, measured = [], [], []
    for case in options.cases:
        for size in options.sizes:
            if size in case.sizes:
                rows.append(measure(case, size, methods, settings, failures))
                measured.append(case)
                print(f"  measured {case.name}/{size}", file=sys.stderr, flush=True)
    imported = timing.import_time(5)
    lines = [readability.measure(case, row.size) for case, row in zip(measured, rows)]
    targets = report.targets(rows, imported) + readability.targets(lines)
    targets += report.first_call_target(first_call_times(rows))
    print_report(rows, methods, "quick" if options.quick else "full", lines, targets)
    print(f"load average at the end: {machine.load():.2f}")
    for failure in failures:
        print("CHECK FAILED:", failure)
    return 1 if failures else 0


def first_call_times(rows: list[report.Row]) -> dict[str, float | str] | None:
    """Per case and size, milliseconds of the first gradient call in a new process whose code
    srcgrad has cached (first_call.py); None where that module is not there."""
    try:
        from first_call import cached_first_call_ms
    except ImportError:
        return None
    times: dict[str, float | str] = {}
    for row in rows:
        try:
            times[f"{row.case}/{row.size}"] = float(cached_first_call_ms(row.case, row.size))
        except Exception as error:  # reported in the target line, never fatal
            times[f"{row.case}/{row.size}"] = f"{type(error).__name__}: {error}"
    return times


def print_report(
    rows: list[report.Row],
    methods: list[str],
    run: str,
    readable: list[readability.Lines],
    targets: list[str],
) -> None:
    sections = [
        (f"Median µs per gradient call, and time / hand-written ({run} run)",
         report.timing_table(rows, methods)),
        ("srcgrad: gradient / forward time; peak memory of one call (hand, then srcgrad and "
         "autograd relative to it); first-call transformation; cached grad(f)(*args) minus the "
         "generated function called directly",
         report.detail_table(rows)),
        ("", report.means(rows, methods)),
        ("Lines of code (without the def line, docstring, comments and blank lines): srcgrad's "
         "generated gradient for these arguments, of them `del` of large arrays, hand-written",
         readability.table(readable)),
        ("Targets (srcgrad / hand-written):",
         ["  " + line for line in targets]),
    ]  # fmt: skip
    for title, lines in sections:
        print(f"\n{title}" if title else "")
        print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
