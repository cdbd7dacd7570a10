"""The benchmark's replica answers its no-op route as the alert route parses and validates; the product's
replica has no such route."""

import httpx
import pytest

from scripts.bench import noop_replica
from services.alert_ingestion.config import IngestionSettings
from services.alert_ingestion.main import create_app

ALERT = {"severity": "CRITICAL", "summary": "disk full"}


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://replica")


@pytest.fixture
def settings() -> IngestionSettings:
    return IngestionSettings(_env_file=None, replica_id="bench-1")


async def test_a_valid_alert_is_accepted_and_dropped_through_the_replicas_middleware(settings):
    async with _client(noop_replica.create_noop_app(settings)) as client:
        reply = await client.post(noop_replica.PATH, json=ALERT)
    assert reply.status_code == 202 and reply.json() == {"result": "noop"}
    assert reply.headers["x-replica"] == "bench-1"


async def test_an_invalid_alert_is_refused_as_the_alert_route_refuses_it(settings):
    async with _client(noop_replica.create_noop_app(settings)) as client:
        reply = await client.post(noop_replica.PATH, json={"severity": "loud", "summary": ""})
    assert reply.status_code == 422 and {e["loc"][-1] for e in reply.json()["errors"]} == {
        "severity",
        "summary",
    }


async def test_the_products_replica_has_no_noop_route(settings):
    async with _client(create_app(settings)) as client:
        reply = await client.post(noop_replica.PATH, json=ALERT)
    assert reply.status_code == 404
