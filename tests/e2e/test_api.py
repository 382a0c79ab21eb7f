"""The public API: decorator forms, wrt, value_and_grad, source, show, caching, loading, CLI."""

import inspect
import io
import linecache
import re
import sys
import threading
import traceback
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.api.cli import main as cli_main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCALE = 2.0


def weighted(w, x):
    return np.sum(SCALE * w * x)


def test_bare_decorator_and_call():
    @srcgrad.grad
    def f(x):
        return np.sum(x * x)

    x = np.arange(3.0)
    assert np.array_equal(f(x), 2 * x)


def test_decorator_with_wrt_name():
    @srcgrad.grad(wrt="y")
    def f(x, y):
        return np.sum(x * y)

    x, y = np.arange(3.0), np.ones(3)
    assert np.array_equal(f(x, y), x)


def test_wrt_tuple_gives_tuple_and_keywords_bind():
    g = srcgrad.grad(weighted, wrt=(0, "x"))
    w, x = np.arange(3.0), np.ones(3)
    dw, dx = g(w, x=x)
    assert np.array_equal(dw, SCALE * x) and np.array_equal(dx, SCALE * w)
    single = srcgrad.grad(weighted, wrt=(1,))(w, x)
    assert isinstance(single, tuple) and len(single) == 1


def test_value_and_grad():
    value, grad = srcgrad.value_and_grad(weighted)(np.arange(3.0), np.ones(3))
    assert value == weighted(np.arange(3.0), np.ones(3))
    assert np.array_equal(grad, SCALE * np.ones(3))


def test_module_constant_is_read_live(monkeypatch):
    g = srcgrad.grad(weighted)
    w, x = np.arange(3.0), np.ones(3)
    assert np.array_equal(g(w, x), 2 * x)
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 5.0)
    assert np.array_equal(g(w, x), 5 * x)


def test_closure_cells_are_shared_with_the_user_function():
    scale = 2.0

    def f(x):
        return scale * x

    g = srcgrad.grad(f)
    assert g(1.0) == 2.0
    scale = 3.0
    assert g(1.0) == 3.0


def test_source_before_any_call_uses_annotations():
    sys.path.insert(0, str(EXAMPLES))
    import neuron

    source = srcgrad.grad(neuron.loss, wrt=("w1", "w2", "w3", "w4")).source
    assert source.startswith("def grad_loss(a, w1, w2, w3, w4):")
    assert "unbroadcast" not in source


def test_source_follows_the_latest_signature():
    g = srcgrad.grad(weighted, wrt="x")
    g(np.ones((2, 3)), np.ones(3))
    assert "np.sum(" in g.source  # x broadcast against w: summed back explicitly
    g(1.0, 2.0)
    assert g.source.splitlines()[-2].strip() == "dx = SCALE * w"


def test_unknown_shapes_use_unbroadcast_which_returns_its_input_untouched():
    def f(x, n):
        return np.sum(x[:n] * x[1:])

    g = srcgrad.grad(f)
    x = np.arange(4.0)
    assert "unbroadcast" in g.source_for(x, 3)
    expected = np.zeros(4)
    expected[:3] += x[1:]
    expected[1:] += x[:3]
    assert np.array_equal(g(x, 3), expected)
    a = np.ones((2, 3))
    assert runtime.unbroadcast(a, np.zeros((2, 3))) is a


def test_show_prints_the_source():
    out = io.StringIO()
    srcgrad.show(weighted, np.ones(3), np.ones(3), file=out)
    assert out.getvalue() == srcgrad.grad(weighted).source_for(np.ones(3), np.ones(3))


def test_generated_code_is_cached_per_function_and_signature():
    a = srcgrad.grad(weighted)
    b = srcgrad.grad(weighted)
    a(np.ones(3), np.ones(3))
    b(np.zeros(3), np.zeros(3))
    assert a._latest is b._latest
    b(np.zeros(4), np.zeros(4))
    assert a._latest is not b._latest


def test_redefinition_gives_a_new_gradient():
    namespace = {}
    for factor in (2, 3):
        path = Path(__file__).parent / "_redefined.py"
        path.write_text(f"def f(x):\n    return {factor} * x\n")
        linecache.checkcache(str(path))
        source = compile(path.read_text(), str(path), "exec")
        exec(source, namespace)
        assert srcgrad.grad(namespace["f"])(1.0) == factor
    path.unlink()


