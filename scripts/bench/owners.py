"""Teams owning the benchmark's services, as in a real deployment: each new incident is assigned to the
person on call for its service's team and emailed to them. A team owns `PER_TEAM` services and has a weekly
rotation of two people (emails under example.com, which RFC 2606 keeps for examples)."""

import asyncio
import datetime

import aiohttp

PER_TEAM = 5
PEOPLE_PER_TEAM = 2


async def _post(client: aiohttp.ClientSession, path: str, body: dict) -> dict:
    async with client.post(path, json=body) as reply:
        if reply.status != 201:
            raise RuntimeError(f"POST {path} answered {reply.status}: {await reply.text()}")
        return await reply.json()


async def own(client: aiohttp.ClientSession, services: list[str], *, prefix: str) -> int:
    """Teams `prefix`-t<i> owning `services`, `PER_TEAM` each, 4 teams side by side; returns the number of
    people who can be paged."""
    slots = asyncio.Semaphore(4)
    # The rotation began the Monday before last: on a Monday before its 09:00 handoff, one begun that day
    # would have no one on call yet.
    today = datetime.datetime.now(datetime.UTC).date()
    monday = today - datetime.timedelta(days=today.weekday() + 7)

    async def team(i: int, owned: list[str]) -> int:
        async with slots:
            people = [
                await _post(
                    client,
                    "/api/v1/users",
                    {"name": f"{prefix} person {i}-{n}", "email": f"{prefix}-t{i}-p{n}@example.com"},
                )
                for n in range(PEOPLE_PER_TEAM)
            ]
            created = await _post(client, "/api/v1/teams", {"name": f"{prefix}-t{i}", "services": owned})
            rotation = {
                "team_id": created["id"],
                "name": f"{prefix}-t{i} weekly",
                "time_zone": "UTC",
                "handoff_weekday": 0,
                "handoff_time": "09:00",
                "start_date": monday.isoformat(),
                "member_ids": [person["id"] for person in people],
            }
            await _post(client, "/api/v1/rotations", rotation)
            return len(people)

    groups = [services[at : at + PER_TEAM] for at in range(0, len(services), PER_TEAM)]
    return sum(await asyncio.gather(*(team(i, owned) for i, owned in enumerate(groups))))
