"""Rule-table rows for the shaping rules (see rule_table.py for the row format)."""

import builtins

import numpy as np
from rule_table import Const, Fixed, normal, row

_MASK = Const([[True, False, True, False], [False, False, True, True], [True, True, False, True]])

# ---- joining -----------------------------------------------------------------------------------

row(np.concatenate, "np.concatenate([x, y])", x=normal(3, 4), y=normal(2, 4))
row(np.concatenate, "np.concatenate([x, y], axis=1)", x=normal(3, 2), y=normal(3, 4))
row(np.concatenate, "np.concatenate((x, y, x), -1)", x=normal(2, 3, 2), y=normal(2, 3, 1))
row(np.concatenate, "np.concatenate([x, y], axis=None)", x=normal(2, 3), y=normal(4))
row(np.concatenate, "np.concatenate([x, w, x])", x=normal(3), const={"w": Const([1.0, 2.0])})
row(np.concatenate, "np.concatenate(x, axis=1)", x=normal(2, 3, 4))  # joins x's rows
row(np.concatenate, "np.concat([x, y])", x=normal(2), y=normal(3))
row(np.stack, "np.stack([x, y])", x=normal(3, 4), y=normal(3, 4))
row(np.stack, "np.stack([x, y, x], axis=1)", x=normal(3, 4), y=normal(3, 4))
row(np.stack, "np.stack((x, y), axis=-1)", x=normal(2, 3), y=normal(2, 3))
row(np.stack, "np.stack([x, y])", x=normal(), y=normal())
row(np.stack, "np.stack(x, axis=2)", x=normal(2, 3, 4))
row(np.hstack, "np.hstack([x, y])", x=normal(3), y=normal(2))
row(np.hstack, "np.hstack((x, y))", x=normal(3, 2), y=normal(3, 1))
row(np.hstack, "np.hstack([x, y, x])", x=normal(), y=normal(2))
row(np.vstack, "np.vstack([x, y])", x=normal(4), y=normal(4))
row(np.vstack, "np.vstack([x, y])", x=normal(2, 3), y=normal(3))
row(np.vstack, "np.vstack((x, y))", x=normal(2, 2, 3), y=normal(1, 2, 3))
if hasattr(np, "row_stack"):  # vstack's old name, gone from NumPy 2.5
    row(np.row_stack, "np.row_stack([x, y])", x=normal(2, 3), y=normal(3))
row(np.dstack, "np.dstack([x, y])", x=normal(3), y=normal(3))
row(np.dstack, "np.dstack([x, y])", x=normal(2, 3), y=normal(2, 3, 2))
row(np.column_stack, "np.column_stack([x, y])", x=normal(3), y=normal(3, 2))
row(np.column_stack, "np.column_stack((x, y))", x=normal(4), y=normal(4))
row(np.append, "np.append(x, y)", x=normal(2, 3), y=normal(4))
row(np.append, "np.append(x, y, axis=0)", x=normal(2, 3), y=normal(1, 3))
row(np.append, "np.append(x, 1.5)", x=normal(3))
row(np.append, "np.append(x, y)", x=normal(3), y=normal())
row(np.array, "np.array([x, y])", x=normal(), y=normal())
row(np.array, "np.array([x, y, x])", x=normal(3), y=normal(3))
row(np.array, "np.array((x, 2.0))", x=normal())
row(np.array, "np.array(x)", x=normal(2, 3))
row(np.asarray, "np.asarray([x, y])", x=normal(2), y=normal(2))
row(np.asarray, "np.asarray(x)", x=normal(3))

# ---- cutting: a piece of the result list ---------------------------------------------------------

row(np.split, "np.split(x, 3, axis=1)[1]", x=normal(2, 6))
row(np.array_split, "np.array_split(x, 2)[0]", x=normal(4, 3))
row(np.hsplit, "np.hsplit(x, 2)[1]", x=normal(3, 4))
row(np.vsplit, "np.vsplit(x, 2)[0]", x=normal(4, 3))
row(np.dsplit, "np.dsplit(x, 2)[1]", x=normal(2, 3, 4))

row(np.unstack, "np.unstack(x)[1]", x=normal(3, 4))
row(np.unstack, "np.unstack(x, axis=1)[0]", x=normal(2, 3, 4))

# ---- repeating and padding ---------------------------------------------------------------------

