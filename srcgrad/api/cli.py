"""Command line: print the gradient code srcgrad generates for a function in a file.

python -m srcgrad examples/neuron.py:loss --wrt w1,w2,w3,w4 --at 2,1,2,3,4
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import sys

import numpy as np

from ..errors import SrcgradError
from .export import export
from .gradient import Forward, Gradient
from .graph import graph, render


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcgrad",
        description="Print the gradient code srcgrad generates for FILE.py:FUNCTION.",
    )
    parser.add_argument("target", help="FILE.py:FUNCTION, e.g. examples/neuron.py:loss")
    parser.add_argument(
        "--wrt",
        default="0",
        help="arguments to differentiate with respect to: names or indices, comma-separated "
        "(default: the first argument)",
    )
    parser.add_argument(
        "--at",
        metavar="VALUES",
        help="argument values, comma-separated Python literals (lists become arrays): show the "
        "code for their shapes and print the value and gradient there",
    )
    parser.add_argument(
        "--graph",
        action="store_true",
        help="print the computation graph in Graphviz DOT, edges labelled with local derivatives",
    )
    parser.add_argument(
        "--render",
        metavar="OUT.svg",
        help="with --graph: draw it to OUT.svg or OUT.png (needs Graphviz's dot program)",
    )
    parser.add_argument(
        "--forward",
        action="store_true",
        help="show the forward-mode code instead (a tangent statement after each statement); "
        "with --at, the tangent along ones for every --wrt argument",
    )
    parser.add_argument(
        "--export",
        metavar="OUT.py",
        help="write the gradient as a standalone module that needs only NumPy",
    )
    return parser


def _load(target: str):
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise SystemExit(f"srcgrad: expected FILE.py:FUNCTION, got {target!r}")
    if not os.path.exists(path):
        raise SystemExit(f"srcgrad: no such file: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)  # so the file's own sibling imports work
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    fn = module
    for part in name.split("."):
        if not hasattr(fn, part):
            raise SystemExit(f"srcgrad: {path} has no function {name!r}")
        fn = getattr(fn, part)
    return fn


def _wrt(text: str):
    items = [item.strip() for item in text.split(",") if item.strip()]
    parsed = tuple(int(i) if i.lstrip("-").isdigit() else i for i in items)
    return parsed[0] if len(parsed) == 1 else parsed


def _values(text: str) -> tuple:
    value = ast.literal_eval(f"({text},)")
    return tuple(np.array(v, dtype=float) if isinstance(v, list) else v for v in value)


def _forward(fn, args) -> int:
    transform = Forward(fn, _wrt(args.wrt))
    if args.at is None:
        print(transform.source, end="")
        return 0
    values = _values(args.at)
    bound = transform._bind(values, {})
    ones = [np.ones_like(bound[transform.params.index(w)], dtype=float) for w in transform.wrt]
    ones = [float(t) if np.ndim(t) == 0 else t for t in ones]
    value, tangent = transform(tuple(ones) if transform.wrt_is_tuple else ones[0], *values)
    print(transform.source_for(*values), end="")
    print(f"\n# value: {value!r}")
    print(f"# tangent along ones: {tangent!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fn = _load(args.target)
    try:
        if args.graph:
            text = graph(fn, wrt=_wrt(args.wrt))
            if not args.render:
                print(text, end="")
                return 0
            try:
                render(text, args.render)
            except FileNotFoundError as exc:
                print(f"srcgrad: {exc}", file=sys.stderr)
                return 1
            print(f"wrote {args.render}")
            return 0
        if args.export:
            values = _values(args.at) if args.at else ()
            export(fn, args.export, *values, wrt=_wrt(args.wrt))
            print(f"wrote {args.export}")
            return 0
        if args.forward:
            return _forward(fn, args)
        gradient = Gradient(fn, _wrt(args.wrt), with_value=True)
        if args.at is None:
            print(
                Gradient(
                    fn, gradient.wrt if gradient.wrt_is_tuple else gradient.wrt[0], with_value=False
                ).source,
                end="",
            )
            return 0
        values = _values(args.at)
        value, grads = gradient(*values)
        plain = Gradient(fn, _wrt(args.wrt), with_value=False)
        print(plain.source_for(*values), end="")
        print(f"\n# value: {value!r}")
        names = gradient.wrt
        grads = grads if gradient.wrt_is_tuple else (grads,)
        for name, g in zip(names, grads):
            print(f"# d{getattr(fn, '__name__', 'f')}/d{name} = {g!r}")
    except SrcgradError as exc:
        print(f"srcgrad: {exc}", file=sys.stderr)
        return 1
    return 0
