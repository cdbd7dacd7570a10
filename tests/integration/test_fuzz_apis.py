"""Hostile input never costs a 5xx: every OpenAPI operation of each service, fuzzed against the real
server (FUZZ_EXAMPLES cases per operation; `make test-fuzz` raises it)."""

import asyncio

import pytest

from tests.conftest import bearer_headers
from tests.integration.alert_ingestion.conftest import start_ingestion  # noqa: F401
from tests.integration.alert_ingestion.test_formats import make_integration
from tests.integration.fuzzing import fuzz_api
from tests.integration.incident_fixtures import incidents, start_incident_stack  # noqa: F401
from tests.integration.notifier.conftest import start_notifier  # noqa: F401
from tests.integration.oncall_fixtures import oncall, start_oncall_stack  # noqa: F401

pytestmark = pytest.mark.integration

# Which integration's key each ingestion route is called with (the native API's otherwise); the
# heartbeat route takes its key in the path, so it gets generated ones.
_KINDS = ("alertmanager", "grafana", "webhook")


async def _fuzz(http, headers_for) -> None:
    openapi = (await http.get("/openapi.json")).json()
    sent = await asyncio.to_thread(fuzz_api, openapi, str(http.base_url), headers_for=headers_for)
    assert sent and all(sent.values()), sent


async def test_incident_management_api_never_answers_5xx(incidents):  # noqa: F811
    await _fuzz(incidents.http, lambda path: bearer_headers())


async def test_oncall_api_never_answers_5xx(oncall):  # noqa: F811
    await _fuzz(oncall.http, lambda path: bearer_headers())


async def test_notifier_api_never_answers_5xx(start_notifier):  # noqa: F811
    notifier = await start_notifier()
    await _fuzz(notifier.http, lambda path: bearer_headers())


async def test_ingestion_api_never_answers_5xx(incidents, start_ingestion):  # noqa: F811
    ingestion = await start_ingestion(incidents.grpc_target)
    configs = {"webhook": {"summary": "/title", "dedup_key": "/id"}}
    keys = {
        kind: (await make_integration(incidents, kind, configs.get(kind)))["key"]
        for kind in ("api", "pagerduty", *_KINDS)
    }

    def headers_for(path: str) -> dict:
        kind = next((kind for kind in _KINDS if kind in path), "pagerduty" if "enqueue" in path else "api")
        return {"Authorization": f"Bearer {keys[kind]}"}

    await _fuzz(ingestion, headers_for)
