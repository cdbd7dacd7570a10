"""The stream consumer hands a new delivery straight to its replica's webhook worker: the row is written
leased, sent without a claim, and any replica still sends it if this one dies first."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.integration.notifier.conftest import created_event_ids, eventually, trigger, unique_stream

pytestmark = pytest.mark.integration


async def lease_offsets(notifier, webhook_id: str) -> list[timedelta]:
    """next_attempt_at - created_at of each delivery. Written leased, a delivery's next attempt is exactly
    one lease after its creation (one clock reading); a claim leases it later, from its own clock reading."""
    sql = text(
        "SELECT next_attempt_at - created_at FROM webhook_deliveries WHERE subscription_id = :id"
        " ORDER BY created_at"
    )
    async with notifier.runtime.engine.connect() as connection:
        return list((await connection.execute(sql, {"id": uuid.UUID(webhook_id)})).scalars())


def lease_of(notifier) -> timedelta:
    return timedelta(
        seconds=notifier.settings.webhook_timeout_seconds + notifier.settings.webhook_lease_margin_seconds
    )


@pytest.fixture
def start_incidents(start_incident_stack, oncall):
    """incident-management with on-call up: a trigger is answered once its incident is paged, in
    milliseconds, so these tests' alerts arrive as close together as they send them (with on-call down,
    each would wait out its deadline first)."""
    return lambda stream: start_incident_stack(events_stream=stream, oncall_grpc_target=oncall.grpc_target)


async def delivered(notifier, webhook_id: str, count: int):
    rows = await notifier.deliveries(webhook_id)
    return rows if len(rows) == count and all(r["status"] == "delivered" for r in rows) else None


async def test_a_new_delivery_is_written_leased_and_sent_without_a_claim(
    start_incidents, start_notifier, start_receiver
):
    stream = unique_stream()
    incidents = await start_incidents(stream)
    notifier = await start_notifier(events_stream=stream, delivery_poll_seconds=30)  # no polling to help
    receiver = await start_receiver()
    webhook = await notifier.subscribe(receiver, event_types=["incident.triggered"])
    incident_ids = await trigger(incidents, 3)
    [*rows] = await eventually(lambda: delivered(notifier, webhook["id"], 3), within=10)
    assert receiver.event_ids_for(incident_ids) == await created_event_ids(incidents, incident_ids)
    assert all(r["attempts"] == 1 for r in rows)
    assert await lease_offsets(notifier, webhook["id"]) == [lease_of(notifier)] * 3
    await eventually(lambda: notifier.runtime.webhooks.idle)


async def test_deliveries_beyond_the_free_slots_are_written_due_and_claimed(
    start_incidents, start_notifier, start_receiver
):
    stream = unique_stream()
    incidents = await start_incidents(stream)
    notifier = await start_notifier(
        events_stream=stream, webhook_per_endpoint_concurrency=1, webhook_timeout_seconds=3.0
    )
    slow = await start_receiver(delay=1.0)  # long enough for a loaded machine's three alerts
    webhook = await notifier.subscribe(slow, event_types=["incident.triggered"])
    incident_ids = await trigger(incidents, 3)  # the 2nd and 3rd arrive while the 1st is in flight
    await eventually(lambda: delivered(notifier, webhook["id"], 3), within=10)
    assert len(slow.requests_for(incident_ids)) == 3
    offsets = await lease_offsets(notifier, webhook["id"])
    assert offsets[0] == lease_of(notifier)  # handed over
    assert all(offset > lease_of(notifier) for offset in offsets[1:]), offsets  # claimed when a slot freed


async def test_an_event_read_twice_is_sent_once_and_its_slot_given_back(
    start_incident_stack, start_notifier, start_receiver
):
    """The outbox relay may publish an event twice (a crash between XADD and its commit): the second
    copy's row is not written, so it is not handed over, and the slot reserved for it is freed."""
    source, stream = unique_stream(), unique_stream()
    incidents = await start_incident_stack(events_stream=source)
    incident_ids = await trigger(incidents, 2)
    await eventually(lambda: _length(incidents, source, 2))
    first, second = [fields for _, fields in await incidents.runtime.redis.xrange(source)]
    for fields in (first, first):
        await incidents.runtime.redis.xadd(stream, fields)
    receiver = await start_receiver()
    webhook = await (await start_notifier(events_stream=unique_stream())).subscribe(
        receiver, event_types=["incident.triggered"]
    )  # before the notifier reading `stream` starts
    notifier = await start_notifier(events_stream=stream, webhook_per_endpoint_concurrency=2)
    await eventually(lambda: delivered(notifier, webhook["id"], 1), within=10)
    await eventually(lambda: notifier.runtime.webhooks.idle)
    await asyncio.sleep(0.5)  # time for a second send to arrive
    assert len(receiver.requests_for(incident_ids[:1])) == 1

    await incidents.runtime.redis.xadd(stream, second)
    await eventually(lambda: delivered(notifier, webhook["id"], 2), within=10)
    assert len(receiver.requests_for(incident_ids)) == 2


async def test_a_handed_over_delivery_is_sent_by_another_replica_when_its_own_dies(
    start_incidents, start_notifier, start_receiver
):
    stream = unique_stream()
    incidents = await start_incidents(stream)
    first = await start_notifier(events_stream=stream)
    stuck = await start_receiver(delay=30)  # the first attempt never gets an answer
    webhook = await first.subscribe(stuck, event_types=["incident.triggered"])
    [incident_id] = await trigger(incidents)
    await eventually(lambda: _leased(first, webhook["id"]))
    await first.runtime.close()  # dies mid-attempt: the entry is acknowledged, the row leased to it

    stuck.delay = 0
    second = await start_notifier(events_stream=stream)  # asked now: the dead one's API is gone too
    [row] = await eventually(lambda: delivered(second, webhook["id"], 1), within=10)
    assert row["attempts"] == 1  # the cut-off attempt left no record; the other replica's succeeded
    assert stuck.requests_for([incident_id])


async def _length(stack, stream: str, count: int) -> bool:
    return await stack.runtime.redis.xlen(stream) >= count


async def _leased(notifier, webhook_id: str) -> bool:
    return (
        await lease_offsets(notifier, webhook_id) == [lease_of(notifier)]
        and not notifier.runtime.webhooks.idle
    )