row(np.tile, "np.tile(x, 2)", x=normal(3))
row(np.tile, "np.tile(x, (2, 1))", x=normal(3, 4))
row(np.tile, "np.tile(x, (2, 1, 3))", x=normal(2, 3))
row(np.tile, "np.tile(x, 3)", x=normal(2, 3, 2))
row(np.tile, "np.tile(x, (2, 2))", x=normal())
row(np.repeat, "np.repeat(x, 2)", x=normal(3, 2))
row(np.repeat, "np.repeat(x, 3, axis=1)", x=normal(3, 2))
row(np.repeat, "np.repeat(x, [1, 0, 2], axis=0)", x=normal(3, 2))
row(np.repeat, "np.repeat(x, r, axis=-1)", x=normal(2, 3), const={"r": Const([2, 1, 3])})
row(np.repeat, "np.repeat(x, 4)", x=normal())
row(np.resize, "np.resize(x, (3, 4))", x=normal(5))
row(np.resize, "np.resize(x, 4)", x=normal(2, 3))
row(np.broadcast_to, "np.broadcast_to(x, (2, 3))", x=normal(3))
row(np.broadcast_to, "np.broadcast_to(x, (2, 3, 4))", x=normal(3, 1))
row(np.broadcast_to, "np.broadcast_to(x, (2, 2))", x=normal())
row(np.pad, "np.pad(x, 1)", x=normal(3, 4))
row(np.pad, "np.pad(x, ((1, 2), (0, 3)))", x=normal(3, 4))
row(np.pad, "np.pad(x, (2, 1), constant_values=c)", x=normal(3), c=normal())
row(np.pad, "np.pad(x, 2, 'edge')", x=normal(3, 2))
row(np.pad, "np.pad(x, ((1, 3), (2, 0)), mode='reflect')", x=normal(3, 4))
row(np.pad, "np.pad(x, (2, 4), mode='symmetric')", x=normal(3))
row(np.pad, "np.pad(x, ((0, 5), (1, 1)), mode='wrap')", x=normal(2, 3))

# ---- moving ------------------------------------------------------------------------------------

row(np.roll, "np.roll(x, 1)", x=normal(3, 4))
row(np.roll, "np.roll(x, -2, axis=1)", x=normal(3, 4))
row(np.roll, "np.roll(x, (1, 2), axis=(0, 1))", x=normal(3, 4))
row(np.roll, "np.roll(x, s, axis=0)", x=normal(5), const={"s": Const(2)})
row(np.flip, "np.flip(x)", x=normal(3, 4))
row(np.flip, "np.flip(x, axis=1)", x=normal(3, 4))
row(np.flip, "np.flip(x, (0, 2))", x=normal(2, 3, 4))
row(np.fliplr, "np.fliplr(x)", x=normal(3, 4))
row(np.flipud, "np.flipud(x)", x=normal(3, 4))
row(np.flipud, "np.flipud(x)", x=normal(5))
row(np.rot90, "np.rot90(x)", x=normal(3, 4))
row(np.rot90, "np.rot90(x, 2)", x=normal(3, 4))
row(np.rot90, "np.rot90(x, k=-1, axes=(1, 2))", x=normal(2, 3, 4))
row(np.moveaxis, "np.moveaxis(x, 0, -1)", x=normal(2, 3, 4))
row(np.moveaxis, "np.moveaxis(x, (0, 1), (2, 0))", x=normal(2, 3, 4))
row(np.swapaxes, "np.swapaxes(x, 0, 2)", x=normal(2, 3, 4))
row(np.swapaxes, "x.swapaxes(-1, -2)", x=normal(3, 4))
row(np.rollaxis, "np.rollaxis(x, 2)", x=normal(2, 3, 4))
row(np.rollaxis, "np.rollaxis(x, 0, 3)", x=normal(2, 3, 4))
row(np.rollaxis, "np.rollaxis(x, -1, 1)", x=normal(2, 3, 4))
row(np.matrix_transpose, "np.matrix_transpose(x)", x=normal(3, 4))
row(np.matrix_transpose, "np.matrix_transpose(x)", x=normal(2, 3, 4))
row(np.atleast_1d, "np.atleast_1d(x)", x=normal())
row(np.atleast_1d, "np.atleast_1d(x)", x=normal(3, 4))
row(np.atleast_2d, "np.atleast_2d(x)", x=normal(4))
row(np.atleast_2d, "np.atleast_2d(x)", x=normal())
row(np.atleast_3d, "np.atleast_3d(x)", x=normal(4))
row(np.atleast_3d, "np.atleast_3d(x)", x=normal(3, 4))

