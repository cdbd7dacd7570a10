"""Dependency probes used by the health routes."""

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def database_check(engine: AsyncEngine):
    async def check() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


def redis_check(client: Redis):
    async def check() -> None:
        await client.ping()

    return check


def grpc_check(channel: grpc.aio.Channel, service: str = ""):
    stub = health_pb2_grpc.HealthStub(channel)

    async def check() -> None:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.5)
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise RuntimeError(f"status {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}")

    return check


def http_check(client: httpx.AsyncClient, url: str):
    """Another service's HTTP health URL answering 200 (e.g. `<base>/health/live`)."""

    async def check() -> None:
        reply = await client.get(url, timeout=1.5)
        if reply.status_code != 200:
            raise RuntimeError(f"{url} answered {reply.status_code}")

    return check
