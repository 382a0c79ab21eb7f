"""Notebooks and REPLs: IPython keeps each cell's source (in `linecache`), so functions defined
in cells are differentiated, and a cell run again with a changed definition of a function or of
a helper gives code made from the new one. A function typed at Python's own prompt or given
with `python -c` has no source before Python 3.13: it is refused with a message that says
what to do (3.13 keeps their source in `linecache` too, and they are differentiated).

Each runs in a fresh interpreter: an IPython shell changes the process it runs in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad

ROOT = Path(__file__).resolve().parents[2]

DEFINITION = "import srcgrad\ndef f(x):\n    return x * x\n\n"
CALL = "print('gradient', srcgrad.grad(f)(3.0))\n"


def _run(arguments: list[str], stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": path, **env},  # (this tree's srcgrad)
    )


@pytest.mark.parametrize(
    ("how", "arguments", "stdin", "said"),
    [
        ("python -c", ["-c", DEFINITION + CALL], "", "defined by `python -c` or exec()"),
        ("the prompt", ["-i", "-q"], DEFINITION + CALL, "typed at Python's interactive prompt"),
    ],
)
def test_a_function_without_source_is_refused_with_what_to_do(how, arguments, stdin, said):
    done = _run(arguments, stdin)
    if sys.version_info >= (3, 13):  # (the source is kept: the gradient is computed)
        assert "gradient 6.0" in done.stdout, done.stderr
        return
    lines = done.stderr.splitlines()
    error = "srcgrad.errors.SourceUnavailableError: cannot read the source of 'f': it was "
    at = [i for i, line in enumerate(lines) if line.startswith(error)]
    assert at and said in lines[at[0]], done.stderr
    assert (
        "put the function in a .py file and import it, or define it in IPython"
        in (lines[at[0] + 1])
    )


CELLS = [
    # a function and its helper, differentiated
    "import numpy as np\nimport srcgrad\n\n"
    "def helper(x):\n    return x ** 2\n\n"
    "def f(x):\n    return np.sum(helper(x))\n\n"
    "g = srcgrad.grad(f)\nfirst = g(np.arange(3.0)).tolist()\n",
    # the helper's cell run again, changed: the same gradient object makes new code
    "def helper(x):\n    return x ** 3\n\nsecond = g(np.arange(3.0)).tolist()\n",
    # a decorated function, then its cell run again with another body
    "@srcgrad.grad\ndef h(x):\n    return np.sum(np.sin(x))\n\nthird = h(np.zeros(2)).tolist()\n",
    "@srcgrad.grad\ndef h(x):\n    return np.sum(x * 5.0)\n\nfourth = h(np.zeros(2)).tolist()\n",
]

SHELL = """\
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
for cell in json.loads(sys.argv[1]):
    result = shell.run_cell(cell)
    if not result.success:
        raise SystemExit(f"cell failed: {result.error_in_exec!r}")
names = ("first", "second", "third", "fourth")
found = {name: shell.user_ns[name] for name in names}
found["source"] = shell.user_ns["g"].source
print(json.dumps(found))
"""


def test_ipython_cells_run_again_give_fresh_code(tmp_path):
    pytest.importorskip("IPython")
    # (IPYTHONDIR: no history or profile written to the user's home)
    done = _run(["-c", SHELL, json.dumps(CELLS)], IPYTHONDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr + done.stdout
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["first"] == [0.0, 2.0, 4.0]  # d/dx x**2
    assert found["second"] == [0.0, 3.0, 12.0]  # d/dx x**3: the helper as redefined
    assert found["third"] == [1.0, 1.0]  # cos(0)
    assert found["fourth"] == [5.0, 5.0]
    # the generated code names the cell and line it differentiates, as it names a file's
    assert ":8  return np.sum(helper(x))" in found["source"]
    assert "# <ipython-input-1-" in found["source"]


AUTORELOAD = """\
import json, sys
from IPython.core.interactiveshell import InteractiveShell

directory = sys.argv[1]
sys.path.insert(0, directory)
shell = InteractiveShell.instance()
cells = [
    "%load_ext autoreload\\n%autoreload 2\\n"
    "import numpy as np, srcgrad, model\\n"
    "g = srcgrad.grad(model.energy)\\n"
    "first = [g(np.arange(3.0)).tolist() for _ in range(3)][-1]\\n",
    "with open(directory + '/model.py', 'w') as out:\\n"
    "    out.write(text.replace('x ** 2', 'x ** 3'))\\n",
    "second = g(np.arange(3.0)).tolist()\\n",
]
shell.user_ns["text"] = open(directory + "/model.py").read()
shell.user_ns["directory"] = directory
for cell in cells:
    result = shell.run_cell(cell)
    if not result.success:
        raise SystemExit(f"cell failed: {result.error_in_exec!r}")
print(json.dumps([shell.user_ns["first"], shell.user_ns["second"]]))
"""


def test_ipython_autoreload_of_a_changed_module_gives_fresh_code(tmp_path):
    # %autoreload gives the function object the code of the file's new text in place: the
    # gradient made from the old code must not be used again
    pytest.importorskip("IPython")
    (tmp_path / "model.py").write_text(
        "import numpy as np\n\n\ndef energy(x):\n    return np.sum(x ** 2)\n"
    )
    done = _run(["-c", AUTORELOAD, str(tmp_path)], IPYTHONDIR=str(tmp_path / "ipython"))
    assert done.returncode == 0, done.stderr + done.stdout
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    assert first == [0.0, 2.0, 4.0]
    assert second == [0.0, 3.0, 12.0]


def test_a_function_given_new_code_in_place_gets_new_gradients(tmp_path, monkeypatch):
    # what %autoreload does, without IPython: the same function object, another `__code__`
    (tmp_path / "swapped.py").write_text(
        "import numpy as np\n\n\ndef energy(x):\n    return np.sum(x ** 2)\n\n\n"
        "def cubic(x):\n    return np.sum(x ** 3)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import swapped

    x = np.arange(3.0)
    gradient = srcgrad.grad(swapped.energy)
    for _ in range(3):  # (the guard written for this signature)
        assert gradient(x).tolist() == [0.0, 2.0, 4.0]
    swapped.energy.__code__ = swapped.cubic.__code__
    assert gradient(x).tolist() == [0.0, 3.0, 12.0]
    assert srcgrad.grad(swapped.energy)(x).tolist() == [0.0, 3.0, 12.0]