# ---- diagonals and triangles -------------------------------------------------------------------

row(np.diag, "np.diag(x)", x=normal(4))
row(np.diag, "np.diag(x, 1)", x=normal(3))
row(np.diag, "np.diag(x, k=-2)", x=normal(3))
row(np.diag, "np.diag(x)", x=normal(4, 4))
row(np.diag, "np.diag(x, 1)", x=normal(3, 5))
row(np.diag, "np.diag(x, -1)", x=normal(4, 3))
row(np.diag, "np.diag(x[x > 0], 1)", x=normal(6))  # a shape known only at run time
row(np.diagflat, "np.diagflat(x)", x=normal(3))
row(np.diagflat, "np.diagflat(x, -1)", x=normal(2, 2))
row(np.diagonal, "np.diagonal(x)", x=normal(3, 4))
row(np.diagonal, "np.diagonal(x, 1)", x=normal(4, 3))
row(np.diagonal, "np.diagonal(x, offset=-1, axis1=1, axis2=2)", x=normal(2, 4, 3))
row(np.diagonal, "x.diagonal(0, 2, 0)", x=normal(3, 2, 4))
row(np.trace, "np.trace(x)", x=normal(4, 4))
row(np.trace, "np.trace(x, 1)", x=normal(3, 5))
row(np.trace, "np.trace(x, axis1=1, axis2=2)", x=normal(2, 3, 3))
row(np.trace, "x.trace(-1)", x=normal(4, 3))
row(np.tril, "np.tril(x)", x=normal(4, 4))
row(np.tril, "np.tril(x, -1)", x=normal(3, 5))
row(np.tril, "np.tril(x, k=1)", x=normal(2, 3, 3))
row(np.tril, "np.tril(x)", x=normal(3))  # a vector is broadcast to a square matrix first
row(np.triu, "np.triu(x)", x=normal(4, 4))
row(np.triu, "np.triu(x, 2)", x=normal(3, 5))
row(np.triu, "np.triu(x, k=-1)", x=normal(2, 3, 3))
row(np.triu, "np.triu(x, 1)", x=normal(4))

# ---- selecting ---------------------------------------------------------------------------------

row(np.take, "np.take(x, idx)", x=normal(3, 4), const={"idx": Const([0, 5, 5, 11])})
row(np.take, "np.take(x, idx, axis=1)", x=normal(3, 4), const={"idx": Const([[3, 0], [3, 3]])})
row(np.take, "np.take(x, 2, axis=0)", x=normal(3, 4))
row(np.take, "np.take(x, idx, mode='wrap')", x=normal(5), const={"idx": Const([-1, 6, 7])})
row(np.take, "np.take(x, idx, 0, mode='clip')", x=normal(4, 2), const={"idx": Const([-2, 1, 9])})
row(np.take, "x.take(idx, axis=-1)", x=normal(2, 3), const={"idx": Const([-1, 0])})
row(
    np.take_along_axis,
    "np.take_along_axis(x, idx, axis=1)",
    x=normal(3, 4),
    const={"idx": Const([[0, 0], [3, 1], [2, 2]])},
)
row(
    np.take_along_axis,
    "np.take_along_axis(x, idx, 0)",
    x=normal(3, 4),
    const={"idx": Const([[2, 0, 1, 1]])},
)
row(
    np.take_along_axis,
    "np.take_along_axis(x, idx, None)",
    x=normal(2, 3),
    const={"idx": Const([5, 0, 5])},
)
row(
    np.compress,
    "np.compress(c, x, axis=0)",
    x=normal(3, 4),
    const={"c": Const([True, False, True])},
)
row(np.compress, "np.compress(c, x)", x=normal(2, 3), const={"c": Const([False, True, True])})
row(np.extract, "np.extract(c, x)", x=normal(3, 4), const={"c": _MASK})
row(np.delete, "np.delete(x, 1)", x=normal(5))
row(np.delete, "np.delete(x, [0, 2], axis=1)", x=normal(3, 4))
row(np.delete, "np.delete(x, slice(0, 3, 2), 0)", x=normal(4, 2))
row(np.insert, "np.insert(x, 1, y)", x=normal(4), y=normal())
row(np.insert, "np.insert(x, [0, 2, 2], y)", x=normal(4), y=normal(3))
row(np.insert, "np.insert(x, 1, y, axis=1)", x=normal(3, 4), y=normal(3))
row(np.insert, "np.insert(x, 2, y, axis=0)", x=normal(3, 4), y=normal())
row(np.insert, "np.insert(x, [1, 3], 0.5, axis=1)", x=normal(2, 4))
row(
    np.select,
    "np.select([c, np.logical_not(c)], [x, y])",
    x=normal(3, 4),
    y=normal(3, 4),
    const={"c": _MASK},
)
row(
    np.select,
    "np.select([x > 0.5, x < -0.5], [x, 2 * x], default=y)",
    x=normal(3, 4),
    y=normal(4),
)
row(np.select, "np.select([c], [x], y)", x=normal(), y=normal(3, 4), const={"c": _MASK})

