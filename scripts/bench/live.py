"""The console's live updates under load: browsers logged in to the web UI follow its Server-Sent Events
(`/ui/events`, through Traefik as a browser would, or straight to the web UI's port) while incidents change
at a fixed rate through the public API. For every event each browser receives, latency is its arrival
less its change's scheduled send (open loop, as openloop.py), matched by incident id and event type."""

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import uvloop

from scripts.bench import credentials, listing, targets
from scripts.bench.measure import cpu_snapshot, driver_url, process_groups, rss_of
from scripts.bench.openloop import percentile
from scripts.bench.phases import OUT_DIR, Laps, bench_settings, machine_probe, own_stack
from scripts.bench.report import print_live
from scripts.bench.sse import Browser, connect, login
from scripts.devstack.settings import StackSettings
from shared import events
from shared.serve import settle_heap

INCIDENTS = "/api/v1/incidents"
LAG = 1.0  # seconds from an incident's opening to its acknowledgement, and from that to its resolution
DRAIN_SECONDS = 5.0  # how long the browsers may take, after the last change, to receive it
ACTIONS = {events.INCIDENT_ACKNOWLEDGED: "acknowledge", events.INCIDENT_RESOLVED: "resolve"}


@dataclass(slots=True)
class Change:
    """One change through the API: the event it should cause, when it was due, what the API answered."""

    type: str
    scheduled: float
    incident_id: str | None = None
    status: int | None = None  # 0: no answer
    answered: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == (201 if self.type == events.INCIDENT_TRIGGERED else 200)


def _pick(i: int, scheduled: float, to_ack: deque[Change], to_resolve: deque[Change]) -> Change:
    """The i-th change: in turn a new incident, an acknowledgement and a resolution, each of an incident
    LAG seconds into its previous state; a new incident whenever none is due (the run's first seconds)."""
    due, kind = {1: (to_ack, events.INCIDENT_ACKNOWLEDGED), 2: (to_resolve, events.INCIDENT_RESOLVED)}.get(
        i % 3, (None, events.INCIDENT_TRIGGERED)
    )
    while due and due[0].status is not None and not due[0].ok:
        due.popleft()  # refused: nothing to build on
    if due and due[0].ok and due[0].scheduled <= scheduled - LAG:
        change = Change(kind, scheduled, due.popleft().incident_id)
        if kind == events.INCIDENT_ACKNOWLEDGED:
            to_resolve.append(change)
        return change
    change = Change(events.INCIDENT_TRIGGERED, scheduled)
    to_ack.append(change)
    return change


async def _send(client: aiohttp.ClientSession, change: Change, service: str) -> None:
    if change.type == events.INCIDENT_TRIGGERED:  # its own service, so that it joins no open incident
        path, body = INCIDENTS, {"service": service, "severity": "warning", "title": f"live {service}"}
    else:
        path, body = f"{INCIDENTS}/{change.incident_id}/{ACTIONS[change.type]}", None
    try:
        async with client.post(path, json=body) as reply:
            answer = await reply.json() if reply.status in (200, 201) else None
            change.status = reply.status
    except (aiohttp.ClientError, TimeoutError):
        change.status, answer = 0, None
    change.answered = time.perf_counter()
    if answer is not None:
        change.incident_id = answer["id"]


async def make_changes(client: aiohttp.ClientSession, *, rate: float, seconds: float) -> list[Change]:
    """`rate` changes a second for `seconds`, each sent at its scheduled instant whatever the answers."""
    prefix = f"live-{random.randbytes(3).hex()}"
    changes: list[Change] = []
    to_ack: deque[Change] = deque()
    to_resolve: deque[Change] = deque()
    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        change = _pick(i, scheduled, to_ack, to_resolve)
        changes.append(change)
        tasks.append(asyncio.create_task(_send(client, change, f"{prefix}-{i}")))
    await asyncio.gather(*tasks)
    return changes


Expected = list[tuple[tuple[str, str], float, float]]  # (incident id, type), scheduled, answered


def _expected(changes: list[Change]) -> Expected:
    return [((c.incident_id, c.type), c.scheduled, c.answered) for c in changes if c.ok and c.incident_id]


async def _drained(browsers: list[Browser], expected: Expected) -> None:
    """Until every browser still connected has every change, or DRAIN_SECONDS have passed."""
    deadline = time.perf_counter() + DRAIN_SECONDS
    keys = [key for key, _, _ in expected]
    waiting = [b for b in browsers if b.ended is None]
    while waiting and time.perf_counter() < deadline:
        waiting = [b for b in waiting if b.ended is None and not all(key in b.arrived for key in keys)]
        await asyncio.sleep(0.25)


