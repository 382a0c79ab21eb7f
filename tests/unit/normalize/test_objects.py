"""The `objects` pass alone: where a value's class is known (a name bound only by calls of one
of the user's classes), a property read becomes the call of its getter, and a cached property's
read the call of a getter that checks the object keeps no value of it; attributes the object
holds, methods, and values of unknown class are left alone. Every spelling of a change of what
an object holds that the fence does not see is refused at its line."""

from __future__ import annotations

import inspect
import re
import textwrap
import types
from functools import cached_property

import pytest
from passes import define, normalized_until, text

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.normalize import objects


class Box:
    def __init__(self, w):
        self.w = w

    @property
    def doubled(self):
        return 2.0 * self.w

    def scaled(self, k):
        return k * self.w


def after(source: str, **names) -> str:
    ctx = normalized_until(define(source, **names), objects)
    objects.run(ctx.parsed.tree, ctx)
    return text(ctx.parsed.tree)


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_a_property_of_an_object_made_here_is_its_getter_called():
    got = after(
        """
        def f(w):
            b = Box(w)
            return b.doubled + b.w + b.scaled(2.0)
        """,
        Box=Box,
    )
    assert got == code(
        """
        def f(w):
            b = Box(w)
            return doubled(b) + b.w + b.scaled(2.0)
        """
    )


def test_a_value_of_unknown_class_is_left_alone():
    source = """
        def f(b, w):
            c = Box(w)
            c = b
            return c.doubled + b.doubled
        """
    assert after(source, Box=Box) == code(source)


def test_the_users_classes_only():
    assert objects.is_user_class(Box)
    assert not objects.is_user_class(dict)
    assert not objects.is_user_class(objects.__class__)


class Cached:
    def __init__(self, w):
        self.w = w

    @cached_property
    def tripled(self):
        return 3.0 * self.w


def test_a_cached_property_is_a_getter_that_checks_nothing_is_kept():
    got = after(
        """
        def f(w):
            c = Cached(w)
            return c.tripled
        """,
        Cached=Cached,
    )
    assert got == code(
        """
        def f(w):
            c = Cached(w)
            return tripled(c)
        """
    )
    getter = objects.cached_getter(inspect.getattr_static(Cached, "tripled"), "tripled")
    assert inspect.getsource(getter).splitlines()[1].strip() == "not_cached(self, 'tripled')"
    with pytest.raises(UnsupportedSyntaxError, match="holds a value of it already"):
        c = Cached(1.0)
        _ = c.tripled
        getter(c)


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('setattr(ns, "v", w)', "'setattr(...)', which sets an attribute"),
        (
            'object.__setattr__(ns, "v", w)',
            "'ns.__setattr__(...)'",
        ),  # (read as ns.__setattr__: normalize/spellings.py)
        ('ns.__setattr__("v", w)', "'ns.__setattr__(...)'"),
        ('delattr(ns, "v")', "'delattr(...)'"),
        ("ns.items.append(w)", "'.append()' of a value held by an attribute or an element"),
        ('ns.d["k"].append(w)', "'.append()' of a value held by an attribute or an element"),
        ("ns.items.pop()", "'.pop()' of a value held"),
        ("x = ns.items.pop()", "'.pop()' of a value held"),
    ],
)
def test_a_change_of_what_an_object_holds_is_refused_at_its_line(line, what):
    source = f"""
        def f(w, ns):
            {line}
            return w
        """
    with pytest.raises(UnsupportedSyntaxError, match=re.escape(what)) as info:
        after(source)
    assert info.value.origin.text.strip() == line


def test_a_write_into_what_a_name_or_a_module_holds_is_left_alone():
    source = """
        def f(w, xs):
            xs.append(w)
            LOG.items.append(1.0)
            return w
        """
    assert after(source, LOG=types.SimpleNamespace(items=[])) == code(source)
