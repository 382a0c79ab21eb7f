"""The computation graph: the tutorial's five-neuron picture, drawn from the source."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.api.cli import main as cli_main

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

import neuron
from control_functions import rnn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _edges(dot: str) -> dict[tuple[str, str], str]:
    return {
        (a, b): label
        for a, b, label in re.findall(r'"([^"]+)" -> "([^"]+)" \[label="([^"]*)"', dot)
    }


def test_five_neuron_graph_has_the_tutorials_nodes_and_local_derivatives():
    dot = srcgrad.graph(neuron.loss, wrt=("w1", "w2", "w3", "w4"))
    edges = _edges(dot)
    assert edges[("w1", "b")] == "∂b/∂w1 = a"
    assert edges[("w2", "c")] == "∂c/∂w2 = a"
    assert edges[("b", "_t1")] == "∂(w3 * b)/∂b = w3"
    assert edges[("w4", "_t2")] == "∂(w4 * c)/∂w4 = c"
    assert edges[("d", "L")] == "∂L/∂d = -1.0"
    assert '"L" -> "output"' in dot
    assert re.search(r'"w1" \[shape=box, label="w1\\n\(differentiated\)"', dot)
    assert re.search(r'"a" \[shape=box, label="a\\n\(not differentiated\)"\]', dot)
    assert 'label="d = w3 * b + w4 * c\\nline 14"' in dot


def test_loops_are_clusters_not_unrolled():
    dot = srcgrad.graph(rnn, wrt=(0, 1))
    assert dot.count("subgraph cluster_") == 1
    assert "for t in range(xs.shape[0]):" in dot
    assert dot.count("np.tanh(") == 1


def test_dot_text_is_valid():
    dot = srcgrad.graph(neuron.loss, wrt=("w1", "w2", "w3", "w4"))
    assert dot.startswith('digraph "loss" {') and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: checked the structure only")
    subprocess.run(["dot", "-Tsvg"], input=dot.encode(), check=True, capture_output=True)


def test_cli_graph_and_render(tmp_path, capsys):
    target = f"{EXAMPLES / 'neuron.py'}:loss"
    assert cli_main([target, "--wrt", "w1,w2,w3,w4", "--graph"]) == 0
    assert capsys.readouterr().out.startswith('digraph "loss"')
    out = tmp_path / "neuron.svg"
    code = cli_main([target, "--wrt", "w1,w2,w3,w4", "--graph", "--render", str(out)])
    if shutil.which("dot") is None:
        assert code == 1 and "install Graphviz" in capsys.readouterr().err
    else:
        assert code == 0 and out.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_graph_needs_no_call():
    assert np  # the graph is drawn from the source alone: no argument values
    assert "digraph" in srcgrad.graph(neuron.loss)
