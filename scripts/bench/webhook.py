"""Alert → signed webhook latency: a local receiver (scripts/webhook_receiver.py) notes when each
incident's `incident.triggered` event arrived; alerts leave on an open-loop schedule."""

import asyncio
import random
import time
import uuid
from collections.abc import Callable

import aiohttp

from scripts.bench import integrations
from scripts.bench.openloop import percentile
from scripts.webhook_receiver import Receiver, post_alert, running


class Refused(Exception):
    """The stack would not send webhooks to the receiver on 127.0.0.1."""


async def measure(
    gateway: str,
    headers: dict[str, str],
    *,
    rate: float,
    seconds: float,
    ready: Callable[[], None] = lambda: None,
) -> dict:
    """p50/p99 ms from an alert's scheduled send to its incident's signed webhook arriving. The sender is
    aiohttp (light on CPU: the generator shares the machine with the stack, see openloop.py). The services
    and the subscription are made with the admin's `headers`, each alert carries its integration's key.
    `ready` is called once the services and the subscription exist, right before the first alert."""
    receiver = Receiver()
    total = int(rate * seconds)
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=256)
    async with (
        running(receiver) as url,
        aiohttp.ClientSession(gateway, timeout=timeout, connector=connector, headers=headers) as client,
    ):
        # new services, so that every (service, severity) pair used below opens a new incident
        [keys] = await integrations.create_keys(client, (total + 3) // 4, prefix=f"wh-{uuid.uuid4().hex[:6]}")
        subscription = {"url": url, "event_types": ["incident.triggered"], "allow_internal": True}
        async with client.post("/api/v1/webhooks", json=subscription) as reply:
            if reply.status == 422:
                detail = (await reply.json()).get("detail", "")
                raise Refused(
                    f"the notifier refused a webhook to the receiver on 127.0.0.1 ({detail}); start it with "
                    "WEBHOOK_ALLOW_INTERNAL_TARGETS=true"
                )
            reply.raise_for_status()
            created = await reply.json()
        receiver.secret = created["secret"]
        sent: dict[str, float] = {}
        statuses: dict[int, int] = {}

        async def one(i: int, scheduled: float) -> None:
            body = {"severity": ("critical", "high", "warning", "info")[i % 4], "summary": f"wh {i}"}
            status, answer = await post_alert(client, body, {"Authorization": f"Bearer {keys[i // 4]}"})
            statuses[status] = statuses.get(status, 0) + 1
            if answer.get("result") == "created":
                sent[answer["incident_id"]] = scheduled

        ready()
        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 10
        while len(receiver.arrived.keys() & sent.keys()) < len(sent) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        async with client.delete(f"/api/v1/webhooks/{created['id']}") as reply:
            reply.raise_for_status()
    latencies = [(receiver.arrived[i] - t) * 1000 for i, t in sent.items() if i in receiver.arrived]
    random.shuffle(latencies)
    return {
        "rate": rate,
        "sent": total,
        "statuses": statuses,  # what the gateway answered: 503 is load shedding (Retry-After)
        "incidents": len(sent),
        "delivered": len(latencies),
        "bad_signatures": receiver.bad_signatures,
        "latency_ms": {f"p{p}": round(percentile(latencies, p), 1) for p in (50, 90, 99)},
    }
