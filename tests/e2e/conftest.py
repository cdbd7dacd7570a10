"""The whole native stack (Traefik, 2 ingestion replicas, incident-management, on-call) for e2e tests."""

import os
import shutil
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from scripts.devstack import runner
from scripts.devstack.ports import free_port_values
from scripts.devstack.settings import ROOT, StackSettings
from tests.conftest import fresh_database


@dataclass
class Stack:
    settings: StackSettings
    database_url: str

    @property
    def gateway(self) -> str:
        return self.settings.gateway_url

    def stop(self, name: str) -> None:
        runner.stop(self.settings, name)

    def start(self, name: str) -> None:
        runner.start(self.settings, runner.spec_named(self.settings, name))

    async def scalar(self, sql: str, *args):
        connection = await asyncpg.connect(self.database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return await connection.fetchval(sql, *args)
        finally:
            await connection.close()


@pytest.fixture(scope="session")
def e2e_database_url(postgres_server_url):
    """The stack's own database: its background workers (escalation, assignment retries, heartbeats)
    must not act on what integration tests create in theirs."""
    with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="session")
def stack(e2e_database_url, redis_url):
    database_url = e2e_database_url
    settings = StackSettings(
        _env_file=None,
        var_dir=ROOT / "var" / f"test-e2e-{os.getpid()}",
        **free_port_values(replicas=2),
        database_url=database_url,
        redis_url=redis_url,
        rate_limit_average=100_000,
        rate_limit_burst=100_000,
        log_level="WARNING",
        service_env={
            "ASSIGNMENT_RETRY_SECONDS": "0.5",
            "ONCALL_TIMEOUT_SECONDS": "0.5",
            "EVENTS_STREAM": f"e2e-{os.getpid()}:events",
            "EVENTS_CHANNEL": f"e2e-{os.getpid()}:events:live",
        },
    )
    try:
        runner.up(settings)
        yield Stack(settings, database_url)
    finally:
        runner.down(settings)
        shutil.rmtree(settings.var_dir, ignore_errors=True)


@pytest.fixture
async def gateway(stack):
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as client:
        yield client
