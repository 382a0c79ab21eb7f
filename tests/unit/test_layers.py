"""srcgrad's modules import in one direction: no cycles, and each layer only from the layers below.

    front <- normalize <- analyse <- transform <- optimize <- pipeline <- api

`errors` is below everything. `rules` (the derivative rules) and `runtime` (what generated code
calls) are leaves that any layer may use: they import nothing above them (the rules registry
builds its templates with `front.nodes`, the one place that constructs `gast` nodes). Imports
are read with `ast`, at module level and inside functions alike, so a function-level import
cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "srcgrad"

# each layer, and what it may import besides itself
ORDER = ["front", "normalize", "analyse", "transform", "optimize", "pipeline", "api"]
BASE = {"errors"}
LEAVES = {"rules", "runtime"}
LEAF_MAY_IMPORT = {
    "rules": {"rules", "runtime", "errors", "front.nodes"},
    "runtime": {"runtime", "errors"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("srcgrad", *parts))] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The srcgrad modules `module` imports, anywhere in its text."""
    is_package = path.name == "__init__.py"
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            # `from ..front import nodes` imports the module srcgrad.front.nodes
            names = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin
                for alias in node.names
            ]
        else:
            continue
        found |= {name for name in names if name in MODULES and name != module}
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import cycle among srcgrad's modules (package __init__ files that only document a
    folder import nothing, so a package and its modules form no cycle by themselves)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _layer(module: str) -> str:
    """`srcgrad.transform.reverse` -> "transform"; `srcgrad.front.nodes` keeps its module."""
    parts = module.split(".")[1:]
    if not parts:
        return "package"
    return parts[0]


def _allowed(importer: str, imported: str) -> bool:
    mine, theirs = _layer(importer), _layer(imported)
    if theirs in BASE or mine == theirs:
        return True
    if mine in LEAVES:
        spelled = ".".join(imported.split(".")[1:])
        return theirs in LEAF_MAY_IMPORT[mine] or spelled in LEAF_MAY_IMPORT[mine]
    if theirs in LEAVES:
        return True
    if mine == "package" or mine == "__main__":
        return True  # srcgrad/__init__.py gathers the public names
    if mine in BASE:
        return False
    return ORDER.index(theirs) < ORDER.index(mine)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_module_imports_only_layers_below_it(module: str):
    wrong = sorted(m for m in GRAPH[module] if not _allowed(module, m))
    assert not wrong, f"{module} imports {wrong}, above or beside its layer"


def test_the_layers_are_the_folders():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {*ORDER, *LEAVES} - {"pipeline"}


def test_the_checker_sees_function_level_imports(tmp_path):
    text = "def f():\n    from ..api import transforms\n"
    path = tmp_path / "reverse.py"
    path.write_text(text)
    assert _imports("srcgrad.transform.reverse", path) == {"srcgrad.api.transforms"}
