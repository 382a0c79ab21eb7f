"""The tutorial's picture of the computation graph, drawn from the function's source.

Leaves are the arguments (doubled: differentiated), nodes the operations with their line, edges
the local derivatives. Prints Graphviz DOT; with Graphviz installed, also writes neuron.svg.
"""

import shutil
import sys
from pathlib import Path

import srcgrad

sys.path.insert(0, str(Path(__file__).parent))

from neuron import loss

if __name__ == "__main__":
    dot = srcgrad.graph(loss, wrt=("w1", "w2", "w3", "w4"))
    print(dot)
    if shutil.which("dot"):
        out = Path(__file__).with_name("neuron.svg")
        srcgrad.render(dot, str(out))
        print(f"wrote {out}")
