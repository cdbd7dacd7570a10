"""What counts as storable text, and how models and alerts refuse the rest by name."""

import pytest
from pydantic import ValidationError

from services.alert_ingestion.limits import MAX_ENTRIES, refusal
from services.oncall_service.schemas import ScheduleCreate, UserPatch
from shared.gen.oncall.v1 import incident_pb2
from shared.text import storable


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("plain", True),
        ("é 漢字 😀", True),  # a paired surrogate is one character in Python: fine
        ("a\x00b", False),
        ("a\ud800", False),
        ({"k": ["x", {"deep": "\x00"}]}, False),
        ({"\x00": "v"}, False),
        (42, True),
    ],
)
def test_storable_text_has_no_nul_and_no_lone_surrogate(value, ok):
    assert storable(value) is ok


def test_a_nested_model_names_its_own_field():
    body = {"name": "s", "time_zone": "UTC", "layers": [{"name": "a\x00"}]}
    with pytest.raises(ValidationError) as refused:
        ScheduleCreate.model_validate(body)
    assert ("layers", 0, "name") in [e["loc"] for e in refused.value.errors()]


def test_a_patch_refuses_null_but_not_absence():
    assert UserPatch.model_validate({}).name is None
    with pytest.raises(ValidationError) as refused:
        UserPatch.model_validate({"name": None})
    assert refused.value.errors()[0]["loc"] == ("name",)


def test_an_alert_of_any_format_is_held_to_the_native_limits():
    ok = incident_pb2.Alert(summary="disk full", labels={"host": "db-1"})
    assert refusal(ok) is None
    assert refusal(incident_pb2.Alert(summary="x", labels={"h": "a\x00"})).startswith("labels:")
    many = incident_pb2.Alert(summary="x", annotations={str(i): "v" for i in range(MAX_ENTRIES + 1)})
    assert "at most 100 entries" in refusal(many)
    assert refusal(incident_pb2.Alert(summary="x", fingerprint="f" * 257)).startswith("fingerprint:")
    assert refusal(incident_pb2.Alert(summary="x", labels={"": "v"})).startswith("labels:")
