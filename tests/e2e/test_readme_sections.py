"""What README says, checked: the tour prints what it shows (and names the file the code is
compiled under as srcgrad does), and every error class is exported and listed in its table."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import srcgrad
from srcgrad.errors import SrcgradError

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _blocks_after(heading: str) -> list[str]:
    text = README[README.index(heading) :]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_tour_prints_what_it_shows(tmp_path, capsys):
    program, printed = _blocks_after("## A short tour")[:2]
    path = tmp_path / "example.py"
    path.write_text(program)
    namespace = runpy.run_path(str(path))
    assert capsys.readouterr().out.strip() == printed.strip()
    compiled = namespace["loss"]._latest.function.__code__.co_filename
    assert compiled == "<srcgrad: grad of loss, example.py:6>"
    assert f"under a file name such as `{compiled}`" in README


def _error_classes(cls=SrcgradError):
    yield cls
    for sub in cls.__subclasses__():
        yield from _error_classes(sub)


def test_every_error_class_is_exported_and_in_the_readme_table():
    table = README[README.index("### Errors") :].split("\n\n")[1:3]
    rows = "\n\n".join(table)
    for cls in _error_classes():
        if not cls.__module__.startswith("srcgrad."):
            continue  # (a test's own subclass)
        assert getattr(srcgrad, cls.__name__) is cls and cls.__name__ in srcgrad.__all__
        assert f"\n| `{cls.__name__}` | " in rows, cls.__name__
