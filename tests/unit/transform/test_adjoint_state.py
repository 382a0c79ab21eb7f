"""The table of adjoints of the reverse sweep (`transform/adjoint_state.py`), on its own: a name
absent from it has the adjoint zero; a present one is a uniform number, an array (owned by
srcgrad or not), or either of those masked by an `np.where`; and the facts about a name change
only through the table's methods, which keep them consistent (a mask survives materializing and
owning, not an in-place contribution; ownership is lost when the array is shared; copies are
independent)."""

from __future__ import annotations

from srcgrad.front import nodes
from srcgrad.transform.adjoint_state import AdjointTable, Array, Masked, Uniform


def _mask() -> tuple:
    return (nodes.load("_t1"), True)


def test_an_absent_name_has_the_adjoint_zero():
    table = AdjointTable()
    assert "x" not in table
    assert table.names() == set()
    assert table.get("x") is None
    assert table.uniform("x") is None
    assert not table.owned("x")
    assert table.mask("x") is None
    assert table.pop("x") is None
    assert "x" not in table  # (pop of an absent name adds nothing)


def test_a_uniform_adjoint_holds_its_number_and_is_no_array():
    table = AdjointTable()
    one, half = nodes.const(1.0), nodes.load("_t3")
    table.set_uniform("y", half)
    table.set_uniform("x", one)
    assert table.uniform("x") is one
    assert table.uniform("y") is half
    assert table.uniform_names() == ["x", "y"]  # sorted: the order arrays are made in
    assert isinstance(table.get("x"), Uniform)
    assert not table.owned("x")
    assert table.owned_names() == set()


def test_an_array_is_owned_only_where_said():
    table = AdjointTable()
    table.set_array("x")
    table.set_array("y", owned=True)
    assert isinstance(table.get("x"), Array)
    assert not table.owned("x")
    assert table.owned("y")
    assert table.owned_names() == {"y"}
    assert table.uniform_names() == []
    assert table.names() == {"x", "y"}


def test_materialized_makes_a_uniform_adjoint_an_owned_array_keeping_its_mask():
    table = AdjointTable()
    mask = _mask()
    table.set_uniform("x", nodes.const(1.0))
    table.set_mask("x", mask)
    assert table.uniform("x") is not None  # a mask does not hide the number
    table.materialized("x")
    assert table.uniform("x") is None
    assert table.owned("x")
    assert table.mask("x") is mask


def test_set_owned_keeps_the_mask_and_unmasked_stays_unmasked():
    table = AdjointTable()
    mask = _mask()
    table.set_array("x")
    table.set_mask("x", mask)
    table.set_array("y")
    table.set_owned("x")
    table.set_owned("y")
    assert table.owned("x") and table.mask("x") is mask
    assert table.owned("y") and table.mask("y") is None
    assert isinstance(table.get("y"), Array)


def test_a_contribution_in_place_drops_the_mask_and_keeps_the_ownership():
    table = AdjointTable()
    table.set_array("x", owned=True)
    table.set_mask("x", _mask())
    table.set_array("y")
    table.set_mask("y", _mask())
    table.contributed_in_place("x")
    table.contributed_in_place("y")
    assert table.mask("x") is None and table.owned("x")
    assert table.mask("y") is None and not table.owned("y")


def test_pop_uses_the_adjoint_up_and_discard_all_forgets_several():
    table = AdjointTable()
    table.set_array("x", owned=True)
    table.set_array("y")
    table.set_uniform("z", nodes.const(2.0))
    state = table.pop("x")
    assert isinstance(state, Array) and state.owned
    assert "x" not in table
    table.discard_all(["y", "z", "never"])
    assert table.names() == set()


def test_shared_gives_up_ownership_and_keeps_the_mask():
    table = AdjointTable()
    mask = _mask()
    table.set_array("x", owned=True)
    table.set_mask("x", mask)
    table.set_array("y", owned=True)
    table.set_uniform("u", nodes.const(1.0))
    for name in ("x", "y", "u", "absent"):
        table.shared(name)
    assert not table.owned("x") and table.mask("x") is mask
    assert isinstance(table.get("y"), Array) and not table.owned("y")
    assert isinstance(table.get("u"), Uniform)  # a number is no one's array
    assert "absent" not in table


def test_a_new_mask_replaces_the_old_one_instead_of_nesting():
    table = AdjointTable()
    first, second = _mask(), (nodes.load("_t2"), False)
    table.set_array("x", owned=True)
    table.set_mask("x", first)
    table.set_mask("x", second)
    state = table.get("x")
    assert isinstance(state, Masked)
    assert state.mask is second
    assert isinstance(state.inner, Array) and state.inner.owned


def test_drop_masks_forgets_every_mask_and_nothing_else():
    table = AdjointTable()
    table.set_uniform("u", nodes.const(1.0))
    table.set_mask("u", _mask())
    table.set_array("x", owned=True)
    table.set_mask("x", _mask())
    table.set_array("y")
    table.drop_masks()
    assert table.mask("u") is None and table.mask("x") is None
    assert isinstance(table.get("u"), Uniform)
    assert table.owned("x")
    assert not table.owned("y") and "y" in table


def test_a_copy_is_independent_of_its_original():
    table = AdjointTable()
    table.set_array("x", owned=True)
    copied = table.copy()
    copied.shared("x")
    copied.set_uniform("y", nodes.const(1.0))
    table.pop("x")
    assert "x" in copied and not copied.owned("x")
    assert "y" not in table
    assert copied.names() == {"x", "y"}
