"""The notebook views: a gradient object's `_repr_html_` (the generated code beside the user's
lines), `srcgrad.show(f, html=...)` as a page, and `srcgrad.graph(f)` drawn as SVG.

The HTML is read back with the standard library's `html.parser`, so the tests check its
structure: one row per line of the user's function, each with the generated lines made from it.
"""

import inspect
import io
import re
import shutil
import subprocess
import textwrap
from html.parser import HTMLParser

import numpy as np
import pytest

import srcgrad
from srcgrad.api import views

# ---- functions the views are made of ---------------------------------------------------------


def neuron(a, w1, w2, w3, w4):
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    return 10 - d


def power_series(x, n):
    s = 0.0
    for _ in range(n):
        s = s * x + 1.0
        x = x * 0.9
    return s


def ramp(x):
    if x < 0:  # <b>not bold</b> & "quoted"
        y = -x * 0.1
        y = y + 1.0
    else:
        y = x * x
    return y


def annotated(x: float, y: float):
    z = np.sin(x) * y
    return z


def unsupported(x):
    return x & 1


# ---- reading the HTML back ---------------------------------------------------------------------

_CELLS = ("sg-user", "sg-forward", "sg-reverse", "sg-code")


class _View(HTMLParser):
    """The rows of a view: the user's line number and text, and per generated column its lines
    as (generated line number, text, tape mark)."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.tags: set[str] = set()
        self._cell = self._line = self._text = None
        self._in_note = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "sg-row" in classes:
            self.rows.append({"line": int(attrs["data-line"]), "sg-user": ""})
        elif tag == "td" and classes and classes[0] in _CELLS:
            self._cell = classes[0]
            if self._cell != "sg-user":
                self.rows[-1][self._cell] = []
        elif "sg-line" in classes:
            tape = "push" if "sg-push" in classes else "pop" if "sg-pop" in classes else ""
            self._line = [int(attrs["data-line"]), "", tape]
            self.rows[-1][self._cell].append(self._line)
        elif "sg-text" in classes:
            self._text = True
        elif "sg-note" in classes:
            self._in_note = True
            self.notes.append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "span":
            self._text = None
        elif tag == "div":
            self._in_note = False

    def handle_data(self, data):
        if self._cell == "sg-user":
            self.rows[-1]["sg-user"] += data
        elif self._text and self._line is not None:
            self._line[1] += data
        elif self._in_note:
            self.notes[-1] += data

    def beside(self, line: int, column: str) -> list[str]:
        """The generated lines in `column` of the row of user line `line`, stripped."""
        (row,) = [r for r in self.rows if r["line"] == line]
        return [text.strip() for _, text, _ in row[column]]

    def generated(self) -> list[int]:
        """Every generated line number in the table."""
        return sorted(n for r in self.rows for c in _CELLS[1:] for n, _, _ in r.get(c, []))


def first_line(fn) -> int:
    return inspect.getsourcelines(fn)[1]


def _user_lines(fn) -> tuple[list[str], int]:
    lines, first = inspect.getsourcelines(fn)
    return textwrap.dedent("".join(lines)).splitlines(), first


def _titles(source: str) -> list[tuple[int, str]]:
    """(user line, first generated statement under it) for each adjoint block's comment."""
    lines = source.splitlines()
    found = []
    for k, line in enumerate(lines):
        title = re.match(r"\s*# \S+:(\d+)  ", line)
        if title:
            found.append((int(title.group(1)), lines[k + 1].strip()))
    return found


def _code_lines(source: str) -> list[int]:
    """The generated lines the table must hold: all but the comments (the header `def` in the
    row of the user's `def`)."""
    lines = source.splitlines()
    return [n for n, t in enumerate(lines, 1) if not t.strip().startswith("#")]


def _check_rows(view: _View, fn) -> None:
    lines, first = _user_lines(fn)
    assert [r["line"] for r in view.rows] == list(range(first, first + len(lines)))
    assert [r["sg-user"] for r in view.rows] == lines  # every line of the function, once


# ---- reverse mode ------------------------------------------------------------------------------


