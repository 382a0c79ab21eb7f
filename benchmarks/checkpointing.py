"""A long simulation's gradient in bounded memory: `srcgrad.checkpointed` on a heat equation.

    python benchmarks/checkpointing.py [--steps 100000] [--size 10000] [--snapshots 100]

integrates the explicit heat equation u <- u + k (roll(u, 1) - 2u + roll(u, -1)) for `steps`
steps over a periodic state of `size` float64s, and differentiates the final energy sum(u**2)
with respect to the initial state and k, the loop marked `srcgrad.checkpointed(range(n),
snapshots=100)`. It prints the forward's and the gradient's time (median of three), the peak
memory of each above what was allocated before the call (tracemalloc), the number of steps the
schedule ran plainly against the formula for the fewest runs, and checks the gradient at a
smaller size against the unmarked loop's (whose tape holds every step).
"""

from __future__ import annotations

import machine

machine.single_thread_environment()  # before NumPy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import srcgrad  # noqa: E402
from srcgrad.runtime import checkpoints  # noqa: E402

SNAPSHOTS = 100


def heat(u, k, n):
    for _ in srcgrad.checkpointed(range(n), snapshots=SNAPSHOTS):
        u = u + k * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))
    return np.sum(u * u)


def heat_taped(u, k, n):
    for _ in range(n):
        u = u + k * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))
    return np.sum(u * u)


def timed(call, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak(call) -> int:
    """The most memory `call` held at once, above what was held before it (bytes)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    call()
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return top - before


class Counted(checkpoints.Checkpoints):
    """The schedule, remembered for its count of plain runs."""

    latest = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        Counted.latest = self


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--check-steps", type=int, default=2_000)
    args = parser.parse_args()
    n, size = args.steps, args.size
    print("\n".join(machine.describe({})))
    u = np.sin(np.linspace(0.0, 2.0 * np.pi, size, endpoint=False))
    k = 0.2
    gradient = srcgrad.grad(heat, wrt=("u", "k"))

    # the smaller size: the same gradient as the loop whose tape holds every step
    small = args.check_steps
    got = gradient(u, k, small)
    want = srcgrad.grad(heat_taped, wrt=("u", "k"))(u, k, small)
    error = max(float(np.max(np.abs(g - w) / np.maximum(np.abs(w), 1e-300))) for g, w in
                zip(got, want))  # fmt: skip
    print(f"check at {small} steps against the taped loop: largest relative difference "
          f"{error:.1e}")  # fmt: skip
    assert error < 1e-12, error

    generated = gradient._latest.function  # (the code for this signature, called directly)
    forward_time = timed(lambda: heat(u, k, n))
    forward_peak = peak(lambda: heat(u, k, n))
    checkpoints.Checkpoints = Counted  # (what `checkpoints(...)` in the code makes)
    try:
        gradient_time = timed(lambda: generated(u, k, n))
        gradient_peak = peak(lambda: generated(u, k, n))
    finally:
        checkpoints.Checkpoints = Counted.__base__
    runs = Counted.latest.runs
    window = Counted.latest.window
    fewest = checkpoints.fewest_runs(n, SNAPSHOTS, window)
    r = checkpoints.repeats_needed(-(-n // window), SNAPSHOTS)
    state = u.nbytes
    print(f"\n{n:,} steps over {size:,} float64s ({state / 1e3:.0f} kB), {SNAPSHOTS} snapshots, "
          f"a tape of {window} steps")  # fmt: skip
    print(f"forward   {forward_time:8.2f} s   peak {forward_peak / 1e6:7.1f} MB")
    print(f"gradient  {gradient_time:8.2f} s   peak {gradient_peak / 1e6:7.1f} MB   "
          f"{gradient_time / forward_time:.2f}x the forward's time, "
          f"{(gradient_peak - forward_peak) / 1e6:.1f} MB above its peak")  # fmt: skip
    print(f"the taped loop's tape would hold {n * state / 1e9:.1f} GB")
    print(f"plain runs of a step: {runs:,} ({runs / n:.2f} per step, the forward's included); "
          f"the fewest for {SNAPSHOTS} snapshots and a tape of {window} steps: "
          f"r*n - w*C(s + r, r - 1) = {fewest:,} (r = {r}); taped runs: {n:,}")  # fmt: skip
    targets = [
        ("peak memory <= forward's + 50 MB", gradient_peak - forward_peak <= 50e6),
        ("gradient time <= 6x the forward's", gradient_time <= 6 * forward_time),
    ]
    print(f"load average at the end: {machine.load():.2f}")
    for text, holds in targets:
        print(f"  {'holds ' if holds else 'MISSED'} {text}")


if __name__ == "__main__":
    main()
