"""How srcgrad's objects look to a person: the generated code beside the user's function, as
HTML (a gradient object's `_repr_html_` in a notebook; `srcgrad.show(f, html="out.html")` as a
page of its own), and the computation graph of `srcgrad.graph` drawn as SVG where Graphviz is
installed.

The view has one row per line of the user's function and, beside each line, the generated lines
made from it: in reverse mode its part of the forward sweep and, highlighted, its adjoint block;
in forward mode its value and tangent lines. Which of the user's lines a generated line came
from is the origin srcgrad stamped on it (`runtime.checks.origin_at`); the reverse sweep starts
at the first comment of the generated code (`front/emit.py` heads each adjoint block with one,
found with `tokenize`); the tape's pushes and pops are read from the generated code's syntax
tree. Every generated line appears once: a line of structure only (`else:`, `nonlocal`) goes
with the next line that has an origin. The HTML is self-contained (inline styles, no script, no
network), every text in it escaped, and its colours are translucent tints on the page's own
background and text colour, so it reads on light and dark themes alike.
"""

from __future__ import annotations

import ast
import html
import inspect
import io
import os
import re
import shutil
import subprocess
import textwrap
import tokenize
from dataclasses import dataclass

from ..analyse.shapes import Callee, dtype_name, of_value
from ..errors import SrcgradError
from ..runtime.checks import origin_at

_TAPE = re.compile(r"_tape(_\d+)?$")  # the tape's name (naming.fresh of "_tape")

# ---- styles: inline, translucent over whatever background and text colour the page has ------

_BORDER = "rgba(128, 128, 128, 0.35)"
_ADJOINT = "background: rgba(255, 170, 0, 0.15); border-left: 3px solid rgba(230, 150, 0, 0.9)"
_FORWARD = "border-left: 3px solid transparent"
_PUSH = "background: rgba(40, 130, 240, 0.16)"
_POP = "background: rgba(170, 80, 230, 0.16)"
_MARKS = {
    "push": ("tape push", "color: #2f80ed"),
    "pop": ("tape pop", "color: #a855f7"),
}
_VIEW = (
    "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace;"
    " font-size: 12.5px; line-height: 1.45; color: inherit; text-align: left; margin: 6px 0 14px"
)
_CELL = (
    f"text-align: left; vertical-align: top; padding: 1px 8px; border-top: 1px solid {_BORDER};"
    " white-space: pre; background: transparent"
)
_HEAD = f"{_CELL}; font-weight: 600; font-family: system-ui, sans-serif; border-top: none"
_DIM = "opacity: 0.55; user-select: none"


@dataclass(frozen=True)
class Line:
    """One line of generated code, placed beside the user's line it was made from."""

    number: int  # in the generated code
    text: str  # as generated, the function body's indentation removed
    origin: int | None  # the user's line (in the user's file), or None for structure only
    reverse: bool  # in the reverse sweep (reverse mode)
    tape: str  # "push", "pop" or ""


@dataclass(frozen=True)
class UserSource:
    """The user's function as its file has it: its lines, from `first` on; `definition` is the
    line of `def` (after any decorators)."""

    filename: str
    first: int
    lines: list[str]
    definition: int

    @classmethod
    def of(cls, fn) -> UserSource:
        lines, first = inspect.getsourcelines(fn.__code__)
        first = max(first, 1)
        lines = [line.rstrip("\r\n") for line in lines]
        tree = ast.parse(textwrap.dedent("\n".join(lines)))
        node = tree.body[0] if tree.body else None
        definition = first + node.lineno - 1 if node is not None else first
        return cls(fn.__code__.co_filename, first, lines, definition)

    def contains(self, line: int) -> bool:
        return self.first <= line < self.first + len(self.lines)

    def shown(self, text: str) -> str:
        """A line without the indentation of the whole function (a method's, a closure's)."""
        first = self.lines[0]
        indent = first[: len(first) - len(first.lstrip())]
        return text[len(indent) :] if indent and text.startswith(indent) else text


