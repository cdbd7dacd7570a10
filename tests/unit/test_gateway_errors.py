"""Every app answers the gateway's error pages in the shape of its own errors, for any method and path."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.http import install_common


def _client() -> TestClient:
    app = FastAPI()
    install_common(app)
    return TestClient(app)


def test_error_page_is_the_json_error_body_with_its_status():
    reply = _client().get("/errors/502")
    assert reply.status_code == 502
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"detail": "the service did not answer; retry"}


def test_refusals_to_retry_say_when():
    client = _client()
    for status in (429, 503):
        reply = client.get(f"/errors/{status}")
        assert (reply.status_code, reply.headers["retry-after"]) == (status, "1")
    assert "retry-after" not in client.get("/errors/404").headers


def test_a_request_sent_on_whole_gets_the_page_of_the_status_before_its_path():
    reply = _client().post("/errors/503/api/v1/alerts", json={"summary": "x"})
    assert reply.status_code == 503 and "unavailable" in reply.json()["detail"]


def test_statuses_that_are_not_errors_are_not_found():
    assert _client().get("/errors/200").status_code == 404
    assert _client().get("/errors/418").json() == {"detail": "I'm a Teapot"}
