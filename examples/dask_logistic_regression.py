"""A logistic regression fit on a dask cluster: the data is a dask array chunked by rows, the
weights a NumPy array, and srcgrad's gradient of the plain NumPy loss is a dask graph that the
workers compute chunk by chunk and sum.

    python examples/dask_logistic_regression.py                     # a LocalCluster, 2 workers
    python examples/dask_logistic_regression.py tcp://host:8786     # a running scheduler

Needs `pip install 'srcgrad[dask]'`. The script checks its gradient against the same gradient
on the data as one NumPy array, and that the fit lowers the loss.
"""

import sys

import numpy as np

import srcgrad


def loss(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def main(address=None):
    try:
        import dask
        import dask.array as da
        from distributed import Client, LocalCluster
    except ImportError:
        print("this example needs dask: pip install 'srcgrad[dask]'")
        return

    if address is None:  # two worker processes on this machine, each with little memory
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="500MiB", dashboard_address=None
        )
        client = Client(cluster)
    else:  # a scheduler that runs elsewhere: `dask scheduler`, then `dask worker ADDRESS`
        cluster, client = None, Client(address)

    rng = np.random.default_rng(0)
    rows, features = 200_000, 10
    true_w = rng.normal(size=features)
    # the data, made by the workers in chunks of 50,000 rows: it never sits on this machine
    X = da.random.default_rng(1).normal(size=(rows, features), chunks=(50_000, features))
    y = (X @ true_w + da.random.default_rng(2).logistic(size=rows, chunks=50_000) > 0) * 1.0
    X, y = dask.persist(X, y)  # (kept in the workers' memory between the steps)

    value_and_grad = srcgrad.value_and_grad(loss)
    w = np.zeros(features)
    first = None
    for step in range(8):
        value, gradient = value_and_grad(w, X, y)  # a graph: nothing is computed yet
        value, gradient = dask.compute(value, gradient)  # the workers compute and sum it
        first = value if first is None else first
        w = w - 2.0 * gradient
        print(f"step {step}: loss {value:.4f}")

    print("\nthe gradient srcgrad generated for these arguments:\n")
    print(value_and_grad.source)

    # the same gradient on a slice of the data that fits in memory, as NumPy arrays
    head_X, head_y = dask.compute(X[:1000], y[:1000])
    on_numpy = srcgrad.grad(loss)(w, head_X, head_y)
    on_dask = srcgrad.grad(loss)(w, X[:1000], y[:1000]).compute()
    assert np.allclose(on_dask, on_numpy, rtol=1e-12, atol=1e-14)
    assert value < first
    print(f"loss {first:.4f} -> {value:.4f}; the dask gradient equals NumPy's")

    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
