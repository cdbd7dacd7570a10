"""Dependency probes used by the health routes."""

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.http import HealthCheck


def database_check(engine: AsyncEngine) -> HealthCheck:
    async def check() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


def redis_check(client: Redis) -> HealthCheck:
    async def check() -> None:
        await client.ping()

    return check


def grpc_check(channel: grpc.aio.Channel, service: str = "") -> HealthCheck:
    stub = health_pb2_grpc.HealthStub(channel)

    async def check() -> None:
        # types-grpcio-health-checking declares HealthStub without its methods
        request = health_pb2.HealthCheckRequest(service=service)
        reply = await stub.Check(request, timeout=1.5)  # type: ignore[attr-defined]
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise RuntimeError(f"status {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}")

    return check
