"""Small asyncio helpers."""

import asyncio


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