def generated_lines(source: str, filename: str, user: UserSource, forward: bool) -> list[Line]:
    """The lines of `source` (compiled under `filename`) but its header and comments, each with
    the user's line it came from, its sweep and its tape operation."""
    comments = _comment_lines(source)
    reverse_from = min(comments) if comments and not forward else None
    tape = _tape_operations(source, _names(user))
    made = []
    for number, text in enumerate(source.splitlines(), start=1):
        if number == 1 or number in comments or not text.strip():
            continue
        origin = origin_at(filename, number)
        line = None
        if origin is not None and origin.filename == user.filename and user.contains(origin.lineno):
            line = origin.lineno
        reverse = reverse_from is not None and number > reverse_from
        made.append(Line(number, text[4:], line, reverse, tape.get(number, "")))
    return made


def _comment_lines(source: str) -> set[int]:
    """The lines of the generated code that are comments (each heads an adjoint block)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.start[0] for token in tokens if token.type == tokenize.COMMENT}


def _names(user: UserSource) -> set[str]:
    tree = ast.parse(textwrap.dedent("\n".join(user.lines)))
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _tape_operations(source: str, user_names: set[str]) -> dict[int, str]:
    """Generated line -> "push" or "pop": the calls `_tape.append(...)` and `_tape.pop()` on
    the list srcgrad's tape is (a name of the user's is never the tape)."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        holder = node.func.value
        if not (isinstance(holder, ast.Name) and _TAPE.match(holder.id)):
            continue
        if holder.id not in user_names and node.func.attr in ("append", "pop"):
            found[node.lineno] = "push" if node.func.attr == "append" else "pop"
    return found


def placed(lines: list[Line], user: UserSource) -> dict[int, list[Line]]:
    """The user's line -> the generated lines beside it, in generated order; a line of
    structure only goes with the next line that has an origin (or, last, with the one before)."""
    rows: dict[int, list[Line]] = {}
    waiting: list[Line] = []
    last = user.definition
    for line in lines:
        if line.origin is None:
            waiting.append(line)
            continue
        rows.setdefault(line.origin, []).extend([*waiting, line])
        waiting, last = [], line.origin
    if waiting:
        rows.setdefault(last, []).extend(waiting)
    return rows


# ---- the HTML -------------------------------------------------------------------------------


