"""Fence stage: reject, before any other work, every construct srcgrad does not differentiate.

Guarantees: after `check`, the function uses only the statements and expressions listed in
`STATEMENTS` and `EXPRESSIONS` below; anything else raised `UnsupportedSyntaxError` naming the
user's `file:line:col`, the construct, and what to write instead when there is something.
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from . import nodes
from .reading import Parsed

STATEMENTS = (
    gast.Assign,
    gast.AugAssign,
    gast.AnnAssign,
    gast.Return,
    gast.Pass,
    gast.Assert,
    gast.If,
    gast.For,
    gast.While,
    gast.Break,
    gast.Continue,
    gast.Raise,
)
EXPRESSIONS = (
    gast.BinOp,
    gast.UnaryOp,
    gast.Call,
    gast.Name,
    gast.Constant,
    gast.Attribute,
    gast.Subscript,
    gast.Slice,
    gast.Tuple,
    gast.List,
    gast.Compare,
    gast.keyword,
    gast.IfExp,
    gast.BoolOp,
    gast.Dict,
    gast.ListComp,
    gast.GeneratorExp,
    gast.comprehension,
    gast.JoinedStr,
    gast.FormattedValue,
    gast.Starred,  # `f(*args)`, `(*shape, 3)`, `a, *rest = xs`: normalize/starred.py
)
CONTEXTS = (gast.Load, gast.Store, gast.Param, gast.Del)
OPERATORS = (
    gast.Add,
    gast.Sub,
    gast.Mult,
    gast.Div,
    gast.Pow,
    gast.MatMult,
    gast.FloorDiv,
    gast.Mod,
    gast.USub,
    gast.UAdd,
    gast.Not,
    gast.And,
    gast.Or,
    gast.Eq,
    gast.NotEq,
    gast.Lt,
    gast.LtE,
    gast.Gt,
    gast.GtE,
    gast.Is,
    gast.IsNot,
    gast.In,
    gast.NotIn,
)

# What to call a construct in a message, and what to do instead.
DESCRIPTIONS: dict[type, tuple[str, str]] = {
    gast.TryStar: ("'except*'", "catch the exception group with a plain 'except'"),
    gast.With: ("a 'with' statement", ""),
    gast.Global: ("a 'global' declaration", "pass the value as an argument and return it"),
    gast.Nonlocal: ("a 'nonlocal' declaration", "pass the value as an argument and return it"),
    gast.Delete: (
        "a 'del' statement",
        "leave the name (srcgrad lets go of a large array after its last use), or bind it anew",
    ),
    gast.Import: ("an import inside the function", "import at module level"),
    gast.ImportFrom: ("an import inside the function", "import at module level"),
    gast.ClassDef: ("a class definition inside the function", "define it at module level"),
    gast.FunctionDef: ("a function definition inside the function", "define it at module level"),
    gast.AsyncFunctionDef: (
        "an async function",
        "differentiate a plain function, and await the async code outside it",
    ),
    gast.SetComp: ("a set comprehension", "build a list comprehension instead"),
    gast.DictComp: (
        "a dict comprehension",
        "write the dict with constant keys ({'a': ..., 'b': ...}), or keep the values in a list",
    ),
    gast.Set: ("a set display", ""),
    # (`yield v` as a statement of a nested generator is followed: normalize/generators.py)
    gast.Yield: ("'yield' used as a value (what send() passes in)", "write 'yield v' alone"),
    gast.YieldFrom: ("'yield from' used as a value", "write 'yield from xs' alone"),
    gast.Await: ("'await'", ""),
    gast.NamedExpr: ("an assignment expression (:=)", "assign in a separate statement"),
    gast.Expr: (
        "an expression statement whose value is discarded",
        "it does nothing: remove it",
    ),
    gast.BitAnd: ("the '&' operator", "use np.logical_and"),
    gast.BitOr: ("the '|' operator", "use np.logical_or"),
    gast.BitXor: ("the '^' operator", ""),
    gast.LShift: ("the '<<' operator", ""),
    gast.RShift: ("the '>>' operator", ""),
    gast.Invert: ("the '~' operator", "use np.logical_not"),
}


def check(parsed: Parsed) -> None:
    tree = parsed.tree
    if isinstance(tree, gast.AsyncFunctionDef):
        _reject(parsed, tree, *DESCRIPTIONS[gast.AsyncFunctionDef])
    _check_own_yield(parsed)
    _check_block(parsed, tree.body)


def _check_own_yield(parsed: Parsed) -> None:
    """A generator function has no derivative: its value is a generator, not a number."""
    found = nodes.walk(parsed.tree)
    if not any(isinstance(node, (gast.Yield, gast.YieldFrom)) for node in found):
        return
    nested = {
        id(n)
        for d in found
        if d is not parsed.tree and isinstance(d, (gast.FunctionDef, gast.Lambda))
        for n in nodes.walk(d)
    }
    for node in found:
        if isinstance(node, (gast.Yield, gast.YieldFrom)) and id(node) not in nested:
            name = parsed.name
            _reject(
                parsed,
                node,
                f"'yield' in the differentiated function '{name}' (a generator function: what "
                "it returns is a generator, not a number or an array)",
                f"differentiate a function that consumes it, e.g. `return sum({name}(...))`, "
                f"or have '{name}' append each value to a list and return the list",
            )


def _check_block(parsed: Parsed, stmts: list) -> None:
    for stmt in stmts:
        _check_statement(parsed, stmt)


def _check_nested(parsed: Parsed, fn: gast.FunctionDef) -> None:
    """A function defined inside the function (lifted by normalize/closures.py): its body
    passes the same fence."""
    for default in [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d is not None)]:
        _check_expression(parsed, default)
    # (`nonlocal n`: a name shared with the function, normalize/cells.py)
    _check_block(parsed, [s for s in fn.body if not isinstance(s, gast.Nonlocal)])


def is_append(stmt: gast.stmt) -> bool:
    """`name.append(value)`: the one expression statement with an effect srcgrad follows."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    return (
        isinstance(call, gast.Call)
        and not nodes.is_record(stmt)  # (a record kept for the caller: normalize/mutators.py)
        and isinstance(call.func, gast.Attribute)
        and call.func.attr == "append"
        and isinstance(call.func.value, gast.Name)
        and len(call.args) == 1
        and not call.keywords
    )