def test_each_adjoint_block_sits_beside_the_line_it_differentiates():
    g = srcgrad.grad(neuron, wrt=("w1", "w2", "w3", "w4"))
    g(2.0, 1.0, 2.0, 3.0, 4.0)
    view = _View(g._repr_html_())
    _check_rows(view, neuron)
    source = g.source
    titles = _titles(source)
    assert len(titles) == 4
    for line, statement in titles:
        assert statement in view.beside(line, "sg-reverse")
    assert view.beside(first_line(neuron) + 2, "sg-reverse") == ["dw2 = dc * a"]
    assert view.generated() == _code_lines(source)  # every generated line, once
    assert view.beside(first_line(neuron), "sg-forward")[0].startswith("def grad_neuron(")
    assert "Code made for a: float, w1: float" in view.notes[0]


def test_tape_pushes_and_pops_are_marked_in_a_loop():
    g = srcgrad.grad(power_series)
    g(1.5, 3)
    source = g.source
    view = _View(g._repr_html_())
    _check_rows(view, power_series)
    assert view.generated() == _code_lines(source)
    marks = {"push": [], "pop": []}
    for row in view.rows:
        for column in ("sg-forward", "sg-reverse"):
            for _, text, tape in row[column]:
                if tape:
                    marks[tape].append((row["line"], column, text.strip()))
    assert len(marks["push"]) == source.count("_tape.append(") > 0
    assert len(marks["pop"]) == source.count("_tape.pop()") > 0
    assert {column for _, column, _ in marks["push"]} == {"sg-forward"}
    assert {column for _, column, _ in marks["pop"]} == {"sg-reverse"}
    body = first_line(power_series) + 3  # s = s * x + 1.0: saves s and x, takes them back
    assert ("pop" not in {t for _, _, t in _lines(view, body, "sg-forward")}) and any(
        t == "push" for _, _, t in _lines(view, body, "sg-forward")
    )
    assert {"x = _tape.pop()", "s = _tape.pop()"} <= set(view.beside(body, "sg-reverse"))


def _lines(view: _View, line: int, column: str) -> list:
    (row,) = [r for r in view.rows if r["line"] == line]
    return row[column]


def test_user_code_and_generated_code_are_escaped():
    g = srcgrad.grad(ramp)
    g(-2.0)
    text = g._repr_html_()
    assert "x &lt; 0" in text and "&lt;b&gt;not bold&lt;/b&gt; &amp; &quot;quoted&quot;" in text
    assert "x < 0" not in text and "<b>" not in text
    view = _View(text)
    assert "b" not in view.tags  # the user's comment is text, not markup
    _check_rows(view, ramp)
    condition = first_line(ramp) + 1
    (row,) = [r for r in view.rows if r["line"] == condition]
    assert row["sg-user"] == '    if x < 0:  # <b>not bold</b> & "quoted"'
    assert any("< 0" in t for t in view.beside(condition, "sg-forward"))


def test_before_the_first_call_the_generic_code_is_shown_with_a_note():
    g = srcgrad.grad(annotated)
    view = _View(g._repr_html_())
    assert view.notes and view.notes[0].startswith("No call yet")
    _check_rows(view, annotated)
    assert view.beside(first_line(annotated) + 1, "sg-reverse")
    g(1.0, 2.0)
    assert _View(g._repr_html_()).notes[0] == "Code made for x: float, y: float."


def test_a_function_srcgrad_refuses_shows_why_instead_of_raising():
    text = srcgrad.grad(unsupported)._repr_html_()
    view = _View(text)
    assert view.rows == [] and "'&' operator is not supported" in view.notes[0]


# ---- other transforms ----------------------------------------------------------------------------


def test_forward_mode_puts_value_and_tangent_beside_each_line():
    fwd = srcgrad.forward(ramp)
    fwd(1.0, 3.0)
    view = _View(fwd._repr_html_())
    _check_rows(view, ramp)
    assert not any("sg-reverse" in row for row in view.rows)
    square = first_line(ramp) + 5
    assert view.beside(square, "sg-code")[-2:] == ["y = x * x", "y_dot = x_dot * x + x * x_dot"]
    assert view.generated() == _code_lines(fwd.source)


def test_hessian_shows_reverse_over_forward_beside_the_users_lines():
    h = srcgrad.hessian(power_series)
    assert "Call it once first" in _View(h._repr_html_()).notes[0]
    h(1.5, 3)
    view = _View(h._repr_html_())
    _check_rows(view, power_series)
    body = first_line(power_series) + 3
    assert "s_dot = s_dot * x + s * x_dot" in view.beside(body, "sg-forward")
    assert any(t.startswith("ds_dot = ") for t in view.beside(body, "sg-reverse"))
    assert view.generated() == _code_lines(h.source)


