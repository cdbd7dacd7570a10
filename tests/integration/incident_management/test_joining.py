"""Alerts that only join an open incident or repeat a firing one are stored by one statement, outside a
transaction (`domain.ingest_joining`); anything else, or any doubt, goes to the transaction."""

import asyncio
import uuid

import grpc
import pytest

from shared.db import DriverPool
from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert
from tests.integration.servers import dead_target

pytestmark = pytest.mark.integration


def keyed(key: str, *, fingerprint: str | None = None) -> incident_pb2.IngestAlertRequest:
    request = alert("ignored-the-key-decides", fingerprint=fingerprint)
    request.integration_key = key
    return request


async def service_with_key(stack) -> tuple[str, str, str]:
    """A service and an API integration; returns (service id, service name, key)."""
    name = f"join-{uuid.uuid4().hex[:8]}"
    service = (await stack.http.post("/api/v1/services", json={"name": name})).json()
    made = await stack.http.post(
        f"/api/v1/services/{service['id']}/integrations", json={"name": "api", "type": "api"}
    )
    assert made.status_code == 201, made.text
    return service["id"], name, made.json()["key"]


async def test_joining_and_repeating_alerts_are_stored_by_one_statement(incidents):
    service = f"join-{uuid.uuid4().hex[:8]}"
    stored_by = incidents.runtime.commands.stored_by
    opened = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-a"))
    before = stored_by.copy()
    joined = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-b", summary="disk fuller"))
    repeated = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-a"))
    assert stored_by - before == {"joining": 2}
    assert (opened.result, joined.result, repeated.result) == ("created", "correlated", "duplicate")
    assert joined.incident_id == repeated.incident_id == opened.incident_id
    assert repeated.alert_id == opened.alert_id
    body = (await incidents.http.get(f"/api/v1/incidents/{opened.incident_id}")).json()
    assert (body["alert_count"], body["duplicate_count"]) == (2, 1)
    assert {a["id"] for a in body["alerts"]} == {opened.alert_id, joined.alert_id}
    timeline = [(entry["kind"], entry["message"]) for entry in body["timeline"]]
    assert ("alert_added", "Alert joined: disk fuller") in timeline


async def test_an_alert_that_opens_an_incident_goes_to_the_transaction_and_is_paged(incidents):
    service = f"join-{uuid.uuid4().hex[:8]}"
    await incidents.grpc.IngestAlert(alert(service))
    before = incidents.runtime.commands.stored_by.copy()
    other = await incidents.grpc.IngestAlert(alert(service, severity="warning"))
    assert other.result == "created"
    assert incidents.runtime.commands.stored_by - before == {"transaction": 1}
    # the transaction wrote its event: the incident reaches the outbox
    events = await incidents.scalar(
        "SELECT count(*) FROM outbox_events WHERE payload->'data'->>'id' = :id", id=other.incident_id
    )
    assert events >= 1


async def test_a_known_pair_whose_incident_was_resolved_is_declined_then_opens_one(incidents):
    service = f"join-{uuid.uuid4().hex[:8]}"
    first = await incidents.grpc.IngestAlert(alert(service))
    await incidents.http.post(f"/api/v1/incidents/{first.incident_id}/resolve")
    before = incidents.runtime.commands.stored_by.copy()
    again = await incidents.grpc.IngestAlert(alert(service))
    assert again.result == "created" and again.incident_id != first.incident_id
    assert incidents.runtime.commands.stored_by - before == {"declined": 1, "transaction": 1}
    stored = await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service)
    assert stored == 2  # the declined statement wrote nothing


async def test_a_key_revoked_after_it_was_learnt_is_refused_and_nothing_is_stored(incidents):
    service_id, name, key = await service_with_key(incidents)
    first = await incidents.grpc.IngestAlert(keyed(key))  # a transaction: the key is learnt
    assert (await incidents.grpc.IngestAlert(keyed(key))).result == "correlated"
    integration_id = (await incidents.http.get(f"/api/v1/services/{service_id}/integrations")).json()[0]["id"]
    revoked = await incidents.http.delete(f"/api/v1/services/{service_id}/integrations/{integration_id}")
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await incidents.grpc.IngestAlert(keyed(key))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "revoked" in refused.value.details()
    body = (await incidents.http.get(f"/api/v1/incidents/{first.incident_id}")).json()
    assert body["alert_count"] == 2 and body["service"] == name


