"""Input PostgreSQL cannot store, and explicit nulls, are refused by name before they reach it."""

import uuid

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert
from tests.integration.oncall_service.test_hostile_input import NUL, SURROGATE, refused, send

pytestmark = pytest.mark.integration


async def make_service(incidents, **fields) -> dict:
    body = {"name": f"svc-{uuid.uuid4().hex[:8]}", "team": "payments"} | fields
    reply = await incidents.http.post("/api/v1/services", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_unstorable_text_in_any_body_is_422_naming_the_field(incidents):
    service = await make_service(incidents)
    opened = await incidents.grpc.IngestAlert(alert(service["name"]))
    integrations = f"/api/v1/services/{service['id']}/integrations"
    webhook = {"summary": "/title", "severity": NUL}
    cases = [
        ("post", "/api/v1/services", {"name": NUL}, "name"),
        ("post", "/api/v1/services", {"name": "ok-name", "description": SURROGATE}, "description"),
        ("patch", f"/api/v1/services/{service['id']}", {"team": NUL}, "team"),
        ("post", integrations, {"name": NUL, "type": "api"}, "name"),
        ("post", integrations, {"name": "hook", "type": "webhook", "config": webhook}, "config"),
        ("patch", f"/api/v1/incidents/{opened.incident_id}", {"note": "looking\x00"}, "note"),
        ("patch", f"/api/v1/incidents/{opened.incident_id}", {"note": SURROGATE}, "note"),
    ]
    for method, url, body, field in cases:
        reply = await send(incidents.http, method, url, body)
        assert refused(reply, field) and "cannot be stored" in reply.text, (url, body, reply.text)
    assert (await incidents.http.get(f"/api/v1/services/{service['id']}")).json() == service
    assert (await incidents.http.get(integrations)).json() == []
    notes = await incidents.scalar(
        "SELECT count(*) FROM timeline_entries WHERE incident_id = :i AND kind = 'note'",
        i=uuid.UUID(opened.incident_id),
    )
    assert notes == 0


async def test_unstorable_query_parameter_is_422_naming_it(incidents):
    reply = await incidents.http.get("/api/v1/incidents?service=a%00b")
    assert reply.status_code == 422 and reply.json()["field"] == "service", reply.text
    fine = await incidents.http.get("/api/v1/incidents?service=a%ED%A0%80b")  # bad UTF-8 reads as U+FFFD
    assert fine.status_code == 200, fine.text


async def test_incident_list_offset_past_a_bigint_is_422_not_a_failed_query(incidents):
    reply = await incidents.http.get("/api/v1/incidents", params={"offset": 2**63})
    assert refused(reply, "offset"), reply.text
    assert (await incidents.http.get("/api/v1/incidents", params={"offset": 10_000_000})).status_code == 200


async def test_explicit_null_is_422_naming_the_field_unless_it_clears_it(incidents):
    service = await make_service(incidents)
    url = f"/api/v1/services/{service['id']}"
    for field in ("name", "description", "auto_resolve"):
        reply = await incidents.http.patch(url, json={field: None})
        assert refused(reply, field) and "may not be null" in reply.text, reply.text
    cleared = await incidents.http.patch(url, json={"team": None})
    assert cleared.status_code == 200 and cleared.json()["team"] is None
    opened = await incidents.grpc.IngestAlert(alert(service["name"]))
    for field in ("status", "assigned_to", "note"):
        reply = await incidents.http.patch(f"/api/v1/incidents/{opened.incident_id}", json={field: None})
        assert refused(reply, field), reply.text


async def test_grpc_alerts_with_nul_are_invalid_argument_not_a_database_failure(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    bad = alert(service, summary="disk\x00full")
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await incidents.grpc.IngestAlert(bad)
    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "summary" in refusal.value.details()
    labelled = alert(service)
    labelled.alert.labels["host\x00"] = "db-1"
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await incidents.grpc.IngestAlerts(
            incident_pb2.IngestAlertsRequest(alerts=[alert(service).alert, labelled.alert])
        )
    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "labels" in refusal.value.details()
    group = incident_pb2.IngestAlertGroupRequest(
        items=[incident_pb2.GroupedAlert(request=alert(service)), incident_pb2.GroupedAlert(request=bad)]
    )
    good, refused_item = (await incidents.grpc.IngestAlertGroup(group)).outcomes
    assert good.result.result == "created"
    assert refused_item.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert refused_item.error.field == "summary"
    assert await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service) == 1
