"""Read stage: a function's source as a `gast.FunctionDef`, every statement stamped with its origin.

Guarantees: the returned tree is the user's function alone (decorators dropped, a lambda turned
into a one-line `def`), every statement carries an `Origin` with the real file name, the real
line number and the statement's source text, and `Namespace` resolves the names the function
reads to the objects they denote at transform time.
"""

from __future__ import annotations

import builtins
import copy
import inspect
import io
import linecache
import textwrap
import tokenize
import types
from dataclasses import dataclass, field

import gast

from ..errors import Origin, SourceUnavailableError
from . import nodes

MISSING = object()


_LIBRARIES = {"numpy", "scipy", "math", "builtins", "srcgrad", "operator"}


def _library_module(obj) -> bool:
    return isinstance(obj, types.ModuleType) and obj.__name__.split(".")[0] in _LIBRARIES


@dataclass(frozen=True)
class Binding:
    """What one name or attribute denoted when the code was generated: `holder[key]` (a
    module's globals), `holder.cell_contents` (a closure cell) or `getattr(holder, key)` (an
    attribute) was `value`."""

    kind: str  # "global", "cell" or "attribute"
    holder: object
    key: str | None
    value: object

    def holds(self) -> bool:
        """It denotes the same object now."""
        if self.kind == "global":
            return self.holder.get(self.key, MISSING) is self.value
        if self.kind == "cell":
            try:
                return self.holder.cell_contents is self.value
            except ValueError:
                return self.value is MISSING
        return _same(getattr(self.holder, self.key, MISSING), self.value)


def _same(now: object, then: object) -> bool:
    """The same object, or the same method of the same object: `stats.norm.logpdf` is a new
    bound method at every attribute read."""
    if now is then:
        return True
    if type(now) is not type(then) or not hasattr(now, "__self__"):
        return False
    if isinstance(now, types.MethodType):
        return now.__self__ is then.__self__ and now.__func__ is then.__func__
    return now.__self__ is then.__self__ and now.__name__ == then.__name__  # (a C method)


@dataclass
class Namespace:
    """What the names a function reads denote: its globals, its closure cells, the builtins.

    Every lookup is recorded (`bindings`): the code generated from what names denote now is
    right only while they denote the same objects, which the guard checks at each call."""

    globals: dict
    closure: dict[str, types.CellType] = field(default_factory=dict)
    bindings: dict[tuple, Binding] = field(default_factory=dict)

    @classmethod
    def of(cls, fn: types.FunctionType) -> Namespace:
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        return cls(fn.__globals__, cells)

    def _record(self, kind: str, holder, key, value) -> object:
        if kind == "attribute" and _library_module(holder):
            return value  # (NumPy's, SciPy's and math's names are taken to stay what they are)
        self.bindings.setdefault((kind, id(holder), key), Binding(kind, holder, key, value))
        return value

    def lookup(self, name: str) -> object:
        if name in self.closure:
            cell = self.closure[name]
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: assigned later in the enclosing function
                value = MISSING
            return self._record("cell", cell, None, value)
        if name in self.globals:
            return self._record("global", self.globals, name, self.globals[name])
        return getattr(builtins, name, MISSING)

    def resolve(self, node: gast.expr, local_names: set[str]) -> object:
        """The object a `Name` or attribute chain denotes, or MISSING for local values."""
        if isinstance(node, gast.Name):
            if node.id in local_names:
                return MISSING
            return self.lookup(node.id)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value, local_names)
            if base is MISSING:
                return MISSING
            return self._record("attribute", base, node.attr, getattr(base, node.attr, MISSING))
        return MISSING


@dataclass
class Parsed:
    """A function read from source, ready for the fence."""

    fn: types.FunctionType
    tree: gast.FunctionDef
    filename: str
    namespace: Namespace

    @property
    def name(self) -> str:
        return self.tree.name

    @property
    def generated(self) -> bool:
        """srcgrad's own generated code, read to be transformed again (a higher derivative)."""
        return self.filename.startswith("<srcgrad:")

    def origin(self, node: gast.AST) -> Origin:
        return nodes.origin_of(node) or self.definition

    @property
    def definition(self) -> Origin:
        return nodes.origin_of(self.tree)


