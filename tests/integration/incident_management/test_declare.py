"""Declaring an incident by hand: POST /api/v1/incidents and DeclareIncident go the alert's way."""

import uuid

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2

pytestmark = pytest.mark.integration


async def test_a_declared_incident_is_201_with_an_alerts_fields_and_its_event(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    body = {"service": service, "severity": "critical", "title": "Payments down", "description": "EU only"}
    made = await incidents.http.post("/api/v1/incidents", json=body)
    assert made.status_code == 201, made.text
    incident = made.json()
    assert made.headers["location"] == f"/api/v1/incidents/{incident['id']}"
    assert (incident["service"], incident["severity"], incident["status"]) == (service, "critical", "open")
    assert incident["title"] == "Payments down" and incident["alert_count"] == 1
    detail = (await incidents.http.get(f"/api/v1/incidents/{incident['id']}")).json()
    [stored] = detail["alerts"]
    assert stored["source"] == "manual" and stored["fingerprint"].startswith("declared:")
    assert stored["annotations"]["description"] == "EU only"
    events = await incidents.scalar(
        "SELECT count(*) FROM outbox_events"
        " WHERE type = 'incident.triggered' AND payload->'data'->>'id' = :id",
        id=incident["id"],
    )
    assert events == 1  # relayed, paged and notified as an alert's incident is


async def test_a_second_declaration_joins_the_open_one_and_bad_fields_are_422(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    body = {"service": service, "severity": "high", "title": "Slow"}
    first = await incidents.http.post("/api/v1/incidents", json=body)
    second = await incidents.http.post("/api/v1/incidents", json=body | {"title": "Still slow"})
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert second.json()["alert_count"] == 2
    for bad in ({"severity": "loud"}, {"title": ""}, {"extra": 1}):
        assert (await incidents.http.post("/api/v1/incidents", json=body | bad)).status_code == 422


async def test_declare_over_grpc_names_the_actor(incidents):
    reply = await incidents.grpc.DeclareIncident(
        incident_pb2.DeclareIncidentRequest(
            service=f"svc-{uuid.uuid4().hex[:8]}", severity="info", title="Cert expires", actor="Carol"
        )
    )
    assert reply.created and reply.incident.status == "open"
    detail = await incidents.grpc.GetIncident(incident_pb2.GetIncidentRequest(id=reply.incident.id))
    assert detail.alerts[0].annotations["declared_by"] == "Carol"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await incidents.grpc.DeclareIncident(incident_pb2.DeclareIncidentRequest(service="s", severity="x"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
