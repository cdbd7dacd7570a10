"""The whole native stack (Traefik, 2 ingestion replicas, incident-management, on-call, notifier, web-ui)
for e2e tests, and a dashboard login on it."""

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import uuid
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
        runner.start_named(self.settings, name)

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


def stack_settings(name: str, database_url: str, redis_url: str, **overrides) -> StackSettings:
    """A native stack of its own (ports, var dir, stream) on these servers."""
    values = {
        "var_dir": ROOT / "var" / f"test-{name}-{os.getpid()}",
        **free_port_values(replicas=2),
        "database_url": database_url,
        "redis_url": redis_url,
        "rate_limit_average": 100_000,
        "rate_limit_burst": 100_000,
        "log_level": "WARNING",
        # tests/e2e/test_metrics.py runs its own Prometheus, scraping every second.
        "prometheus": False,
        "service_env": {
            "ASSIGNMENT_RETRY_SECONDS": "0.5",
            "ONCALL_TIMEOUT_SECONDS": "0.5",
            # One access token serves a whole test session.
            "AUTH_TOKEN_MINUTES": "240",
            "EVENTS_STREAM": f"{name}-{os.getpid()}:events",
            "EVENTS_CHANNEL": f"{name}-{os.getpid()}:events:live",
        },
    }
    return StackSettings(_env_file=None, **(values | overrides))


@contextlib.contextmanager
def running_stack(settings: StackSettings, database_url: str):
    try:
        runner.up(settings)
        yield Stack(settings, database_url)
    finally:
        runner.down(settings)
        shutil.rmtree(settings.var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(e2e_database_url, redis_url):
    with running_stack(stack_settings("e2e", e2e_database_url, redis_url), e2e_database_url) as running:
        yield running


def admin_token(settings: StackSettings) -> str:
    """An access token of the stack's first admin (made at start from VAR_DIR/secrets/admin-password)."""
    email, password = runner.admin_login(settings)
    reply = httpx.post(
        f"{settings.gateway_url}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


async def sign_in_as_admin(client: httpx.AsyncClient, settings: StackSettings) -> None:
    """Make `client` (any stack's gateway client, HTTPS included) call as that stack's first admin."""
    email, password = runner.admin_login(settings)
    reply = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert reply.status_code == 200, reply.text
    client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"


@pytest.fixture(scope="session")
def admin_headers(stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(stack.settings)}"}


@pytest.fixture
async def gateway(stack, admin_headers):
    """The gateway, called as the stack's admin."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10, headers=admin_headers) as client:
        yield client


@dataclass(frozen=True)
class DashboardLogin:
    name: str
    email: str
    password: str


@pytest.fixture
async def dashboard_login(stack, gateway) -> DashboardLogin:
    """A new on-call user with a dashboard password, on the session's stack."""
    return await make_dashboard_login(gateway, stack.database_url)


async def make_dashboard_login(gateway: httpx.AsyncClient, database_url: str) -> DashboardLogin:
    """A new on-call user (made through the gateway's API) given a dashboard password with the accounts
    CLI, the password on standard input as documented."""
    login = DashboardLogin(
        f"Dana {uuid.uuid4().hex[:6]}", f"dana-{uuid.uuid4().hex[:8]}@example.com", "dashboard e2e password"
    )
    made = await gateway.post("/api/v1/users", json={"name": login.name, "email": login.email})
    assert made.status_code == 201, made.text
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.oncall_service.accounts", "set-password", "--email", login.email],
        input=login.password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=60,
    )
    assert done.returncode == 0 and "set the password of" in done.stdout, done.stderr
    return login
