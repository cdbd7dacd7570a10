"""The reads the dashboard makes over gRPC: ListIncidents with its filters and total, GetIncident with the
incident's alerts and timeline, and acknowledge as a named person."""

import uuid

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert

pytestmark = pytest.mark.integration


async def test_list_incidents_filters_pages_and_counts_them_all(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    ids = [
        (await incidents.grpc.IngestAlert(alert(service, severity=s))).incident_id
        for s in ("critical", "high", "info")
    ]
    await incidents.grpc.AcknowledgeIncident(incident_pb2.AcknowledgeIncidentRequest(id=ids[1], actor="bob"))
    first = await incidents.grpc.ListIncidents(incident_pb2.ListIncidentsRequest(service=service, limit=2))
    second = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(service=service, limit=2, offset=2)
    )
    assert first.total == second.total == 3
    assert [i.id for i in [*first.incidents, *second.incidents]] == list(reversed(ids))
    acked = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(service=service, status="acknowledged")
    )
    assert acked.total == 1 and acked.incidents[0].acknowledged_by == "bob"
    info = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(service=service, severity="info")
    )
    assert [i.id for i in info.incidents] == [ids[2]]
    later = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(service=service, since="2999-01-01T00:00:00Z")
    )
    assert later.total == 0 and not later.incidents


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [({"severity": "loud"}, "severity"), ({"limit": 501}, "limit"), ({"since": "yesterday"}, "since")],
)
async def test_a_bad_filter_is_invalid_argument_naming_it(incidents, request_fields, field):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await incidents.grpc.ListIncidents(incident_pb2.ListIncidentsRequest(**request_fields))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in error.value.details()


async def test_get_incident_returns_its_alerts_and_timeline(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    first = await incidents.grpc.IngestAlert(alert(service))
    second = await incidents.grpc.IngestAlert(alert(service, fingerprint=first.fingerprint))  # a duplicate
    await incidents.grpc.AcknowledgeIncident(
        incident_pb2.AcknowledgeIncidentRequest(id=first.incident_id, actor="alice@example.com")
    )
    reply = await incidents.grpc.GetIncident(incident_pb2.GetIncidentRequest(id=first.incident_id))
    assert second.result == "duplicate"
    assert reply.incident.status == "acknowledged" and reply.incident.acknowledged_by == "alice@example.com"
    assert reply.incident.duplicate_count == 1
    [stored] = reply.alerts
    assert (stored.id, stored.summary, dict(stored.labels)) == (first.alert_id, "disk full", {"host": "db-1"})
    assert stored.duplicate_count == 1 and stored.received_at.endswith("Z")
    assert [t.at for t in reply.timeline] == sorted(t.at for t in reply.timeline)  # oldest first
    assert any(t.actor == "alice@example.com" and t.message for t in reply.timeline)


async def test_list_incidents_triage_order_text_team_assignee_and_status_counts(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    team = f"team-{uuid.uuid4().hex[:8]}"
    assert (
        await incidents.http.post("/api/v1/services", json={"name": service, "team": team})
    ).status_code == 201
    ids = [
        (await incidents.grpc.IngestAlert(alert(service, severity=s, summary=f"{s} disk"))).incident_id
        for s in ("info", "critical", "high")
    ]
    await incidents.grpc.AcknowledgeIncident(incident_pb2.AcknowledgeIncidentRequest(id=ids[1], actor="bob"))
    triage = await incidents.grpc.ListIncidents(incident_pb2.ListIncidentsRequest(team=team, sort="triage"))
    assert [i.id for i in triage.incidents] == [ids[2], ids[0], ids[1]]  # open first, most severe first
    assert dict(triage.status_counts) == {"open": 2, "acknowledged": 1, "resolved": 0}
    only_open = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(team=team, status="open", text="CRITICAL")
    )
    assert only_open.total == 0 and dict(only_open.status_counts)["acknowledged"] == 1
    nobody = await incidents.grpc.ListIncidents(
        incident_pb2.ListIncidentsRequest(team=team, assignee=str(uuid.uuid4()))
    )
    assert nobody.total == 0
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await incidents.grpc.ListIncidents(incident_pb2.ListIncidentsRequest(sort="loudest"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
