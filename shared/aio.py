"""Small asyncio helpers."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache

T = TypeVar("T")


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


async def stop_tasks(tasks: list[asyncio.Task[Any]], *, grace: float, log: logging.Logger) -> None:
    """Cancel `tasks` and wait for them, at most `grace` seconds: a task that ignored its cancel must not
    hold a shutdown. Each such task is logged by name, on the caller's logger."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, stuck = await asyncio.wait(tasks, timeout=grace)
    for task in stuck:
        log.error(STUCK_WORKER, extra={"fields": {"task": task.get_name()}})


# Each key's call, whatever its answer's type: a key names what was asked, so it is asked for one type.
_Calls = TTLCache[Hashable, "asyncio.Future[Any]"]


class RecentAnswers:
    """A peer's answers (on-call's), kept `ttl` seconds (0: not kept): like GoAlert's engine cycle, a change
    there (a roster, a handoff, a person's notification rules) takes effect here within that time, and an
    alert storm asks once per service or person. Lookups of one key while it is being asked share that call;
    a failure is not kept, also when every caller had given up on it."""

    def __init__(self, ttl: float, *, size: int = 4096) -> None:
        self._cache: _Calls | None = TTLCache(maxsize=size, ttl=ttl) if ttl > 0 else None

    async def get(self, key: Hashable, ask: Callable[[], Awaitable[T]]) -> T:
        cache = self._cache
        if cache is None:
            return await ask()
        pending: asyncio.Future[T] | None = cache.get(key)
        if pending is None:
            pending = cache[key] = asyncio.ensure_future(ask())
            pending.add_done_callback(lambda done: _forget_failed(cache, key, done))
        return await asyncio.shield(pending)  # one caller giving up does not cancel the others' call


def _forget_failed(cache: _Calls, key: Hashable, done: asyncio.Future[Any]) -> None:
    # Also when every caller had given up: the failure is retrieved (no "never retrieved" report)
    if (done.cancelled() or done.exception() is not None) and cache.get(key) is done:
        del cache[key]
