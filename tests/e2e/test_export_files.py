"""Files that `srcgrad.export` writes: a docstring that says how and for what they were made,
imports only of NumPy and the standard library, `ruff check` clean with ruff's default rules
(and pycodestyle's warnings and isort's order), a newline at the end; and they compute what
srcgrad does."""

from __future__ import annotations

import ast
import shutil
import subprocess

import corpus
import corpus_control  # noqa: F401  (importing it registers params_dict)
import numpy as np
import pytest
from golden_functions import mlp_loss

import srcgrad

NAMES = ("np_square", "scalar_to_array_power", "params_dict", "closure_scaled_tanh")
CASES = {case.name: case for case in corpus.CASES if case.name in NAMES}


def _exports(directory) -> dict[str, tuple]:
    """name: (path, text, arguments, wrt, function) for a few corpus functions that need
    runtime helpers (a refusal among them), module constants, a container argument, a
    constant base of a power, and the golden MLP."""
    made = {}
    for name, case in CASES.items():
        args = case.inputs(np.random.default_rng(0))
        path = directory / f"grad_{name}.py"
        made[name] = (path, srcgrad.export(case.fn, str(path), *args, wrt=case.wrt), args, case)
    shapes = [(4, 5), (5,), (5, 3), (3,), (6, 4), (6, 3)]
    args = [np.random.default_rng(0).normal(size=s) for s in shapes]
    path = directory / "grad_mlp.py"
    text = srcgrad.export(mlp_loss, str(path), *args, wrt=(0, 1, 2, 3))
    made["mlp"] = (path, text, args, corpus.Case("mlp", mlp_loss, None, (0, 1, 2, 3)))
    return made


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return _exports(tmp_path_factory.mktemp("exported"))


def test_every_case_is_exported(exported):
    assert set(exported) == {*NAMES, "mlp"}


def test_an_exported_file_says_how_it_was_made_and_ends_with_a_newline(exported):
    for path, text, _, case in exported.values():
        assert path.read_text() == text
        assert text.endswith("\n") and not text.endswith("\n\n")
        doc = ast.get_docstring(ast.parse(text))
        code = case.fn.__code__
        words = " ".join(doc.split())  # (the docstring is wrapped)
        assert f"Made by srcgrad {srcgrad.__version__} from {case.fn.__qualname__} in " in words
        assert f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}, for" in words
    mlp_doc = " ".join(ast.get_docstring(ast.parse(exported["mlp"][1])).split())
    assert "the gradient of mlp_loss with respect to W1, b1, W2, b2." in mlp_doc
    assert "for the arguments W1: float64 array of shape (4, 5), b1: float64 array" in mlp_doc
    assert "y: float64 array of shape (6, 3)." in mlp_doc


def test_an_exported_file_imports_only_numpy_and_the_standard_library(exported):
    for _, text, _, _ in exported.values():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module]
            else:
                continue
            assert not [m for m in modules if m.split(".")[0] == "srcgrad"], text


def test_an_exported_file_computes_the_gradient(exported):
    for path, text, args, case in exported.values():
        namespace: dict = {"__name__": path.stem}
        exec(compile(text, str(path), "exec"), namespace)
        got = namespace[f"grad_{case.fn.__name__}"](*args)
        expected = srcgrad.grad(case.fn, wrt=case.wrt)(*args)
        for a, b in zip(*(x if isinstance(x, tuple) else (x,) for x in (got, expected))):
            if isinstance(b, dict):
                assert a.keys() == b.keys()
                a, b = list(a.values()), list(b.values())
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)


def test_exported_files_pass_ruff(exported):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    paths = [str(path) for path, _, _, _ in exported.values()]
    # ruff's own defaults (not this project's settings), and W (whitespace, the final newline)
    # and I (import order) besides
    done = subprocess.run(
        [ruff, "check", "--isolated", "--extend-select", "W,I", "--no-cache", *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_comparison_of_two_constants_is_folded():
    # `np.where(x == 0, 1.0, x)` in the rule of a power, with a constant base
    source = srcgrad.grad(CASES["scalar_to_array_power"].fn).source_for(np.ones(3))
    assert "2.0 == 0" not in source and "np.where(False, 1.0, 2.0)" in source