def test_jacobian_and_has_aux_views():
    jac = srcgrad.jacobian(neuron, wrt=1)
    assert "Call it once first" in _View(jac._repr_html_()).notes[0]
    jac(2.0, 1.0, 2.0, 3.0, 4.0)
    view = _View(jac._repr_html_())
    _check_rows(view, neuron)
    with_aux = srcgrad.grad(lambda_free_aux, has_aux=True)
    with_aux(2.0)
    _check_rows(_View(with_aux._repr_html_()), lambda_free_aux)


def lambda_free_aux(x):
    y = x * x
    return y, "aux"


# ---- show(html=...) ----------------------------------------------------------------------------


def test_show_writes_the_same_view_as_a_page(tmp_path, capsys):
    path = tmp_path / "out.html"
    srcgrad.show(power_series, 1.5, 3, html=str(path))
    printed = capsys.readouterr().out
    assert printed.startswith("def grad_power_series(x, n):")  # still printed
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text and "http" not in text
    g = srcgrad.grad(power_series)
    g(1.5, 3)
    page, notebook = _View(text), _View(g._repr_html_())
    assert page.rows == notebook.rows and page.notes == notebook.notes
    _check_rows(page, power_series)


def test_screenshot_of_the_page(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on PATH: the page's structure is checked by the other tests")
    page = tmp_path / "out.html"
    srcgrad.show(power_series, 1.5, 3, html=str(page), file=io.StringIO())
    shot = tmp_path / "out.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    command += ["--window-size=1200,900", f"--screenshot={shot}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1200  # the width asked for


# ---- the graph -----------------------------------------------------------------------------------


def test_graph_is_its_dot_text_and_draws_as_svg_with_graphviz():
    dot = srcgrad.graph(neuron, wrt=("w1", "w2"))
    assert isinstance(dot, str) and dot.startswith('digraph "neuron" {')
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    svg = dot._repr_svg_()
    assert "<svg" in svg and "neuron" in svg


def test_graph_without_graphviz_falls_back_to_the_text(monkeypatch):
    monkeypatch.setattr(views, "dot_program", lambda: None)
    dot = srcgrad.graph(neuron, wrt=("w1", "w2"))
    assert dot._repr_svg_() is None  # the notebook shows the next representation
    printer = _Printer()
    dot._repr_pretty_(printer, False)
    assert printer.printed.startswith(str(dot)) and "install Graphviz" in printer.printed


class _Printer:
    """What IPython's pretty printer offers `_repr_pretty_`."""

    printed = ""

    def text(self, text: str) -> None:
        self.printed += text


def test_ipython_displays_the_views(monkeypatch):
    shell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell.instance()
    ran = shell.run_cell(
        "import srcgrad\n"
        "def cell(x):\n"
        "    y = x * x  # a & b < c\n"
        "    return y\n"
        "g = srcgrad.grad(cell)\n"
        "g(3.0)\n"
    )
    assert ran.success
    shown, _ = shell.display_formatter.format(shell.user_ns["g"])
    view = _View(shown["text/html"])
    assert [r["sg-user"] for r in view.rows] == [
        "def cell(x):",
        "    y = x * x  # a & b < c",
        "    return y",
    ]
    assert view.rows[1]["sg-reverse"]
    dot = srcgrad.graph(neuron, wrt=0)
    if shutil.which("dot") is not None:
        assert "<svg" in shell.display_formatter.format(dot)[0]["image/svg+xml"]
    monkeypatch.setattr(views, "dot_program", lambda: None)
    shown, _ = shell.display_formatter.format(dot)
    assert "image/svg+xml" not in shown and shown["text/plain"].startswith('digraph "neuron"')


def test_lines_of_structure_only_go_with_the_next_line_that_has_an_origin():
    user = views.UserSource.of(ramp)
    first = user.first
    lines = [
        views.Line(2, "if _t1:", first + 1, True, ""),
        views.Line(3, "dx = -0.1", first + 2, True, ""),
        views.Line(4, "else:", None, True, ""),
        views.Line(5, "dx = 2.0 * x", first + 5, True, ""),
        views.Line(6, "pass", None, True, ""),
    ]
    rows = views.placed(lines, user)
    assert [line.number for line in rows[first + 5]] == [4, 5, 6]  # (the last: the one before)
    assert sum(len(placed) for placed in rows.values()) == len(lines)
