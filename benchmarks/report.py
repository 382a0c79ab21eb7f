"""The printed report: the timing table, srcgrad's detail table, geometric means, the targets.

A row holds what was measured for one case at one size; a cell that could not be measured holds
the reason as a string ("n/a ...", "FAIL ...") and is left out of the means.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

TARGETS = {  # name: (size, limit): issue 18's
    "geometric mean": {"small": 1.2, "large": 1.0},
    "every case": {"small": 1.5, "large": 1.1},
}
MEMORY_LIMIT = 1.2  # peak memory of a call, relative to hand-written (large sizes)
TRANSFORM_MEDIAN_LIMIT = 15e-3  # seconds: the median over the cases
TRANSFORM_LIMIT = 50e-3  # seconds: every case
OVERHEAD_LIMIT = 0.3e-6  # seconds: cached grad(f)(*args) minus the generated function alone
IMPORT_LIMIT = 150e-3  # seconds: `import srcgrad` after NumPy
FIRST_CALL_LIMIT = 5.0  # milliseconds: first call in a new process, its code in srcgrad's cache


@dataclass
class Row:
    case: str
    size: str
    times: dict[str, float | str] = field(default_factory=dict)  # method -> seconds per call
    memory: dict[str, int | str] = field(default_factory=dict)  # method -> peak bytes
    forward: float | None = None  # seconds per call of the user function itself
    transformation: float | None = None  # seconds
    overhead: float | None = None  # seconds

    def ratio(self, method: str) -> float | None:
        time, hand = self.times.get(method), self.times.get("hand")
        if isinstance(time, float) and isinstance(hand, float):
            return time / hand
        return None

    def memory_ratio(self, method: str) -> float | None:
        used, hand = self.memory.get(method), self.memory.get("hand")
        if isinstance(used, int) and isinstance(hand, int) and hand > 0:
            return used / hand
        return None


def microseconds(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def ratio(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def _cell(row: Row, method: str) -> str:
    time = row.times.get(method)
    if time is None:
        return ""
    if isinstance(time, str):
        return time[:18]
    return f"{microseconds(time):>10} {ratio(row.ratio(method)):>6}x"


def timing_table(rows: list[Row], methods: list[str]) -> list[str]:
    head = f"{'case':<11}{'size':<6}{'hand µs':>10}" + "".join(f" {m:>18}" for m in methods)
    lines = [head, "-" * len(head)]
    for row in rows:
        hand = row.times.get("hand")
        hand_text = microseconds(hand) if isinstance(hand, float) else str(hand)
        cells = "".join(f" {_cell(row, m):>18}" for m in methods)
        lines.append(f"{row.case:<11}{row.size:<6}{hand_text:>10}{cells}")
    return lines


def _number(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def detail_table(rows: list[Row]) -> list[str]:
    head = (
        f"{'case':<11}{'size':<6}{'fwd µs':>10}{'hand/fwd':>9}{'srcgrad/fwd':>12}"
        f"{'peak hand':>11}{'srcgrad':>9}{'autograd':>9}{'transform ms':>13}{'lookup µs':>10}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        per_forward = [
            row.times[m] / row.forward if isinstance(row.times.get(m), float) else None
            for m in ("hand", "srcgrad")
        ]
        hand_bytes = row.memory.get("hand")
        lines.append(
            f"{row.case:<11}{row.size:<6}"
            f"{microseconds(row.forward) if row.forward else '-':>10}"
            f"{_number(per_forward[0], '.2f'):>9}{_number(per_forward[1], '.2f'):>12}"
            f"{_kilobytes(hand_bytes):>11}"
            f"{_number(row.memory_ratio('srcgrad'), '.2f') + 'x':>9}"
            f"{_number(row.memory_ratio('autograd'), '.2f') + 'x':>9}"
            f"{_number(row.transformation and row.transformation * 1e3, '.1f'):>13}"
            f"{_number(row.overhead and row.overhead * 1e6, '.2f'):>10}"
        )
    return lines


def _kilobytes(value) -> str:
    if not isinstance(value, int):
        return "-"
    return f"{value / 1024:.1f} kB" if value < 10 * 2**20 else f"{value / 2**20:.0f} MB"


def geometric_mean(values: list[float]) -> float | None:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def means(rows: list[Row], methods: list[str]) -> list[str]:
    lines = []
    for size in ("small", "large"):
        parts = []
        for method in methods:
            ratios = [r.ratio(method) for r in rows if r.size == size]
            ratios = [x for x in ratios if x is not None]
            mean = geometric_mean(ratios)
            if mean is not None:
                parts.append(f"{method} {mean:.2f}x ({len(ratios)})")
        lines.append(f"geometric mean of time / hand-written, {size}: " + ", ".join(parts))
    return lines


def _verdict(holds: bool) -> str:
    return "holds " if holds else "MISSED"


def targets(rows: list[Row], imported: float | None = None) -> list[str]:
    """srcgrad against the performance issue's targets, one line each (`imported`: seconds
    `import srcgrad` took)."""
    lines = []
    for size in ("small", "large"):
        ratios = {r.case: r.ratio("srcgrad") for r in rows if r.size == size}
        ratios = {case: x for case, x in ratios.items() if x is not None}
        if not ratios:
            continue
        mean, limit = geometric_mean(list(ratios.values())), TARGETS["geometric mean"][size]
        lines.append(f"{_verdict(mean <= limit)} {size} geometric mean <= {limit}x: {mean:.2f}x")
        jitted = [r.ratio("jax.jit") for r in rows if r.size == size]
        jitted = [x for x in jitted if x is not None]
        if size == "small" and jitted:  # (over the cases both ran)
            both = [
                r.ratio("srcgrad")
                for r in rows
                if r.size == size and r.ratio("jax.jit") is not None and r.ratio("srcgrad")
            ]
            ours, theirs = geometric_mean(both), geometric_mean(jitted)
            lines.append(
                f"{_verdict(ours < theirs)} small geometric mean below jax.jit's, over the "
                f"{len(jitted)} cases jax.jit runs: {ours:.2f}x against {theirs:.2f}x"
            )
        limit = TARGETS["every case"][size]
        over = {c: x for c, x in sorted(ratios.items(), key=lambda i: -i[1]) if x > limit}
        listed = ", ".join(f"{c} {x:.2f}x" for c, x in over.items()) or "none"
        lines.append(f"{_verdict(not over)} every {size} case <= {limit}x: above: {listed}")
    memory = {r.case: r.memory_ratio("srcgrad") for r in rows if r.size == "large"}
    memory = {case: x for case, x in memory.items() if x is not None}
    if memory:
        worst = max(memory, key=memory.get)
        lines.append(
            f"{_verdict(memory[worst] <= MEMORY_LIMIT)} peak memory <= {MEMORY_LIMIT}x (large): "
            f"geometric mean {geometric_mean(list(memory.values())):.2f}x, "
            f"worst {worst} {memory[worst]:.2f}x"
        )
    transformations = [r.transformation for r in rows if r.transformation is not None]
    if transformations:
        median = statistics.median(transformations)
        lines.append(
            f"{_verdict(median <= TRANSFORM_MEDIAN_LIMIT)} transformation median <= "
            f"{TRANSFORM_MEDIAN_LIMIT * 1e3:g} ms: {median * 1e3:.1f} ms"
        )
    lines += _per_row_limit(rows, "transformation", TRANSFORM_LIMIT, 1e3, "ms", "transformation")
    lines += _per_row_limit(
        rows, "overhead", OVERHEAD_LIMIT, 1e6, "µs", "cached lookup + call minus generated"
    )
    if imported is not None:
        verdict = _verdict(imported <= IMPORT_LIMIT)
        lines.append(
            f"{verdict} import srcgrad <= {IMPORT_LIMIT * 1e3:g} ms: {imported * 1e3:.0f} ms "
            "(median, NumPy imported first)"
        )
    return lines


def _per_row_limit(rows, attribute, limit, scale, unit, what) -> list[str]:
    measured = [(getattr(r, attribute), f"{r.case}/{r.size}") for r in rows]
    measured = [(value, name) for value, name in measured if value is not None]
    if not measured:
        return []
    worst, name = max(measured)
    over = sum(value > limit for value, _ in measured)
    return [
        f"{_verdict(not over)} {what} <= {limit * scale:g} {unit}: worst {name} "
        f"{worst * scale:.2f} {unit}, {over} of {len(measured)} above"
    ]


def first_call_target(times: dict[str, float | str] | None) -> list[str]:
    """The first call in a new process that finds its code cached, worst case and size
    (`times`: milliseconds or the reason it failed, per "case/size"; None: not measured)."""
    what = (
        f"cached first call in a new process <= {FIRST_CALL_LIMIT:g} ms (more than its second, "
        "less the hand-written gradient's first-call excess)"
    )
    measured = {name: t for name, t in (times or {}).items() if isinstance(t, float)}
    failed = {name: t for name, t in (times or {}).items() if isinstance(t, str)}
    if not measured:
        reason = "first_call.py is not there" if times is None else "every case failed"
        return [f"------ {what}: not measured ({reason})"]
    worst = max(measured, key=measured.get)
    over = sum(t > FIRST_CALL_LIMIT for t in measured.values())
    line = (
        f"{_verdict(not over and not failed)} {what}: worst {worst} {measured[worst]:.2f} ms, "
        f"{over} of {len(measured)} above"
    )
    return [line] + [f"  first call of {name} failed: {why}" for name, why in failed.items()]
