"""The `objects` pass alone: where a value's class is known (a name bound only by calls of one
of the user's classes), a property read becomes the call of its getter; attributes the object
holds, methods, and values of unknown class are left alone."""

from __future__ import annotations

import textwrap

from passes import define, normalized_until, text

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
