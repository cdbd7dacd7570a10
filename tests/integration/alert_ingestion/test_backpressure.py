"""Back-pressure at a replica: beyond MAX_IN_FLIGHT requests in flight it answers 503 + Retry-After at once,
stores nothing for them, and takes alerts again as soon as its requests finish."""

import asyncio
import contextlib
import uuid

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2_grpc
from tests.integration.servers import channel_to, running_grpc

pytestmark = pytest.mark.integration


class SlowIncidents(incident_pb2_grpc.IncidentServiceServicer):
    """A real gRPC incident-management that stores through the real one, `delay` seconds late."""

    def __init__(self, upstream: incident_pb2_grpc.IncidentServiceStub, delay: float) -> None:
        self._upstream, self.delay = upstream, delay

    async def IngestAlertGroup(self, request, context):
        await asyncio.sleep(self.delay)
        return await self._upstream.IngestAlertGroup(request)

    async def IngestAlert(self, request, context):
        await asyncio.sleep(self.delay)
        return await self._upstream.IngestAlert(request)


@contextlib.asynccontextmanager
async def slow_incidents(upstream_target: str, delay: float):
    channel = channel_to(upstream_target)
    server = grpc.aio.server()
    proxy = SlowIncidents(incident_pb2_grpc.IncidentServiceStub(channel), delay)
    incident_pb2_grpc.add_IncidentServiceServicer_to_server(proxy, server)
    try:
        async with running_grpc(server) as target:
            yield proxy, target
    finally:
        await channel.close()


async def test_requests_beyond_the_in_flight_limit_are_shed_with_retry_after(incidents, start_ingestion):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    async with slow_incidents(incidents.grpc_target, delay=1.0) as (proxy, target):
        replica = await start_ingestion(target, require_integration_key=False, max_in_flight=3)

        def send(i: int):
            alert = {
                "service": service,
                "severity": "critical",
                "summary": f"shed {i}",
                "fingerprint": f"f{i}",
            }
            return replica.post("/api/v1/alerts", json=alert)

        replies = await asyncio.gather(*(send(i) for i in range(10)))
        accepted = [r for r in replies if r.status_code == 202]
        shed = [r for r in replies if r.status_code == 503]
        assert (len(accepted), len(shed)) == (3, 7), [r.status_code for r in replies]
        assert all(r.headers["retry-after"] == "1" and "overloaded" in r.json()["detail"] for r in shed)
        stored = await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service)
        assert stored == 3  # what was shed was never handed on

        proxy.delay = 0  # the slots came back with the answers
        again = await asyncio.gather(*(send(i) for i in range(10, 13)))
        assert [r.status_code for r in again] == [202] * 3
