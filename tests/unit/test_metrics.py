"""Requests are counted and timed by route template, never by raw path."""

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from shared.http import install_common


def _app() -> FastAPI:
    app = FastAPI()
    install_common(app)
    router = APIRouter(prefix="/things")

    @router.get("/{thing_id}")
    async def thing(thing_id: int) -> dict:
        return {"id": thing_id}

    @router.get("/broken/now")
    async def broken() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    return app


def _count(route: str, status: str, method: str = "GET") -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


@pytest.fixture(scope="module")
def client():
    return TestClient(_app(), raise_server_exceptions=False)


def test_requests_are_counted_by_route_template(client):
    before = _count("/things/{thing_id}", "200")
    for thing_id in (1, 2, 3):
        assert client.get(f"/things/{thing_id}").status_code == 200
    assert _count("/things/{thing_id}", "200") == before + 3
    assert (
        REGISTRY.get_sample_value(
            "http_requests_total", {"method": "GET", "route": "/things/1", "status": "200"}
        )
        is None
    )


def test_unmatched_paths_share_one_label(client):
    before = _count("unmatched", "404")
    client.get("/random/a1")
    client.get("/random/b2")
    assert _count("unmatched", "404") == before + 2


def test_mounted_routes_and_refusals_keep_their_template(client):
    before_mount, before_invalid = _count("/errors/{status}", "502"), _count("/things/{thing_id}", "422")
    client.get("/errors/502")
    client.get("/things/not-a-number")
    assert _count("/errors/{status}", "502") == before_mount + 1
    assert _count("/things/{thing_id}", "422") == before_invalid + 1


def test_an_unhandled_error_counts_as_500_and_is_timed(client):
    before = _count("/things/broken/now", "500")
    timed = {"method": "GET", "route": "/things/broken/now"}
    observed = REGISTRY.get_sample_value("http_request_duration_seconds_count", timed) or 0.0
    assert client.get("/things/broken/now").status_code == 500
    assert _count("/things/broken/now", "500") == before + 1
    assert REGISTRY.get_sample_value("http_request_duration_seconds_count", timed) == observed + 1


def test_metrics_route_serves_the_text_format(client):
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    assert "# TYPE http_requests_total counter" in reply.text
    assert "db_pool_connections_in_use" in reply.text