def read(fn: object) -> Parsed:
    """Parse `fn`'s source and stamp every node that has a position with its origin."""
    fn = plain_function(fn)
    code = fn.__code__
    filename = code.co_filename
    lifted = getattr(fn, "__srcgrad_tree__", None)
    if lifted is not None:  # a function srcgrad made of one defined inside another
        return Parsed(fn, copy.deepcopy(lifted), filename, Namespace.of(fn))
    try:
        # (the function's own code: a decorator's wrapper is read as itself, not as the
        # function it wraps, which is not what it computes)
        lines, first_line = inspect.getsourcelines(fn.__code__)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of '{fn.__qualname__}': {_no_source(filename, exc)}",
            hint="srcgrad transforms source code: put the function in a .py file and import "
            "it, or define it in IPython or a Jupyter notebook, which keep each cell's source.",
        ) from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_removed(text, dedented)
    try:
        module = gast.parse(dedented)
    except SyntaxError:
        if fn.__name__ != "<lambda>":
            raise
        module = None
    if fn.__name__ == "<lambda>" and (module is None or _lambda_count(module) != 1):
        # a lambda inside a display or a call (`{"relu": lambda z: ...,`), whose lines read
        # alone may not be Python, or beside another lambda: the one whose code this is
        module, indent = _lambda_alone(text, fn, filename, first_line)
    tree = _find_function(module, fn, filename, first_line)
    file_lines = linecache.getlines(filename) or lines
    line_offset = first_line - 1 if first_line > 0 else 0
    made: dict[tuple[int, int, int], Origin] = {}  # nodes at one place share their origin
    for node in nodes.walk(tree):
        lineno = getattr(node, "lineno", None)
        if lineno is not None:
            lineno += line_offset
            end = (node.end_lineno or node.lineno) + line_offset
            if isinstance(node, _COMPOUND):
                end = lineno  # a compound statement is named by its first line
            place = (lineno, end, node.col_offset)
            origin = made.get(place)
            if origin is None:
                source = " ".join(line.strip() for line in file_lines[lineno - 1 : end])
                col = node.col_offset + indent
                origin = made[place] = Origin(filename, lineno, col, code.co_name, source)
            nodes.stamp(node, origin)
    if nodes.origin_of(tree) is None:
        nodes.stamp(tree, Origin(filename, first_line, 0, code.co_name, lines[0].strip()))
    namespace = Namespace.of(fn)
    # the code read is right while the function has it: IPython's autoreload gives a function
    # the code of its file's new text in place, and that must make the gradient again
    namespace._record("attribute", fn, "__code__", fn.__code__)
    return Parsed(fn, tree, filename, namespace)


_COMPOUND = (
    gast.FunctionDef,
    gast.AsyncFunctionDef,
    gast.If,
    gast.For,
    gast.While,
    gast.With,
    gast.Try,
)


def _no_source(filename: str, exc: Exception) -> str:
    """Why a function has no source to read, in the user's terms."""
    if filename == "<stdin>":
        return "it was typed at Python's interactive prompt, which keeps no source"
    if filename == "<string>":
        return "it was defined by `python -c` or exec(), which keep no source"
    return f"it was defined in {filename} ({exc})"


def has_user_source(obj: object) -> bool:
    """A Python function of the user's (not a library's: library code is differentiated by its
    rules, never by reading its source), whatever rules it has; or one of srcgrad's own helpers
    that has no rule (`product_of_others`, called by a rule's tangent): plain NumPy code,
    differentiated by reading its source like the user's, so that generated code can be
    differentiated again (Hessians)."""
    if not isinstance(obj, types.FunctionType):
        return False
    module = module_of(obj)
    if module.startswith(("srcgrad.runtime.", "srcgrad.rules.")):
        return not getattr(obj, "opaque", False)
    return module.split(".")[0] not in _LIBRARIES


def module_of(obj: object) -> str:
    """`obj.__module__`, or "" where there is none. Some C objects have a descriptor or None
    there (on Python 3.10, a bound method of a NumPy RandomState), never a string to test."""
    module = getattr(obj, "__module__", None)
    return module if isinstance(module, str) else ""


def plain_function(fn: object) -> types.FunctionType:
    original = fn
    fn = getattr(fn, "__srcgrad_function__", fn)  # a srcgrad-wrapped function
    while module_of(type(fn)).startswith("srcgrad.") and hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__  # srcgrad's own objects (a Gradient); a user's decorator is kept
    if isinstance(fn, types.MethodType):
        what = f"the bound method '{fn.__qualname__}'"
        hint = "pass the plain function (e.g. type(obj).method) and the instance as an argument"
        raise SourceUnavailableError(f"cannot differentiate {what}", hint=hint)
    if not isinstance(fn, types.FunctionType):
        kind = type(original).__name__
        hint = "srcgrad differentiates Python functions defined with 'def' (or a named lambda)"
        if kind == "partial":
            hint = "write a small 'def' that calls the function with the fixed arguments instead"
        elif kind in ("builtin_function_or_method", "ufunc"):
            hint = "a built-in or C function has no Python source; wrap it in a 'def'"
        raise SourceUnavailableError(f"cannot read the source of {original!r} ({kind})", hint=hint)
    return fn