def figures(changes: list[Change], browsers: list[Browser]) -> dict:
    """Latency of every (browser, change) received, from the change's send and from the API's answer
    (the feed's own share: relay, web UI, gateway), what each browser missed, and the API's answers."""
    expected = _expected(changes)
    latencies, after_answer, missed = [], [], []
    for browser in browsers:
        got = [
            (browser.arrived[key], sent, answered)
            for key, sent, answered in expected
            if key in browser.arrived
        ]
        latencies += [(arrived - sent) * 1000 for arrived, sent, _ in got]
        after_answer += [(arrived - answered) * 1000 for arrived, _, answered in got]
        missed.append(len(expected) - len(got))
    statuses: dict[str, int] = {}
    for change in changes:
        statuses[str(change.status)] = statuses.get(str(change.status), 0) + 1
    api = [(c.answered - c.scheduled) * 1000 for c in changes if c.ok]
    return {
        "changes": len(changes),
        "accepted": sum(c.ok for c in changes),
        "by_type": {
            kind: sum(c.type == kind for c in changes) for kind in (events.INCIDENT_TRIGGERED, *ACTIONS)
        },
        "statuses": statuses,
        "api_ms": _ms(api),
        "events_expected": len(expected),
        "received": len(latencies),
        "latency_ms": _ms(latencies) | {"max": round(max(latencies, default=float("nan")), 1)},
        "after_answer_ms": _ms(after_answer),
        "missed_total": sum(missed),
        "missed_per_client": missed,
        "clients_ended_early": sum(b.ended is not None for b in browsers),
        "ended_why": dict(Counter(b.ended for b in browsers if b.ended is not None)),
        "reloads": sum(b.reloads for b in browsers),
    }


def _ms(values: list[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(values, p), 1) for p in (50, 90, 99)}


async def measure(
    ui: str,
    gateway: str,
    headers: dict[str, str],
    *,
    password: str,
    clients: int,
    rate: float,
    seconds: float,
    mark: Callable[[str], None],
) -> dict:
    """`clients` browsers on the feed at `ui`, then `rate` changes a second for `seconds` through the API at
    `gateway` with the admin's `headers`; `mark` is called before the browsers connect (`idle`), once they
    listen (`sending`) and once the last change is answered (`sent`)."""
    feed_timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)  # keepalives: 15 s
    async with (
        aiohttp.ClientSession(ui, timeout=feed_timeout, connector=aiohttp.TCPConnector(limit=0)) as feeds,
        aiohttp.ClientSession(
            gateway,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=10),
            connector=aiohttp.TCPConnector(limit=256),
        ) as api,
    ):
        cookie = await login(feeds, listing.BENCH_ACCOUNT, password)
        mark("idle")
        browsers, tasks = await connect(feeds, "/ui/events", cookie, clients)
        connected = sum(b.up.is_set() for b in browsers)
        mark("sending")
        changes = await make_changes(api, rate=rate, seconds=seconds)
        mark("sent")
        await _drained(browsers, _expected(changes))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    head = {"clients": clients, "connected": connected, "rate": rate, "seconds": seconds}
    return head | figures(changes, browsers)


def phase(settings: StackSettings, *, clients: int, rate: float, seconds: float, direct: bool) -> dict:
    """The live phase on a native stack of this machine: its figures, the cores each process kept busy
    while the changes were sent, and the web UI's RSS idle, with the browsers connected and at the end."""
    gateway = settings.gateway_url
    ui = f"http://127.0.0.1:{settings.web_ui_http_port}" if direct else gateway
    headers = credentials.admin_headers(gateway, settings)
    password = asyncio.run(listing.dashboard_account(driver_url(settings)))
    marks: dict[str, tuple[float, float, dict[int, float], float]] = {}

    def mark(name: str) -> None:
        web_ui = rss_of(settings).get("web-ui", 0.0)
        marks[name] = (time.perf_counter(), time.process_time(), cpu_snapshot(settings), web_ui)

    found = uvloop.run(
        measure(
            ui, gateway, headers, password=password, clients=clients, rate=rate, seconds=seconds, mark=mark
        )
    )
    (start, own, before, _), (end, own_end, after, _) = marks["sending"], marks["sent"]
    busy = {
        name: round(sum(after.get(p, 0.0) - before.get(p, 0.0) for p in pids) / (end - start), 2)
        for name, pids in process_groups(settings).items()
    }
    return (
        {"via": "direct" if direct else "traefik"}
        | found
        | {
            "cores_busy": busy,
            "generator_cores_busy": round((own_end - own) / (end - start), 2),
            "web_ui_rss_mb": {
                "idle": marks["idle"][3],
                "connected": marks["sending"][3],
                "end": rss_of(settings)["web-ui"],
            },
        }
    )


def run(args: argparse.Namespace) -> tuple[dict, Path]:
    """One run on a fresh stack of its own: its report, printed and written."""
    machine = machine_probe()
    started, laps = time.monotonic(), Laps()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or OUT_DIR / f"live-{time.strftime('%Y%m%dT%H%M%S')}.json"
    settings = bench_settings()
    with own_stack(settings, laps, out) as after:
        found = phase(
            settings, clients=args.clients, rate=args.rate, seconds=args.seconds, direct=args.direct
        )
        laps("live")
    report = {"machine": machine, "stack": "own", "live": found} | after
    report["total_seconds"] = round(time.monotonic() - started, 1)
    report["wall_seconds"] = laps.seconds
    report["targets"] = targets.as_json([targets.check_live(found)])
    out.write_text(json.dumps(report, indent=2))
    print_live(report)
    print(f"\nwritten to {out}")
    return report, out


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.live",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=targets.LIVE_CLIENTS, help="browsers (default 200)")
    parser.add_argument("--rate", type=float, default=targets.LIVE_RATE, help="changes/s (default 100)")
    parser.add_argument("--seconds", type=float, default=25, help="how long changes are sent (default 25)")
    parser.add_argument("--direct", action="store_true", help="browsers on the web UI's port, not Traefik")
    parser.add_argument("--out", type=Path, help="the JSON report (default: var/bench/live-<time>.json)")
    args = parser.parse_args()
    settle_heap()  # as the services do: the collector's pauses kept out of the latencies measured
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
