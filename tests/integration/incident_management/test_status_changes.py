"""People's changes of an incident (acknowledge, resolve, PATCH, snooze...) on the driver's connection:
audited in the caller's name in the change's own transaction, as a session's flush audits every other
change, and refused whole."""

import uuid

import orjson
import pytest

from shared.audit import identity_metadata
from shared.auth import Identity, Role
from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert

pytestmark = pytest.mark.integration
RESPONDER = Identity("user", uuid.uuid4(), "Rex Responder", Role.responder)


async def _audit(incidents, incident_id: str) -> list[tuple[str, str, dict, dict]]:
    async with incidents.runtime.engine.connect() as connection:
        rows = await connection.exec_driver_sql(
            "SELECT actor, action, before::text, after::text FROM audit_log"
            " WHERE target_type = 'incidents' AND target_id = $1 ORDER BY id",
            (incident_id,),
        )
        return [(r[0], r[1], orjson.loads(r[2]), orjson.loads(r[3])) for r in rows]


async def test_acknowledge_and_resolve_are_audited_with_the_columns_they_changed(incidents):
    created = await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))
    url = f"/api/v1/incidents/{created.incident_id}"
    assert (await incidents.http.post(f"{url}/acknowledge")).status_code == 200
    await incidents.grpc.ResolveIncident(
        incident_pb2.IncidentActionRequest(id=created.incident_id, actor="Rex Responder"),
        metadata=identity_metadata(RESPONDER, "192.0.2.9"),
    )
    [acked, resolved] = await _audit(incidents, created.incident_id)
    assert acked[:2] == ("Test Admin", "acknowledge")
    assert acked[2]["status"] == "open" and acked[3]["status"] == "acknowledged"
    assert acked[2]["acknowledged_by"] is None and acked[3]["acknowledged_by"] == "Test Admin"
    assert "title" not in acked[3] and "resolved_at" not in acked[3]  # only what changed
    assert resolved[:2] == ("Rex Responder", "ResolveIncident")
    assert resolved[2]["status"] == "acknowledged" and resolved[3]["status"] == "resolved"
    assert resolved[3]["resolved_at"].startswith(resolved[3]["updated_at"][:19])


async def test_a_refused_change_writes_nothing(incidents):
    created = await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))
    url = f"/api/v1/incidents/{created.incident_id}"
    await incidents.http.post(f"{url}/resolve")
    before = await incidents.scalar(
        "SELECT count(*) FROM outbox_events WHERE payload->'data'->>'id' = :id", id=created.incident_id
    )
    refused = await incidents.http.post(f"{url}/acknowledge")
    assert refused.status_code == 409
    assert len(await _audit(incidents, created.incident_id)) == 1
    after = await incidents.scalar(
        "SELECT count(*) FROM outbox_events WHERE payload->'data'->>'id' = :id", id=created.incident_id
    )
    assert after == before == 2  # triggered, resolved
    missing = await incidents.http.post(f"/api/v1/incidents/{uuid.uuid4()}/resolve")
    assert missing.status_code == 404


async def test_a_patch_is_one_audited_change_and_refused_whole(incidents):
    created = await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))
    url = f"/api/v1/incidents/{created.incident_id}"
    user = str(uuid.uuid4())
    patch = {"note": "looking into it", "assigned_to": user, "status": "acknowledged"}
    changed = await incidents.http.patch(url, json=patch)
    assert changed.status_code == 200, changed.text
    assert changed.json()["assigned_to"] == user and changed.json()["status"] == "acknowledged"
    [entry] = await _audit(incidents, created.incident_id)
    assert entry[:2] == ("Test Admin", "patch_incident")
    assert entry[2]["assigned_to"] is None and entry[3]["assigned_to"] == user
    assert entry[3]["status"] == "acknowledged" and "title" not in entry[3]
    detail = (await incidents.http.get(url)).json()
    assert [e["kind"] for e in detail["timeline"]][-3:] == ["note", "assigned", "acknowledged"]
    events = await incidents.scalar(
        "SELECT string_agg(type, ',' ORDER BY id) FROM outbox_events WHERE payload->'data'->>'id' = :id",
        id=created.incident_id,
    )
    assert events.split(",")[-3:] == ["incident.annotated", "incident.reassigned", "incident.acknowledged"]

    refused = await incidents.http.patch(url, json={"note": "again", "status": "open"})
    assert refused.status_code == 409 and "status" in refused.text
    after = (await incidents.http.get(url)).json()
    assert after["timeline"] == detail["timeline"]  # the note of the refused PATCH is not stored
    assert len(await _audit(incidents, created.incident_id)) == 1


async def test_a_snooze_is_audited_and_sets_the_deadline(incidents):
    created = await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))
    url = f"/api/v1/incidents/{created.incident_id}"
    until = "2099-01-01T00:00:00Z"
    snoozed = await incidents.http.post(f"{url}/snooze", json={"until": until})
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["snoozed_until"] == snoozed.json()["next_escalation_at"] == until
    [entry] = await _audit(incidents, created.incident_id)
    assert entry[1] == "snooze" and entry[2]["snoozed_until"] is None
    assert entry[3]["snoozed_until"].startswith("2099-01-01T00:00:00")
    past = await incidents.http.post(f"{url}/snooze", json={"until": "2000-01-01T00:00:00Z"})
    assert past.status_code == 422 and "until" in past.text
    assert len(await _audit(incidents, created.incident_id)) == 1


async def test_a_declared_incident_is_answered_as_stored(incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    reply = await incidents.http.post(
        "/api/v1/incidents", json={"service": service, "severity": "critical", "title": "by hand"}
    )
    assert reply.status_code == 201, reply.text
    stored = (await incidents.http.get(reply.headers["Location"])).json()
    answered = reply.json()
    assert answered == {k: v for k, v in stored.items() if k in answered}
    assert answered["status"] == "open" and answered["title"] == "by hand"
