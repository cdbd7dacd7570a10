"""A fixed volume of alerts (e.g. 100,000) in batches through the gateway, for the memory check: the
services' RSS is read after one such run and after a second, and must not keep growing."""

import asyncio
import itertools
import random

import httpx

from scripts.bench.openloop import alert_body


async def send(gateway: str, keys: list[str], *, total: int, batch: int = 100, concurrency: int = 8) -> int:
    """Send `total` alerts in batches of `batch` from `concurrency` clients; returns how many were stored
    (answered 202). Overloaded answers (429/503) are retried after a short pause."""
    counter = itertools.count()
    batches = iter(range(0, total, batch))
    stored = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal stored
        for _ in batches:
            body = {"alerts": [alert_body(next(counter)) for _ in range(batch)]}
            headers = {"Authorization": f"Bearer {random.choice(keys)}"}
            while True:
                reply = await client.post("/api/v1/alerts/batch", json=body, headers=headers)
                if reply.status_code not in (429, 503):
                    break
                await asyncio.sleep(0.05)
            if reply.status_code == 202:
                stored += batch

    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return stored
