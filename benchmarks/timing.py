"""Measurements: median time per call, peak memory of one call, srcgrad's transformation time.

Times are `timeit`-style: the number of calls per run grows (1, 2, 5, 10, 20, ...) until one run
takes `min_time`, the garbage collector is off while a run is timed, and the result is the median
over `repeats` runs of the time per call; the runs of the methods compared are interleaved.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import srcgrad


def _run(call: Callable[[], object], number: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return time.perf_counter() - start
    finally:
        gc.enable()


def _autorange(call: Callable[[], object], min_time: float) -> int:
    step = 1
    while True:
        for factor in (1, 2, 5):
            number = step * factor
            if _run(call, number) >= min_time:
                return number
        step *= 10


def per_call(calls: dict[str, Callable[[], object]], min_time: float, repeats: int) -> dict:
    """Median seconds per call of each of `calls`. The runs are interleaved (a run of each call,
    then again), so that a phase in which the machine is busy with something else slows every
    method alike and the ratios between them stay meaningful."""
    gc.collect()  # once: a full collection costs tens of ms once JAX and torch are loaded
    numbers = {name: _autorange(call, min_time) for name, call in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            samples[name].append(_run(call, numbers[name]) / numbers[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_memory(call: Callable[[], object]) -> int:
    """Bytes allocated at the peak of one call, above what was live before it (NumPy reports its
    array buffers to tracemalloc, so this counts arrays and Python objects alike)."""
    call()  # first-call caches are not part of the cost
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1] - before
        del result
    finally:
        tracemalloc.stop()
    return peak


def transformation(fresh: Callable[[], Callable], wrt: tuple, args: tuple, repeats: int) -> float:
    """Median seconds srcgrad spends generating code on a first call: the first call of
    `grad(f)(*args)` for a new function object `f` (so the cache misses) minus the cached call
    that follows it (paired, so that slow phases of a busy machine cancel)."""
    differences = []
    for _ in range(repeats):
        gradient = srcgrad.grad(fresh(), wrt=wrt)
        times = []
        for _ in range(2):
            start = time.perf_counter()
            gradient(*args)
            times.append(time.perf_counter() - start)
        differences.append(times[0] - times[1])
    return statistics.median(differences)


_IMPORT = (
    "import time, numpy; start = time.perf_counter(); import srcgrad; "
    "print(time.perf_counter() - start)"
)


def import_time(repeats: int) -> float:
    """Median seconds `import srcgrad` takes in a new interpreter that has imported NumPy
    (srcgrad's own modules and rules; SciPy's rules wait until the program imports SciPy)."""
    runs = [
        float(subprocess.run([sys.executable, "-c", _IMPORT], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(repeats)
    ]  # fmt: skip
    return statistics.median(runs)
