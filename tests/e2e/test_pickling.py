"""Transforms pickle by reference to the user's function and their options (api/pickling.py),
before and after their first call, decorated or not; worker processes started with `spawn`
make the code again and compute the same gradients."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import sys

import numpy as np
import pickled_functions as pf
import pytest

import srcgrad

RNG = np.random.default_rng(0)
W, X, V = RNG.normal(size=3), RNG.normal(size=(4, 3)), RNG.normal(size=3)

# name: (how to make the transform, the arguments to call it with)
CASES = {
    "grad": (lambda: srcgrad.grad(pf.loss), (W, X)),
    "grad wrt both": (lambda: srcgrad.grad(pf.loss, wrt=(0, "x")), (W, X)),
    "value_and_grad": (lambda: srcgrad.value_and_grad(pf.loss, check_finite=True), (W, X)),
    "has_aux": (lambda: srcgrad.grad(pf.with_aux, has_aux=True), (W, X)),
    "forward": (lambda: srcgrad.forward(pf.loss), (V, W, X)),
    "jacobian": (lambda: srcgrad.jacobian(pf.predictions, mode="forward"), (W, X)),
    "hessian": (lambda: srcgrad.hessian(pf.loss), (W, X)),
    "hvp": (lambda: srcgrad.hvp(pf.loss), (V, W, X)),
    "hvp scipy order": (lambda: srcgrad.hvp(pf.loss, order="scipy"), (W, V, X)),
    "elementwise_grad": (lambda: srcgrad.elementwise_grad(pf.scalar), (W,)),
    "grad of grad": (lambda: srcgrad.grad(srcgrad.grad(pf.scalar)), (1.3,)),
    "bound method": (lambda: srcgrad.grad(pf.Model(2.0).loss), (W, X)),
    "library function": (lambda: srcgrad.grad(np.tanh), (0.3,)),
    "decorated grad": (lambda: pf.decorated, (W, X)),
    "decorated hessian": (lambda: pf.decorated_hessian, (W, X)),
}


def _same(a, b) -> None:
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_a_transform_pickles_before_and_after_its_first_call(name):
    make, args = CASES[name]
    fresh = pickle.loads(pickle.dumps(make()))  # before any call
    transform = make()
    expected = transform(*args)
    transform(*args)  # (a second call: the guard written for this signature)
    data = pickle.dumps(transform)
    # the function and options, never the generated code or its caches
    assert b"def " not in data and b"Generated" not in data and b"guard" not in data
    again = pickle.loads(data)
    _same(again(*args), expected)
    _same(fresh(*args), expected)


def test_a_decorated_function_pickles_as_its_module_level_name():
    for transform in (pf.decorated, pf.decorated_hessian):
        assert pickle.loads(pickle.dumps(transform)) is transform
    assert pickle.loads(pickle.dumps(srcgrad.grad(pf.decorated))).inner is pf.decorated


def test_a_decorated_function_in_a_module_written_now_pickles(tmp_path, monkeypatch):
    (tmp_path / "written_now.py").write_text(
        "import numpy as np\nimport srcgrad\n\n\n"
        "@srcgrad.value_and_grad\ndef energy(x):\n    return np.sum(x ** 4)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import written_now

    written_now.energy(W)
    data = pickle.dumps(written_now.energy)
    assert pickle.loads(data) is written_now.energy
    monkeypatch.delitem(sys.modules, "written_now")  # as in another process: imported anew
    loaded = pickle.loads(data)
    assert loaded is sys.modules["written_now"].energy and loaded is not written_now.energy
    value, gradient = loaded(W)
    np.testing.assert_allclose(gradient, 4 * W**3)


def test_a_function_pickle_cannot_find_is_refused_by_pickle_itself():
    def local(x):
        return x**2

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(srcgrad.grad(local))


def _points(n: int) -> list[tuple]:
    return [(RNG.normal(size=3), X) for _ in range(n)]


def test_a_spawn_pool_of_two_processes_computes_gradients():
    points = _points(4)
    made = srcgrad.grad(pf.loss)
    made(W, X)  # (called before it is sent)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        by_name = pool.map(pf.gradient_at, points)  # the decorated gradient, by its name
        sent = pool.starmap(made, points)  # the transform itself, sent to the workers
    for point, a, b in zip(points, by_name, sent):
        np.testing.assert_allclose(a, pf.decorated(*point))
        np.testing.assert_allclose(b, made(*point))


def test_a_spawn_process_pool_executor_computes_gradients():
    points = _points(3)
    hvp = srcgrad.hvp(pf.loss, order="scipy")
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        got = list(executor.map(hvp, [w for w, _ in points], [V] * 3, [x for _, x in points]))
    for (w, x), product in zip(points, got):
        np.testing.assert_allclose(product, hvp(w, V, x))


def test_joblib_computes_gradients():
    joblib = pytest.importorskip("joblib")
    points = _points(3)
    made = srcgrad.grad(pf.loss)
    got = joblib.Parallel(n_jobs=2)(joblib.delayed(made)(w, x) for w, x in points)
    for (w, x), g in zip(points, got):
        np.testing.assert_allclose(g, made(w, x))