async def test_a_renamed_service_gets_the_alerts_of_its_key_under_its_new_name(incidents):
    service_id, name, key = await service_with_key(incidents)
    await incidents.grpc.IngestAlert(keyed(key))
    assert (await incidents.grpc.IngestAlert(keyed(key))).result == "correlated"
    renamed = await incidents.http.patch(f"/api/v1/services/{service_id}", json={"name": name + "-new"})
    assert renamed.status_code == 200, renamed.text
    before = incidents.runtime.commands.stored_by.copy()
    after = await incidents.grpc.IngestAlert(keyed(key))
    assert after.result == "created"  # the old name's incident is not the new name's
    # the learnt owner (the old name) no longer held: the statement stored nothing, the owner was
    # forgotten, and the transaction looked the key up
    assert incidents.runtime.commands.stored_by - before == {"owners changed": 1, "transaction": 1}
    body = (await incidents.http.get(f"/api/v1/incidents/{after.incident_id}")).json()
    assert body["service"] == name + "-new"


async def test_a_key_looked_up_by_a_replica_needs_no_lookup_of_its_own_when_its_alert_opens_one(incidents):
    _, name, key = await service_with_key(incidents)
    owner = await incidents.grpc.GetIntegration(incident_pb2.GetIntegrationRequest(integration_key=key))
    assert owner.service == name
    before = incidents.runtime.commands.stored_by.copy()
    opened = await incidents.grpc.IngestAlert(keyed(key))
    assert opened.result == "created"
    assert incidents.runtime.commands.stored_by - before == {"transaction": 1, "owners known": 1}
    stored = await incidents.scalar(
        "SELECT integration_id::text FROM alerts WHERE incident_id = :i AND service = :s",
        i=uuid.UUID(opened.incident_id),
        s=name,
    )
    assert stored == owner.integration_id


async def test_a_key_revoked_after_it_was_learnt_opens_nothing(incidents):
    service_id, name, key = await service_with_key(incidents)
    await incidents.grpc.IngestAlert(keyed(key))  # learnt
    integration_id = (await incidents.http.get(f"/api/v1/services/{service_id}/integrations")).json()[0]["id"]
    revoked = await incidents.http.delete(f"/api/v1/services/{service_id}/integrations/{integration_id}")
    assert revoked.status_code == 200, revoked.text
    before = incidents.runtime.commands.stored_by.copy()
    opening = keyed(key)
    opening.alert.severity = "warning"  # a pair never stored: straight to the transaction, learnt owner
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await incidents.grpc.IngestAlert(opening)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # the ingest statement found the owner gone and stored nothing; the lookup then refused the key
    assert incidents.runtime.commands.stored_by - before == {
        "owners known": 1,
        "owners changed": 1,
        "transaction": 2,
    }
    stored = await incidents.scalar("SELECT count(*) FROM incidents WHERE service = :s", s=name)
    assert stored == 1


async def test_a_renamed_service_opens_its_incidents_under_its_new_name(incidents):
    service_id, name, key = await service_with_key(incidents)
    await incidents.grpc.IngestAlert(keyed(key))  # learnt
    renamed = await incidents.http.patch(f"/api/v1/services/{service_id}", json={"name": name + "-new"})
    assert renamed.status_code == 200, renamed.text
    opening = keyed(key)
    opening.alert.severity = "warning"
    opened = await incidents.grpc.IngestAlert(opening)
    assert opened.result == "created"
    body = (await incidents.http.get(f"/api/v1/incidents/{opened.incident_id}")).json()
    assert body["service"] == name + "-new"
    assert await incidents.scalar("SELECT count(*) FROM incidents WHERE service = :s", s=name) == 1


