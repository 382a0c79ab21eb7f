"""The `starred` pass (`normalize/starred.py`) alone: a star or `**` whose parts are known when
the code is generated is spread into them (calls, displays, unpacking, `zip(*...)`), one whose
length is known only as the code runs becomes what it computes (tuples joined with `+`, a list
built by appending, `list(value)` indexed after a length check), a call of the user's function
with `*args` or `**kwargs` parameters calls a copy made for its arguments, and what cannot be
written out is refused at its line. Text is compared after an `ast` round trip of both sides,
so that Python 3.10's spelling of tuple targets agrees."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import numpy as np
import pytest
from passes import define, fresh_context, text

from srcgrad.analyse.shapes import Structured, dtype_name, of_value
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import starred

X = np.array([0.5, -1.0, 2.0])


def helper(a, b):
    return a * b


def squares(*arrays):
    """The sum of the squares."""
    return sum(a * a for a in arrays)


def scaled(a, scale=1.0, **more):
    return a * scale + more["shift"]


def run(source: str, *args, **names):
    """The context of the function of `source` after the pass, for arguments like `args`."""
    fn = define(source, helper=helper, squares=squares, scaled=scaled, **names)
    ctx = fresh_context(fn)
    params = fn.__code__.co_varnames[: len(args)]
    given = {p: of_value(a) for p, a in zip(params, args)}
    ctx.dtypes = {p: dtype_name(s[1]) for p, s in given.items() if s is not None}
    starred.run(ctx.parsed.tree, ctx)
    return ctx


def after(source: str, *args, **names) -> str:
    return code(text(run(source, *args, **names).parsed.tree))


def code(source: str) -> str:
    """`source` as `ast.unparse` writes what it parses to on this Python."""
    return ast.unparse(ast.parse(textwrap.dedent(source))) + "\n"


def refused(source: str, fragment: str, *args) -> str:
    """The pass's error on `source`, checked to name the line that holds `fragment`."""
    with pytest.raises(UnsupportedSyntaxError) as error:
        run(source, *args)
    message = str(error.value)
    where, line = message.split(":")[0], int(message.split(":")[1])
    assert fragment in Path(where).read_text().splitlines()[line - 1], message
    return message


def test_a_tuple_made_in_the_function_is_spread_into_calls_and_displays():
    assert after("""
        def f(x, y):
            pair = (x, 2.0)
            a = np.add(*pair)
            b = [*pair, y]
            return helper(*pair, *(y,))
    """) == code("""
        def f(x, y):
            pair = (x, 2.0)
            a = np.add(pair[0], 2.0)
            b = [pair[0], 2.0, y]
            return helper(pair[0], 2.0, y)
    """)


def test_a_shape_of_unknown_length_is_joined_or_passed_on_as_it_is():
    assert after("""
        def f(x):
            z = np.zeros((*x.shape, 2))
            a = np.reshape(x, (*x.shape[:-1], 2, -1))
            b = x.reshape(*x.shape, 1)
            return np.random.randn(*x.shape) * z * a * b
    """) == code("""
        def f(x):
            z = np.zeros(x.shape + (2,))
            a = np.reshape(x, tuple(x.shape[:-1]) + (2, -1))
            b = x.reshape(x.shape + (1,))
            return np.random.randn(*x.shape) * z * a * b
    """)


def test_a_list_of_unknown_length_is_built_by_appending():
    assert after("""
        def f(x, hs):
            return np.stack([x, *hs, (x, x)])
    """) == code("""
        def f(x, hs):
            _l = [x]
            for _e in hs:
                _l.append(_e)
            _t1 = (x, x)
            _l.append(_t1)
            return np.stack(_l)
    """)


def test_starred_targets_of_known_length_take_their_items():
    assert after("""
        def f(x, y):
            first, *rest = (x, y, x * y)
            xs = [x, y, y]
            a, *middle, b = xs
            return first
    """) == code("""
        def f(x, y):
            first = x
            rest = [y, x * y]
            xs = [x, y, y]
            a = xs[0]
            middle = xs[1:-1]
            b = xs[2]
            return first
    """)


