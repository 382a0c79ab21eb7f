"""The ways to add `g` back where `x[idx]` read it (the adjoint of a gather), timed on this
machine's NumPy at the shapes srcgrad generates code for.

    python benchmarks/scatter.py [--quick]

prints, as a Markdown table, per shape the median µs of each way that applies: zeros and
`np.add.at`, `np.bincount` (for rows: of the element numbers), a stable sort and
`np.add.reduceat`, and, for rows, one `np.bincount` per column; the fastest is marked `*`, and
the last column names the way srcgrad's generated code takes for that shape (a vector's
positions: `np.bincount`; rows: `srcgrad.runtime.scatter_way`, which these numbers decided).
The ways srcgrad uses are timed as it runs them (`np.bincount` inline, `rows_added`).
"""

from __future__ import annotations

import machine

machine.single_thread_environment()  # before NumPy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

from srcgrad.runtime import rows_added, scatter_way  # noqa: E402


def add_at(g, idx, n):
    if g.ndim > 1:
        return rows_added(g, idx, n, "add.at")
    out = np.zeros(n)
    np.add.at(out, idx, g)
    return out


def bincount(g, idx, n):
    if g.ndim > 1:
        return rows_added(g, idx, n, "bincount")  # (of the element numbers)
    return np.bincount(idx, weights=g, minlength=n)  # (as generated code writes it)


def columns(g, idx, n):
    return rows_added(g, idx, n, "columns")


def sorted_sums(g, idx, n):
    order = np.argsort(idx, kind="stable")
    ordered = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    out = np.zeros((n,) + g.shape[1:], g.dtype)
    out[ordered[starts]] = np.add.reduceat(g[order], starts, axis=0)
    return out


WAYS = {"add.at": add_at, "bincount": bincount, "per column": columns, "sort": sorted_sums}


def shapes(quick: bool):
    """(rows of x, width of a row or None for a vector, length of idx)."""
    for n in (10, 1000, 10**5 if quick else 10**6):
        for length in (max(1, n // 10), n, 10 * n if n < 10**5 else 4 * n):
            yield n, None, length
    for width in (1, 8, 100):
        for n, length in ((10, 10), (1000, 100), (1000, 10000), (10**4 if quick else 10**5, 10**4)):
            yield n, width, length


def median_us(call, quick: bool) -> float:
    number, _ = timeit.Timer(call).autorange()
    runs = timeit.repeat(
        call, number=max(1, number // (10 if quick else 2)), repeat=3 if quick else 7
    )
    return statistics.median(runs) / max(1, number // (10 if quick else 2)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}; median µs per adjoint of x[idx], float64\n")
    print("| x shape | len(idx) | " + " | ".join(WAYS) + " | srcgrad |")
    print("|---|---:|" + "---:|" * len(WAYS) + "---|")
    for n, width, length in shapes(quick):
        idx = rng.integers(0, n, length)
        g = rng.normal(size=(length,) if width is None else (length, width))
        want = add_at(g, idx, n)
        cells = {}
        for name, way in WAYS.items():
            if name == "per column" and width is None:
                continue
            assert np.allclose(way(g, idx, n), want), name
            cells[name] = median_us(lambda way=way, g=g, idx=idx, n=n: way(g, idx, n), quick)
        best = min(cells, key=cells.get)
        shape = f"({n},)" if width is None else f"({n}, {width})"
        row = " | ".join(
            "" if name not in cells else f"{cells[name]:.3g}{' *' if name == best else ''}"
            for name in WAYS
        )
        chosen = "bincount" if width is None else _named(scatter_way(n, width, length))
        print(f"| {shape} | {length:,} | {row} | {chosen} |")


def _named(way: str) -> str:
    return {"columns": "per column", "bincount": "bincount", "add.at": "add.at"}[way]


if __name__ == "__main__":
    main()