_CHOICE = Const([[0, 2, 1, 1], [2, 0, 0, 1], [1, 1, 2, 0]])
row(
    np.choose,
    "np.choose(k, [x, y, z])",
    x=normal(3, 4),
    y=normal(3, 4),
    z=normal(4),
    const={"k": _CHOICE},
)
row(np.choose, "np.choose(k, (x, 2.0, y))", x=normal(3, 1), y=normal(), const={"k": _CHOICE})
row(np.choose, "np.choose(k, x)", x=normal(3, 3, 4), const={"k": _CHOICE})
row(
    np.choose,
    "np.choose(k, [x, y], mode='wrap')",
    x=normal(3, 4),
    y=normal(3, 4),
    const={"k": _CHOICE},
)
row(
    np.choose,
    "np.choose(k, [x, y], mode='clip')",
    x=normal(3, 4),
    y=normal(3, 4),
    const={"k": _CHOICE},
)
row(
    np.select,
    "np.select(c, x, y)",
    x=normal(2, 3, 4),
    y=normal(3, 4),
    const={"c": Const([[[True] * 4] * 3, [[False, True] * 2] * 3])},
)

# ---- sorting -----------------------------------------------------------------------------------

row(np.sort, "np.sort(x)", x=normal(3, 4))
row(np.sort, "np.sort(x, axis=0)", x=normal(3, 4))
row(np.sort, "np.sort(x, axis=None)", x=normal(3, 4))
row(np.sort, "np.sort(x)[-2:]", x=normal(6))
row(np.partition, "np.partition(x, 2)", x=normal(6))
row(np.partition, "np.partition(x, 1, axis=0)", x=normal(4, 3))
row(np.partition, "np.partition(x, (0, 3), axis=None)", x=normal(2, 3))

# Python's sorted: a list, of an array's or a list's numbers (distinct: a tie has no derivative)
_DISTINCT = Fixed([0.4, -1.3, 2.1, 0.9, -0.2], "distinct")
row(builtins.sorted, "sorted(x)", x=_DISTINCT)
row(builtins.sorted, "sorted(x)[1]", x=_DISTINCT)
row(builtins.sorted, "sorted(x, reverse=True)[:3]", x=_DISTINCT)
row(builtins.sorted, "sorted(x, key=abs)", x=_DISTINCT)
row(builtins.sorted, "sorted([x, y * 2.0, z, 0.5])", x=Fixed(0.3), y=Fixed(-0.6), z=Fixed(1.1))
row(builtins.sorted, "sum(sorted([x, y, z])[:2])", x=Fixed(0.3), y=Fixed(-0.6), z=Fixed(1.1))

# ---- constructors that carry their values: np.full's fill value, np.linspace's ends ---------

row(np.full, "np.full((2, 3), v)", v=normal())
row(np.full, "np.full((2, 3), v)", v=normal(3))
row(np.full, "np.full((3, 4), v, dtype=float)", v=normal(3, 1))
row(np.full, "np.full(4, v * v)", v=normal())
row(np.linspace, "np.linspace(a, b, 5)", a=normal(), b=normal())
row(np.linspace, "np.linspace(a, b, 4, endpoint=False)", a=normal(), b=normal())
row(np.linspace, "np.linspace(a, 2.0, num=6)", a=normal())
row(np.linspace, "np.linspace(a, b, 3)", a=normal(2), b=normal())
row(np.linspace, "np.linspace(a, b, 4, axis=-1)", a=normal(3, 1), b=normal(2))
row(np.linspace, "np.linspace(a, b, 1)", a=normal(), b=normal())
