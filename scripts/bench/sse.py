"""Browsers on the console's live feed (`/ui/events`), logged in through its form as people are: each
reads the Server-Sent Events stream and notes when every incident event arrived."""

import asyncio
import sys
import time

import aiohttp
import orjson

CONNECT_SECONDS = 30.0


class Browser:
    """One logged-in browser on the live feed: when each incident event arrived, by (incident id, type)."""

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, str], float] = {}
        self.up = asyncio.Event()
        self.ended: str | None = None  # why its feed ended before the run did
        self.reloads = 0

    async def follow(self, session: aiohttp.ClientSession, url: str, cookie: str) -> None:
        """Read the feed until cancelled; frames are split on their blank line, as EventSource does."""
        headers = {"Cookie": cookie, "Accept": "text/event-stream"}
        try:
            async with session.get(url, headers=headers, allow_redirects=False) as reply:
                if reply.status != 200:
                    self.ended = f"answered {reply.status}"
                    return
                rest = b""
                async for chunk in reply.content.iter_any():
                    now = time.perf_counter()
                    *frames, rest = (rest + chunk).split(b"\n\n")
                    for frame in frames:
                        self._take(frame, now)
            self.ended = "closed by the server"
        except (aiohttp.ClientError, TimeoutError) as error:
            self.ended = type(error).__name__

    def _take(self, frame: bytes, now: float) -> None:
        _, found, data = frame.partition(b"data: ")
        if not found:
            return  # the retry line, a keepalive comment
        event = orjson.loads(data)
        if "incident_id" in event:  # the first arrival counts; ids and types are shared by every browser
            key = (sys.intern(event["incident_id"]), sys.intern(event["type"]))
            self.arrived.setdefault(key, now)
        elif event["type"] == "live.up":
            self.up.set()
        elif event["type"] == "live.reload":
            self.reloads += 1


async def connect(session: aiohttp.ClientSession, url: str, cookie: str, clients: int) -> tuple[list, list]:
    """`clients` browsers following the feed, each told `live.up`; returns them and their tasks."""
    browsers = [Browser() for _ in range(clients)]
    tasks = [asyncio.create_task(b.follow(session, url, cookie)) for b in browsers]
    try:
        async with asyncio.timeout(CONNECT_SECONDS):
            await asyncio.gather(*(b.up.wait() for b in browsers))
    except TimeoutError:
        pass  # counted: the browsers that never heard `live.up`
    return browsers, tasks


async def login(session: aiohttp.ClientSession, email: str, password: str) -> str:
    """The dashboard's session cookie (`name=value`) from its login form."""
    async with session.post(
        "/ui/login", data={"email": email, "password": password}, allow_redirects=False
    ) as r:
        if r.status != 303 or not r.cookies:
            raise RuntimeError(f"dashboard login failed: {r.status}")
        return "; ".join(f"{name}={morsel.value}" for name, morsel in r.cookies.items())
