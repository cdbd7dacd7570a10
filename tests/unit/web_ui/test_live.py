"""The live hub's numbering, catch-up and fan-out, without Redis (publish stands in for the channel)."""

import asyncio

import orjson

from services.web_ui import live
from services.web_ui.live import FLUSH_SECONDS, QUEUE_SIZE, RING_SIZE, LiveHub, summaries
from shared.events import live_message


def _hub() -> LiveHub:
    return LiveHub(redis=None, channel="unused")  # type: ignore[arg-type]


def _ids_and_payloads(chunks: list[bytes]) -> list[tuple[str, dict]]:
    found = []
    for frame in b"".join(chunks).split(b"\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.decode().strip().split("\n") if ": " in line)
        if "data" in lines:
            found.append((lines["id"], orjson.loads(lines["data"])))
    return found


async def _first_frames(hub: LiveHub, last_event_id: str | None, count: int) -> list[bytes]:
    stream = hub.stream(last_event_id)
    frames = [await anext(stream) for _ in range(count)]
    await stream.aclose()
    return frames


def test_each_relayed_event_of_a_message_is_summed_up_by_its_incident_and_anything_else_is_skipped():
    acknowledged = {"type": "incident.acknowledged", "data": {"id": "i1", "status": "acknowledged"}}
    added = {"type": "incident.alert_added", "data": {"id": "i2"}}
    message = live_message([orjson.dumps(acknowledged), b'{"type": "x"}', b'"text"', orjson.dumps(added)])
    assert summaries(message) == [
        {
            "type": "incident.acknowledged",
            "incident_id": "i1",
            "status": "acknowledged",
            "severity": None,
            "service": None,
        },
        {
            "type": "incident.alert_added",
            "incident_id": "i2",
            "status": None,
            "severity": None,
            "service": None,
        },
    ]
    assert summaries(b"not json") == [] and summaries(orjson.dumps(acknowledged)) == []


async def test_a_reconnecting_browser_gets_what_it_missed_after_its_last_event_id():
    hub = _hub()
    for n in range(3):
        hub.publish({"type": "incident.triggered", "incident_id": f"i{n}"})
    first = _ids_and_payloads(await _first_frames(hub, None, 1))
    last_id = first[0][0]  # the state frame carries the newest id: nothing missed from here
    assert last_id.endswith("-3") and first[0][1] == {"type": "live.down"}
    hub.publish({"type": "incident.resolved", "incident_id": "i0"})
    resumed = _ids_and_payloads(await _first_frames(hub, last_id, 1))
    assert [p for _, p in resumed] == [
        {"type": "live.down"},
        {"type": "incident.resolved", "incident_id": "i0"},
    ]


async def test_an_id_the_ring_no_longer_covers_or_another_process_made_asks_for_a_reload():
    hub = _hub()
    for n in range(RING_SIZE + 5):
        hub.publish({"type": "incident.triggered", "incident_id": f"i{n}"})
    boot = _ids_and_payloads(await _first_frames(hub, None, 1))[0][0].split("-")[0]
    assert hub.missed(f"{boot}-1") is None
    assert hub.missed("otherboot-3") is None
    [(seq, framed)] = hub.missed(f"{boot}-{RING_SIZE + 4}")
    assert seq == RING_SIZE + 5
    assert _ids_and_payloads([framed]) == [
        (f"{boot}-{RING_SIZE + 5}", {"type": "incident.triggered", "incident_id": f"i{RING_SIZE + 4}"})
    ]


async def test_a_listener_receives_events_published_while_it_listens():
    hub = _hub()
    stream = hub.stream(None)
    await anext(stream)  # retry and state
    waiting = asyncio.create_task(anext(stream))
    await asyncio.sleep(0)
    hub.publish({"type": "incident.escalated", "incident_id": "i9"})
    [(event_id, payload)] = _ids_and_payloads([await asyncio.wait_for(waiting, 1)])
    assert payload["incident_id"] == "i9" and event_id.endswith("-1")
    await stream.aclose()


async def test_events_arriving_together_reach_each_listener_in_one_write():
    hub = _hub()
    streams = [hub.stream(None) for _ in range(2)]
    for stream in streams:
        await anext(stream)
    for n in range(3):
        hub.publish({"type": "incident.triggered", "incident_id": f"i{n}"})
    chunks = [await asyncio.wait_for(anext(stream), FLUSH_SECONDS * 20) for stream in streams]
    assert chunks[0] is chunks[1]  # framed once, shared
    assert [p["incident_id"] for _, p in _ids_and_payloads([chunks[0]])] == ["i0", "i1", "i2"]
    for stream in streams:
        await stream.aclose()


async def test_a_listener_too_far_behind_is_dropped_and_the_others_go_on():
    hub = _hub()
    slow, reading = hub.stream(None), hub.stream(None)
    await anext(slow)
    await anext(reading)
    for n in range(QUEUE_SIZE + 1):
        hub.publish({"type": "incident.triggered", "incident_id": f"i{n}"})
        if n % 100 == 0:  # flushed, and read by one listener only
            hub._flush()
            last = await asyncio.wait_for(anext(reading), 1)
    assert _ids_and_payloads([last])[-1][1]["incident_id"] == f"i{QUEUE_SIZE}"
    assert len(hub._listeners) == 1  # the slow one is let go, and with it what it had not read
    try:
        await asyncio.wait_for(anext(slow), 1)
        raise AssertionError("the slow listener's stream went on")
    except StopAsyncIteration:
        pass  # it reconnects with its Last-Event-ID and catches up from the ring
    await reading.aclose()


async def test_idle_streams_get_a_keepalive_comment(monkeypatch):
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.01)
    hub = _hub()
    stream = hub.stream(None)
    await anext(stream)
    beating = asyncio.create_task(hub._beat())
    try:
        assert await asyncio.wait_for(anext(stream), 1) == live.KEEPALIVE
    finally:
        beating.cancel()
        await stream.aclose()
