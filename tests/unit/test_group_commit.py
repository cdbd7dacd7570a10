"""Group commit: who shares a transaction, and whose outcome is whose."""

import asyncio

from shared.group_commit import GroupCommit


async def test_alone_runs_at_once_and_arrivals_meanwhile_share_the_next_group():
    groups: list[list[int]] = []
    gate = asyncio.Event()

    async def run(items: list[int]) -> list[int | Exception]:
        groups.append(items)
        if len(groups) == 1:
            await gate.wait()  # the first transaction is slow: others queue up behind it
        return [item * 10 if item != 4 else ValueError("bad") for item in items]

    group = GroupCommit(run, lanes=1, max_group=3)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)
    others = [asyncio.create_task(group.submit(i)) for i in range(2, 7)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(first, *others, return_exceptions=True)
    assert groups == [[1], [2, 3, 4], [5, 6]]
    assert results[:3] == [10, 20, 30] and isinstance(results[3], ValueError) and results[4:] == [50, 60]


async def test_a_failed_group_fails_each_member_and_the_lane_goes_on():
    calls = 0

    async def run(items: list[str]) -> list[str | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database down")
        return items

    group = GroupCommit(run, lanes=2, max_group=10)
    failed = await asyncio.gather(group.submit("a"), return_exceptions=True)
    assert isinstance(failed[0], RuntimeError)
    assert await group.submit("b") == "b"


async def test_weighted_items_are_taken_whole_up_to_the_groups_weight_and_a_heavy_one_alone():
    groups: list[list[str]] = []
    gate = asyncio.Event()

    async def run(items: list[str]) -> list[int]:
        groups.append(items)
        if len(groups) == 1:
            await gate.wait()
        return [len(item) for item in items]

    group = GroupCommit(run, lanes=1, max_group=5, weight=len)
    first = asyncio.create_task(group.submit("a"))
    await asyncio.sleep(0)
    waiting = ["bb", "ccc", "dddddddd", "e", "ff", "ggg"]
    others = [asyncio.create_task(group.submit(item)) for item in waiting]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, *others) == [1, 2, 3, 8, 1, 2, 3]
    # In arrival order, never split: 2+3 fill a group, 8 is over the limit and goes alone, then 1+2, 3.
    assert groups == [["a"], ["bb", "ccc"], ["dddddddd"], ["e", "ff"], ["ggg"]]


async def test_an_item_arriving_as_the_last_lane_ends_gets_a_lane():
    """The lane finds nothing more to do and ends; an item submitted in that same turn of the event loop,
    before the ended lane's task is reaped, must still be run. It used to wait for the next submission,
    which never comes after the last alert of a burst: its caller hung (a replica's, until the client
    gave up)."""
    late: asyncio.Future | None = None

    async def run(items: list[str]) -> list[str]:
        nonlocal late
        if late is None:  # submitted now, it first runs right after this lane has ended
            late = asyncio.ensure_future(group.submit("late"))
        return items

    group = GroupCommit(run, lanes=1, max_group=10)
    assert await group.submit("first") == "first"
    assert late is not None
    assert await asyncio.wait_for(late, timeout=2) == "late"
