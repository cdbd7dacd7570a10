"""Open-loop load: requests leave on a fixed schedule whatever the answers, and latency is measured from
the scheduled instant, so back-pressure cannot hide queueing (no coordinated omission)."""

import asyncio
import itertools
import random
import time
from dataclasses import dataclass

import aiohttp

SEVERITIES = ("critical", "high", "warning", "info")
ALERTS = "/api/v1/alerts"


@dataclass
class OpenLoopResult:
    offered_rate: float
    sent: int
    ok: int
    statuses: dict[int, int]
    latency_ms: dict[str, float]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def alert_body(counter: int) -> dict:
    fingerprint = (
        f"dup-{random.randint(1, 20)}" if random.random() < 0.3 else f"ol-{counter}-{random.random()}"
    )
    return {
        "severity": random.choice(SEVERITIES),
        "summary": f"bench alert {counter}",
        "fingerprint": fingerprint,
        "labels": {"alertname": f"Bench{random.randint(1, 10)}"},
    }


async def run(
    base_url: str, keys: list[str], *, rate: float, seconds: float, path: str = ALERTS
) -> OpenLoopResult:
    """Send `rate` alerts/s for `seconds` on schedule. The client is aiohttp: it costs ~0.2 ms of CPU per
    request here against httpx's ~1.5 ms, and the generator shares the machine's two cores with the stack,
    so a heavy client would have delayed its own sends and counted that as the stack's latency."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:

        async def one(scheduled: float, counter: int) -> None:
            headers = {"Authorization": f"Bearer {random.choice(keys)}"}
            try:
                async with client.post(path, json=alert_body(counter), headers=headers) as reply:
                    await reply.read()
                    code = reply.status
            except (aiohttp.ClientError, TimeoutError):
                code = 0
            statuses[code] = statuses.get(code, 0) + 1
            if 200 <= code < 300:
                latencies.append((time.perf_counter() - scheduled) * 1000)

        start = time.perf_counter() + 0.05
        total = int(rate * seconds)
        tasks = []
        for i in itertools.count():
            if i >= total:
                break
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled, i)))
        await asyncio.gather(*tasks)
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    latency = {f"p{p}": percentile(latencies, p) for p in (50, 90, 99)}
    return OpenLoopResult(rate, total, ok, statuses, latency)
