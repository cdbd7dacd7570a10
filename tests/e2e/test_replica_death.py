"""A replica killed (SIGKILL) while alerts stream in: the gateway re-sends what it did not answer to the
other replica, so senders see no 502, and every acknowledged alert is stored once."""

import asyncio
import os
import signal
import uuid

import pytest

from scripts.devstack import processes
from tests.e2e.test_gateway_flow import alert, paging_key

pytestmark = pytest.mark.e2e

RATE = 100  # alerts a second
SECONDS = 3
KILL_AT = 1.0  # seconds into the stream


async def test_replica_killed_mid_stream_loses_no_alert_and_stores_none_twice(gateway, stack):
    service = f"sigkill-{uuid.uuid4().hex[:8]}"
    key = await paging_key(gateway, service)
    pid = processes.running_pid(stack.settings.run_dir, "alert-ingestion-1")
    assert pid is not None

    async def send(index: int):
        await asyncio.sleep(index / RATE)
        return await gateway.post("/api/v1/alerts", json=alert(service, fingerprint=f"f{index}"), headers=key)

    async def kill():
        await asyncio.sleep(KILL_AT)
        os.kill(pid, signal.SIGKILL)

    try:
        *replies, _ = await asyncio.gather(*(send(i) for i in range(RATE * SECONDS)), kill())
        refused = {r.status_code: r.text for r in replies if r.status_code != 202}
        assert refused == {}, f"{len([r for r in replies if r.status_code != 202])} not accepted: {refused}"
        # Both replicas answered: the killed one before it died.
        assert {r.headers["x-replica"] for r in replies} == {"alert-ingestion-1", "alert-ingestion-2"}
        # One row per alert: a re-sent alert that the dead replica had stored is a duplicate, not a row.
        rows, fingerprints = await stack.scalar(
            "SELECT (count(*), count(DISTINCT fingerprint)) FROM alerts WHERE service = $1", service
        )
        assert (rows, fingerprints) == (len(replies), len(replies))
    finally:
        stack.start("alert-ingestion-1")
