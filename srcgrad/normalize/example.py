"""Run one normalization pass on source text and print the result (for the passes' doctests)."""

from __future__ import annotations

import ast
import sys
import textwrap

import gast
import numpy

from ..errors import Origin
from ..front import nodes
from ..front.context import Context
from ..front.reading import Namespace, Parsed


def show(run, source: str) -> None:
    tree = gast.parse(textwrap.dedent(source)).body[0]
    for node in gast.walk(tree):
        if hasattr(node, "lineno"):
            nodes.stamp(node, Origin("example.py", node.lineno, node.col_offset, tree.name, ""))
    from ..runtime.checkpoints import checkpointed
    from ..runtime.markers import no_grad, stop_gradient

    namespace = Namespace(
        {
            "np": numpy,
            "checkpointed": checkpointed,
            "no_grad": no_grad,
            "stop_gradient": stop_gradient,
            "__builtins__": __builtins__,
        }
    )
    ctx = Context.of(Parsed(fn=None, tree=tree, filename="example.py", namespace=namespace))
    run(tree, ctx)
    sys.stdout.write(ast.unparse(gast.gast_to_ast(gast.fix_missing_locations(tree))) + "\n")
