"""A logistic regression's gradient over more data than one worker's memory, on a dask cluster,
against the same gradient on an in-memory NumPy array that fits.

    python benchmarks/dask_memory.py [--quick] [--limit 1GiB] [--rows 3000000]

starts a LocalCluster of two worker processes, one thread each, each capped with
`memory_limit`, and times srcgrad's gradient of the plain NumPy loss with the data a dask
array of `rows` x 50 float64 numbers (larger than one worker's limit), made chunk by chunk by
the workers from a seeded generator as the gradient is computed, never held whole. The same
graph without the gradient (the data made and summed once) is timed beside it: what making the
data costs. Then the gradient on NumPy arrays of a quarter of the rows, in memory. Printed:
median seconds, rows per second, and the peak memory of each worker process (its peak resident
set, `ru_maxrss`, before and after) and of the NumPy gradient (tracemalloc's peak). The dask
gradient is checked against NumPy's on the first chunk's rows first.
"""

from __future__ import annotations

import machine

machine.single_thread_environment()  # before NumPy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import srcgrad  # noqa: E402

FEATURES = 50
CHUNK = 100_000  # rows per chunk: 40 MB of float64


def loss(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def data(rows: int):
    """X (rows x FEATURES) and labels y, as dask arrays the workers make chunk by chunk."""
    import dask.array as da

    X = da.random.default_rng(1).normal(size=(rows, FEATURES), chunks=(CHUNK, FEATURES))
    truth = np.linspace(-1.0, 1.0, FEATURES)
    noise = da.random.default_rng(2).logistic(size=rows, chunks=CHUNK)
    y = (X @ truth + noise > 0) * 1.0
    return X, y


def peak_rss(client) -> dict:
    """Each worker process's peak resident set so far, in MiB."""

    def peak():
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (kB on Linux)

    return client.run(peak)


def median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, fewer rows")
    parser.add_argument("--limit", default="1GiB", help="memory_limit of each worker")
    parser.add_argument("--rows", type=int, default=None, help="rows of the dask data")
    options = parser.parse_args()
    import dask
    from distributed import Client, LocalCluster

    rows = options.rows or (1_500_000 if options.quick else 3_000_000)
    repeats = 1 if options.quick else 3
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=options.limit,
        dashboard_address=None,
    )
    client = Client(cluster)
    limit = next(iter(client.scheduler_info()["workers"].values()))["memory_limit"]
    X, y = data(rows)
    w = np.linspace(0.5, -0.5, FEATURES)
    gradient = srcgrad.grad(loss)

    # checked first: the rows of the first chunk, as dask arrays and as NumPy arrays
    head_X, head_y = dask.compute(X[:CHUNK], y[:CHUNK])
    expected = gradient(w, head_X, head_y)
    found = gradient(w, X[:CHUNK], y[:CHUNK]).compute()
    if not np.allclose(found, expected, rtol=1e-12, atol=1e-15):
        print("the dask gradient differs from NumPy's", file=sys.stderr)
        return 1

    before = peak_rss(client)
    making = median_seconds(lambda: dask.compute(X.sum(), y.sum()), repeats)
    on_dask = median_seconds(lambda: gradient(w, X, y).compute(), repeats)
    after = peak_rss(client)

    small = rows // 4
    numpy_X, numpy_y = dask.compute(X[:small], y[:small])
    client.close()
    cluster.close()
    on_numpy = median_seconds(lambda: gradient(w, numpy_X, numpy_y), repeats)
    tracemalloc.start()
    gradient(w, numpy_X, numpy_y)
    numpy_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    size = rows * (FEATURES + 1) * 8 / 2**20
    print("\n".join(machine.describe({"dask": dask.__version__})))
    print(f"2 worker processes x 1 thread, memory_limit {limit / 2**20:,.0f} MiB each\n")
    print(f"{'what':42} {'rows':>10} {'data MiB':>9} {'median s':>9} {'rows/s':>12}")
    print("-" * 86)
    lines = [
        ("dask: making and summing the data alone", rows, size, making),
        ("dask: srcgrad's gradient (data made in it)", rows, size, on_dask),
        ("NumPy in memory: srcgrad's gradient", small, size / 4, on_numpy),
    ]
    for what, count, mib, seconds in lines:
        print(f"{what:42} {count:>10,} {mib:>9,.0f} {seconds:>9.3f} {count / seconds:>12,.0f}")
    print("\npeak resident memory of each worker process (MiB), before and after the runs:")
    for address in sorted(after):
        print(f"  {address}: {before[address]:,.0f} -> {after[address]:,.0f}")
    print(f"NumPy gradient's own peak (tracemalloc): {numpy_peak:,.0f} MiB")
    print(f"\nthe dask data is {size / (limit / 2**20):.1f} x one worker's memory_limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
