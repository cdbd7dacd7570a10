"""The live hub's numbering and catch-up, without Redis (publish stands in for the channel)."""

import asyncio

import orjson

from services.web_ui.live import RING_SIZE, LiveHub, summary


def _hub() -> LiveHub:
    return LiveHub(redis=None, channel="unused")  # type: ignore[arg-type]


def _ids_and_payloads(frames: list[bytes]) -> list[tuple[str, dict]]:
    found = []
    for frame in frames:
        lines = dict(line.split(": ", 1) for line in frame.decode().strip().split("\n") if ": " in line)
        if "data" in lines:
            found.append((lines["id"], orjson.loads(lines["data"])))
    return found


async def _first_frames(hub: LiveHub, last_event_id: str | None, count: int) -> list[bytes]:
    stream = hub.stream(last_event_id)
    frames = [await anext(stream) for _ in range(count)]
    await stream.aclose()
    return frames


def test_a_relayed_event_is_summed_up_by_its_incident_and_anything_else_is_skipped():
    body = orjson.dumps({"type": "incident.acknowledged", "data": {"id": "i1", "status": "acknowledged"}})
    assert summary(body) == {
        "type": "incident.acknowledged",
        "incident_id": "i1",
        "status": "acknowledged",
        "severity": None,
        "service": None,
    }
    assert summary(b"not json") is None and summary(b'{"type": "x"}') is None


async def test_a_reconnecting_browser_gets_what_it_missed_after_its_last_event_id():
    hub = _hub()
    for n in range(3):
        hub.publish({"type": "incident.triggered", "incident_id": f"i{n}"})
    first = _ids_and_payloads(await _first_frames(hub, None, 2))
    last_id = first[0][0]  # the state frame carries the newest id: nothing missed from here
    assert last_id.endswith("-3") and first[0][1] == {"type": "live.down"}
    hub.publish({"type": "incident.resolved", "incident_id": "i0"})
    resumed = _ids_and_payloads(await _first_frames(hub, last_id, 3))
    assert [p for _, p in resumed] == [
        {"type": "live.down"},
        {"type": "incident.resolved", "incident_id": "i0"},
    ]


async def test_an_id_the_ring_no_longer_covers_or_another_process_made_asks_for_a_reload():
    hub = _hub()
    for n in range(RING_SIZE + 5):
        hub.publish({"type": "incident.triggered", "incident_id": f"i{n}"})
    boot = _ids_and_payloads(await _first_frames(hub, None, 2))[0][0].split("-")[0]
    assert hub.missed(f"{boot}-1") is None
    assert hub.missed("otherboot-3") is None
    assert hub.missed(f"{boot}-{RING_SIZE + 4}") == [
        (RING_SIZE + 5, {"type": "incident.triggered", "incident_id": f"i{RING_SIZE + 4}"})
    ]


async def test_a_listener_receives_events_published_while_it_listens():
    hub = _hub()
    stream = hub.stream(None)
    await anext(stream)  # retry
    await anext(stream)  # state
    waiting = asyncio.create_task(anext(stream))
    await asyncio.sleep(0)
    hub.publish({"type": "incident.escalated", "incident_id": "i9"})
    [(event_id, payload)] = _ids_and_payloads([await asyncio.wait_for(waiting, 1)])
    assert payload["incident_id"] == "i9" and event_id.endswith("-1")
    await stream.aclose()
