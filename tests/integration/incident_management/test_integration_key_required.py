"""IngestAlert, IngestAlerts and each item of IngestAlertGroup without an integration key are refused
(UNAUTHENTICATED) unless REQUIRE_INTEGRATION_KEY=false; nothing of a refused alert is stored."""

import uuid

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert

pytestmark = pytest.mark.integration


async def stored(stack, service: str) -> int:
    return await stack.scalar("SELECT count(*) FROM alerts WHERE service = :service", service=service)


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error.value.details() == "integration key required"
    return error.value


async def test_alerts_without_a_key_are_refused_when_keys_are_required(start_incident_stack):
    stack = await start_incident_stack(require_integration_key=True)
    service = f"svc-{uuid.uuid4().hex[:8]}"
    await refused(stack.grpc.IngestAlert(alert(service)))
    batch = incident_pb2.IngestAlertsRequest(alerts=[alert(service).alert, alert(service).alert])
    await refused(stack.grpc.IngestAlerts(batch))
    assert await stored(stack, service) == 0


async def test_a_group_refuses_its_items_without_a_key_and_stores_the_keyed_ones(start_incident_stack):
    stack = await start_incident_stack(require_integration_key=True)
    name = f"svc-{uuid.uuid4().hex[:8]}"
    service = (await stack.http.post("/api/v1/services", json={"name": name})).json()
    made = await stack.http.post(
        f"/api/v1/services/{service['id']}/integrations", json={"name": "api", "type": "api"}
    )
    keyed = alert("ignored-the-key-decides")
    keyed.integration_key = made.json()["key"]
    items = [incident_pb2.GroupedAlert(request=r) for r in (keyed, alert(name))]
    reply = await stack.grpc.IngestAlertGroup(incident_pb2.IngestAlertGroupRequest(items=items))
    first, second = reply.outcomes
    assert first.result.result == "created"
    assert second.error.code == grpc.StatusCode.UNAUTHENTICATED.value[0]
    assert second.error.message == "integration key required"
    assert await stored(stack, name) == 1


async def test_alerts_without_a_key_are_taken_when_keys_are_not_required(start_incident_stack):
    stack = await start_incident_stack(require_integration_key=False)
    service = f"svc-{uuid.uuid4().hex[:8]}"
    assert (await stack.grpc.IngestAlert(alert(service))).result == "created"
    assert await stored(stack, service) == 1
