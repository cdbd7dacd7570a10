"""Small asyncio helpers."""

import asyncio
import logging
from collections.abc import Awaitable, Callable


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set (True) or `seconds` pass (False).

    Unlike asyncio.wait_for on Python 3.11, a cancel racing with the event always propagates, so a
    worker loop using this stops when its task is cancelled instead of looping on forever.
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
            return True
    except TimeoutError:
        return False


async def run_every(
    seconds: float, work: Callable[[], Awaitable[object]], *, log: logging.Logger, failed: str
) -> None:
    """Forever: run `work`, then sleep `seconds`. A failed turn is logged (`failed`, with its traceback, on
    the caller's logger) and the next one comes as usual: a worker outlives a database or Redis outage."""
    while True:
        try:
            await work()
        except Exception:
            log.exception(failed)
        await asyncio.sleep(seconds)


# What `stop_tasks` logs for a task that ignored its cancel (the benchmark looks for it after a slow stop).
STUCK_WORKER = "worker did not stop when cancelled"


async def stop_tasks(tasks: list[asyncio.Task], *, grace: float, log: logging.Logger) -> None:
    """Cancel `tasks` and wait for them, at most `grace` seconds: a task that ignored its cancel must not
    hold a shutdown. Each such task is logged by name, on the caller's logger."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, stuck = await asyncio.wait(tasks, timeout=grace)
    for task in stuck:
        log.error(STUCK_WORKER, extra={"fields": {"task": task.get_name()}})
