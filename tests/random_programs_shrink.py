"""Make a failing random program smaller while it fails the same way, and report failures.

`minimise(source, still_fails, seconds)` deletes statements (a line with the block it heads)
one at a time, keeping each deletion after which `still_fails(source)` holds, until no single
deletion does or the time is up. It never deletes a `def`, the function's final `return`, or a
`while` loop's counter (that would make the loop endless); a block left empty gets a `pass`.

`Report` collects the outcome of every program a run checks, and writes one section per kind
of failure: how often it happened, and its smallest program, minimised.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_FIXED = re.compile(r"def |import |    return ")  # at the start of a line
_COUNTER = re.compile(r"\s*i\d+ (= 0|\+= 1|= i\d+ \+ 1)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _statements(lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line ranges of the statements that may be deleted, largest first."""
    found = []
    for first, line in enumerate(lines):
        if not line.strip() or _FIXED.match(line) or _COUNTER.match(line):
            continue
        end = first + 1
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > _indent(line)):
            end += 1
        found.append((first, end))
    return sorted(found, key=lambda r: r[0] - r[1])


def _without(lines: list[str], first: int, end: int) -> list[str] | None:
    """The lines with statement [first, end) deleted (or made `pass`), if that is Python."""
    for replacement in ([], [" " * _indent(lines[first]) + "pass"]):
        trial = lines[:first] + replacement + lines[end:]
        if trial == lines:
            return None
        try:
            compile("\n".join(trial), "<minimised>", "exec")
        except SyntaxError:
            continue
        return trial
    return None


def minimise(source: str, still_fails: Callable[[str], bool], seconds: float) -> str:
    lines = source.rstrip("\n").split("\n")
    deadline = time.monotonic() + seconds
    shrinking = True
    while shrinking and time.monotonic() < deadline:
        shrinking = False
        for first, end in _statements(lines):
            trial = _without(lines, first, end)
            if trial is not None and still_fails("\n".join(trial) + "\n"):
                lines, shrinking = trial, True
                break
            if time.monotonic() > deadline:
                break
    return "\n".join(lines) + "\n"


def kind_of(message: str) -> str:
    """A failure's kind: its first line without numbers, names of temporaries or file names."""
    first = message.split("\n", 1)[0]
    first = re.sub(r"/\S+\.py", "FILE", first)
    first = re.sub(r"'(v|y|out|items|r|row|item|k|i)\d+'", "'NAME'", first)
    first = re.sub(r"\d+(\.\d+)?", "N", first)
    return first[:160]


@dataclass
class Report:
    """The outcome of every program a run checked."""

    run: int = 0
    not_smooth: int = 0
    failures: dict[str, list] = field(default_factory=dict)  # kind -> [(program, message)]

    def add(self, program, message: str | None, smooth: bool = True) -> None:
        self.run += 1
        self.not_smooth += not smooth
        if message is not None:
            self.failures.setdefault(kind_of(message), []).append((program, message))

    def summary(self) -> str:
        failed = sum(len(v) for v in self.failures.values())
        return (
            f"{self.run} random programs: {self.run - failed - self.not_smooth} agree with "
            f"finite differences, {self.not_smooth} not smooth at their arguments (skipped), "
            f"{failed} failed ({len(self.failures)} kinds)"
        )

    def text(self, check: Callable, examples: int = 3, seconds: float = 10.0) -> str:
        """Every kind of failure with its smallest programs (up to `examples` of them),
        minimised with `check(source, program)`, which returns the failure message of `source`
        run as `program`, or None."""
        sections = [self.summary()]
        by_count = sorted(self.failures.items(), key=lambda item: -len(item[1]))
        for kind, cases in by_count:
            shown = set()
            for program, message in sorted(cases, key=lambda case: len(case[0].source))[:examples]:

                def still_fails(source: str, program=program, kind=kind) -> bool:
                    found = check(source, program)
                    return found is not None and kind_of(found) == kind

                small = minimise(program.source, still_fails, seconds)
                if small not in shown:
                    shown.add(small)
                    message = check(small, program) or message
                    sections.append(f"===== {len(cases)} x {kind}\n{message}")
        return "\n\n".join(sections)