def _is_no_grad_block(parsed: Parsed, stmt: gast.stmt) -> bool:
    """`with srcgrad.no_grad():`, the one `with` srcgrad follows."""
    from ..runtime.markers import no_grad

    if not isinstance(stmt, gast.With) or len(stmt.items) != 1 or stmt.items[0].optional_vars:
        return False
    manager = stmt.items[0].context_expr
    if not isinstance(manager, gast.Call) or manager.args or manager.keywords:
        return False
    return parsed.namespace.resolve(manager.func, nodes.names_stored(parsed.tree)) is no_grad


def _check_statement(parsed: Parsed, stmt: gast.stmt) -> None:
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
        return  # a docstring or a bare constant
    if is_append(stmt):
        _check_expression(parsed, stmt.value.args[0])
        return
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, (gast.Yield, gast.YieldFrom)):
        if stmt.value.value is not None:  # (in a nested generator: normalize/generators.py)
            _check_expression(parsed, stmt.value.value)
        return
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        # a call for its effect (print, logging, a helper that writes into an array): it runs
        # in the forward sweep; one that writes into an argument is followed or refused later
        _check_expression(parsed, stmt.value)
        return
    if _is_no_grad_block(parsed, stmt):
        _check_block(parsed, stmt.body)
        return
    if isinstance(stmt, gast.With):  # (normalize/contexts.py: enter, the block, exit)
        for item in stmt.items:
            _check_expression(parsed, item.context_expr)
            if item.optional_vars is not None and not isinstance(item.optional_vars, gast.Name):
                _reject(
                    parsed,
                    item.optional_vars,
                    "a 'with ... as' target that is not a name",
                    "bind a name (with m as v:) and unpack v in the block",
                )
        _check_block(parsed, stmt.body)
        return
    if isinstance(stmt, gast.FunctionDef):
        _check_nested(parsed, stmt)
        return
    if isinstance(stmt, gast.Try):  # (normalize/exceptions.py: a flag, guarded blocks, ifs)
        for handler in stmt.handlers:
            if handler.type is not None:
                _check_expression(parsed, handler.type)
            _check_block(parsed, handler.body)
        for block in (stmt.body, stmt.orelse, stmt.finalbody):
            _check_block(parsed, block)
        return
    if not isinstance(stmt, STATEMENTS):
        _reject_node(parsed, stmt)
    if isinstance(stmt, gast.Assign):
        if len(stmt.targets) != 1:
            _reject(parsed, stmt, "chained assignment (a = b = ...)", "assign one name at a time")
        _check_target(parsed, stmt.targets[0], stmt.value)
    if isinstance(stmt, (gast.AugAssign, gast.AnnAssign)):
        _check_target(parsed, stmt.target, None)
        if isinstance(stmt, gast.AnnAssign) and stmt.value is None:
            _reject(parsed, stmt, "an annotation without a value", "assign a value")
    if isinstance(stmt, (gast.If, gast.For, gast.While)):
        if isinstance(stmt, gast.For):
            _check_loop_target(parsed, stmt.target)
        _check_expression(parsed, stmt.iter if isinstance(stmt, gast.For) else stmt.test)
        _check_block(parsed, stmt.body)
        _check_block(parsed, stmt.orelse)
        return
    for child in gast.iter_child_nodes(stmt):
        if isinstance(stmt, gast.AnnAssign) and child is stmt.annotation:
            continue
        _check_expression(parsed, child)