class FirstConnectionRefused:
    """The driver's connections, the first of which cannot be made (nothing listens at its address): what
    a connection cut or a database restarting does to one statement."""

    def __init__(self, working: DriverPool, dead: DriverPool) -> None:
        self._pools = [dead, working]

    def connection(self):
        return (self._pools.pop(0) if len(self._pools) > 1 else self._pools[0]).connection()


async def test_when_the_one_statement_fails_the_transaction_stores_the_alerts(incidents):
    commands = incidents.runtime.commands
    unreachable = incidents.settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@{dead_target()}/oncall"}
    )
    service = f"join-{uuid.uuid4().hex[:8]}"
    first = await incidents.grpc.IngestAlert(alert(service))
    dead = DriverPool(unreachable, size=1)
    working, commands.driver = commands.driver, FirstConnectionRefused(commands.driver, dead)
    try:
        before = commands.stored_by.copy()
        second = await incidents.grpc.IngestAlert(alert(service))
    finally:
        commands.driver = working
        await dead.close()
    assert second.result == "correlated" and second.incident_id == first.incident_id
    assert commands.stored_by - before == {"transaction": 1}
    assert await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service) == 2


async def test_two_replicas_joining_while_the_incident_is_resolved_lose_and_double_nothing(
    start_incident_stack,
):
    replicas = [await start_incident_stack(), await start_incident_stack()]
    service = f"join-{uuid.uuid4().hex[:8]}"
    first = await replicas[0].grpc.IngestAlert(alert(service, fingerprint="warm-0"))
    await replicas[1].grpc.IngestAlert(alert(service, fingerprint="warm-1"))  # both know the pair now
    before = [r.runtime.commands.stored_by.copy() for r in replicas]

    async def resolve_midway():
        await asyncio.sleep(0.01)
        return await replicas[0].http.post(f"/api/v1/incidents/{first.incident_id}/resolve")

    *replies, resolved = await asyncio.gather(
        *(replicas[i % 2].grpc.IngestAlert(alert(service, fingerprint=f"fp-{i % 40}")) for i in range(60)),
        resolve_midway(),
    )
    assert resolved.status_code == 200, resolved.text
    assert all(
        r.runtime.commands.stored_by["joining"] > b["joining"] for r, b in zip(replicas, before, strict=True)
    )
    stack = replicas[0]
    # every alert sent is counted once, on one incident
    assert (
        await stack.scalar(
            "SELECT sum(alert_count + duplicate_count) FROM incidents WHERE service = :s", s=service
        )
        == 62
    )
    stored = sum(r.result in ("created", "correlated") for r in replies) + 2
    assert await stack.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service) == stored
    # after the resolve, the alerts that came later opened one incident between them, not several
    assert sum(r.result == "created" for r in replies) <= 1
    assert await stack.scalar(
        "SELECT count(*) FROM incidents WHERE service = :s AND status <> 'resolved'", s=service
    ) == sum(r.result == "created" for r in replies)


async def test_connections_cut_by_the_database_lose_no_alert(incidents):
    """What a database restart does to incident-management's connections (the server ends them all):
    the next alerts are stored, through new connections, and none is counted twice."""
    service = f"join-{uuid.uuid4().hex[:8]}"
    first = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-0"))
    await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-1"))  # the driver's pool is in use
    cut = await incidents.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    assert cut >= 2
    opening = await incidents.grpc.IngestAlert(alert(service, severity="warning"))  # a transaction
    assert opening.result == "created"
    replies = [await incidents.grpc.IngestAlert(alert(service, fingerprint=f"fp-{i}")) for i in range(2, 6)]
    assert {r.result for r in replies} == {"correlated"}
    assert {r.incident_id for r in replies} == {first.incident_id}
    assert await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service) == 7
    counted = "SELECT sum(alert_count + duplicate_count) FROM incidents WHERE service = :s"
    assert await incidents.scalar(counted, s=service) == 7  # none answered with an error, then resent
