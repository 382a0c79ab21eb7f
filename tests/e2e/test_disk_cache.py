"""The cache of generated code on disk (srcgrad/api/disk_cache.py): a new process loads what an
earlier one generated instead of transforming again; the directory must be the user's own and
private; a broken or foreign entry is made again, never run; writes are atomic; it can be
turned off; and code loaded from it is dropped on a rebinding exactly as code generated here.

Every test uses a cache directory of its own under pytest's tmp_path (tests/conftest.py turns
the cache off for the rest of the suite)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import itertools
import json
import marshal
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.api import disk_cache
from srcgrad.api import gradient as gradient_module

ROOT = Path(__file__).resolve().parents[2]

MODEL = """\
import numpy as np

SCALE = 2.0


def helper(z):
    return np.tanh(z) * SCALE


def loss(w, x):
    z = x @ w
    p = 1 / (1 + np.exp(-z))
    return np.mean(np.log(p)) + np.sum(helper(w))
"""

W = np.array([0.3, -0.2, 0.5])
X = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0], [0.3, 0.3, -0.7], [1.5, 0.0, 1.0]])


def _expected(scale: float = 2.0) -> np.ndarray:
    p = 1 / (1 + np.exp(-(X @ W)))
    return X.T @ (1 - p) / len(X) + scale * (1 - np.tanh(W) ** 2)


_NUMBERS = itertools.count()


@pytest.fixture
def load_module(tmp_path):
    """Import a source as a new module from a file of its own under tmp_path."""
    loaded = []

    def load(source: str, name: str | None = None, path: Path | None = None):
        name = name or f"disk_cache_case_{next(_NUMBERS)}"
        path = path or tmp_path / f"{name}.py"
        if not path.exists():
            path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loaded.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """The cache on, in a directory of this test's own (not made yet)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SRCGRAD_CACHE", "1")
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(folder))
    monkeypatch.setattr(disk_cache, "_setting", None)
    monkeypatch.setattr(disk_cache, "errors", [])
    gradient_module.forget_generated_code()
    yield folder
    gradient_module.forget_generated_code()
    assert disk_cache.errors == []  # (nothing went wrong that srcgrad did not expect)


@pytest.fixture
def transformations(monkeypatch) -> list:
    """The names of the functions transformed (not loaded from the cache) during the test."""
    made: list = []
    real = gradient_module.gradient

    def counted(fn, *args, **kwargs):
        made.append(fn.__name__)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(gradient_module, "gradient", counted)
    return made


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.srcgrad")) if folder.exists() else []


def _again():
    """Drop the code held in memory: the next call looks on disk, as a new process would."""
    gradient_module.forget_generated_code()


# ---- in one process: made, kept, loaded ----------------------------------------------------


def test_code_is_kept_on_disk_and_loaded_instead_of_transformed(
    cache, load_module, transformations
):
    model = load_module(MODEL)
    np.testing.assert_allclose(srcgrad.grad(model.loss)(W, X), _expected())
    assert sorted(transformations) == ["helper", "loss"]
    assert len(_entries(cache)) == 2  # (loss, and helper's pullback)
    _again()
    loaded = srcgrad.grad(model.loss)
    np.testing.assert_allclose(loaded(W, X), _expected())
    assert sorted(transformations) == ["helper", "loss"]  # (nothing transformed again)
    assert "vjp_helper(w)" in loaded.source
    assert loaded._latest.function.__code__.co_filename.startswith("<srcgrad: grad of loss, ")


def test_the_directory_is_made_private_and_entries_are_the_users_own(cache, load_module):
    srcgrad.grad(load_module(MODEL).loss)(W, X)
    assert cache.stat().st_mode & 0o777 == 0o700
    for entry in _entries(cache):
        assert entry.stat().st_mode & 0o777 == 0o600
        assert entry.stat().st_uid == os.getuid()