def test_starred_targets_of_unknown_length_index_a_list_after_checking_its_length():
    assert after(
        """
        def f(x):
            a, *middle, b = x
            return a
    """,
        X,
    ) == code("""
        def f(x):
            _t1 = list(x)
            if len(_t1) < 2:
                raise ValueError('not enough values to unpack (expected at least 2)')
            a = _t1[0]
            middle = _t1[1:-1]
            b = _t1[-1]
            return a
    """)


def test_a_loop_target_with_a_star_unpacks_each_row():
    assert after("""
        def f(x, y):
            for a, *rest in [(x, y), (y, x)]:
                x = a * rest[0]
            return x
    """) == code("""
        def f(x, y):
            for _row in [(x, y), (y, x)]:
                a = _row[0]
                rest = [_row[1]]
                x = a * rest[0]
            return x
    """)


def test_zip_of_starred_rows_is_the_transposition():
    assert after("""
        def f(x, y):
            pairs = [(x, y), (y, x)]
            xs, ys = zip(*pairs)
            for a, b in zip(*pairs):
                x = a * b
            return xs
    """) == code("""
        def f(x, y):
            pairs = [(x, y), (y, x)]
            xs, ys = ((pairs[0][0], pairs[1][0]), (pairs[0][1], pairs[1][1]))
            for a, b in zip(pairs[0], pairs[1]):
                x = a * b
            return xs
    """)


def test_zip_of_rows_of_unknown_number_takes_it_from_the_loop_target():
    assert after("""
        def f(x, rows):
            for a, b in zip(*rows):
                x = a * b
            return x
    """) == code("""
        def f(x, rows):
            if len(rows) != 2:
                raise ValueError('zip(*rows) unpacked into 2 names needs 2 rows')
            for a, b in zip(rows[0], rows[1]):
                x = a * b
            return x
    """)


def test_double_star_of_known_keys_passes_each_keyword():
    assert after("""
        def f(x, y):
            opts = {'axis': 0}
            both = {**opts, 'keepdims': True}
            return np.sum(x * y, **both) + np.sum(x, **{'axis': 0, **opts})
    """) == code("""
        def f(x, y):
            opts = {'axis': 0}
            both = {'axis': 0, 'keepdims': True}
            return np.sum(x * y, axis=0, keepdims=True) + np.sum(x, axis=0)
    """)


def test_get_of_a_dict_of_known_keys_is_the_item_or_the_default():
    assert after(
        """
        def f(p, x):
            d = {'a': x}
            return p.get('w') * p.get('b', 0.0) + d.get('a', x) + d.get('z', -1.0) + p.get('c')
    """,
        {"w": X, "b": 1.0},
        X,
    ) == code("""
        def f(p, x):
            d = {'a': x}
            return p['w'] * p['b'] + d['a'] + -1.0 + None
    """)


def test_get_keeps_a_default_computed_by_a_call_and_a_dict_that_changes():
    assert after(
        """
        def f(p, x):
            return p.get('w', np.zeros(3))
    """,
        {"w": X},
        X,
    ) == code("""
        def f(p, x):
            return (p['w'], np.zeros(3))[0]
    """)
    changed = """
        def f(q, x):
            q['c'] = x
            return q.get('c', x)
    """
    assert after(changed, {"w": X}, X) == code(changed)