def _lambda_count(module: gast.Module) -> int:
    return sum(isinstance(n, gast.Lambda) for n in gast.walk(module))


def _lambda_alone(
    text: str, fn: types.FunctionType, filename: str, first_line: int
) -> tuple[gast.Module, int]:
    """The module of the one lambda in `text` (the lines a lambda's code says it is on) that
    is `fn`'s, each lambda cut out of what surrounds it, and its column."""
    mine = fn.__code__
    found = []
    for column, source in _lambdas_in(text):
        try:
            made = compile(f"({source})", filename, "eval")
        except SyntaxError:
            continue
        code = next((c for c in made.co_consts if isinstance(c, types.CodeType)), None)
        if code is not None and _same_lambda(code, mine) and _covers(mine, column, source):
            found.append((column, source))
    if len(found) != 1:
        raise SourceUnavailableError(
            f"{filename}:{first_line}: cannot find the definition of '{fn.__qualname__}' in "
            "its source",
            hint="give the lambda a line of its own, or write a 'def'.",
        )
    column, source = found[0]
    return gast.parse(source), column


def _same_lambda(code: types.CodeType, mine: types.CodeType) -> bool:
    """The same parameters, names and constants (the bytecode itself may differ with where
    it was compiled)."""
    return (code.co_argcount, code.co_varnames, code.co_names, code.co_consts) == (
        mine.co_argcount,
        mine.co_varnames,
        mine.co_names,
        mine.co_consts,
    )


def _covers(mine: types.CodeType, column: int, source: str) -> bool:
    """The lambda's code has its places on its first line within `source` written from
    `column` (where Python says where its instructions are: 3.11 and later)."""
    positions = getattr(mine, "co_positions", None)
    if positions is None:
        return True
    columns = [  # (not the empty places of the code's own start and end)
        start
        for line, _, start, end in positions()
        if line == mine.co_firstlineno and start is not None and end != start
    ]
    return not columns or column <= min(columns) < column + len(source)


def _lambdas_in(text: str):
    """(column, source) of each lambda expression in `text`: from its `lambda` to the first
    comma after its colon or closing bracket outside its own brackets (or the end)."""
    tokens = list(_tokens(text))
    for k, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string != "lambda":
            continue
        depth, end, body = 0, None, False
        for later in tokens[k + 1 :]:
            if later.type == tokenize.OP and later.string in "([{":
                depth += 1
            elif later.type == tokenize.OP and later.string in ")]}":
                depth -= 1
            if depth == 0 and later.string == ":" and not body:
                body = True  # (the commas before it part the parameters)
            elif depth < 0 or (body and depth == 0 and later.string in (",", "for")):
                end = later.start
                break
        lines = text.splitlines(keepends=True)
        start_row, start_col = token.start
        stop_row, stop_col = end if end is not None else (len(lines), len(lines[-1]))
        chunk = lines[start_row - 1 : stop_row]
        if end is not None:
            chunk[-1] = chunk[-1][:stop_col]
        chunk[0] = chunk[0][start_col:]
        source = " ".join(line.strip() for line in chunk)
        yield start_col, source


def _tokens(text: str):
    """The tokens of `text` as far as they can be read (the lines of a display cut off)."""
    try:
        yield from tokenize.generate_tokens(io.StringIO(text).readline)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return


def _indent_removed(text: str, dedented: str) -> int:
    return len(text.splitlines()[0]) - len(dedented.splitlines()[0])


def definition_origin(fn: types.FunctionType) -> Origin:
    """Where `fn` is defined, without reading its source."""
    code = fn.__code__
    line = linecache.getline(code.co_filename, code.co_firstlineno).strip()
    return Origin(code.co_filename, code.co_firstlineno, 0, code.co_name, line)


def _find_function(
    module: gast.Module, fn: types.FunctionType, filename: str, first_line: int
) -> gast.FunctionDef:
    name = fn.__code__.co_name
    for node in gast.walk(module):
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)) and node.name == name:
            node.decorator_list = []
            return node
    lambdas = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)]
    if name == "<lambda>" and len(lambdas) == 1:
        lam = lambdas[0]
        body = [nodes.ret(lam.body)]
        gast.copy_location(body[0], lam.body)
        tree = gast.FunctionDef(
            name="_lambda",
            args=lam.args,
            body=body,
            decorator_list=[],
            returns=None,
            type_comment=None,
            type_params=[],
        )
        return gast.copy_location(tree, lam)
    where = f"{filename}:{first_line}"
    raise SourceUnavailableError(
        f"{where}: cannot find the definition of '{fn.__qualname__}' in its source",
        hint="a lambda must be the only lambda on its line and bound to a name "
        "(f = lambda x: ...); otherwise write a 'def'.",
    )
