"""Command line: print the gradient code srcgrad generates for a function in a file.

python -m srcgrad examples/neuron.py:loss --wrt w1,w2,w3,w4 --at 2,1,2,3,4

A command line that cannot be carried out (no such file or function, `--at` values that do not
fit the function) is one line on stderr and exit status 2, as argparse's own errors; an error
srcgrad raises on the function (a `SrcgradError`) is its message, and exit status 1.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import os
import sys
from typing import NoReturn

import numpy as np

from ..errors import SrcgradError, WrtError
from .export import export
from .gradient import Forward, Gradient
from .graph import graph, render

_EXAMPLES = """examples:
  srcgrad examples/neuron.py:loss --wrt w1,w2,w3,w4 --at 2,1,2,3,4
      the gradient code for w1..w4, then the value and gradients at a=2, w1..w4=1..4
  srcgrad model.py:loss --wrt w --at "[0.5, -1.0], [[1.0, 2.0], [3.0, 4.0]]"
      lists are arrays: the code made for their shapes
  srcgrad model.py:loss --forward               the forward-mode code
  srcgrad model.py:loss --graph --render g.svg  the computation graph, drawn by Graphviz
  srcgrad model.py:loss --at 1.0,2.0 --export grad_loss.py
      the gradient as a module that needs only NumPy
"""


class _UsageError(Exception):
    """A command line that cannot be carried out: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (srcgrad --help shows how)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="srcgrad",
        description="Print the gradient code srcgrad generates for FILE.py:FUNCTION.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        raise _UsageError(
            f"expected FILE.py:FUNCTION (e.g. examples/neuron.py:loss), got {target!r}"
        )
    if not os.path.isfile(path):
        raise _UsageError(f"no such file: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)  # so the file's own sibling imports work
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise _UsageError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise _UsageError(f"{path}:{exc.lineno}: {exc.msg}") from None
    fn = module
    for part in name.split("."):
        if not hasattr(fn, part):
            defined = sorted(k for k, v in vars(module).items() if inspect.isfunction(v))
            raise _UsageError(
                f"{path} has no function {name!r} (its functions: {', '.join(defined) or 'none'})"
            )
        fn = getattr(fn, part)
    if not callable(fn):
        raise _UsageError(f"{name!r} in {path} is a {type(fn).__name__}, not a function")
    return fn


def _wrt(text: str):
    items = [item.strip() for item in text.split(",") if item.strip()]
    parsed = tuple(int(i) if i.lstrip("-").isdigit() else i for i in items)
    return parsed[0] if len(parsed) == 1 else parsed


def _values(text: str, fn) -> tuple:
    try:
        value = ast.literal_eval(f"({text},)")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _UsageError(
            f"--at {text!r}: give comma-separated Python literals (numbers, or lists for arrays)"
        ) from None
    values = tuple(np.array(v, dtype=float) if isinstance(v, list) else v for v in value)
    try:
        inspect.signature(fn).bind(*values)
    except TypeError as exc:
        name = getattr(fn, "__name__", "the function")
        raise _UsageError(
            f"--at gives {len(values)} value(s), which do not fit {name}{inspect.signature(fn)}: "
            f"{exc}"
        ) from None
    except ValueError:  # (no signature to check against: the call says what is wrong)
        pass
    return values


def _forward(fn, args) -> int:
    transform = Forward(fn, _wrt(args.wrt))
    if args.at is None:
        print(transform.source, end="")
        return 0
    values = _values(args.at, fn)
    bound = transform._bind(values, {})
    ones = [np.ones_like(bound[transform.params.index(w)], dtype=float) for w in transform.wrt]
    ones = [float(t) if np.ndim(t) == 0 else t for t in ones]
    value, tangent = transform(tuple(ones) if transform.wrt_is_tuple else ones[0], *values)
    print(transform.source_for(*values), end="")
    print(f"\n# value: {value!r}")
    print(f"# tangent along ones: {tangent!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (by default `sys.argv[1:]`); return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.render and not args.graph:
        parser.error("--render draws the graph: give --graph too")
    try:
        return _run(args)
    except _UsageError as exc:
        print(f"srcgrad: {exc}", file=sys.stderr)
        return 2
    except WrtError as exc:  # (--wrt names no argument: the one line of the message)
        print(f"srcgrad: --wrt {args.wrt}: {exc.bare_message}", file=sys.stderr)
        return 2
    except SrcgradError as exc:
        print(f"srcgrad: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    fn = _load(args.target)
    if args.graph:
        text = graph(fn, wrt=_wrt(args.wrt))
        if not args.render:
            print(text, end="")
            return 0
        try:
            render(text, args.render)
        except FileNotFoundError as exc:  # (no Graphviz: not a mistake in the command line)
            print(f"srcgrad: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.render}")
        return 0
    if args.export:
        values = _values(args.at, fn) if args.at else ()
        try:
            export(fn, args.export, *values, wrt=_wrt(args.wrt))
        except OSError as exc:
            raise _UsageError(f"cannot write {args.export}: {exc.strerror}") from None
        print(f"wrote {args.export}")
        return 0
    if args.forward:
        return _forward(fn, args)
    gradient = Gradient(fn, _wrt(args.wrt), with_value=True)
    if args.at is None:
        wrt = gradient.wrt if gradient.wrt_is_tuple else gradient.wrt[0]
        print(Gradient(fn, wrt, with_value=False).source, end="")
        return 0
    values = _values(args.at, fn)
    value, grads = gradient(*values)
    plain = Gradient(fn, _wrt(args.wrt), with_value=False)
    print(plain.source_for(*values), end="")
    print(f"\n# value: {value!r}")
    names = gradient.wrt
    grads = grads if gradient.wrt_is_tuple else (grads,)
    for name, g in zip(names, grads):
        print(f"# d{getattr(fn, '__name__', 'f')}/d{name} = {g!r}")
    return 0