def test_transforming_from_many_threads_gives_one_result():
    def f(x):
        return np.sum(np.tanh(x) * x)

    results, errors = [], []

    def work():
        try:
            g = srcgrad.grad(f)
            g(np.ones(5))
            results.append(g._latest)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r is results[0] for r in results)


def fails_inside(x, y):
    return np.sum(np.tanh(x @ y))


def test_traceback_shows_the_generated_line():
    g = srcgrad.grad(fails_inside)
    g(np.ones((2, 3)), np.ones(3))
    name = g._latest.function.__code__.co_filename
    assert name.startswith("<srcgrad: grad of fails_inside, test_api.py:")
    assert linecache.getlines(name)  # registered: tracebacks and pdb can show it
    assert inspect.getsource(g._latest.function) == g.source
    generic = srcgrad.grad(fails_inside)
    for shapes in [(i, 3) for i in range(1, 10)]:  # past the cache's signatures: generic code
        generic(np.ones(shapes), np.ones(3))
    with pytest.raises(ValueError) as info:
        generic(np.ones((2, 3)), np.ones(4))  # the forward sweep's x @ y fails
    last = traceback.extract_tb(info.tb)[-1]
    # (other code of the same function gets a file name of its own: each reads its own lines)
    assert re.match(r"<srcgrad: grad( \(\d+\))? of fails_inside", last.filename)
    assert last.line.strip().startswith("_t1 = x @ y") or "x @ y" in last.line
    assert inspect.getsource(g._latest.function) == g.source


def test_integer_inputs_get_float_gradients():
    def f(x, y):
        return x * y + np.sum(x)

    assert srcgrad.grad(f)(3, 4) == 5.0
    dx = srcgrad.grad(lambda_free_sum)(np.arange(3))
    assert dx.dtype == np.float64 and np.array_equal(dx, np.ones(3))


def lambda_free_sum(x):
    return np.sum(x)


def test_float32_stays_float32():
    def f(x):
        return np.sum(np.tanh(x) * 2.0)

    x = np.linspace(-1, 1, 4, dtype=np.float32)
    assert srcgrad.grad(f)(x).dtype == np.float32


