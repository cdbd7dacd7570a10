"""A stack with its own embedded PostgreSQL and Redis: each server stops and starts by name while the
services keep running, and a backup taken from the running stack restores into an empty one."""

import asyncio
import shutil
import stat
import time
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from scripts import backup
from scripts.devstack import runner
from scripts.devstack.settings import StackSettings
from shared import embedded
from shared.config import libpq_url
from tests.e2e.conftest import sign_in_as_admin, stack_settings

pytestmark = pytest.mark.e2e

TABLES = (
    "users teams rotations schedules escalation_policies services integrations webhook_subscriptions"
    " incidents alerts"
).split()


@pytest.fixture(scope="module")
def settings():
    """A stack on embedded servers of its own (so that they can be stopped), removed afterwards."""
    settings = stack_settings("servers", database_url=None, redis_url=None)
    try:
        runner.up(settings)
        yield settings
    finally:
        runner.down(settings)
        embedded.remove_postgres(settings.var_dir / "pg")
        shutil.rmtree(settings.var_dir, ignore_errors=True)


async def fetch(settings: StackSettings, sql: str, *args) -> list[asyncpg.Record]:
    url = libpq_url(runner.backends_of(settings).database_url)
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def counts(settings: StackSettings) -> dict[str, int]:
    return {table: (await fetch(settings, f"SELECT count(*) FROM {table}"))[0][0] for table in TABLES}


async def eventually(check, within: float = 20.0):
    """The first truthy result of `check()`, polled for `within` seconds."""
    deadline = time.monotonic() + within
    while not (result := await check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)
    return result


async def serves(settings: StackSettings) -> bool:
    """The gateway answers an admin's call to incident-management and on-call."""
    async with httpx.AsyncClient(base_url=settings.gateway_url, timeout=5) as client:
        try:
            await sign_in_as_admin(client, settings)
            replies = [await client.get(path) for path in ("/api/v1/incidents", "/api/v1/users")]
        except (httpx.HTTPError, AssertionError):
            return False
    return all(reply.status_code == 200 for reply in replies)


def state(settings: StackSettings, name: str) -> tuple[bool, bool]:
    """(running, healthy) of `name` as `make status` shows it."""
    return next((pid is not None, ok) for row_name, pid, ok in runner.status(settings) if row_name == name)


@pytest.mark.parametrize("name", ["postgres", "redis"])
async def test_an_embedded_server_stops_and_starts_by_name_and_the_stack_serves_again(settings, name):
    assert runner.stop(settings, name) is True
    assert state(settings, name) == (False, False)
    runner.start_named(settings, name)
    assert state(settings, name) == (True, True)
    await eventually(lambda: serves(settings), within=30)


async def populate(client: httpx.AsyncClient) -> str:
    """One of each: user, team, rotation, schedule, policy, service, integration, webhook, and an alert
    that opens an incident. Returns the integration's key."""

    async def post(path: str, body: dict) -> dict:
        reply = await client.post(path, json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    user = await post("/api/v1/users", {"name": "Rita Restore", "email": "rita@example.com"})
    team = await post("/api/v1/teams", {"name": "storage", "services": ["blob-api"]})
    rotation = {"team_id": team["id"], "name": "primary", "time_zone": "UTC", "handoff_weekday": 0}
    rotation |= {"handoff_time": "09:00", "start_date": "2026-01-05", "member_ids": [user["id"]]}
    await post("/api/v1/rotations", rotation)
    await post(
        "/api/v1/schedules", {"name": "storage follow-the-sun", "time_zone": "UTC", "team_id": team["id"]}
    )
    levels = [{"targets": [{"type": "user", "id": user["id"]}]}]
    policy = await post("/api/v1/escalation-policies", {"name": "storage critical", "levels": levels})
    service = await post(
        "/api/v1/services", {"name": "blob-api", "team": "storage", "escalation_policy_id": policy["id"]}
    )
    integration = await post(f"/api/v1/services/{service['id']}/integrations", {"name": "api", "type": "api"})
    await post(
        "/api/v1/webhooks", {"url": "https://93.184.215.14/oncall", "event_types": ["incident.resolved"]}
    )
    key = integration["key"]
    await send_alert(client, key, "disk-full")
    return key


async def send_alert(client: httpx.AsyncClient, key: str, fingerprint: str) -> None:
    body = {"severity": "critical", "summary": "disk full on blob-3", "fingerprint": fingerprint}
    reply = await client.post("/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {key}"})
    assert reply.status_code == 202, reply.text


async def test_a_backup_restores_into_an_empty_stack_which_takes_alerts_with_the_old_keys(settings):
    async with httpx.AsyncClient(base_url=settings.gateway_url, timeout=10) as client:
        await sign_in_as_admin(client, settings)
        key = await populate(client)
    before = await eventually(lambda: _with_incident(settings))
    assert all(before.values()), before
    sample = await rows(settings)
    dump = await asyncio.to_thread(backup.dump, settings, now=datetime.now(UTC))
    assert dump.parent == settings.backup_dir and dump.name.startswith("oncall-")
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.backup_dir.stat().st_mode) == 0o700

    with pytest.raises(backup.BackupError, match="the stack is running"):
        backup.restore(settings, dump)
    await asyncio.to_thread(runner.down, settings)
    embedded.remove_postgres(settings.var_dir / "pg")  # an empty stack: no cluster, no Redis data
    shutil.rmtree(settings.var_dir / "redis")
    await asyncio.to_thread(backup.restore, settings, dump)
    assert embedded.postgres_pid(settings.var_dir / "pg") is None  # left stopped, as it was found
    await asyncio.to_thread(runner.up, settings)  # migrations run in their own event loop

    assert await counts(settings) == before
    assert await rows(settings) == sample
    async with httpx.AsyncClient(base_url=settings.gateway_url, timeout=10) as client:
        await send_alert(client, key, "disk-full-again")
    await eventually(lambda: _count_is(settings, "alerts", before["alerts"] + 1))


async def rows(settings: StackSettings) -> list[list[asyncpg.Record]]:
    """The incidents and the users (their password hashes included), as they are stored."""
    return [
        await fetch(settings, "SELECT id, title, service, severity, status FROM incidents"),
        await fetch(settings, "SELECT id, email, role, password_hash FROM users ORDER BY email"),
    ]


async def _with_incident(settings: StackSettings) -> dict[str, int] | None:
    found = await counts(settings)
    return found if found["incidents"] and found["alerts"] else None


async def _count_is(settings: StackSettings, table: str, expected: int) -> bool:
    return (await fetch(settings, f"SELECT count(*) FROM {table}"))[0][0] == expected
