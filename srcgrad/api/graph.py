"""`graph`: the computation graph of a function, in Graphviz DOT, drawn from its source.

Leaves are the arguments (those differentiated with respect to are drawn doubled, PyTorch's
`requires_grad`), each operation of the normalized function is a node labelled with its
expression and the user's line, and each edge carries the local derivative as a formula,
`∂d/∂b = w3`: the chain rule multiplies along paths and adds over paths. Loops and branches are
clusters, drawn once, not unrolled.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import gast

from ..analyse.activity import active_names
from ..front import fence, nodes, reading
from ..front.context import Context
from ..front.emit import unparse
from ..normalize import normalize
from ..normalize.ir import Kind, Operation, operation
from ..optimize.algebra import simplified
from ..rules.registry import reverse_rule
from .gradient import Gradient
from .hints import Wrt
from .views import Graph

_LOOPS = (gast.For, gast.While)


def graph(fn: Callable, wrt: Wrt = 0) -> Graph:
    """The DOT text of `fn`'s computation graph, edges labelled with local derivatives (a
    `str`; in a notebook it is drawn as SVG where Graphviz is installed)."""
    transform = Gradient(fn, wrt)
    parsed = reading.read(transform.fn)
    fence.check(parsed)
    ctx = Context.of(parsed)
    normalize(ctx)
    return Graph(_Drawing(ctx, list(transform.wrt)).text())


class _Drawing:
    def __init__(self, ctx: Context, wrt: list[str]):
        self.ctx = ctx
        self.wrt = wrt
        tree = ctx.parsed.tree
        *self.body, last = tree.body
        self.output = last.value.id if isinstance(last, gast.Return) else None
        statements = [s for s in _walk(self.body) if isinstance(s, gast.Assign)]
        self.ops = {id(s): operation(s, ctx) for s in statements}
        self.expressions = {id(s): unparse(s.value) for s in statements}
        self.active = active_names(list(self.ops.values()), wrt, self.output or "")
        self.params = [a.id for a in tree.args.args]
        self.node_of: dict[str, str] = {}  # variable -> node drawing its latest value
        self.drawn: dict[str, int] = {}  # variable -> how many nodes drew it so far
        self.lines: list[str] = []
        self.clusters = 0

    def text(self) -> str:
        name = self.ctx.parsed.name
        out = [
            f'digraph "{name}" {{',
            "  rankdir=LR;",
            '  node [fontname="Helvetica"];',
            '  edge [fontname="Helvetica", fontsize=10];',
        ]
        for param in self.params:
            style = ", peripheries=2, style=bold" if param in self.wrt else ""
            kind = "differentiated" if param in self.wrt else "not differentiated"
            out.append(f'  "{param}" [shape=box, label="{param}\\n({kind})"{style}];')
            self.node_of[param] = param
        self.block(self.body, "  ")
        out.extend(self.lines)
        if self.output is not None and self.output in self.node_of:
            out.append('  "output" [shape=doubleoctagon, label="output"];')
            out.append(f'  "{self.node_of[self.output]}" -> "output";')
        out.append("}")
        return "\n".join(out) + "\n"

    def block(self, stmts: list, indent: str) -> None:
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                self.assignment(stmt, indent)
            elif isinstance(stmt, (gast.If, *_LOOPS)):
                self.cluster(stmt, indent)

    def cluster(self, stmt, indent: str) -> None:
        self.clusters += 1
        origin = nodes.origin_of(stmt)
        label = _escape(f"{origin.text}  (line {origin.lineno})") if origin else "block"
        self.lines.append(f"{indent}subgraph cluster_{self.clusters} {{")
        self.lines.append(f'{indent}  label="{label}"; style=dashed;')
        self.block(stmt.body, indent + "  ")
        if getattr(stmt, "orelse", None):
            self.lines.append(f"{indent}  subgraph cluster_{self.clusters}_else {{")
            self.lines.append(f'{indent}    label="else"; style=dotted;')
            self.block(stmt.orelse, indent + "    ")
            self.lines.append(f"{indent}  }}")
        self.lines.append(f"{indent}}}")

    def assignment(self, stmt: gast.Assign, indent: str) -> None:
        op = self.ops[id(stmt)]
        count = self.drawn[op.target] = self.drawn.get(op.target, 0) + 1
        node = op.target if count == 1 else f"{op.target}#{count}"
        origin = nodes.origin_of(stmt)
        expression = unparse(stmt.value)
        temporary = op.target in self.ctx.names.generated
        label = expression if temporary else f"{op.target} = {expression}"
        if not temporary and origin and origin.text.startswith(f"{op.target} ="):
            label = origin.text  # the user's own line: d = w3 * b + w4 * c
        result = f"({expression})" if temporary else op.target
        where = f"\\nline {origin.lineno}" if origin else ""
        color = "" if op.target in self.active else ", color=gray, fontcolor=gray"
        self.lines.append(f'{indent}"{node}" [label="{_escape(label)}{where}"{color}];')
        for operand in {n: None for n in _operand_names(op)}:
            source = self.node_of.get(operand)
            if source is None:
                continue
            formula = self.derivative(op, operand)
            of = self._expression_of(operand) if operand in self.ctx.names.generated else operand
            edge_label = f"∂{result}/∂{of} = {formula}" if formula else ""
            style = (
                ""
                if operand in self.active and op.target in self.active
                else (", style=dashed, color=gray")
            )
            self.lines.append(
                f'{indent}"{source}" -> "{node}" [label="{_escape(edge_label)}"{style}];'
            )
        self.node_of[op.target] = node

    def _expression_of(self, name: str) -> str:
        for stmt_id, op in self.ops.items():
            if op.target == name:
                return f"({self.expressions[stmt_id]})"
        return name

    def derivative(self, op: Operation, operand: str) -> str:
        """The local derivative d(target)/d(operand) as a formula, from the rule with g = 1."""
        if op.kind is Kind.COPY:
            return "1"
        rule = reverse_rule(op.key) if op.kind is Kind.CALL else None
        if rule is None:
            return ""
        try:
            bound = rule.signature().bind(*op.args, **op.keywords)
        except TypeError:
            return ""
        mapping = {p: nodes.const(v) for p, v in rule.defaults.items()}
        mapping.update(bound.arguments)
        mapping["g"] = nodes.const(1.0)
        mapping["ans"] = nodes.load(op.target)
        _, outputs = rule.instantiate(mapping, self.ctx)
        parts = []
        for param, out in zip(rule.differentiable, outputs):
            node = bound.arguments.get(param)
            if out is not None and isinstance(node, gast.Name) and node.id == operand:
                parts.append(unparse(simplified(out)))
        return " + ".join(parts)


def _operand_names(op: Operation) -> list[str]:
    names = []
    for node in op.operands():
        names.extend(n.id for n in gast.walk(node) if isinstance(n, gast.Name))
    return names


def _walk(stmts: list):
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse"):
            yield from _walk(getattr(stmt, field, None) or [])


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render(dot_text: str, path: str) -> None:
    """Write `path` (.svg, .png, .pdf) with Graphviz's `dot`, which must be installed."""
    import shutil
    import subprocess

    program = shutil.which("dot")
    if program is None:
        raise FileNotFoundError(
            "rendering needs Graphviz's 'dot' program: install Graphviz (Debian/Ubuntu: "
            "apt-get install graphviz; macOS: brew install graphviz), or paste the DOT text "
            "into any Graphviz viewer"
        )
    kind = os.path.splitext(path)[1].lstrip(".") or "svg"
    subprocess.run([program, f"-T{kind}", "-o", path], input=dot_text.encode(), check=True)
