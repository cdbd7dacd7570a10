"""Session fixtures: real PostgreSQL and Redis (embedded under ./var/test unless DATABASE_URL/REDIS_URL)."""

import contextlib
import os
import secrets
import time
import uuid
from pathlib import Path

import pytest

from scripts.devstack.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
TEST_VAR = ROOT / "var" / "test"
# One key for every service a test starts (they read it from the environment, as deployed services do).
os.environ.setdefault("AUTH_JWT_SECRET", secrets.token_hex(32))
# The admin every test database is cloned with: its access token authenticates the tests' API calls.
TEST_ADMIN_ID = uuid.UUID("00000000-0000-4000-8000-00000000ad01")


def bearer_headers(user_id: uuid.UUID = TEST_ADMIN_ID, *, ttl_seconds: int = 3600) -> dict[str, str]:
    """An Authorization header with an access token of `user_id`, signed with the tests' key."""
    from shared.auth import API_AUDIENCE, issue_jwt

    token = issue_jwt(
        os.environ["AUTH_JWT_SECRET"],
        user_id=user_id,
        audience=API_AUDIENCE,
        now=int(time.time()),
        ttl_seconds=ttl_seconds,
    )
    return {"Authorization": f"Bearer {token}"}


# One internal credential for the whole run, set before any settings are read: every service's settings,
# every gRPC server and every channel of the tests (and the stacks they start) then share it.
os.environ.setdefault("INTERNAL_TOKEN", secrets.token_hex(32))


@pytest.fixture(scope="session")
def postgres_server_url():
    """URL of a PostgreSQL server (no database chosen yet) for the whole session."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from shared import embedded

    data_dir = TEST_VAR / f"pg-{os.getpid()}"
    url = embedded.start_postgres(data_dir, free_port(), database="oncall", durable=False)
    try:
        yield url
    finally:
        embedded.stop_postgres(data_dir)
        embedded.remove_postgres(data_dir)


@pytest.fixture(scope="session")
def redis_url():
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    from shared import embedded

    data_dir = TEST_VAR / f"redis-{os.getpid()}"
    url = embedded.start_redis(data_dir, free_port())
    try:
        yield url
    finally:
        embedded.stop_redis(data_dir)
        _remove(data_dir)


@contextlib.contextmanager
def fresh_database(postgres_server_url: str, *, migrated: bool = True):
    """A new database on the server, migrated unless told not to, dropped afterwards; yields its URL."""
    import asyncio

    import asyncpg

    from shared import migrate

    base = postgres_server_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"oncall_test_{uuid.uuid4().hex[:10]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = postgres_server_url.rsplit("/", 1)[0] + f"/{name}"
    if migrated:
        migrate.upgrade(url)
    try:
        yield url
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def template_database_url(postgres_server_url):
    """A migrated database that only serves as the template each test's database is cloned from, with
    the tests' admin in it."""
    import asyncio

    import asyncpg

    async def add_admin(url: str) -> None:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await connection.execute(
                "INSERT INTO users (id, name, email, time_zone, role)"
                " VALUES ($1, 'Test Admin', 'admin@tests.local', 'UTC', 'admin')",
                TEST_ADMIN_ID,
            )
        finally:
            await connection.close()

    with fresh_database(postgres_server_url) as url:
        asyncio.run(add_admin(url))
        yield url


@pytest.fixture
async def database_url(template_database_url):
    """A database of this test alone, cloned from the migrated template. Each test's in-process workers
    (escalation, assignment retries, the outbox relay) then act on that test's rows only."""
    import asyncpg

    server, template = template_database_url.rsplit("/", 1)
    name = f"oncall_test_{uuid.uuid4().hex[:10]}"
    admin = server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield f"{server}/{name}"
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
