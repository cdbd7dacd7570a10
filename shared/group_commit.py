"""Group commit: items (alerts, webhook attempts) that arrive while a transaction is running share the next.

Alone, an item is stored at once in its own transaction. Under load, each lane takes everything that
queued up meanwhile, so BEGIN, COMMIT (and its WAL flush) and the lock round trip are paid once per
group instead of once per item, and nobody waits for a timer. Each item keeps its own outcome."""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        run: Callable[[list[Item]], Awaitable[list[Result | Exception]]],
        *,
        lanes: int,
        max_group: int,
        weight: Callable[[Item], int] = lambda _: 1,
    ) -> None:
        """A group holds items of at most `max_group` total `weight` (a heavier item goes alone), taken
        whole and in arrival order."""
        self._run, self._lanes, self._max, self._weight = run, lanes, max_group, weight
        self._pending: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """Store `item` with whatever else is waiting; returns its outcome or raises its error."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        # Lanes still running: a lane that found nothing more to do is done at once, but leaves `_tasks`
        # only when its done callback runs, later in the loop; counted, it would leave this item waiting
        # for the next submission, which never comes after the last alert of a burst.
        if sum(not task.done() for task in self._tasks) < self._lanes:
            task = asyncio.create_task(self._lane())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _lane(self) -> None:
        while self._pending:
            group = [self._pending.popleft()]
            total = self._weight(group[0][0])
            while self._pending and total + self._weight(self._pending[0][0]) <= self._max:
                total += self._weight(self._pending[0][0])
                group.append(self._pending.popleft())
            try:
                outcomes = await self._run([item for item, _ in group])
            except Exception as error:  # the group's transaction failed: every member gets the error
                outcomes = [error] * len(group)
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if future.done():  # the caller gave up (deadline); its alert is stored all the same
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