def code_view(fn, generated, heading: str, note: str = "", forward: bool = False) -> str:
    """The generated function `generated` (a `pipeline.Generated`) beside `fn`'s lines."""
    source = generated.source
    try:
        user = UserSource.of(fn)
    except (OSError, TypeError, SyntaxError) as exc:
        note = f"{note} The source of {fn.__qualname__} cannot be read ({exc})".strip()
        return _frame(heading, note, "", source)
    filename = generated.function.__code__.co_filename
    lines = generated_lines(source, filename, user, forward)
    rows = placed(lines, user)
    header = source.splitlines()[0]
    columns = ["forward-mode code"] if forward else ["forward sweep", "reverse sweep (adjoints)"]
    head = "".join(
        f'<th style="{_HEAD}">{html.escape(name)}</th>' for name in ["", "your code", *columns]
    )
    body = []
    for offset, text in enumerate(user.lines):
        number = user.first + offset
        beside = rows.get(number, [])
        if number == user.definition:
            beside = [Line(1, header, number, False, ""), *beside]
        body.append(_row(number, user.shown(text), beside, forward))
    table = (
        f'<table class="sg-table" style="border-collapse: collapse; border: none; margin: 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
    return _frame(heading, note, table, source, forward)


def _row(number: int, text: str, beside: list[Line], forward: bool) -> str:
    cells = [
        f'<td class="sg-lineno" style="{_CELL}; {_DIM}">{number}</td>',
        f'<td class="sg-user" style="{_CELL}">{html.escape(text)}</td>',
    ]
    if forward:
        cells.append(_cell("sg-code", beside, highlight=True))
    else:
        cells.append(_cell("sg-forward", [x for x in beside if not x.reverse], highlight=False))
        cells.append(_cell("sg-reverse", [x for x in beside if x.reverse], highlight=True))
    row = f'<tr class="sg-row" data-line="{number}" style="background: transparent">'
    return f"{row}{''.join(cells)}</tr>"


def _cell(kind: str, lines: list[Line], highlight: bool) -> str:
    """A cell of generated lines, one block per run of consecutive lines."""
    blocks: list[list[Line]] = []
    for line in lines:
        if blocks and line.number == blocks[-1][-1].number + 1:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    made = []
    for block in blocks:
        # (the generated `def` line is not a derivative: never highlighted)
        style = _ADJOINT if highlight and block[0].number > 1 else _FORWARD
        inner = "".join(_line(line) for line in block)
        made.append(
            f'<div class="sg-block" style="{style}; margin: 1px 0; padding: 0 4px">{inner}</div>'
        )
    return f'<td class="{kind}" style="{_CELL}; padding: 1px 4px">{"".join(made)}</td>'


def _line(line: Line) -> str:
    kind = f" sg-{line.tape}" if line.tape else ""
    style = {"push": _PUSH, "pop": _POP}.get(line.tape, "")
    mark = ""
    if line.tape:
        label, color = _MARKS[line.tape]
        mark = (
            f' <span class="sg-mark" style="{color}; font-size: 10px; font-family: system-ui, '
            f'sans-serif; border: 1px solid currentColor; border-radius: 3px; padding: 0 3px">'
            f"{label}</span>"
        )
    return (
        f'<div class="sg-line{kind}" data-line="{line.number}" style="{style}">'
        f'<span class="sg-n" style="{_DIM}; display: inline-block; min-width: 2.2em">'
        f'{line.number}</span><span class="sg-text">{html.escape(line.text)}</span>{mark}</div>'
    )


def _frame(heading: str, note: str, table: str, source: str, forward: bool = False) -> str:
    legend = (
        "Each line of yours sits beside the code made from it, highlighted: its value and "
        "tangent. Small numbers are lines of the generated code."
        if forward
        else "Each line of yours sits beside the code made from it; highlighted: its adjoint "
        "block; tape push / pop: a value saved in the forward sweep and taken back in the "
        "reverse sweep. Small numbers are lines of the generated code."
    )
    parts = [
        f'<div class="srcgrad-view" style="{_VIEW}">',
        f'<div class="sg-heading" style="font-family: system-ui, sans-serif; font-weight: 600;'
        f' margin-bottom: 2px">{html.escape(heading)}</div>',
    ]
    if note:
        parts.append(
            f'<div class="sg-note" style="font-family: system-ui, sans-serif; margin-bottom: 4px">'
            f"{html.escape(note)}</div>"
        )
    if table:
        parts.append(
            f'<div class="sg-legend" style="font-family: system-ui, sans-serif; font-size: 11px;'
            f' {_DIM}; margin-bottom: 4px">{html.escape(legend)}</div>'
        )
        parts.append(table)
    if source:
        count = len(source.splitlines())
        parts.append(
            f'<details class="sg-listing" style="margin-top: 6px"><summary style="font-family: '
            f'system-ui, sans-serif; cursor: pointer">the generated function as one piece ('
            f'{count} lines)</summary><pre style="{_VIEW}; background: transparent; padding: 4px;'
            f' border: 1px solid {_BORDER}; white-space: pre">{html.escape(source)}</pre></details>'
        )
    parts.append("</div>")
    return "".join(parts)


def note_view(heading: str, note: str) -> str:
    """A view with no code yet: the heading and why."""
    return _frame(heading, note, "", "")


def page(view: str, title: str) -> str:
    """A standalone HTML page holding `view`, in the reader's light or dark colours."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n"
        '<body style="margin: 24px; background: Canvas; color: CanvasText; '
        'font-family: system-ui, sans-serif">\n'
        f"{view}\n</body>\n</html>\n"
    )


# ---- the views of the public objects --------------------------------------------------------


def transform_view(transform, generated=None, signature: tuple | None = None) -> str:
    """A `Gradient` or `Forward`: the code of its latest call (or of `generated`, made for
    `signature`); before any call, the code for the signature its annotations give."""
    wrt = transform.wrt if transform.wrt_is_tuple else transform.wrt[0]
    mode = transform.mode
    kind = "forward mode" if mode.forward else mode.value.replace("_", " ")
    inner = transform
    while getattr(inner, "inner", None) is not None:  # grad(grad(f)): a derivative's derivative
        kind, inner = f"{kind} of grad", inner.inner
    heading = f"{kind} of {_named(transform.fn)} with respect to {wrt!r}"
    if generated is None:
        try:
            transform.source  # noqa: B018  (makes the code before any call)
        except SrcgradError as exc:
            return note_view(heading, str(exc))
        generated = transform._latest
        signature = next((s for s, g in transform._seen.items() if g is generated), None)
    if signature is None:
        note = (
            "No call yet: this is the code for arguments of any shape (float where the "
            "annotations say so). After a call, the code made for that call's arguments is shown."
        )
    else:
        note = f"Code made for {describe(transform.params, signature)}."
    return code_view(transform.fn, generated, heading, note, mode.forward)


def _named(fn) -> str:
    """`loss (model.py:12)`: the function and where it is defined."""
    code = fn.__code__
    return f"{fn.__qualname__} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


def hessian_view(hessian) -> str:
    """A `Hessian`: its row function's code, reverse mode over the forward-mode code."""
    heading = (
        f"hessian of {_named(hessian.fn)} with respect to {hessian.wrt!r} "
        "(reverse mode over its forward-mode code)"
    )
    if not hessian._rows:
        return note_view(
            heading, "Call it once first: its code is made for a call's argument shapes."
        )
    row = list(hessian._rows.values())[-1]
    return code_view(hessian.fn, row._latest, heading, "The code of the latest call's rows.")


def jacobian_view(jacobian) -> str:
    """A `Jacobian`: the forward-mode code (columns) and the pullback (rows) it has made."""
    made = [t for t in (jacobian.forward, jacobian.reverse) if t._latest is not None]
    if not made:
        heading = f"jacobian of {_named(jacobian.fn)}"
        return note_view(
            heading, "Call it once first: its code is made for a call's argument shapes."
        )
    return "".join(transform_view(t) for t in made)


def write_page(path, transform, args: tuple, kwargs: dict) -> None:
    """`srcgrad.show(f, *args, html=path)`: the view of `transform`'s code for these arguments
    (with none, the code `.source` shows) written to `path` as a page of its own."""
    if args or kwargs:
        values = transform._bind(args, kwargs)
        signature = tuple(of_value(a) for a in values)
        view = transform_view(transform, transform._generated(signature, values), signature)
    else:
        view = transform_view(transform)
    with open(path, "w", encoding="utf-8") as out:
        out.write(page(view, f"srcgrad: {transform.__name__}"))


def describe(params: list[str], signature: tuple) -> str:
    """`x: float64 array of shape (3,), n: int`: what code was made for."""
    return ", ".join(f"{p}: {_kind(s)}" for p, s in zip(params, signature))


def _kind(entry) -> str:
    if entry is None:
        return "any value"
    shape, dtype = entry[0], entry[1]
    if isinstance(dtype, Callee):
        return "a function"
    if shape is None:
        return str(dtype)
    if shape == () and dtype in ("float", "int"):
        return dtype
    return f"{dtype_name(dtype)} array of shape {shape}"


# ---- the graph, drawn -----------------------------------------------------------------------


def dot_program() -> str | None:
    """Graphviz's `dot`, if installed."""
    return shutil.which("dot")


class Graph(str):
    """`srcgrad.graph(f)`: the DOT text (a `str`), drawn as SVG in a notebook where Graphviz's
    `dot` is installed; elsewhere the notebook shows the text."""

    __slots__ = ()

    def _repr_svg_(self) -> str | None:
        program = dot_program()
        if program is None:
            return None  # (the notebook shows the next representation: the text)
        try:
            done = subprocess.run(
                [program, "-Tsvg"], input=self.encode(), capture_output=True, timeout=60, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.decode("utf-8")

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        text = str(self)
        if dot_program() is None:
            text += "// install Graphviz (its 'dot' program) to see this graph drawn\n"
        printer.text(text)
