"""incident-management whose database cannot be reached refuses for a while (503 / UNAVAILABLE, which
senders and the clients' shared.rpc.call retry), rather than failing with an internal error."""

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert
from tests.integration.servers import dead_target

pytestmark = pytest.mark.integration


@pytest.fixture
async def without_database(start_incident_stack):
    return await start_incident_stack(database_url=f"postgresql+asyncpg://postgres@{dead_target()}/oncall")


async def test_rest_answers_503_with_retry_after(without_database):
    reply = await without_database.http.get("/api/v1/incidents")
    assert reply.status_code == 503, reply.text
    assert reply.headers["retry-after"] == "5"
    assert reply.json()["detail"].startswith("database unavailable")


async def test_an_alert_is_refused_as_unavailable(without_database):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await without_database.grpc.IngestAlert(alert("db-down"), timeout=20)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert refused.value.details().startswith("database unavailable")


async def test_each_alert_of_a_group_is_refused_as_unavailable(without_database):
    items = [incident_pb2.GroupedAlert(request=alert("db-down")) for _ in range(2)]
    reply = await without_database.grpc.IngestAlertGroup(incident_pb2.IngestAlertGroupRequest(items=items))
    assert [o.error.code for o in reply.outcomes] == [grpc.StatusCode.UNAVAILABLE.value[0]] * 2


async def test_a_key_lookup_is_refused_as_unavailable(without_database):
    """A replica's lookup of a routing key runs on the driver's own connection: the same answer."""
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await without_database.grpc.GetIntegration(
            incident_pb2.GetIntegrationRequest(integration_key="k" * 32), timeout=20
        )
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert refused.value.details().startswith("database unavailable")