def test_the_key_holds_mode_wrt_check_finite_and_the_signature(cache, load_module):
    model = load_module("import numpy as np\n\n\ndef f(x, y):\n    return np.sum(x * y)\n")
    a, b = np.ones(3), np.arange(3.0)
    made = [
        srcgrad.grad(model.f)(a, b),
        srcgrad.grad(model.f, wrt=1)(a, b),
        srcgrad.grad(model.f, check_finite=True)(a, b),
        srcgrad.value_and_grad(model.f)(a, b)[1],
        srcgrad.grad(model.f)(np.ones(4), np.arange(4.0)),
    ]
    assert len(_entries(cache)) == 5
    _again()
    again = [
        srcgrad.grad(model.f)(a, b),
        srcgrad.grad(model.f, wrt=1)(a, b),
        srcgrad.grad(model.f, check_finite=True)(a, b),
        srcgrad.value_and_grad(model.f)(a, b)[1],
        srcgrad.grad(model.f)(np.ones(4), np.arange(4.0)),
    ]
    for first, second in zip(made, again):
        np.testing.assert_allclose(first, second)
    np.testing.assert_allclose(again[1], a)


def test_the_key_says_whether_a_containers_leaves_may_be_complex(cache, load_module):
    # (code for real leaves takes no real parts: loaded for complex ones, x's gradient was
    # complex)
    model = load_module(
        "import numpy as np\n\n\ndef f(x, p):\n    return np.sum(np.abs(x * p[0]) ** 2)\n"
    )
    x, real, complex_ = np.array([0.5, 2.0]), [np.array([1.0, 3.0])], [np.array([1j, 1 - 1j])]
    srcgrad.grad(model.f)(x, real)
    _again()
    got = srcgrad.grad(model.f)(x, complex_)
    assert not np.iscomplexobj(got) and np.allclose(got, 2 * x * np.abs(complex_[0]) ** 2)
    assert len(_entries(cache)) == 2
    _again()
    assert np.allclose(srcgrad.grad(model.f)(x, real), 2 * x * real[0] ** 2)


def test_forward_mode_and_hessians_load_too(cache, load_module, transformations):
    model = load_module("import numpy as np\n\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n")
    x = np.array([0.5, 1.0, -2.0])
    value, tangent = srcgrad.jvp(model.f, (x,), (np.ones(3),))
    hessian = srcgrad.hessian(model.f)(x)
    np.testing.assert_allclose(hessian, np.diag(2 * np.cos(x) - x * np.sin(x)))
    assert transformations.count("f") == 2  # (forward mode, and the tangent code to read again)
    _again()
    loaded = srcgrad.jvp(model.f, (x,), (np.ones(3),))
    assert loaded[0] == value and np.allclose(loaded[1], tangent)
    np.testing.assert_allclose(srcgrad.hessian(model.f)(x), hessian)
    assert transformations.count("f") == 2  # (the reverse pass over generated code: made)


# ---- what the code was made from: checked again, bindings carried -------------------------


def test_a_global_rebound_after_loading_makes_the_code_again(cache, load_module, transformations):
    model = load_module(MODEL)
    srcgrad.grad(model.loss)(W, X)
    _again()
    gradient = srcgrad.grad(model.loss)
    np.testing.assert_allclose(gradient(W, X), _expected())
    assert sorted(transformations) == ["helper", "loss"]  # (loaded: the bindings came along)
    model.SCALE = 3.0
    np.testing.assert_allclose(gradient(W, X), _expected(3.0))
    assert "helper" in transformations[2:]


def test_a_global_that_differs_from_the_entrys_is_not_served(cache, load_module, transformations):
    model = load_module(MODEL)
    srcgrad.grad(model.loss)(W, X)
    _again()
    model.SCALE = 5.0  # (as a new process whose module computes another value would have)
    np.testing.assert_allclose(srcgrad.grad(model.loss)(W, X), _expected(5.0))
    assert transformations.count("helper") == 2


def test_a_global_array_is_known_by_its_contents(cache, load_module, transformations):
    source = "import numpy as np\n\nC = np.array([1.0, 2.0, 3.0])\n\n\ndef f(x):\n    return np.sum(C * x)\n"
    model = load_module(source)
    x = np.ones(3)
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), [1.0, 2.0, 3.0])
    model.C = np.array([1.0, 2.0, 3.0])  # (another array, the same numbers: the same code)
    _again()
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), [1.0, 2.0, 3.0])
    assert transformations == ["f"]
    model.C = np.array([1.0, 2.0, 4.0])
    _again()
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), [1.0, 2.0, 4.0])
    assert transformations == ["f", "f"]
    model.C = np.zeros(200_000)  # (over 1 MiB: not hashed, so not cached)
    _again()
    before = _entries(cache)
    np.testing.assert_allclose(srcgrad.grad(model.f)(np.ones(200_000)), 0.0)
    assert _entries(cache) == before


