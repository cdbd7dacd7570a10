"""The editors' forms: levels and their targets read from checkboxes, members from numbered slots in
order, a layer's windows from day checkboxes, add and remove buttons, numbers refused by field before any
call, and a bad window's refusal placed next to its field."""

import pytest

from services.web_ui.config_forms import MAX_WINDOWS, LayerForm, PolicyForm, RestrictionsForm, refusal
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


def test_windows_take_their_ticked_days_in_order_and_their_hours():
    form = {"windows": "2", "w0-day4": "on", "w0-day0": "on", "w0-start": " 09:00", "w0-end": "17:00"}
    form |= {"w1-day6": "on", "w1-start": "22:00", "w1-end": "06:00", "w2-day1": "on", "w0-day9": "on"}
    windows = RestrictionsForm.parse(form).to_proto()
    assert [(list(w.weekdays), w.start, w.end) for w in windows] == [
        ([0, 4], "09:00", "17:00"),
        ([6], "22:00", "06:00"),
    ]


def test_a_window_is_added_as_weekdays_nine_to_five_and_removed_by_its_button():
    form = RestrictionsForm.parse({"windows": "1", "w0-day5": "on", "w0-start": "10:00", "w0-end": "12:00"})
    form.apply("add-window")
    assert [(w.days, w.start, w.end) for w in form.windows] == [
        ([5], "10:00", "12:00"),
        ([0, 1, 2, 3, 4], "09:00", "17:00"),
    ]
    form.apply("remove-window-0")
    form.apply("remove-window-7")
    assert [w.days for w in form.windows] == [[0, 1, 2, 3, 4]]
    crowded = RestrictionsForm.parse({"windows": "999"})
    crowded.apply("add-window")
    assert len(crowded.windows) == MAX_WINDOWS


@pytest.mark.parametrize(
    ("message", "placed"),
    [
        (
            "restrictions.1.weekdays: List should have at least 1 item",
            {"w1-days": "List should have at least 1 item"},
        ),
        (
            "restrictions.0.end: must be HH:MM (24-hour); restrictions.2.start: x",
            {"w0-end": "must be HH:MM (24-hour)"},
        ),
        (
            "restrictions: List should have at most 50 items",
            {"restrictions": "restrictions: List should have at most 50 items"},
        ),
    ],
)
def test_a_bad_windows_refusal_is_placed_next_to_its_field(message, placed):
    assert RestrictionsForm.refusal(InvalidInput(message, field="restrictions")) == (placed, None)


def test_a_refusal_naming_no_window_field_is_the_pages_error():
    assert RestrictionsForm.refusal(InvalidInput("layer x not found", field="layer_id")) == (
        {},
        "layer x not found",
    )