def test_cli_prints_code_and_values(capsys):
    assert (
        cli_main([f"{EXAMPLES / 'neuron.py'}:loss", "--wrt", "w1,w2,w3,w4", "--at", "2,1,2,3,4"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("def grad_loss(a, w1, w2, w3, w4):")
    assert "# dloss/dw1 = -6.0" in out and "# dloss/dw4 = -4.0" in out


def test_cli_prints_forward_mode_code(capsys):
    target = f"{EXAMPLES / 'neuron.py'}:loss"
    assert cli_main([target, "--wrt", "w1,w2", "--forward", "--at", "2,1,2,3,4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def jvp_loss(a, w1, w2, w3, w4, *, w1_dot, w2_dot):")
    lines = out.splitlines()
    # each user line's statement comes under its comment, its tangent right after it
    at = lines.index("    # neuron.py:12  b = w1 * a")
    assert lines[at + 1 : at + 3] == ["    b = w1 * a", "    b_dot = w1_dot * a"]
    # d loss along (1, 1) in (w1, w2): -(w3 + w4) * a
    assert "# tangent along ones: -14.0" in out


def test_cli_reports_errors_without_a_traceback(capsys, tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def f(x):\n    global G\n    x = x * 2\n    return x\n")
    assert cli_main([f"{path}:f"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"srcgrad: {path}:2:5: a 'global' declaration is not supported")


def test_readme_quickstart_output_is_what_the_cli_prints(capsys):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    cli_main([f"{EXAMPLES / 'neuron.py'}:loss", "--wrt", "w1,w2,w3,w4", "--at", "2,1,2,3,4"])
    out = capsys.readouterr().out
    assert out.strip() in readme


def elementwise(x, w):
    return np.tanh(x * w)


def test_vjp_of_a_vector_output_is_backward_with_a_seed():
    x, w = np.linspace(-1, 1, 4), np.arange(4.0)
    value, pullback = srcgrad.vjp(elementwise, x, w, wrt=(0, 1))
    assert np.array_equal(value, elementwise(x, w))
    seed = np.array([1.0, 0.0, 2.0, -1.0])
    dx, dw = pullback(seed)
    local = 1 - np.tanh(x * w) ** 2
    assert np.allclose(dx, seed * local * w) and np.allclose(dw, seed * local * x)
    again_x, _ = pullback(np.ones(4))  # a second call runs the forward sweep again
    assert np.allclose(again_x, local * w)
    assert np.allclose(pullback(seed)[0], dx)


def test_vjp_of_a_scalar_function_with_seed_one_is_grad():
    x = np.linspace(0.1, 1, 5)
    _, pullback = srcgrad.vjp(weighted, x, np.ones(5))
    assert np.allclose(pullback(1.0), srcgrad.grad(weighted)(x, np.ones(5)))


def nan_in_the_middle(x, y):
    a = x * y
    b = np.sqrt(a)
    return np.sum(b + x)


def test_check_finite_names_the_line_whose_derivative_went_wrong():
    g = srcgrad.grad(nan_in_the_middle, check_finite=True)
    with pytest.raises(srcgrad.NonFiniteError) as info, np.errstate(divide="ignore"):
        g(np.array([2.0, 0.0]), np.array([1.0, 3.0]))
    line = inspect.getsourcelines(nan_in_the_middle)[1] + 2
    message = str(info.value)
    assert message.startswith(f"{__file__}:{line}:5: an infinity in the adjoint da"), message
    assert "b = np.sqrt(a)" in message and "1 zero" in message
    assert np.allclose(
        g(np.array([2.0, 1.0]), np.array([1.0, 4.0])),
        srcgrad.grad(nan_in_the_middle)(np.array([2.0, 1.0]), np.array([1.0, 4.0])),
    )


def test_check_grad_reports_the_worst_element():
    result = srcgrad.check_grad(weighted, np.linspace(0.1, 1.0, 4), np.ones(4), wrt=(0, 1))
    assert result.ok and result.error < 1e-6
    assert "agrees with" in str(result)


def params_loss(params, x):
    h = np.tanh(x @ params["W"][0] + params["b"])
    return np.sum((h @ params["W"][1]) ** 2)


def test_check_grad_goes_into_containers_leaf_by_leaf():
    rng = np.random.default_rng(4)
    params = {"W": [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))], "b": rng.normal(size=4)}
    result = srcgrad.check_grad(params_loss, params, rng.normal(size=(5, 3)))
    assert result.ok
    assert result.argument.startswith("params[")  # the worst leaf, named by its path


def test_exported_gradient_runs_without_srcgrad(tmp_path):
    import subprocess

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
    from golden_functions import mlp_loss

    shapes = [(4, 5), (5,), (5, 3), (3,), (6, 4), (6, 3)]
    args = [np.random.default_rng(0).normal(size=s) for s in shapes]
    srcgrad.export(mlp_loss, str(tmp_path / "mlp_gradient.py"), *args, wrt=(0, 1, 2, 3))
    np.save(tmp_path / "args.npy", np.array(args, dtype=object), allow_pickle=True)
    script = (
        "import sys\n"
        "sys.modules['srcgrad'] = None  # importing srcgrad now fails: it is hidden\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import numpy as np\nimport mlp_gradient\n"
        f"args = np.load({str(tmp_path / 'args.npy')!r}, allow_pickle=True)\n"
        "grads = mlp_gradient.grad_mlp_loss(*args)\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, np.array(grads, dtype=object), allow_pickle=True)\n"
    )
    hidden = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, env=hidden)
    exported = np.load(tmp_path / "out.npy", allow_pickle=True)
    expected = srcgrad.grad(mlp_loss, wrt=(0, 1, 2, 3))(*args)
    assert all(np.allclose(a, b) for a, b in zip(exported, expected))


def test_cli_exports_a_module(tmp_path, capsys):
    out = tmp_path / "neuron_gradient.py"
    argv = [f"{EXAMPLES / 'neuron.py'}:loss", "--wrt", "w1,w2,w3,w4", "--export", str(out)]
    assert cli_main(argv) == 0
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    assert namespace["grad_loss"](2.0, 1.0, 2.0, 3.0, 4.0) == (-6.0, -8.0, -2.0, -4.0)


def log_of_difference(x, y):
    d = x - y
    return np.sum(np.log(d) * x)


def division_by_a_norm(x):
    n = np.sqrt(np.sum(x * x))
    u = x / n
    return np.sum(u)


def power_of_a_root(x):
    r = x**0.5
    s = np.tanh(r)
    return np.sum(s)


@pytest.mark.parametrize(
    "function, args, line, adjoint",
    [
        (log_of_difference, (np.array([2.0, 1.0]), np.array([1.0, 1.0])), 2, "dx"),
        (division_by_a_norm, (np.zeros(3),), 2, "dx"),
        (power_of_a_root, (np.array([4.0, 0.0]),), 1, "dx"),
    ],
)
def test_check_finite_names_the_line_in_three_places(function, args, line, adjoint):
    with pytest.raises(srcgrad.NonFiniteError) as info, np.errstate(all="ignore"):
        srcgrad.grad(function, check_finite=True)(*args)
    first = inspect.getsourcelines(function)[1]
    message = str(info.value)
    assert message.startswith(f"{__file__}:{first + line}:"), message
    assert f"in the adjoint {adjoint}" in message


def keyword_only(x, *, scale=2.0, power=3):
    return np.sum((scale * x) ** power)


def test_keyword_only_parameters():
    x = np.array([0.5, -1.0, 2.0])
    assert np.allclose(srcgrad.grad(keyword_only)(x), 3 * (2 * x) ** 2 * 2)
    assert np.allclose(srcgrad.grad(keyword_only)(x, scale=1.0, power=2), 2 * x)
    value, dx = srcgrad.value_and_grad(keyword_only)(x, power=2)
    assert value == keyword_only(x, power=2) and np.allclose(dx, 8 * x)
    assert srcgrad.check_grad(keyword_only, x, scale=1.5)
    _, pullback = srcgrad.vjp(keyword_only, x, power=2)
    assert np.allclose(pullback(1.0), 8 * x)


def _cube(z):
    return z**3


def test_a_function_argument_is_part_of_the_signature_and_the_guard_tests_which_one():
    def f(x, act):
        return np.sum(act(x) * 2.0)

    x = np.array([0.5, -1.0, 2.0])
    g = srcgrad.grad(f)
    for _ in range(3):  # the guard, once installed, tells the functions apart by identity
        np.testing.assert_allclose(g(x, np.sin), 2.0 * np.cos(x))
        np.testing.assert_allclose(g(x, _cube), 6.0 * x**2)
        np.testing.assert_allclose(g(x, np.tanh), 2.0 / np.cosh(x) ** 2)
    assert type(g).__call__ is not srcgrad.Gradient.__call__
    assert "vjp_cube" in g.source_for(x, _cube) or "_cube" in g.source_for(x, _cube)


def test_repeated_calls_go_through_a_guard_that_serves_only_its_own_signature():
    def f(x, w=2.0):
        return np.sum(w * x**2) + np.sum(x)

    calls = [
        (np.arange(3.0),),
        (np.arange(3.0), 0.5),
        (1.5,),
        (np.arange(4.0).reshape(2, 2), 3.0),
        (np.arange(3, dtype=np.float32),),
        (np.float64(2.5), 1.0),
        (np.arange(3.0), np.arange(3.0)),
    ]
    g = srcgrad.grad(f)
    for _ in range(3):  # the second round installs guards, the third switches between them
        for args in calls:
            got = g(*args)
            fresh = srcgrad.grad(f, wrt="x")(*args)  # a new object: the full look-up
            w = args[1] if len(args) > 1 else 2.0
            assert np.allclose(got, 2 * w * np.asarray(args[0]) + 1)
            assert np.shape(got) == np.shape(fresh) and np.result_type(got) == np.result_type(fresh)
            assert np.allclose(g(x=args[0], w=w), got)  # by keyword: the full look-up
            assert np.allclose(g(args[0], w), got)
    assert type(g).__call__ is not srcgrad.Gradient.__call__  # a guard serves repeated calls
    assert isinstance(g, srcgrad.Gradient) and repr(g).startswith("<srcgrad.grad of")
    with pytest.raises(TypeError):
        g(np.arange(3.0), 1.0, 2.0)  # too many arguments: the guard lets Python say so


def test_a_guard_tells_an_index_array_from_a_mask_of_the_same_shape():
    def f(x, m):
        return np.sum(x[m] ** 2)

    x = np.arange(1.0, 4.0)
    g = srcgrad.grad(f, wrt="x")
    for _ in range(3):  # positions first: their code (np.bincount) would misread a mask
        assert np.array_equal(g(x, np.array([0, 2, 2])), [2.0, 0.0, 12.0])
        assert np.array_equal(g(x, np.array([True, False, True])), [2.0, 0.0, 6.0])


def test_a_signature_no_guard_can_test_is_not_tried_again_at_every_call(monkeypatch):
    from srcgrad.api import dispatch

    tried = []
    real = dispatch.guard
    monkeypatch.setattr(dispatch, "guard", lambda *a: tried.append(a) or real(*a))

    def f(p):
        return np.sum(p["w"] ** 2)

    g = srcgrad.grad(f)
    params = {"w": np.arange(3.0)}
    for _ in range(5):  # a dict argument: only the full look-up can serve it
        assert np.array_equal(g(params)["w"], 2 * params["w"])
    assert len(tried) == 1


def test_a_library_function_with_a_rule_is_differentiated_directly():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(np.tanh)(0.5), 1.0 / np.cosh(0.5) ** 2)
    np.testing.assert_allclose(srcgrad.grad(np.sum)(x), np.ones(3))
    np.testing.assert_allclose(srcgrad.grad(np.arctan2, wrt=1)(0.5, 2.0), -0.5 / 4.25)
    np.testing.assert_allclose(srcgrad.jacobian(np.sin)(x), np.diag(np.cos(x)))
    np.testing.assert_allclose(srcgrad.hessian(np.tanh)(0.5), -2 * np.tanh(0.5) / np.cosh(0.5) ** 2)
    with pytest.raises(srcgrad.SourceUnavailableError):
        srcgrad.grad(np.random.normal)(0.5)  # (no derivative: said so, not guessed)


def _one_element(x):
    return np.sum(x * x, keepdims=True)


def _one_by_one(x):
    return np.reshape(np.sum(np.sin(x)), (1, 1))


def test_an_output_of_one_element_counts_as_a_number():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(_one_element)(x), 2 * x)
    np.testing.assert_allclose(srcgrad.grad(_one_by_one)(x), np.cos(x))
    value, g = srcgrad.value_and_grad(_one_by_one)(x)
    assert np.shape(value) == (1, 1)


def _loss_and_predictions(w, x):
    predictions = np.tanh(x * w)
    return np.sum(predictions**2), {"predictions": predictions, "count": 3}


def test_has_aux_returns_the_auxiliary_value_undifferentiated():
    x = np.array([0.5, -1.0, 2.0])
    g, aux = srcgrad.grad(_loss_and_predictions, has_aux=True)(0.7, x)
    t = np.tanh(0.7 * x)
    np.testing.assert_allclose(g, np.sum(2 * t * (1 - t**2) * x))
    np.testing.assert_allclose(aux["predictions"], t)
    (value, aux), g2 = srcgrad.value_and_grad(_loss_and_predictions, has_aux=True)(0.7, x)
    assert value == pytest.approx(np.sum(t**2)) and g2 == pytest.approx(g) and aux["count"] == 3
    with pytest.raises(srcgrad.NonScalarOutputError, match="has_aux=True"):
        srcgrad.grad(_one_element, has_aux=True)(x)


def _swish(z):
    return z * np.tanh(z)


def test_elementwise_grad_is_the_derivative_of_each_element():
    x = np.array([0.5, -1.0, 2.0])
    want = np.tanh(x) + x / np.cosh(x) ** 2
    np.testing.assert_allclose(srcgrad.elementwise_grad(_swish)(x), want)
    np.testing.assert_allclose(srcgrad.elementwise_grad(np.tanh)(x), 1 / np.cosh(x) ** 2)