def test_a_helper_whose_file_changed_is_not_served(cache, tmp_path, load_module, transformations):
    helpers = tmp_path / "helpers_changed.py"
    helpers.write_text("def scaled(v):\n    return v * 2.0\n")
    main = "from helpers_changed import scaled\n\n\ndef f(x):\n    return scaled(x) ** 2\n"
    load_module("", name="helpers_changed", path=helpers)
    model = load_module(main)
    assert srcgrad.grad(model.f)(1.5) == pytest.approx(4 * 2 * 1.5)
    helpers.write_text("def scaled(v):\n    return v * 3.0  # changed\n")
    load_module("", name="helpers_changed", path=helpers)
    model = load_module(main, path=Path(model.__file__))  # (the same file, read again)
    _again()
    assert srcgrad.grad(model.f)(1.5) == pytest.approx(9 * 2 * 1.5)
    assert transformations.count("f") == 2


def test_a_global_a_helper_reads_is_checked_too(cache, tmp_path, load_module, transformations):
    """What the caller's code was made from includes what its helpers do (their effects on
    their arguments, read from their source and what their names denote)."""
    helpers = tmp_path / "helpers_read.py"
    helpers.write_text("FACTOR = 2.0\n\n\ndef scaled(v):\n    return v * FACTOR\n")
    module = load_module("", name="helpers_read", path=helpers)
    model = load_module(
        "from helpers_read import scaled\n\n\ndef f(x):\n    return scaled(x) ** 2\n"
    )
    assert srcgrad.grad(model.f)(1.5) == pytest.approx(8 * 1.5)
    module.FACTOR = 3.0
    _again()
    assert srcgrad.grad(model.f)(1.5) == pytest.approx(18 * 1.5)
    assert transformations == ["f", "scaled", "f", "scaled"]


def test_what_is_not_cached_is_transformed_as_without_the_cache(cache, load_module):
    source = """\
import numpy as np


class Settings:
    def __init__(self, scale):
        self.scale = scale


SETTINGS = Settings(3.0)


def f(x):
    return np.sum(x) * SETTINGS.scale


def make(k):
    def g(x):
        return np.sum(x * k)

    return g
"""
    model = load_module(source)
    x = np.ones(3)
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), 3.0)  # (an instance of the user's)
    assert _entries(cache) == []
    np.testing.assert_allclose(srcgrad.grad(model.make(2.0))(x), 2.0)  # (a closure: cached)
    assert len(_entries(cache)) == 1
    _again()
    np.testing.assert_allclose(srcgrad.grad(model.make(5.0))(x), 5.0)  # (its cell differs)


# ---- broken, foreign and other users' entries: never run ----------------------------------

EVIL = """\
def grad_f(x):
    open({marker!r}, "w").write("ran")
    return x * 0.0 + 42.0
"""


def _evil_body(entry: Path, marker: Path) -> tuple[dict, bytes]:
    """The entry's body with code that leaves `marker` when run; and its original digest."""
    data = entry.read_bytes()
    _, digest, payload = data.split(b"\n", 2)
    body = json.loads(payload)
    text = EVIL.format(marker=str(marker))
    code = next(
        c for c in compile(text, "<evil>", "exec").co_consts if isinstance(c, types.CodeType)
    )
    body.update(text=text, code=base64.b64encode(marshal.dumps(code)).decode(), injected={})
    body["origins"] = []
    return body, digest


