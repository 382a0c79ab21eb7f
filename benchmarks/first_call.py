"""The first gradient call in a new process, with the cache of generated code on disk warm and
with it off: what a multiprocessing worker or a script run again pays before its first gradient.

Each measurement starts a new interpreter that imports srcgrad and the benchmark's cases, makes
the arguments, then times the first `srcgrad.grad(f, wrt=...)(*args)` (and the second, for
comparison); `first_call_ms` is the median over `runs` processes. With the cache on, one untimed
process fills a temporary cache directory first (so the user's own cache is never touched).

    python benchmarks/first_call.py [--runs 5] [--cases neuron,mlp] [--sizes small]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_PROGRAM = """
import json, sys, time
sys.path.insert(0, {here!r})
import numpy as np
import srcgrad
import catalogue
case = catalogue.BY_NAME[{case!r}]
args = case.arguments({size!r})
gradient = case.by_hand if {by_hand!r} else srcgrad.grad(case.function, wrt=case.wrt)
times = []
for _ in range(2):
    start = time.perf_counter()
    gradient(*args)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def _process(case: str, size: str, environment: dict, by_hand: bool = False) -> tuple[float, float]:
    """(first call, second call) in seconds, in a new interpreter, of srcgrad's gradient or
    (`by_hand`) of the hand-written one."""
    program = _PROGRAM.format(here=str(HERE), case=case, size=size, by_hand=by_hand)
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    return first, second


def _environment(cache: str | None) -> dict:
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    environment.pop("SRCGRAD_CACHE_DIR", None)
    if cache is None:
        environment["SRCGRAD_CACHE"] = "0"
    else:
        environment["SRCGRAD_CACHE"] = "1"
        environment["SRCGRAD_CACHE_DIR"] = cache
    return environment


def first_calls_ms(
    case_name: str, size: str, cache: bool = True, runs: int = 5, by_hand: bool = False
) -> tuple:
    """Medians over `runs` new processes of the first and the second gradient call (ms), with
    a warm cache on disk (`cache=True`) or none; of the hand-written gradient (`by_hand`)."""
    folder = tempfile.mkdtemp(prefix="srcgrad-first-call-") if cache else None
    try:
        environment = _environment(folder)
        if cache and not by_hand:
            _process(case_name, size, environment)  # (fills the cache)
        times = [_process(case_name, size, environment, by_hand) for _ in range(runs)]
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    first = statistics.median(t[0] for t in times) * 1e3
    second = statistics.median(t[1] for t in times) * 1e3
    return first, second


def first_call_ms(case_name: str, size: str, cache: bool = True, runs: int = 5) -> float:
    """Median ms of the first `srcgrad.grad(f)(*args)` in a new process (cache warm, or off)."""
    return first_calls_ms(case_name, size, cache, runs)[0]


def cached_first_call_ms(case_name: str, size: str) -> float:
    """Median ms the first gradient call in a new process whose cache on disk is warm takes
    more than the second call of that process, less what the hand-written gradient's first
    call takes more than its second in a new process: what finding the code costs, without
    the gradient's own time (tens of milliseconds at the large sizes) and without what any
    NumPy code pays on its first call, which touches its memory for the first time."""
    first, second = first_calls_ms(case_name, size, cache=True)
    hand_first, hand_second = first_calls_ms(case_name, size, cache=False, by_hand=True)
    return (first - second) - max(0.0, hand_first - hand_second)


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(HERE))
    import catalogue

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default=",".join(c.name for c in catalogue.CASES))
    parser.add_argument("--sizes", default="small,large")
    options = parser.parse_args(argv)
    print(f"first gradient call in a new process: median of {options.runs} processes, ms")
    print("(cache warm; cache off; the second call of the same process; warm minus second;")
    print(" the hand-written gradient's first call minus its second, in a new process)")
    header = (
        f"{'case':<11}{'size':<7}{'cache warm':>12}{'cache off':>12}{'second':>10}"
        f"{'warm-second':>13}{'hand':>8}"
    )
    print(header)
    print("-" * len(header))
    for name in options.cases.split(","):
        case = catalogue.BY_NAME[name]
        for size in options.sizes.split(","):
            if size not in case.sizes:
                continue
            try:
                warm, second = first_calls_ms(name, size, True, options.runs)
                off, _ = first_calls_ms(name, size, False, options.runs)
                hand = first_calls_ms(name, size, False, options.runs, by_hand=True)
            except subprocess.CalledProcessError as exc:
                why = (exc.stderr or "").strip().splitlines()[-1:] or ["?"]
                print(f"{name:<11}{size:<7}  failed: {why[0][:100]}")
                continue
            print(
                f"{name:<11}{size:<7}{warm:>12.2f}{off:>12.2f}{second:>10.2f}"
                f"{warm - second:>13.2f}{hand[0] - hand[1]:>8.2f}"
            )


if __name__ == "__main__":
    main()
