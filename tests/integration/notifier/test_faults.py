"""Nothing lost: Redis down while incidents change, a notifier killed mid-delivery, everything restarted.

In each test the count of events created (the outbox) equals the distinct events each subscriber got.
"""

import asyncio
import contextlib
import shutil
import uuid

import pytest
from redis.asyncio import Redis

from scripts.devstack.ports import free_port
from shared import embedded
from tests.conftest import TEST_VAR
from tests.integration.notifier.conftest import created_event_ids, eventually, trigger, unique_stream

pytestmark = pytest.mark.integration


async def acknowledge(incidents, incident_ids: list[str]) -> None:
    for incident_id in incident_ids:
        reply = await incidents.http.post(f"/api/v1/incidents/{incident_id}/acknowledge")
        assert reply.status_code == 200, reply.text


async def all_delivered(receiver, stack, incident_ids: list[str]) -> None:
    """The receiver ends up with exactly the events the outbox holds for these incidents, read again each
    time: workers may still add some (a deferred assignment). The bound is generous because the suite
    shares two cores in CI; the guarantee under test is delivery, not its speed."""

    def received() -> set[str]:
        return receiver.event_ids_for(incident_ids)

    async def same() -> bool:
        return received() == await created_event_ids(stack, incident_ids)

    try:
        await eventually(same, within=60)
    except AssertionError:
        created = await created_event_ids(stack, incident_ids)
        missing, extra = created - received(), received() - created
        raise AssertionError(f"missing {sorted(missing)}; unexpected {sorted(extra)}") from None


def assert_consistent(receiver) -> None:
    """Every request verified and carried the event id of its body (duplicates share it)."""
    for received in receiver.requests:
        assert received.verified and received.event["id"] == received.event_id


@pytest.fixture
def own_redis():
    """A Redis of this test alone, so it can be stopped and started again."""
    data_dir = TEST_VAR / f"redis-own-{uuid.uuid4().hex[:8]}"
    port = free_port()
    url = embedded.start_redis(data_dir, port)
    controls = {
        "url": url,
        "stop": lambda: embedded.stop_redis(data_dir),
        "start": lambda: embedded.start_redis(data_dir, port),
    }
    try:
        yield controls
    finally:
        embedded.stop_redis(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


async def test_events_made_while_redis_is_down_are_all_delivered_after_it_returns(
    start_incident_stack, start_notifier, start_receiver, own_redis
):
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream, redis_url=own_redis["url"])
    notifier = await start_notifier(events_stream=stream, redis_url=own_redis["url"])
    receiver = await start_receiver()
    await notifier.subscribe(receiver)
    before = await trigger(incidents, 3)
    await all_delivered(receiver, incidents, before)

    await asyncio.to_thread(own_redis["stop"])
    during = await trigger(incidents, 3)
    await acknowledge(incidents, before)
    await asyncio.sleep(0.5)
    assert receiver.event_ids_for(during) == set()  # nothing can flow without Redis
    await asyncio.to_thread(own_redis["start"])

    created = await created_event_ids(incidents, before + during)
    assert len(created) == 9
    await all_delivered(receiver, incidents, before + during)
    assert_consistent(receiver)


async def test_a_stream_deleted_under_the_consumer_is_read_again_once_recreated(
    start_incident_stack, start_notifier, start_receiver, redis_url
):
    """The consumer group is created once, not before every read; when the stream (and with it the group)
    is deleted, the next read fails (NOGROUP), and the group is created again: nothing the relay writes
    afterwards is lost."""
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream)
    notifier = await start_notifier(events_stream=stream)
    receiver = await start_receiver()
    await notifier.subscribe(receiver)
    before = await trigger(incidents, 2)
    await all_delivered(receiver, incidents, before)

    client = Redis.from_url(redis_url)
    try:
        assert await client.delete(stream) == 1
    finally:
        await client.aclose()
    after = await trigger(incidents, 2)
    await all_delivered(receiver, incidents, before + after)
    assert_consistent(receiver)


async def test_notifier_killed_mid_delivery_loses_nothing_and_duplicates_keep_the_event_id(
    start_incident_stack, start_notifier, start_receiver
):
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream)
    doomed = await start_notifier(events_stream=stream, consumer_name="doomed")
    survivor = await start_notifier(events_stream=stream, consumer_name="survivor")
    receiver = await start_receiver(delay=0.3)
    await doomed.subscribe(receiver)
    incident_ids = await trigger(incidents, 10)
    await eventually(lambda: len(receiver.requests) >= 2)
    await doomed.runtime.stop_workers()  # in-flight POSTs cancelled, unacked entries left pending

    created = await created_event_ids(incidents, incident_ids)
    assert len(created) == 10
    await all_delivered(receiver, incidents, incident_ids)
    assert_consistent(receiver)
    pending = await survivor.runtime.redis.xpending(stream, survivor.settings.consumer_group)
    assert pending["pending"] == 0  # the dead consumer's entries were reclaimed and acknowledged


async def test_restarting_everything_loses_nothing(start_incident_stack, start_notifier, start_receiver):
    stream = unique_stream()
    first = await start_incident_stack(events_stream=stream)
    notifier = await start_notifier(events_stream=stream, consumer_name="first")
    receiver = await start_receiver()
    await notifier.subscribe(receiver)
    early = await trigger(first, 2)
    await eventually(lambda: len(receiver.event_ids) == 2)

    await notifier.runtime.stop_workers()
    relayed_while_notifier_down = await trigger(first, 2)  # in the stream, not yet consumed
    await asyncio.sleep(0.5)
    for task in first.runtime.tasks:  # incident-management's relay stops too
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    in_outbox_only = await trigger(first, 2)  # committed, never relayed by this process

    second = await start_incident_stack(events_stream=stream)
    await start_notifier(events_stream=stream, consumer_name="second")
    created = await created_event_ids(second, early + relayed_while_notifier_down + in_outbox_only)
    assert len(created) == 6
    await all_delivered(receiver, second, early + relayed_while_notifier_down + in_outbox_only)
    assert_consistent(receiver)
