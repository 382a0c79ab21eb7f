"""Where a gradient's time goes: srcgrad's generated code, each line with the time spent on it.

    python benchmarks/lines.py rnn large [--calls 20]

prints the generated source of one case at one size, each line prefixed by the median time
(µs per gradient call, loop iterations summed) and the number of times it ran per call, then
the hand-written gradient's total for comparison. Lines are timed with `sys.settrace`, which
adds about a microsecond per line: meaningful for the large sizes, where lines take milliseconds.
"""

from __future__ import annotations

import machine

machine.single_thread_environment()  # before NumPy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402

import catalogue  # noqa: E402

import srcgrad  # noqa: E402


def line_times(function, args: tuple) -> tuple[dict[int, float], dict[int, int]]:
    """Seconds and hits per line of `function` in one call."""
    code = function.__code__
    seconds: dict[int, float] = defaultdict(float)
    hits: dict[int, int] = defaultdict(int)
    last = [None, 0.0]

    def local(frame, event, _):
        now = time.perf_counter()
        if last[0] is not None:
            seconds[last[0]] += now - last[1]
        last[0] = frame.f_lineno if event == "line" else None
        if event == "line":
            hits[frame.f_lineno] += 1
        last[1] = time.perf_counter()
        return local

    def outer(frame, event, _):
        return local if frame.f_code is code else None

    sys.settrace(outer)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return seconds, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=list(catalogue.BY_NAME))
    parser.add_argument("size", choices=["small", "large"])
    parser.add_argument("--calls", type=int, default=20, help="calls to take the median of")
    options = parser.parse_args()
    machine.pin_threads([])
    case = catalogue.BY_NAME[options.case]
    args = case.arguments(options.size)
    gradient = srcgrad.grad(case.function, wrt=case.wrt)
    gradient(*args)
    generated = gradient._latest
    runs = [line_times(generated.function, args) for _ in range(options.calls)]
    first = generated.function.__code__.co_firstlineno
    for number, text in enumerate(generated.source.splitlines(), start=first):
        median = statistics.median(run[0].get(number, 0.0) for run in runs) * 1e6
        count = runs[0][1].get(number, 0)
        timing = f"{median:10.1f} µs {count:4d}x" if count else " " * 19
        print(f"{timing}  {text}")
    total = statistics.median(sum(run[0].values()) for run in runs) * 1e6
    hand = []
    for _ in range(options.calls):
        start = time.perf_counter()
        case.by_hand(*args)
        hand.append(time.perf_counter() - start)
    print(
        f"\ngenerated, traced: {total:.1f} µs; hand-written: {statistics.median(hand) * 1e6:.1f} µs"
    )


if __name__ == "__main__":
    main()
