"""Load stage: compile generated source into a function the user can step through.

The text is compiled under a file name such as `<srcgrad: grad of loss, model.py:10>` and
registered in `linecache`, so tracebacks, `pdb` and `inspect.getsource` show the generated
lines. The function reads the user's module globals live and shares the user function's
closure cells; objects that the generated code needs and the user's module does not name
(runtime helpers, numpy when it is imported under no name) come in as extra closure cells.
"""

from __future__ import annotations

import ast
import linecache
import types


def load(
    text: str, filename: str, user_fn: types.FunctionType, injected: dict
) -> types.FunctionType:
    module = ast.parse(text)
    inner = module.body[0]
    user_cells = dict(zip(user_fn.__code__.co_freevars, user_fn.__closure__ or ()))
    outer_params = [*user_cells, *injected]
    factory = ast.FunctionDef(
        name="_srcgrad_scope",
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in outer_params],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=[ast.Return(value=ast.Name(id=inner.name, ctx=ast.Load()))],
        decorator_list=[],
        returns=None,
        type_params=[],
    )
    wrapper = ast.Module(body=[factory], type_ignores=[])
    # (positions for the wrapper's own nodes, line 1, before the parsed function goes in: its
    # nodes all have theirs, and fix_missing_locations need not walk them)
    ast.fix_missing_locations(wrapper)
    factory.body.insert(0, inner)
    code = compile(wrapper, filename, "exec")
    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner_code = next(c for c in factory_code.co_consts if isinstance(c, types.CodeType))
    cells = tuple(
        user_cells[name] if name in user_cells else types.CellType(injected[name])
        for name in inner_code.co_freevars
    )
    fn = types.FunctionType(inner_code, user_fn.__globals__, inner.name, None, cells or None)
    fn.__defaults__ = user_fn.__defaults__
    fn.__kwdefaults__ = user_fn.__kwdefaults__
    fn.__module__ = user_fn.__module__
    fn.__qualname__ = inner.name
    fn.source = text
    lines = text.splitlines(keepends=True)
    linecache.cache[filename] = (len(text), None, lines, filename)
    return fn
