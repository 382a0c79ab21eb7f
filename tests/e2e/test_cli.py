"""The command line, misused: one line on stderr, exit status 2, never a traceback; `--help`
shows examples. (tests/e2e/test_api.py runs it used well.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from srcgrad.api.cli import main

ROOT = Path(__file__).resolve().parents[2]
NEURON = ROOT / "examples" / "neuron.py"


def _srcgrad(*arguments: str, program: tuple[str, ...] = ("-m", "srcgrad")):
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [*((sys.executable, *program) if program[0] == "-m" else program), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": path},  # (this tree's srcgrad)
    )


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            [f"{NEURON}:loss", "--at", "2,1"],
            "srcgrad: --at gives 2 value(s), which do not fit loss(a: float, w1: float, w2: "
            "float, w3: float, w4: float): missing a required argument: 'w2'",
        ),
        ([f"{NEURON}:nope"], f"srcgrad: {NEURON} has no function 'nope' (its functions: loss)"),
        (["missing.py:loss"], "srcgrad: no such file: missing.py"),
        ([str(NEURON)], "srcgrad: expected FILE.py:FUNCTION (e.g. examples/neuron.py:loss), got"),
    ],
    ids=["--at count", "unknown function", "missing file", "no :FUNCTION"],
)
def test_a_misused_command_line_prints_one_line(arguments, said):
    done = _srcgrad(*arguments)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(said), done.stderr


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--at", "1,(2"], "srcgrad: --at '1,(2': give comma-separated Python literals"),
        (["--wrt", "z"], "srcgrad: --wrt z: wrt='z' is not an argument of 'loss'"),
        (["--render", "out.svg"], "srcgrad: error: --render draws the graph: give --graph too"),
        (["--bogus"], "srcgrad: error: unrecognized arguments: --bogus"),
    ],
)
def test_more_misuse_is_one_line_too(arguments, said, capsys):
    try:
        status = main([f"{NEURON}:loss", *arguments])
    except SystemExit as exit:  # (argparse's own errors exit)
        status = exit.code
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1 and err.startswith(said), err


def test_a_file_with_a_syntax_error_is_one_line(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("def f(x):\n    return x +\n")
    assert main([f"{path}:f"]) == 2
    assert capsys.readouterr().err == f"srcgrad: {path}:2: invalid syntax\n"


def test_help_shows_an_example():
    done = _srcgrad("--help")
    assert done.returncode == 0
    assert "examples:\n  srcgrad examples/neuron.py:loss --wrt w1,w2,w3,w4 --at 2,1,2,3,4" in (
        done.stdout
    )


def test_the_installed_command_shows_the_example_too():
    script = Path(sys.executable).parent / "srcgrad"
    if not script.exists():
        pytest.skip("srcgrad is not installed as a command beside this Python")
    done = _srcgrad("--help", program=(str(script),))
    assert done.returncode == 0 and "examples:" in done.stdout
