"""A webhook filtered by team gets the events of the services the team owns, in the services catalogue
(incident-management) or on on-call, which the notifier asks over gRPC; it reads neither's tables."""

import asyncio
import uuid

import pytest

from tests.integration.notifier.conftest import alert, eventually, unique_stream
from tests.integration.servers import dead_target

pytestmark = pytest.mark.integration


async def test_a_team_gets_the_events_of_the_services_it_owns_in_the_catalogue_or_on_call(
    start_incident_stack, start_notifier, start_receiver, oncall
):
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream, oncall_grpc_target=oncall.grpc_target)
    notifier = await start_notifier(
        events_stream=stream,
        oncall_grpc_target=oncall.grpc_target,
        incident_grpc_target=incidents.grpc_target,
    )
    catalogued, owned, unowned = (f"svc-{uuid.uuid4().hex[:8]}" for _ in range(3))
    catalogue_team = f"team-{uuid.uuid4().hex[:8]}"
    created = await incidents.http.post("/api/v1/services", json={"name": catalogued, "team": catalogue_team})
    assert created.status_code == 201, created.text
    oncall_team = await oncall.team(owned)
    by_catalogue, by_oncall, everything = [await start_receiver() for _ in range(3)]
    await notifier.subscribe(by_catalogue, teams=[catalogue_team])
    await notifier.subscribe(by_oncall, teams=[oncall_team["name"]])
    await notifier.subscribe(everything)

    opened = {
        s: (await incidents.grpc.IngestAlert(alert(s))).incident_id for s in (catalogued, owned, unowned)
    }
    ours = list(opened.values())
    # Every event is handled for all three subscriptions at once: once `everything` has them, so have the rest
    await eventually(lambda: {r.event["data"]["id"] for r in everything.requests_for(ours)} == set(ours))
    await eventually(lambda: by_catalogue.requests_for(ours) and by_oncall.requests_for(ours))
    assert {r.event["data"]["id"] for r in by_catalogue.requests_for(ours)} == {opened[catalogued]}
    assert {r.event["data"]["id"] for r in by_oncall.requests_for(ours)} == {opened[owned]}


async def test_while_the_owners_cannot_be_asked_the_events_wait_unacknowledged(
    start_incident_stack, start_notifier, start_receiver, oncall
):
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream)
    notifier = await start_notifier(
        events_stream=stream, oncall_grpc_target=oncall.grpc_target, incident_grpc_target=dead_target()
    )
    receiver = await start_receiver()
    await notifier.subscribe(receiver, teams=["storage"])
    incident_id = (await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))).incident_id

    async def pending() -> int:
        summary = await notifier.runtime.redis.xpending(stream, notifier.settings.consumer_group)
        return int(summary["pending"])

    await eventually(pending)  # read by the consumer and, as passes fail, left pending: handled again later
    await asyncio.sleep(1.0)  # several passes (0.2 s apart at first)
    assert await pending() >= 1
    assert receiver.requests_for([incident_id]) == []
    assert await notifier.runtime.redis.xlen(stream) >= 1
