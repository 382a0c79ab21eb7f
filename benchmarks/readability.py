"""Readability as a number: the lines of srcgrad's generated gradient against the hand-written one.

    python benchmarks/readability.py [--cases rnn,mlp] [--sizes small,large]

For each case and size, the code counted is the generated function that runs for arguments of
that size (`srcgrad.grad(f, wrt).source_for(*args)`: after specialisation to the shapes, with
the releases of large arrays it makes at the large sizes), and the hand-written gradient of
`cases.py` as `inspect.getsource` gives it. Both are counted the same way: the lines of the
function's body that hold code, that is without the `def` line, the docstring, comments and
blank lines. A statement written over two lines counts two.
"""

from __future__ import annotations

import ast
import inspect
import io
import math
import textwrap
import tokenize
from dataclasses import dataclass

import srcgrad

MEAN_LIMIT = 1.5  # generated / hand-written lines, geometric mean over the cases of one size
EVERY_LIMIT = 2.0  # ... and in every case
_NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def body_lines(source: str) -> int:
    """The lines of the first function in `source` that hold code, below its `def` line and
    its docstring."""
    source = textwrap.dedent(source)
    function = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    )
    body = function.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]  # the docstring
    first, last = body[0].lineno, function.end_lineno
    with_code = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _NOT_CODE:
            with_code.update(range(token.start[0], token.end[0] + 1))
    return sum(first <= line <= last for line in with_code)


@dataclass
class Lines:
    case: str
    size: str
    generated: int
    hand: int
    released: int = 0  # of the generated lines: `del` of large arrays (srcgrad/optimize/release.py)

    @property
    def ratio(self) -> float:
        return self.generated / self.hand


def generated_source(case, size: str) -> str:
    """The generated gradient that runs for `case`'s arguments at `size`."""
    gradient = srcgrad.grad(case.function, wrt=case.wrt)
    return gradient.source_for(*case.arguments(size))


def measure(case, size: str) -> Lines:
    hand = body_lines(inspect.getsource(case.by_hand))
    generated = generated_source(case, size)
    released = sum(line.lstrip().startswith("del ") for line in generated.splitlines())
    return Lines(case.name, size, body_lines(generated), hand, released)


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def table(rows: list[Lines]) -> list[str]:
    """One line per case and size, then the geometric mean of each size."""
    head = f"{'case':<11}{'size':<6}{'srcgrad':>9}{'of them del':>13}{'hand':>6}{'ratio':>8}"
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(
            f"{row.case:<11}{row.size:<6}{row.generated:>9}{row.released:>13}{row.hand:>6}"
            f"{row.ratio:>7.2f}x"
        )
    for size in _sizes(rows):
        ratios = [r.ratio for r in rows if r.size == size]
        lines.append(f"geometric mean, {size} ({len(ratios)} cases): {geometric_mean(ratios):.2f}x")
    return lines


def targets(rows: list[Lines]) -> list[str]:
    """The issue's target, one line per size: generated lines <= 1.5x hand-written in
    geometric mean, and <= 2x in every case."""
    lines = []
    for size in _sizes(rows):
        ratios = {r.case: r.ratio for r in rows if r.size == size}
        mean = geometric_mean(list(ratios.values()))
        over = {c: x for c, x in sorted(ratios.items(), key=lambda i: -i[1]) if x > EVERY_LIMIT}
        listed = ", ".join(f"{c} {x:.2f}x" for c, x in over.items()) or "none"
        verdict = "holds " if mean <= MEAN_LIMIT and not over else "MISSED"
        lines.append(
            f"{verdict} generated lines <= {MEAN_LIMIT:g}x (<= {EVERY_LIMIT:g}x every case), "
            f"{size}: geometric mean {mean:.2f}x; above {EVERY_LIMIT:g}x: {listed}"
        )
    return lines


def _sizes(rows: list[Lines]) -> list[str]:
    return [size for size in ("small", "large") if any(r.size == size for r in rows)]


def main() -> None:
    import argparse

    import catalogue

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated: " + ",".join(catalogue.BY_NAME))
    parser.add_argument("--sizes", default="small,large", help="comma-separated: small,large")
    options = parser.parse_args()
    names = options.cases.split(",") if options.cases else list(catalogue.BY_NAME)
    sizes = options.sizes.split(",")
    rows = [
        measure(catalogue.BY_NAME[name], size)
        for name in names
        for size in sizes
        if size in catalogue.BY_NAME[name].sizes
    ]
    print("\n".join(table(rows) + [""] + targets(rows)))


if __name__ == "__main__":
    main()
