"""The same generated gradients on other array libraries: dask arrays on a real cluster
(dask.distributed's LocalCluster, two worker processes) and CuPy arrays (skipped where there is
no GPU).

Corpus functions run in two placements. `data`: the data arguments are dask arrays chunked by
rows and the differentiated ones NumPy arrays (a data-parallel gradient, summed over chunks);
`param`: every argument is a dask array, the differentiated ones included (a gradient of the
same chunks). In both, reverse and forward mode give NumPy's result to 1e-12, the call builds
a graph and computes nothing (a branch on a reduced value computes that one number, as NumPy
would), and the graph is computed by the cluster's workers.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.analyse.shapes import of_value
from srcgrad.runtime.containers import is_record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import corpus
import corpus_control  # noqa: F401  (registers the control-flow cases)
import corpus_realworld  # noqa: F401  (and the real-world ones)
import finite_differences

# corpus function -> the arguments that are data in the `data` placement (the others are
# differentiated there); None: one array argument, run in the `param` placement only
CASES = {
    "multiply_arrays": (1,),  # elementwise
    "np_where": (1,),  # elementwise, a mask
    "softmax_cross_entropy": (1,),  # reductions along an axis, keepdims, a maximum
    "layer_norm": (0,),  # means along the last axis, broadcasting
    "matmul_operator": (0,),  # a matrix product
    "broadcast_bias": (0,),  # broadcasting a bias over rows
    "ridge": (1, 2),  # a regression: dot products over the rows of data
    "mlp_two_layer": (4, 5),  # a network over a batch
    "repeated_integer_index": None,  # indexing, a position read twice
    "worst_group_loss": (1, 2),  # slices of the data, Python's max over a list
    "rnn_tanh": (2,),  # a loop over the rows of the data
    "enumerate_rows": (1,),  # a loop over an array's rows
    "if_without_else_reassigns": (1,),  # a branch on a reduced value
    "conditional_expression": (1,),  # conditional expressions on reduced values
}
# cases that branch on a value: the call computes that value (a number), as NumPy does
DECIDES = {"worst_group_loss", "if_without_else_reassigns", "conditional_expression"}

PLACEMENTS = [
    pytest.param(name, placement, id=f"{name}-{placement}")
    for name, data in CASES.items()
    for placement in ("data", "param")
    if placement == "param" or data is not None
]


# ---- the array libraries -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two worker processes with little memory each, the default client of
    this module's tests; closed at the end."""
    distributed = pytest.importorskip("distributed")
    made = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="400MiB",
        dashboard_address=None,
    )
    client = distributed.Client(made)
    yield client
    client.close()
    made.close()


