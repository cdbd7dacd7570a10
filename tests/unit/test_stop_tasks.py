"""Stopping a service's workers: cancelled and waited for; one ignoring its cancel is named and left."""

import asyncio
import logging

from shared.aio import STUCK_WORKER, stop_tasks

log = logging.getLogger("tests.stop_tasks")


async def obedient() -> None:
    await asyncio.sleep(3600)


async def stubborn(release: asyncio.Event) -> None:
    """Swallows its cancel (as `asyncio.wait_for` could on Python 3.11) and runs until released."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await release.wait()


async def test_cancelled_workers_stop_and_nothing_is_logged(caplog):
    tasks = [asyncio.create_task(obedient(), name=f"worker-{i}") for i in range(3)]
    await asyncio.sleep(0)
    await stop_tasks(tasks, grace=5, log=log)
    assert all(task.cancelled() for task in tasks)
    assert not caplog.records


async def test_a_worker_ignoring_its_cancel_is_logged_by_name_and_does_not_hold_the_stop(caplog):
    release = asyncio.Event()
    stuck = asyncio.create_task(stubborn(release), name="stubborn-worker")
    other = asyncio.create_task(obedient(), name="obedient-worker")
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks([stuck, other], grace=0.2, log=log), timeout=5)
    assert other.cancelled() and not stuck.done()
    assert [(r.levelno, r.getMessage(), r.fields) for r in caplog.records] == [
        (logging.ERROR, STUCK_WORKER, {"task": "stubborn-worker"})
    ]
    release.set()
    await stuck


async def test_no_workers_is_no_wait():
    await asyncio.wait_for(stop_tasks([], grace=3600, log=log), timeout=1)
