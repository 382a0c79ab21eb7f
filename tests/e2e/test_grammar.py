"""Every statement and expression kind of Python's grammar, fed to srcgrad: each is either
differentiated or rejected with a SrcgradError that names the file and line — never an
internal exception (KeyError, AttributeError, ...) from inside srcgrad."""

import importlib.util
import sys

import numpy as np
import pytest

import srcgrad

_OPERATORS = [
    ("add", "+"),
    ("sub", "-"),
    ("mult", "*"),
    ("div", "/"),
    ("floordiv", "//"),
    ("mod", "%"),
    ("pow", "**"),
    ("bitand", "&"),
    ("bitor", "|"),
    ("bitxor", "^"),
    ("lshift", "<<"),
    ("rshift", ">>"),
]

# (name, body of `def f(x, y):` using the construct; x and y are float arrays)
SNIPPETS = [
    # ---- statements
    ("nested_def", "def g(v):\n    return v\nreturn np.sum(g(x))"),
    ("async_def_inside", "async def g(v):\n    return v\nreturn np.sum(x)"),
    ("class_def", "class C:\n    pass\nreturn np.sum(x)"),
    ("return_tuple_display", "return np.sum(x), np.sum(y)"),
    ("delete", "z = x * 2\ndel z\nreturn np.sum(x)"),
    ("assign", "z = x * y\nreturn np.sum(z)"),
    ("assign_chain", "a = b = x\nreturn np.sum(a + b)"),
    ("assign_starred", "a, *b = x\nreturn np.sum(a)"),
    ("assign_nested_tuple", "(a, b), c = (x, y), x\nreturn np.sum(a * b * c)"),
    ("assign_attribute", "x.flags.writeable = False\nreturn np.sum(x)"),
    ("assign_subscript", "z = x.copy()\nz[0] = 1.0\nreturn np.sum(z * y)"),
    ("assign_slice", "z = x.copy()\nz[1:] = y[:-1]\nreturn np.sum(z * z)"),
    *[
        (f"augassign_{name}", f"z = x * 1.0\nz {op}= y\nreturn np.sum(z)")
        for name, op in _OPERATORS
    ],
    ("augassign_matmul", "z = x[:, None] * 1.0\nz @= y[None, :]\nreturn np.sum(z)"),
    ("annassign", "z: float = np.sum(x)\nreturn z"),
    ("annassign_no_value", "z: float\nreturn np.sum(x)"),
    ("for", "s = 0.0\nfor v in x:\n    s = s + v\nreturn s"),
    ("for_else", "s = 0.0\nfor v in x:\n    s = s + v\nelse:\n    s = s * 2\nreturn s"),
    ("while", "s = np.sum(x)\nwhile s > 1.0:\n    s = s / 2\nreturn s"),
    ("if", "if np.sum(x) > 0:\n    return np.sum(x * y)\nreturn np.sum(y)"),
    ("with_other", "with np.errstate(all='ignore'):\n    z = x * y\nreturn np.sum(z)"),
    ("with_no_grad", "with srcgrad.no_grad():\n    z = x * 2\nreturn np.sum(z * y)"),
    ("raise", "if np.sum(x) < -100:\n    raise ValueError('no')\nreturn np.sum(x)"),
    ("raise_from", "if np.sum(x) < -100:\n    raise ValueError('no') from None\nreturn np.sum(x)"),
    ("try", "try:\n    z = x * y\nexcept ValueError:\n    z = x\nreturn np.sum(z)"),
    ("try_finally", "try:\n    z = x * y\nfinally:\n    pass\nreturn np.sum(z)"),
    ("assert", "assert x.ndim == 1, 'vector'\nreturn np.sum(x)"),
    ("import", "import math\nreturn np.sum(x)"),
    ("import_from", "from math import pi\nreturn np.sum(x) * pi"),
    ("global", "global G\nreturn np.sum(x)"),
    ("nonlocal_in_nested", "def g():\n    nonlocal x\n    return x\nreturn np.sum(x)"),
    ("expression_statement", "np.sum(x)\nreturn np.sum(x)"),
    ("print", "print(np.sum(x))\nreturn np.sum(x)"),
    ("append", "a = []\na.append(x)\nreturn np.sum(a[0])"),
    ("pass", "pass\nreturn np.sum(x)"),
    (
        "break_continue",
        "s = 0.0\nfor v in x:\n    if v > 5:\n        break\n    if v < -5:\n"
        "        continue\n    s = s + v\nreturn s",
    ),
    ("docstring", "'''doc'''\nreturn np.sum(x)"),
    # ---- expressions
    ("boolop", "return np.sum(x) if (np.sum(x) > 0 and np.sum(y) > 0) or False else 0.0"),
    ("namedexpr", "return (z := np.sum(x)) * z"),
    *[(f"binop_{name}", f"return np.sum(x {op} y)") for name, op in _OPERATORS],
    ("binop_matmul", "return x @ y"),
    *[
        (f"unary_{name}", f"return np.sum({op}x)")
        for name, op in [("neg", "-"), ("pos", "+"), ("not", "not "), ("invert", "~")]
    ],
    ("lambda_call", "return np.sum((lambda v: v * 2)(x))"),
    ("lambda_named", "g = lambda v: v * 2\nreturn np.sum(g(x))"),
    ("ifexp", "return np.sum(x) if np.sum(y) > 0 else np.sum(y)"),
    ("dict_display", "d = {'a': x}\nreturn np.sum(d['a'])"),
    ("set_display", "s = {1, 2}\nreturn np.sum(x) * len(s)"),
    ("listcomp", "return np.sum([v * 2 for v in x])"),
    ("listcomp_if", "return sum([v * 2 for v in x if v > 0])"),
    ("setcomp", "return sum({float(v) for v in x})"),
    ("dictcomp", "return sum({i: v for i, v in enumerate(x)}.values())"),
    ("genexp", "return sum(v * v for v in x)"),
    ("await_in_async", "return np.sum(x)\nasync def g():\n    await g()"),
    ("yield", "yield np.sum(x)"),
    ("yield_from", "yield from x"),
    *[
        (f"compare_{name}", f"return np.sum(x) * ((x[0] {op} y[0]) + 1.0)")
        for name, op in [
            ("eq", "=="),
            ("ne", "!="),
            ("lt", "<"),
            ("le", "<="),
            ("gt", ">"),
            ("ge", ">="),
            ("is", "is"),
            ("isnot", "is not"),
        ]
    ],
    ("compare_in", "return np.sum(x) * (1.0 if 2 in [1, 2] else 2.0)"),
    ("compare_chain", "return np.sum(x) * (1.0 if -10 < x[0] < 10 else 2.0)"),
    ("call_keywords", "return np.sum(x * y, axis=0)"),
    ("call_starred", "return np.sum(*[x])"),
    ("call_double_starred", "return np.sum(x, **{'axis': 0})"),
    ("fstring", "s = f'{np.sum(x):.3f}'\nreturn np.sum(x)"),
    ("constants", "z = (None, ..., b'b', 's', 1j, True)\nreturn np.sum(x)"),
    ("attribute", "return np.sum(x.T) * x.shape[0]"),
    ("subscript_forms", "return np.sum(x[1:]) + x[-1] + np.sum(x[None, ...][0, ::2])"),
    ("starred_in_display", "return np.sum(np.stack([*[x, y]]))"),
    ("list_tuple", "a = [x, y]\nb = (x, y)\nreturn np.sum(a[0] * b[1])"),
]
SNIPPETS.append(
    (
        "match",
        "match x.ndim:\n    case 1:\n        return np.sum(x)\n    case _:\n        return 0.0",
    )
)
if sys.version_info >= (3, 11):
    SNIPPETS.append(
        ("try_star", "try:\n    z = x * y\nexcept* ValueError:\n    z = x\nreturn np.sum(z)")
    )


def _module(tmp_path, name: str, body: str):
    text = "import numpy as np\nimport srcgrad\nG = 1.0\n\n\ndef f(x, y):\n"
    text += "".join(f"    {line}\n" for line in body.splitlines())
    path = tmp_path / f"grammar_{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError:
        pytest.skip("not valid Python here")
    return module, path


@pytest.mark.parametrize("name, body", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_every_construct_is_differentiated_or_rejected_clearly(tmp_path, name, body):
    module, path = _module(tmp_path, name, body)
    x, y = np.array([0.5, 1.5, 2.5]), np.array([1.0, 2.0, 3.0])
    try:
        gradient = srcgrad.grad(module.f)
        result = gradient(x, y)
    except srcgrad.SrcgradError as error:
        assert str(error).startswith(f"{path}:"), str(error)
        return
    except (TypeError, ValueError, ZeroDivisionError, FloatingPointError) as error:
        # the user's own code failing at run time is fine: the function itself fails the same
        # way; the gradient failing where the function runs would be srcgrad's fault
        assert gradient._latest is not None, f"transformation failed: {error!r}"
        with pytest.raises(type(error)):
            module.f(x, y)
        return
    assert np.shape(result) == np.shape(x)
