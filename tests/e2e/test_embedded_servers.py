"""A stack with its own embedded PostgreSQL and Redis: each server stops and starts by name while the
services keep running."""

import asyncio
import shutil
import time

import httpx
import pytest

from scripts.devstack import runner
from scripts.devstack.settings import StackSettings
from shared import embedded
from tests.e2e.conftest import sign_in_as_admin, stack_settings

pytestmark = pytest.mark.e2e


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
