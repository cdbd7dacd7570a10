"""Alerts that only join an open incident or repeat a firing one are stored by one statement, outside a
transaction (`domain.ingest_joining`); anything else, or any doubt, goes to the transaction."""

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
    after = await incidents.grpc.IngestAlert(keyed(key))
    assert after.result == "created"  # the old name's incident is not the new name's
    body = (await incidents.http.get(f"/api/v1/incidents/{after.incident_id}")).json()
    assert body["service"] == name + "-new"


async def test_when_the_one_statement_fails_the_transaction_stores_the_alerts(incidents):
    commands = incidents.runtime.commands
    unreachable = incidents.settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@{dead_target()}/oncall"}
    )
    working, commands.driver = commands.driver, DriverPool(unreachable, size=1)
    try:
        service = f"join-{uuid.uuid4().hex[:8]}"
        first = await incidents.grpc.IngestAlert(alert(service))
        before = commands.stored_by.copy()
        second = await incidents.grpc.IngestAlert(alert(service))
    finally:
        await commands.driver.close()
        commands.driver = working
    assert second.result == "correlated" and second.incident_id == first.incident_id
    assert commands.stored_by - before == {"transaction": 1}
