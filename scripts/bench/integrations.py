"""Services with routing keys for the benchmark's traffic, created through the gateway a few at a time."""

import asyncio

import aiohttp


async def _post(client: aiohttp.ClientSession, path: str, body: dict) -> dict:
    async with client.post(path, json=body) as reply:
        reply.raise_for_status()
        return await reply.json()


async def create_keys(
    client: aiohttp.ClientSession, count: int, *, prefix: str, kinds: tuple[str, ...] = ("api",)
) -> list[list[str]]:
    """`count` new services named `prefix`-i, each with one integration of each of `kinds`, 8 services side
    by side; returns the keys of each kind, in the services' order."""
    slots = asyncio.Semaphore(8)

    async def one(i: int) -> list[str]:
        async with slots:
            service = await _post(client, "/api/v1/services", {"name": f"{prefix}-{i}"})
            path = f"/api/v1/services/{service['id']}/integrations"
            return [(await _post(client, path, {"name": kind, "type": kind}))["key"] for kind in kinds]

    per_service = await asyncio.gather(*(one(i) for i in range(count)))
    return [list(keys) for keys in zip(*per_service, strict=True)] if per_service else [[] for _ in kinds]
