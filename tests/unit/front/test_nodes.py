"""front/nodes.py's tree helpers, against the `gast` and `ast` machinery they stand in for:
`walk` gives the nodes `gast.walk` gives, in its order; `names_read` and `names_stored` what a
`gast.walk` filtered by context gives; `Transformer` visits the nodes `gast.NodeTransformer`
visits and leaves the same tree; `substitute` copies, replacing loaded names (and a stored name
mapped to a name), and shares no node with what it was given."""

from __future__ import annotations

import ast
import textwrap

import gast
import pytest

from srcgrad.front import nodes

# (most of Python's syntax, so that every kind of field is met)
SOURCE = textwrap.dedent(
    '''
    import numpy as np
    from math import pi as PI

    @decorated(1)
    def f(x: np.ndarray, *args, k=2, **kwargs) -> float:
        """A docstring."""
        global G
        y, *rest = x[1:-1:2], x[..., None]
        z = [v ** -2 for v in y if v > 0.5] + list(map(lambda u, w=3: u * w, rest))
        d = {"a": 1, **kwargs}
        s = {i for i in range(3)}
        q = {i: i for i in s}
        t = f"{x!r:>{k}} and {y}"
        y += -1.0
        del s
        with open("p") as handle, other():
            pass
        try:
            x = x @ x
        except (ValueError, TypeError) as error:
            raise RuntimeError("no") from error
        else:
            x = not x
        finally:
            x = x if x is not None else -x
        while x < 3 and x >= 0 or x == 1:
            x = x - 1
            if x:
                break
            continue
        for i, (a, b) in enumerate(zip(x, y)):
            yield a
        async def inner(n):
            nonlocal x
            await n
            return (yield from g(n))
        class C(Base, metaclass=Meta):
            attribute: int = 1
        assert x, "message"
        return lambda *a, **b: (a, b)
    '''
)


def _subtrees():
    tree = gast.parse(SOURCE)
    return [n for n in gast.walk(tree) if isinstance(n, (gast.mod, gast.stmt, gast.expr))]


def test_walk_gives_gast_walks_nodes_in_its_order():
    subtrees = _subtrees()
    assert len(subtrees) > 150
    for node in subtrees:
        assert nodes.walk(node) == list(gast.walk(node))


def test_names_read_and_stored_are_gast_walks_names_by_context():
    for node in _subtrees():
        found = list(gast.walk(node))
        read = {n.id for n in found if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
        stored = {
            n.id
            for n in found
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))
        }
        assert nodes.names_read(node) == read
        assert nodes.names_stored(node) == stored
    whole = gast.parse(SOURCE)
    assert {"np", "x", "y", "kwargs", "error", "decorated"} <= nodes.names_read(whole)
    assert {"x", "args", "k", "kwargs", "rest", "error", "handle", "n"} <= nodes.names_stored(whole)


def _transformers(base):
    """Transformers with the same methods on `base`: one that renames, deletes and expands,
    one that visits a leaf (`Load`), one with a generic_visit of its own; each logs its
    visits."""

    class Renames(base):
        def __init__(self):
            self.log = []

        def visit_Name(self, node):
            self.log.append(node.id)
            if node.id.startswith("x"):
                return gast.Name(id="renamed", ctx=node.ctx, annotation=None, type_comment=None)
            return node

        def visit_Expr(self, node):
            self.generic_visit(node)
            return None if isinstance(node.value, gast.Constant) else node

        def visit_Pass(self, node):
            return [gast.Pass(), gast.Break()]

        def visit_BinOp(self, node):
            self.generic_visit(node)
            self.log.append(type(node.op).__name__)
            return node

    class Leaves(base):
        def __init__(self):
            self.log = []

        def visit_Load(self, node):
            self.log.append("Load")
            return gast.Store()

    class Generic(base):
        def __init__(self):
            self.log = []

        def generic_visit(self, node):
            self.log.append(type(node).__name__)
            return super().generic_visit(node)

    return Renames, Leaves, Generic


@pytest.mark.parametrize("which", range(3))
def test_transformer_visits_and_changes_what_gasts_does(which):
    reference = _transformers(gast.NodeTransformer)[which]()
    fast = _transformers(nodes.Transformer)[which]()
    before, after = gast.parse(SOURCE), gast.parse(SOURCE)
    expected = gast.dump(reference.visit(before))
    assert gast.dump(fast.visit(after)) == expected
    assert fast.log == reference.log and reference.log


def test_substitute_replaces_loaded_names_and_names_stored_by_name():
    stmt = gast.parse("y = f(x, x)\nx = y").body
    mapping = {
        "x": nodes.binop(nodes.load("a"), gast.Add(), nodes.const(1)),
        "y": nodes.load("z"),
    }
    first, second = (nodes.substitute(s, mapping) for s in stmt)
    assert ast.unparse(gast.gast_to_ast(first)) == "z = f(a + 1, a + 1)"
    assert ast.unparse(gast.gast_to_ast(second)) == "x = z"  # (x stored: mapped to no name)
    given = {
        id(n) for n in [*gast.walk(stmt[0]), *(m for v in mapping.values() for m in gast.walk(v))]
    }
    assert not given & {id(n) for n in gast.walk(first)}


def test_substitute_keeps_srcgrads_marks_and_copies_with_no_mapping():
    stmt = nodes.stamp(gast.parse("y = x * 2").body[0], "an origin")
    nodes.mark_adjoint(stmt)
    for mapping in ({}, {"x": nodes.load("w")}):
        made = nodes.substitute(stmt, mapping)
        assert made is not stmt and made.value is not stmt.value
        assert nodes.origin_of(made) == "an origin" and nodes.is_adjoint(made)
    assert gast.dump(nodes.substitute(stmt, {})) == gast.dump(stmt)
