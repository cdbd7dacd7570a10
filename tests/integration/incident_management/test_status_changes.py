"""Acknowledge and resolve on the driver's connection: audited in the caller's name in the change's own
transaction, as a session's flush audits every other change, and refused whole."""

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
