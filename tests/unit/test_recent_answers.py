"""RecentAnswers: a peer's answers reused for a while, one call per key in flight, failures not kept."""

import asyncio

import pytest

from shared.aio import RecentAnswers


class Asker:
    def __init__(self, *, fail: int = 0) -> None:
        self.calls, self.fail = 0, fail

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.calls <= self.fail:
            raise ConnectionError("down")
        return self.calls


async def test_lookups_of_one_key_share_a_call_and_its_answer():
    answers, ask = RecentAnswers(60), Asker()
    assert await asyncio.gather(*(answers.get("svc", ask) for _ in range(5))) == [1] * 5
    assert await answers.get("svc", ask) == 1 and ask.calls == 1
    assert await answers.get("other", ask) == 2


async def test_a_failure_is_not_kept():
    answers, ask = RecentAnswers(60), Asker(fail=1)
    with pytest.raises(ConnectionError):
        await answers.get("svc", ask)
    assert await answers.get("svc", ask) == 2


async def test_a_failure_is_not_kept_when_every_caller_had_given_up():
    """Inline paging's timeout cancels its waiters; the shared call goes on and fails with no one left to
    see it: it is dropped (and its exception retrieved) all the same."""
    answers, ask = RecentAnswers(60), Asker(fail=1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.001):
            await answers.get("svc", ask)
    await asyncio.sleep(0.05)  # the call fails meanwhile
    assert await answers.get("svc", ask) == 2 and ask.calls == 2


async def test_one_caller_giving_up_does_not_cancel_the_shared_call():
    answers, ask = RecentAnswers(60), Asker()
    impatient = asyncio.create_task(answers.get("svc", ask))
    await asyncio.sleep(0)
    patient = asyncio.create_task(answers.get("svc", ask))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == 1 and ask.calls == 1


async def test_zero_seconds_keeps_nothing():
    answers, ask = RecentAnswers(0), Asker()
    assert [await answers.get("svc", ask) for _ in range(3)] == [1, 2, 3]