def test_the_structure_of_an_argument_is_known_from_the_signature():
    assert after(
        """
        def f(params, y, kw):
            return helper(*params) * np.sum(y, **kw)
    """,
        (X, X),
        X,
        {"axis": 0},
    ) == code("""
        def f(params, y, kw):
            return helper(params[0], params[1]) * np.sum(y, axis=kw['axis'])
    """)
    kind = of_value({"w": [X, (X, X)], "b": X})[1]
    assert kind == "dict" and isinstance(kind, Structured)
    assert kind.structure == (
        "dict",
        (("w", ("list", (None, ("tuple", (None, None))))), ("b", None)),
    )
    assert kind != of_value({"w": X})[1]
    assert of_value([X] * 3)[1].structure == ("list*", None)  # (a sequence: not its length)
    assert of_value([X] * 3)[1] == of_value([X] * 5)[1]
    assert of_value([(X, X)] * 100)[1].structure is None  # (a data set: its kind alone)


def test_a_list_that_may_change_is_not_spread():
    assert after("""
        def g(values):
            values.pop()

        def f(x, y):
            xs = [x, y]
            ys = [x, y]
            xs.append(y)
            g(ys)
            return helper(*xs) + helper(*ys)
    """) == code("""
        def f(x, y):
            xs = [x, y]
            ys = [x, y]
            xs.append(y)
            g(ys)
            return helper(*xs) + helper(*ys)
    """)


def test_a_lambdas_parameter_is_not_the_outer_name():
    assert after("""
        def f(x, y):
            p = (x, y)
            g = lambda p: helper(*p)
            return g((y, x, x)) + helper(*p)
    """) == code("""
        def f(x, y):
            p = (x, y)
            g = lambda p: helper(*p)
            return g((y, x, x)) + helper(p[0], p[1])
    """)


def test_a_function_with_star_parameters_is_called_through_a_copy_made_for_the_call():
    ctx = run("""
        def f(x, y):
            return squares(x, y) + scaled(x, 2.0, shift=y)
    """)
    assert code(text(ctx.parsed.tree)) == code("""
        def f(x, y):
            return squares_1(x, y) + scaled_1(x, 2.0, more_shift=y)
    """)
    made = ctx.support.injected["squares_1"]
    assert made(X, 2 * X).tolist() == squares(X, 2 * X).tolist()
    assert code(text(made.__srcgrad_tree__)) == code('''
        def squares(arrays_0, arrays_1):
            """The sum of the squares."""
            arrays = (arrays_0, arrays_1)
            return sum((a * a for a in arrays))
    ''')
    assert code(text(ctx.support.injected["scaled_1"].__srcgrad_tree__)) == code("""
        def scaled(a, scale=1.0, *, more_shift):
            more = {'shift': more_shift}
            return a * scale + more['shift']
    """)
    assert starred.specialised(squares, 2, ())[0] is made  # (made once per form of call)


REFUSED = {
    "unknown keys": (
        "def f(x, kw):\n    return np.sum(x, **kw)\n",
        "**kw",
        "unpacking '**kw', whose keys are not known",
    ),
    "a dict of unknown keys": (
        "def f(x):\n    d = {'a': x, **OTHER}\n    return d['a']\n",
        "**OTHER",
        "write the keys out",
    ),
    "a key that is not a name": (
        "def f(x):\n    return helper(x, **{'b-c': x})\n",
        "b-c",
        "the key 'b-c' passed as a keyword",
    ),
    "a keyword twice": (
        "def f(x):\n    return helper(x, b=x, **{'b': x})\n",
        "helper(x",
        "the keyword argument 'b' given twice",
    ),
    "too few values": (
        "def f(x):\n    t = (x,)\n    a, *b, c = t\n    return a\n",
        "a, *b, c",
        "unpacking 1 values into at least 2 names",
    ),
    "a comprehension's target": (
        "def f(x):\n    return sum(a for a, *r in [(x, x)])\n",
        "a, *r",
        "a starred name in a comprehension's target",
    ),
}


@pytest.mark.parametrize("name", REFUSED, ids=list(REFUSED))
def test_what_cannot_be_written_out_is_refused_at_its_line(name):
    source, fragment, message = REFUSED[name]
    found = refused(source, fragment, X, None)
    assert message in found and "is not supported" in found, found
