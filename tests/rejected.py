"""Functions using constructs the fence rejects; `# at: TEXT` marks where the error must point.

test_errors.py reads these markers: the error must start `rejected.py:LINE:COL:` where LINE is
the marked line and COL the column of TEXT on it.
"""

import numpy as np

G = 1.0


def try_statement(x):
    try:  # at: try
        y = x * 2
    except ValueError:
        y = x
    return y


def with_statement(x):
    with np.errstate(all="ignore"):  # at: with
        y = np.log(x)
    return y


def global_statement(x):
    global G  # at: global
    G = x
    return x


def del_statement(x):
    y = x * 2
    del y  # at: del
    return x


def import_statement(x):
    import math  # at: import

    return math.sin(x)


def class_definition(x):
    class Box:  # at: class
        pass

    return x


def nested_function(x):
    def inner(y):  # at: def inner
        return y * 2

    return inner(x)


def lambda_expression(x):
    return np.sum((lambda y: y * 2)(x))  # at: lambda


def set_comprehension(x):
    return sum({v for v in x})  # at: {v


def comprehension_in_while_test(x):
    while sum(v for v in x) < 10:  # at: while
        x = x * 2
    return x


KEY = "a"
OTHER = {"b": 1.0}


def dict_display_with_a_computed_key(x):
    d = {KEY: x}  # at: {
    return d["a"]


def dict_display_unpacking_another(x):
    d = {"a": x, **OTHER}  # at: {
    return d["a"]


def walrus(x):
    return (y := x * 2) + y  # at: y :=


def starred_argument(x):
    return np.add(*x)  # at: return


def expression_statement(x):
    np.exp(x)  # at: np.exp
    return x


def bitwise_and(x):
    return x & 1  # at: x & 1


def invert(x):
    return ~x  # at: ~x


def chained_assignment(x):
    a = b = x  # at: a = b
    return a + b


def nested_item_assignment(x):
    y = x * 1
    y[0][1] = 1.0  # at: y[0][1]
    return np.sum(y)


def attribute_assignment(x):
    x.flags = None  # at: x.flags
    return x


def unpack_display_of_another_length(x):
    a, b = x, x, x  # at: a, b
    return np.sum(a * b)


def double_star_kwargs(x, **options):  # at: options
    return x


def keyword_splat(x):
    return np.sum(x, **{"axis": 0})  # at: np.sum(


def yield_statement(x):
    yield x  # at: yield


def annotation_only(x):
    y: float  # at: y: float
    return x


def augmented_assignment_to_a_view(x):
    y = x * 1.0
    v = y[1:]
    v *= 3.0  # at: v *=
    return np.sum(y * y)


def augmented_assignment_to_an_alias(x):
    z = x
    z += 1.0  # at: z +=
    return np.sum(x * z)


def augmented_assignment_to_an_alias_read_in_the_next_round(x):
    v = x * 1.0
    s = 0.0
    for i in range(2):
        s = s + np.sum(v)
        z = v
        z += 1.0  # at: z +=
    return s


def update_through_a_flipped_view(x):
    y = x * 1.0
    v = np.flip(y)
    v[0] = 5.0  # at: v[0]
    return np.sum(y * x)