def _check_lambda(parsed: Parsed, node: gast.Lambda) -> None:
    """A lambda: inlined where it is called (normalize/lambdas.py), or made a nested function
    (normalize/lambda_defs.py, normalize/closures.py); its defaults and body pass the fence."""
    args = node.args
    if args.vararg or args.kwarg or args.posonlyargs:
        _reject(
            parsed,
            node,
            "a lambda with '*args', '**kwargs' or positional-only parameters",
            "name each parameter: lambda a, b: ...",
        )
    for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
        _check_expression(parsed, default)
    _check_expression(parsed, node.body)


def _check_loop_target(parsed: Parsed, target: gast.expr) -> None:
    if isinstance(target, gast.Name) or _is_starred_name(target):
        return
    if isinstance(target, (gast.Tuple, gast.List)):  # (a list target: normalize/list_targets.py)
        for element in target.elts:
            _check_loop_target(parsed, element)
        return
    _reject(
        parsed,
        target,
        "a loop variable that is not a name or a tuple of names",
        "loop over a name and assign it in the body: for v in xs: x[i] = v",
    )


def _check_target(
    parsed: Parsed, target: gast.expr, value: gast.expr | None, nested: bool = False
) -> None:
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):  # ([a, b] = t is a, b = t)
        _check_unpacking(parsed, target, value, nested)
        return
    if isinstance(target, gast.Subscript):
        if isinstance(target.value, gast.Name):
            return  # x[index] = v: an in-place update of an array
        _reject(
            parsed,
            target,
            "assignment into an element of an element (x[i][j] = v)",
            "index once: x[i, j] = v",
        )
    if isinstance(target, gast.Attribute):
        _reject(
            parsed,
            target,
            "assignment to an attribute (in-place update)",
            "compute a new value instead",
        )
    _reject(parsed, target, f"assignment to {type(target).__name__}", "assign to a name")


def _check_unpacking(parsed: Parsed, target: gast.expr, value: gast.expr | None, nested: bool):
    """`a, (b, [c, d]), *rest = t`: names, elements of arrays and tuples of them, unpacked in
    turn; one starred name, at the outer level."""
    for element in target.elts:
        if isinstance(element, gast.Starred) and not _is_starred_name(element):
            _reject(parsed, element, "a starred target that is not a name", "write *rest")
        if isinstance(element, gast.Starred) and nested:
            _reject(
                parsed,
                element,
                "a starred name inside a nested tuple target",
                "unpack the inner tuple in a statement of its own: a, inner = t; b, *rest = inner",
            )
    starred = any(_is_starred_name(e) for e in target.elts)  # a, *rest = xs
    if (
        isinstance(value, (gast.Tuple, gast.List))
        and not any(isinstance(e, gast.Starred) for e in value.elts)
        and (
            len(value.elts) < len(target.elts) - 1
            if starred
            else len(value.elts) != len(target.elts)
        )
    ):
        _reject(
            parsed,
            target,
            "unpacking a display of another length",
            "Python raises ValueError here: give as many names as values",
        )
    for element in target.elts:  # (a[i], a[j] = a[j], a[i]: each an update of an array)
        if not _is_starred_name(element):
            _check_target(parsed, element, None, nested=True)


def _check_expression(parsed: Parsed, node: gast.AST) -> None:
    inside = nodes.walk(node)
    lambdas = [n for n in inside if isinstance(n, gast.Lambda)]
    skipped = {id(inner) for lam in lambdas for inner in nodes.walk(lam) if inner is not lam}
    for child in inside:
        if id(child) in skipped:
            continue
        if isinstance(child, gast.Lambda):
            _check_lambda(parsed, child)
            continue
        if isinstance(child, (gast.expr_context, *OPERATORS)):
            continue
        # (a key None is `**d`, which normalize/starred.py writes out or refuses)
        if isinstance(child, gast.Dict) and not all(_constant_key(k) for k in child.keys if k):
            _reject(
                parsed,
                child,
                "a dict display whose keys are not constants",
                "write each key as a string or number: {'w': w, 'b': b}",
            )
        if not isinstance(child, EXPRESSIONS) and not isinstance(child, OPERATORS):
            _reject_node(parsed, child, near=node)


def _is_starred_name(node: gast.expr) -> bool:
    """`*rest` in `a, *rest = xs` or `for a, *rest in rows` (normalize/starred.py)."""
    return isinstance(node, gast.Starred) and isinstance(node.value, gast.Name)


def _constant_key(key: gast.expr | None) -> bool:
    return isinstance(key, gast.Constant) and type(key.value) in (str, int)


def _reject_node(parsed: Parsed, node: gast.AST, near: gast.AST | None = None) -> None:
    description, hint = DESCRIPTIONS.get(type(node), (f"the construct '{type(node).__name__}'", ""))
    _reject(parsed, node if hasattr(node, "lineno") else near, description, hint)


def _reject(parsed: Parsed, node: gast.AST, what: str, hint: str) -> None:
    origin = parsed.origin(node)
    raise UnsupportedSyntaxError(f"{what} is not supported", origin, hint or None)
