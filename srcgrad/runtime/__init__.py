"""What generated code calls at run time, and the markers users write in their code.

The helpers are the few operations no single NumPy call expresses, grouped by what they serve:
`values` (forward-sweep values), `broadcasting` (adjoints summed back to operand shapes),
`indexing` (scatters and overwritten positions), `containers` (list, dict and tree adjoints),
`checks` (scalar outputs, finite adjoints) and `tangents` (forward mode). `markers` holds
`stop_gradient` and `no_grad`. Every helper is named here, the way rules and transforms use
them (`runtime.unbroadcast`).

Guarantees: helpers never mutate their inputs (only arrays they create), create arrays only with
`*_like` so that other NumPy-API arrays pass through, and `unbroadcast` returns `g` itself when
the shapes already agree.
"""

from .broadcasting import (
    choose_adjoint,
    dot_adjoint_left,
    dot_adjoint_right,
    expand_to,
    gradient_dtype,
    matmul_adjoint_left,
    matmul_adjoint_right,
    mean_count,
    product_of_others,
    reduced_axes_last,
    unbroadcast,
)
from .checks import (
    check_finite,
    check_scalar,
    zero_gradient,
)
from .containers import (
    add_adjoints,
    add_all,
    add_at,
    add_item,
    as_gradient,
    dict_copy,
    dict_items,
    dict_keys,
    dict_values,
    element_adjoint,
    entry_adjoint,
    items_adjoint,
    iterated,
    iterated_adjoint,
    list_adjoint,
    list_of,
    pop_adjoint,
    values_adjoint,
)
from .indexing import (
    added_at,
    diagonal_positions,
    flat_positions,
    index_adjoint,
    last_writes,
    nonnegative,
    scatter_add,
    zero_at,
)
from .markers import (
    no_grad,
    stop_gradient,
)
from .tangents import (
    real_tangent,
    tangent_like,
    zero_tangent,
)
from .values import (
    abs_slope,
    astype,
    clip_weights,
    extreme_shares,
    inverse_permutation,
    item,
    permuted,
    sigmoid,
    sorted_order,
)

__all__ = [
    "added_at",
    "diagonal_positions",
    "flat_positions",
    "dict_copy",
    "abs_slope",
    "add_adjoints",
    "add_all",
    "add_at",
    "add_item",
    "as_gradient",
    "astype",
    "check_finite",
    "check_scalar",
    "choose_adjoint",
    "clip_weights",
    "dict_items",
    "dict_keys",
    "dict_values",
    "dot_adjoint_left",
    "dot_adjoint_right",
    "element_adjoint",
    "entry_adjoint",
    "expand_to",
    "extreme_shares",
    "gradient_dtype",
    "index_adjoint",
    "inverse_permutation",
    "item",
    "items_adjoint",
    "iterated",
    "iterated_adjoint",
    "last_writes",
    "list_adjoint",
    "list_of",
    "matmul_adjoint_left",
    "matmul_adjoint_right",
    "mean_count",
    "no_grad",
    "nonnegative",
    "permuted",
    "pop_adjoint",
    "product_of_others",
    "real_tangent",
    "reduced_axes_last",
    "scatter_add",
    "sigmoid",
    "sorted_order",
    "stop_gradient",
    "tangent_like",
    "unbroadcast",
    "values_adjoint",
    "zero_at",
    "zero_gradient",
    "zero_tangent",
]