def _corrupted(kind: str, body: dict, digest: bytes) -> bytes:
    whole = disk_cache.encoded(body)
    if kind == "checksum of another payload":
        magic, _, payload = whole.split(b"\n", 2)
        return magic + b"\n" + digest + b"\n" + payload
    if kind == "truncated":
        return whole[: len(whole) // 2]
    if kind == "a byte flipped":
        data = bytearray(whole)
        data[data.index(b"42.0")] ^= 0x01
        return bytes(data)
    if kind == "foreign key":
        return disk_cache.encoded({**body, "key": body["key"].replace('"grad"', '"vjp"')})
    if kind == "another format":
        return whole.replace(disk_cache.FORMAT.encode(), b"srcgrad-cache 0", 1)
    return whole


@pytest.mark.parametrize(
    "kind",
    [
        "checksum of another payload",
        "truncated",
        "a byte flipped",
        "foreign key",
        "another format",
        "writable by others",
    ],
)
def test_a_broken_or_foreign_entry_is_made_again_never_run(
    kind, cache, tmp_path, load_module, transformations
):
    model = load_module("import numpy as np\n\n\ndef f(x):\n    return np.sum(x ** 2)\n")
    x = np.array([1.0, 2.0])
    srcgrad.grad(model.f)(x)
    [entry] = _entries(cache)
    marker = tmp_path / "ran"
    body, digest = _evil_body(entry, marker)
    entry.write_bytes(_corrupted(kind, body, digest))
    if kind == "writable by others":
        entry.chmod(0o666)
    _again()
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), 2 * x)
    assert not marker.exists()
    assert transformations == ["f", "f"]
    _again()  # (the entry made again is whole: loaded, not transformed)
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), 2 * x)
    assert transformations == ["f", "f"]


def test_a_whole_entry_with_its_key_is_what_runs(cache, tmp_path, load_module):
    """The control of the test above: the same code in a whole entry under its own key runs.
    That is why the directory must be the user's own and writable by no one else."""
    model = load_module("import numpy as np\n\n\ndef f(x):\n    return np.sum(x ** 2)\n")
    x = np.array([1.0, 2.0])
    srcgrad.grad(model.f)(x)
    [entry] = _entries(cache)
    marker = tmp_path / "ran"
    body, _ = _evil_body(entry, marker)
    entry.write_bytes(disk_cache.encoded(body))
    _again()
    np.testing.assert_allclose(srcgrad.grad(model.f)(x), [42.0, 42.0])
    assert marker.read_text() == "ran"


# ---- the directory: the user's own, written by no one else --------------------------------


def test_a_directory_others_may_write_to_is_refused(cache, load_module, transformations):
    cache.mkdir(mode=0o700)
    cache.chmod(0o770)
    model = load_module(MODEL)
    with pytest.warns(RuntimeWarning, match="group or others may write to it"):
        np.testing.assert_allclose(srcgrad.grad(model.loss)(W, X), _expected())
    assert _entries(cache) == []


def test_a_directory_of_another_user_is_refused(cache, load_module, monkeypatch, transformations):
    cache.mkdir(mode=0o700)
    first = load_module(MODEL)
    srcgrad.grad(first.loss)(W, X)
    assert len(_entries(cache)) == 2
    uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: uid + 1)
    model = load_module(MODEL, path=Path(first.__file__))  # (new functions, the same file)
    with pytest.warns(RuntimeWarning, match=rf"owned by another user \(uid {uid}\)"):
        np.testing.assert_allclose(srcgrad.grad(model.loss)(W, X), _expected())
    assert sorted(transformations) == ["helper", "helper", "loss", "loss"]  # (none read)


def test_an_entry_is_written_to_a_temporary_file_then_renamed(cache, load_module, monkeypatch):
    renamed = []
    real = os.replace

    def replace(source, target, *, src_dir_fd=None, dst_dir_fd=None):
        renamed.append((source, target, src_dir_fd == dst_dir_fd is not None))
        assert Path(cache, source).exists() and not Path(cache, target).exists()
        return real(source, target, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    monkeypatch.setattr(os, "replace", replace)
    srcgrad.grad(load_module(MODEL).loss)(W, X)
    assert len(renamed) == 2
    for source, target, same_directory in renamed:
        assert source.startswith(f".{target}.") and source.endswith(".tmp") and same_directory
    assert sorted(p.name for p in cache.iterdir()) == sorted(t for _, t, _ in renamed)


def test_a_write_that_fails_leaves_nothing_behind(cache, load_module, monkeypatch):
    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing)
    np.testing.assert_allclose(srcgrad.grad(load_module(MODEL).loss)(W, X), _expected())
    assert list(cache.iterdir()) == []


# ---- switched off -------------------------------------------------------------------------