class Library:
    """How a test makes arrays of one library, and reads them back as NumPy arrays."""

    def __init__(self, name: str, client=None):
        self.name = name
        self.client = client

    def array(self, value: np.ndarray):
        if self.name == "dask":
            import dask.array as da

            rows = max(1, (value.shape[0] + 1) // 2)  # two chunks of rows
            return da.from_array(value, chunks=(rows, *value.shape[1:]))
        if self.name == "cupy":
            import cupy

            return cupy.asarray(value)
        return value

    def numpy(self, values: list) -> list:
        """Each value as NumPy's: a dask graph computed by the cluster's workers."""
        if self.name == "dask":
            import dask.array as da

            lazy = [i for i, v in enumerate(values) if isinstance(v, da.Array)]
            done = self.client.gather(self.client.compute([values[i] for i in lazy]))
            values = list(values)
            for i, value in zip(lazy, done):
                values[i] = value
        if self.name == "cupy":
            import cupy

            values = [cupy.asnumpy(v) if isinstance(v, cupy.ndarray) else v for v in values]
        return [np.asarray(v) for v in values]

    def moves(self, placement: str, differentiated: bool) -> bool:
        """Whether an argument becomes this library's array: in the `data` placement a dask
        run keeps the differentiated arguments NumPy's (CuPy and NumPy do not mix)."""
        return not (placement == "data" and differentiated and self.name == "dask")


def _cupy_reason() -> str | None:
    try:
        import cupy
    except ImportError:
        return "cupy is not installed (pip install 'srcgrad[cupy]' on a machine with a GPU)"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # (no driver, no device)
        return f"cupy finds no GPU: {type(exc).__name__}: {exc}"
    return None if count else "cupy finds no GPU"


@pytest.fixture(params=["numpy", "dask", "cupy"])
def library(request) -> Library:
    if request.param == "dask":
        pytest.importorskip("dask.array")
        return Library("dask", request.getfixturevalue("cluster"))
    if request.param == "cupy":
        reason = _cupy_reason()
        if reason is not None:
            print(f"\nskipped: the CuPy runs: {reason}")
            pytest.skip(reason)
    return Library(request.param)


class Watched:
    """A dask scheduler that counts what is computed while a gradient is made (none of it,
    but for a branch's decision), computing it on the cluster."""

    def __init__(self, client):
        self.client = client
        self.sizes: list[int] = []

    def __call__(self, graph, keys, **kwargs):
        results = self.client.get(graph, keys, **kwargs)
        self.sizes.append(sum(int(np.size(r)) for r in _flat(results)))
        return results

    def __enter__(self):
        import dask

        self._config = dask.config.set(scheduler=self)
        self._config.__enter__()
        return self

    def __exit__(self, *exc):
        self._config.__exit__(*exc)


def _flat(value) -> list:
    if isinstance(value, (list, tuple)):
        return [leaf for part in value for leaf in _flat(part)]
    return [value]


# ---- the corpus on each library ----------------------------------------------------------------


def _case(name: str) -> corpus.Case:
    return next(item for item in corpus.CASES if item.name == name)


def _setup(name: str, placement: str, library: Library):
    """The case, its NumPy arguments, the arguments as the test passes them, and `wrt`."""
    item = _case(name)
    args = tuple(item.inputs(np.random.default_rng(zlib.crc32(item.name.encode()))))
    data = CASES[name] if placement == "data" else ()
    if placement == "data":
        wrt = tuple(i for i, a in enumerate(args) if i not in data and isinstance(a, np.ndarray))
    else:
        wrt = item.wrt
    indices, _ = finite_differences.wrt_indices(item.fn, wrt)
    given = tuple(
        library.array(a)
        if isinstance(a, np.ndarray) and library.moves(placement, i in indices)
        else a
        for i, a in enumerate(args)
    )
    return item, args, given, wrt, indices


def _close(got: list, want: list, what: str) -> None:
    for g, w in zip(got, want, strict=True):
        scale = float(np.max(np.abs(w))) if np.size(w) else 1.0
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


def _lazy(name: str, library: Library):
    """The watch on computes during the call (dask), or nothing to watch."""
    if library.name != "dask":
        import contextlib

        return contextlib.nullcontext()
    return Watched(library.client)


def _check_lazy(watch, name: str) -> None:
    if watch is None:
        return
    if name in DECIDES:
        assert all(size <= 1 for size in watch.sizes), watch.sizes  # (the decisions alone)
    else:
        assert watch.sizes == [], f"the gradient call computed {watch.sizes}"


@pytest.mark.parametrize(("name", "placement"), PLACEMENTS)
def test_reverse_mode(name: str, placement: str, library: Library):
    item, args, given, wrt, indices = _setup(name, placement, library)
    want = srcgrad.grad(item.fn, wrt=tuple(indices))(*args)
    with _lazy(name, library) as watch:
        got = srcgrad.grad(item.fn, wrt=tuple(indices))(*given)
    _check_lazy(watch, name)
    assert len(got) == len(indices)
    for i, gradient in zip(indices, got):
        if library.name == "dask" and given[i] is not args[i]:  # a dask argument's gradient
            assert type(gradient) is type(given[i])
            assert gradient.chunks == given[i].chunks
    _close(library.numpy(list(got)), [np.asarray(w) for w in want], f"{name}: gradient")


@pytest.mark.parametrize(("name", "placement"), PLACEMENTS)
def test_forward_mode(name: str, placement: str, library: Library):
    item, args, given, wrt, indices = _setup(name, placement, library)
    rng = np.random.default_rng(7)
    tangents = tuple(rng.standard_normal(np.shape(args[i])) for i in indices)
    moved = tuple(
        library.array(t) if given[i] is not args[i] else t for i, t in zip(indices, tangents)
    )
    value, tangent = srcgrad.jvp(item.fn, args, tangents, wrt=tuple(indices))
    with _lazy(name, library) as watch:
        got_value, got_tangent = srcgrad.jvp(item.fn, given, moved, wrt=tuple(indices))
    _check_lazy(watch, name)
    _close(library.numpy([got_value, got_tangent]), [value, tangent], f"{name}: jvp")


# ---- what a dask array is to srcgrad, and what it refuses ------------------------------------


def test_a_dask_array_is_an_array_of_its_own_type():
    da = pytest.importorskip("dask.array")
    x = da.ones((6, 3), chunks=(3, 3))
    assert not is_record(x)  # (its class is no parameter tree of the user's)
    assert of_value(x) == ((6, 3), np.dtype(float), type(x))
    unknown = x[x[:, 0] > 0]  # (lengths dask does not know before computing)
    assert of_value(unknown)[0] is None


def test_dask_and_numpy_read_the_same_code():
    da = pytest.importorskip("dask.array")
    item = _case("mlp_two_layer")
    args = item.inputs(np.random.default_rng(0))
    given = [*args[:4], da.from_array(args[4], chunks=3), da.from_array(args[5], chunks=3)]
    g = srcgrad.grad(item.fn, wrt=(0, 1, 2, 3))
    assert g.source_for(*given) == g.source_for(*args)


def copy_then_write(x):
    y = x.copy()
    y[0] = 2.0 * y[1]
    return np.sum(y * y)


def reads_as_numpy(x):
    z = np.asarray(x)
    return np.sum(z * z)


def test_what_dask_cannot_do_is_refused_at_the_line(cluster):
    da = pytest.importorskip("dask.array")
    x = da.from_array(np.arange(1.0, 7.0), chunks=3)
    with pytest.raises(srcgrad.SrcgradError, match="dask implements no numpy.copy") as info:
        srcgrad.grad(copy_then_write)(x)
    assert info.value.origin.text == "y = x.copy()"
    assert "np.where" in str(info.value)


def test_a_large_compute_in_the_middle_is_refused(cluster, monkeypatch):
    da = pytest.importorskip("dask.array")
    from srcgrad.runtime import arrays

    monkeypatch.setattr(arrays, "LARGE", 4)  # (a data set in a test's size)
    x = da.from_array(np.arange(1.0, 7.0), chunks=3)
    with pytest.raises(srcgrad.SrcgradError, match="would compute a dask array of 6") as info:
        srcgrad.grad(reads_as_numpy)(x)
    assert info.value.origin.text == "z = np.asarray(x)"
