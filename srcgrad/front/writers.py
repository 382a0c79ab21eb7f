"""Which objects, called, write into what they are given: decided by the object, not the spelling.

`writes(obj)` is true for NumPy's functions that write into an argument (`np.copyto`, ...,
a ufunc's `.at`), `operator`'s in-place functions and `setitem`/`delitem`, `setattr` and
`delattr`, and every method of a library's class that changes the object it is called on
(`np.ndarray.sort`, `list.append`, `np.ndarray.__iadd__`, a bound `y.fill` or `rng.shuffle`),
unbound or bound, and a `functools.partial` of any of them. However a call reaches one of these
(an alias, `getattr(np, "copyto")`, `type(y).__setitem__`), the normalize passes see the same
object and write it as the update it is (`y[i] = v`, `y += v`) or refuse it at its line.
A function or method of the user's is not one: the analyses read its source (`memory.Summary`);
a method named as a writer (`ema.update(v)`) is the user's where the class of the object it is
called on is known (`method_writes`).
"""

from __future__ import annotations

import builtins
import functools
import operator
import types

import gast
import numpy as np

# NumPy functions that write into an argument they are given
MUTATORS = frozenset(
    {
        np.copyto,
        np.fill_diagonal,
        np.put,
        np.place,
        np.putmask,
        np.put_along_axis,
        np.random.shuffle,
    }
)
# the in-place operators' methods, with the operator each stands for
IN_PLACE_DUNDERS = {
    "__iadd__": "+",
    "__isub__": "-",
    "__imul__": "*",
    "__itruediv__": "/",
    "__ifloordiv__": "//",
    "__imod__": "%",
    "__ipow__": "**",
    "__imatmul__": "@",
    "__iand__": "&",
    "__ior__": "|",
    "__ixor__": "^",
    "__ilshift__": "<<",
    "__irshift__": ">>",
}
# methods of arrays, lists, dicts and random generators that change the object they are called on
MUTATING_METHODS = frozenset(
    {
        *IN_PLACE_DUNDERS,
        "__setitem__",
        "__delitem__",
        "__setattr__",
        "__delattr__",
        "__setstate__",
        "sort",
        "fill",
        "partition",
        "put",
        "resize",
        "itemset",
        "setflags",
        "shuffle",
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "reverse",
        "update",
        "setdefault",
        "popitem",
    }
)
# operator's functions that change their first argument, with the statement to write instead
# (formatted with the spellings of the call's arguments)
OPERATOR_WRITERS = {
    getattr(operator, f"i{name[3:-2]}"): f"{{0}} {symbol}= {{1}}"
    for name, symbol in IN_PLACE_DUNDERS.items()
}
OPERATOR_WRITERS[operator.iconcat] = "{0} += {1}"
OPERATOR_WRITERS[operator.setitem] = "{0}[{1}] = {2}"
OPERATOR_WRITERS[operator.delitem] = "{0} = np.delete({0}, {1}) for a new array without it"
# the in-place operators srcgrad follows, by the symbol of `IN_PLACE_DUNDERS`
AUGMENTED = {
    "+": gast.Add,
    "-": gast.Sub,
    "*": gast.Mult,
    "/": gast.Div,
    "//": gast.FloorDiv,
    "%": gast.Mod,
    "**": gast.Pow,
    "@": gast.MatMult,
}
# the dunders that write, with what to write instead where they are refused
DUNDER_ADVICE = {
    **{
        name: f"write y {symbol}= v" + ("" if symbol in AUGMENTED else f" as y = y {symbol} v")
        for name, symbol in IN_PLACE_DUNDERS.items()
    },
    "__setitem__": "write y[i] = v",
    "__delitem__": "compute a new value without the element (np.delete(y, i))",
    "__setattr__": "compute a new value instead of changing an attribute",
    "__delattr__": "compute a new value instead of changing an attribute",
}
_BUILTIN_WRITERS = {builtins.setattr, builtins.delattr}
_DESCRIPTORS = (types.MethodDescriptorType, types.WrapperDescriptorType)
_BOUND = (types.BuiltinMethodType, types.MethodWrapperType, types.MethodType)
_LIBRARY_PYTHON = ("random", "collections", "numpy", "array", "heapq")


def writes(obj: object) -> bool:
    """Calling `obj` may write into an argument it is given or into the object it is bound to."""
    if isinstance(obj, functools.partial):
        return writes(obj.func)
    try:
        if obj in MUTATORS or obj in OPERATOR_WRITERS or obj in _BUILTIN_WRITERS:
            return True
    except TypeError:  # an unhashable object
        return False
    name = getattr(obj, "__name__", None)
    if name == "at" and isinstance(getattr(obj, "__self__", None), np.ufunc):
        return True  # np.add.at(a, i, b)
    if name not in MUTATING_METHODS:
        return False
    if isinstance(obj, _DESCRIPTORS):  # np.ndarray.sort, list.append, np.ndarray.__iadd__
        return True
    if isinstance(obj, _BOUND):
        owner = getattr(obj, "__self__", None)
        if owner is None or isinstance(owner, (types.ModuleType, type)):
            return False  # (a module's function, a classmethod)
        function = getattr(obj, "__func__", None)
        if isinstance(function, types.FunctionType):
            return _library_method(function)  # (random.shuffle: Random.shuffle of an instance)
        return True
    return isinstance(obj, types.FunctionType) and _library_method(obj)


def _library_method(function: types.FunctionType) -> bool:
    """A Python method of a library's class (not the user's: the analyses read those)."""
    module = getattr(function, "__module__", None) or ""
    return "." in function.__qualname__ and module.split(".")[0] in _LIBRARY_PYTHON


def method_writes(kind: type | None, method: str) -> bool:
    """A call of `method` on an object of class `kind` (None: not known where the call is made)
    may write as a list's, a dict's or an array's method of that name does: true unless the
    class is known and its attribute of that name is no writer (the user's own `update`,
    whose source the analyses read)."""
    if kind is None:
        return True
    try:
        found = getattr(kind, method)
    except AttributeError:  # (set on the instance: not known)
        return True
    return writes(found)


def called(obj: object) -> str:
    """How a message names `obj`: `np.copyto`, `ndarray.sort`, `operator.iadd`."""
    if isinstance(obj, functools.partial):
        return f"functools.partial({called(obj.func)}, ...)"
    if getattr(obj, "__name__", None) == "at" and isinstance(
        getattr(obj, "__self__", None), np.ufunc
    ):
        return f"np.{obj.__self__.__name__}.at"
    owner = getattr(obj, "__objclass__", None) or type(getattr(obj, "__self__", None))
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "this function")
    module = getattr(obj, "__module__", None)
    if module == "numpy" or (isinstance(module, str) and module.startswith("numpy.")):
        return f"np.{name}"
    if module in ("operator", "_operator"):
        return f"operator.{name}"
    if "." not in name and owner not in (type(None), types.ModuleType):
        return f"{owner.__name__}.{name}"
    return name