def test_the_cache_can_be_switched_off(cache, tmp_path, load_module, monkeypatch):
    model = load_module(MODEL)
    monkeypatch.setenv("SRCGRAD_CACHE", "0")
    srcgrad.grad(model.loss)(W, X)
    assert not cache.exists()
    monkeypatch.setenv("SRCGRAD_CACHE", "1")
    elsewhere = tmp_path / "elsewhere"
    srcgrad.set_disk_cache(True, directory=elsewhere)
    try:
        _again()
        srcgrad.grad(model.loss)(W, X)
        assert len(_entries(elsewhere)) == 2 and not cache.exists()
        srcgrad.set_disk_cache(False)
        _again()
        srcgrad.grad(load_module(MODEL).loss)(W, X)
        assert len(_entries(elsewhere)) == 2 and not cache.exists()
    finally:
        srcgrad.set_disk_cache(None)  # (back to the environment's)
    _again()
    srcgrad.grad(model.loss)(W, X)
    assert len(_entries(cache)) == 2


# ---- other processes ----------------------------------------------------------------------

PROGRAM = """\
import json, sys, time
from pathlib import Path
sys.path.insert(0, {folder!r})
import numpy as np
import srcgrad
import srcgrad.api.gradient as made
import model_process
transformed = []
real = made.gradient
def counted(fn, *args, **kwargs):
    transformed.append(fn.__name__)
    return real(fn, *args, **kwargs)
made.gradient = counted
go = Path({folder!r}) / "go"
Path({folder!r}, "ready-" + sys.argv[1]).touch()
deadline = time.monotonic() + 30
while {wait!r} and not go.exists() and time.monotonic() < deadline:
    time.sleep(0.001)
w = np.array({w!r})
x = np.array({x!r})
gradient = srcgrad.grad(model_process.loss)(w, x).tolist()
from srcgrad.api import cache_key
print(json.dumps([gradient, transformed, cache_key._installation()[1]]))
"""


def _start(folder: Path, cache: Path, name: str, wait: bool) -> subprocess.Popen:
    program = PROGRAM.format(folder=str(folder), wait=wait, w=W.tolist(), x=X.tolist())
    environment = {**os.environ, "SRCGRAD_CACHE": "1", "SRCGRAD_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [sys.executable, "-c", program, name],
        cwd=ROOT,  # (srcgrad of this tree)
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen) -> tuple[np.ndarray, list, str]:
    """The gradient, the functions transformed, and how srcgrad's files stood (cache_key)."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    gradient, transformed, files = json.loads(out.strip().splitlines()[-1])
    return np.array(gradient), transformed, files


def _round(folder: Path, cache: Path, attempt: int) -> tuple[list, list, list, set]:
    """Two processes that transform and write at once, then a third that reads."""
    go = folder / "go"
    go.unlink(missing_ok=True)
    names = [f"{attempt}-{k}" for k in (1, 2)]
    processes = [_start(folder, cache, name, wait=True) for name in names]
    deadline = time.monotonic() + 60
    while not all((folder / f"ready-{n}").exists() for n in names) and time.monotonic() < deadline:
        time.sleep(0.005)  # (both imported and waiting: then both transform and write at once)
    go.touch()
    writers = [_finished(process) for process in processes]
    reader = _finished(_start(folder, cache, f"{attempt}-3", wait=False))
    made = [name for _, transformed, _ in writers for name in transformed]
    files = {files for _, _, files in [*writers, reader]}
    return [gradient for gradient, _, _ in [*writers, reader]], made, reader[1], files


def test_processes_writing_one_entry_at_once_then_a_new_one_reading_it(cache, tmp_path):
    """Two processes transform and write the same entries at the same time; both get the
    right gradient and leave whole entries, which a third process then loads: it transforms
    nothing."""
    (tmp_path / "model_process.py").write_text(MODEL)
    for attempt in range(3):  # (again only where srcgrad's own files changed meanwhile)
        gradients, made, read, files = _round(tmp_path, cache, attempt)
        if len(files) == 1:
            break
    assert len(files) == 1, "srcgrad's files kept changing during the test"
    for gradient in gradients:
        np.testing.assert_allclose(gradient, _expected())
    assert "loss" in made  # (by both, unless one was late and found the other's entries)
    assert read == []  # (the third process transformed nothing)
    assert not list(cache.glob(".*.tmp"))
    for entry in _entries(cache):  # (each one whole: its sha256 holds)
        magic, digest, payload = entry.read_bytes().split(b"\n", 2)
        assert hashlib.sha256(payload).hexdigest().encode() == digest
