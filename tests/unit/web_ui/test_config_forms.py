"""The editors' forms: levels and their targets read from checkboxes, members from numbered slots in
order, add and remove buttons, and numbers refused by field before any call."""

import pytest

from services.web_ui.config_forms import LayerForm, PolicyForm, refusal
from shared.errors import AlreadyExists, InvalidInput

ALICE = "6f1c4e4a-0d3e-4c55-9a53-0d6b1b3c0001"
PRIMARY = "6f1c4e4a-0d3e-4c55-9a53-0d6b1b3c0002"


def test_levels_take_their_checked_targets_and_delays():
    form = {
        "name": " P ",
        "levels": "2",
        "delay-0": "5",
        f"t0:user:{ALICE}": "on",
        f"t1:schedule:{PRIMARY}": "on",
    }
    policy = PolicyForm.parse(form).to_proto("id-1")
    assert (policy.id, policy.name) == ("id-1", "P")
    assert [lv.delay_minutes for lv in policy.levels] == [5.0, 0.0]
    assert [(t.type, t.id) for lv in policy.levels for t in lv.targets] == [
        ("user", ALICE),
        ("schedule", PRIMARY),
    ]


def test_a_target_of_a_level_not_in_the_form_is_dropped():
    assert PolicyForm.parse({"levels": "1", f"t3:user:{ALICE}": "on"}).levels[0].targets == []


def test_adding_and_removing_levels_keeps_one_at_least():
    form = PolicyForm.parse({"levels": "2", f"t1:user:{ALICE}": "on"})
    form.apply("add-level")
    assert len(form.levels) == 3
    form.apply("remove-level-0")
    assert [lv.targets for lv in form.levels] == [[f"user:{ALICE}"], []]
    form.apply("remove-level-1")
    form.apply("remove-level-0")
    assert len(form.levels) == 1


@pytest.mark.parametrize("typed", ["²", "-1", "", "x"])
def test_a_level_count_or_index_that_is_no_number_changes_nothing(typed):
    form = PolicyForm.parse({"levels": typed})
    form.apply(f"remove-level-{typed}")
    assert len(form.levels) == 1


@pytest.mark.parametrize(("fields", "field"), [({"repeat": "x"}, "repeat"), ({"delay-0": "1e99"}, "levels")])
def test_a_number_that_cannot_be_sent_is_refused_by_field(fields, field):
    with pytest.raises(InvalidInput) as refused:
        PolicyForm.parse({"levels": "1", "repeat": "0"} | fields).to_proto()
    assert refused.value.field == field


def test_members_come_in_slot_order_and_empty_slots_are_skipped():
    layer = LayerForm.parse(
        {"member-10": "c", "member-2": "b", "member-0": "a", "member-1": "", "shift_length": "2"}
    )
    assert layer.members == ["a", "b", "c"] and layer.slots[-1] == ""
    assert LayerForm.parse({"shift_length": "2"}).to_proto().shift_length == 2
    with pytest.raises(InvalidInput) as refused:
        LayerForm.parse({"shift_length": "99999999999"}).to_proto()
    assert refused.value.field == "shift_length"


def test_a_refusal_goes_next_to_its_field_else_on_the_page():
    assert refusal(InvalidInput("bad", field="levels[0].targets[1].id"), PolicyForm.FIELDS) == (
        {"levels": "bad"},
        None,
    )
    assert refusal(AlreadyExists("taken", field="id"), PolicyForm.FIELDS) == ({}, "taken")
