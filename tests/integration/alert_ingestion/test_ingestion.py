"""alert-ingestion replica → real incident-management gRPC → PostgreSQL."""

import uuid

import pytest

from tests.integration.servers import dead_target

pytestmark = pytest.mark.integration


def body(service: str, **fields) -> dict:
    return {"service": service, "severity": "critical", "summary": "checkout 5xx"} | fields


@pytest.fixture
async def ingestion(incidents, start_ingestion):
    return await start_ingestion(incidents.grpc_target, require_integration_key=False)


async def test_alert_is_stored_and_answered_202_and_resend_is_a_duplicate(ingestion, incidents):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    first = await ingestion.post("/api/v1/alerts", json=body(service, labels={"alertname": "High5xx"}))
    assert first.status_code == 202, first.text
    assert first.json()["result"] == "created" and first.headers["x-replica"] == "test-replica"
    again = await ingestion.post("/api/v1/alerts", json=body(service, labels={"alertname": "High5xx"}))
    assert again.json() == first.json() | {"result": "duplicate"}
    joined = await ingestion.post(
        "/api/v1/alerts", json=body(service, message="other", summary=None) | {"fingerprint": "f2"}
    )
    assert joined.status_code == 422  # summary present but null: named
    joined = await ingestion.post(
        "/api/v1/alerts",
        json={"service": service, "severity": "CRITICAL", "message": "x", "fingerprint": "f2"},
    )
    assert (
        joined.json()["result"] == "correlated"
        and joined.json()["incident_id"] == first.json()["incident_id"]
    )
    stored = await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service)
    assert stored == 2


async def test_batch_answers_each_alert_in_order(ingestion):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    alerts = [body(service, fingerprint=f"b{i}") for i in range(3)] + [body(service, fingerprint="b0")]
    reply = await ingestion.post("/api/v1/alerts/batch", json={"alerts": alerts})
    assert reply.status_code == 202, reply.text
    assert [r["result"] for r in reply.json()["results"]] == [
        "created",
        "correlated",
        "correlated",
        "duplicate",
    ]


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"severity": "critical", "summary": "x"}, "service"),
        ({"service": "a", "severity": "loud", "summary": "x"}, "severity"),
        ({"service": "a", "severity": "info", "summary": ""}, "summary"),
        ({"service": "a", "severity": "info"}, "summary"),
        ({"service": ["a"], "severity": "info", "summary": "x"}, "service"),
        ({"service": "a" * 201, "severity": "info", "summary": "x"}, "service"),
        ({"service": "a", "severity": "info", "summary": "x", "labels": {"k": {"n": 1}}}, "labels"),
        ({"service": "a", "severity": "info", "summary": "x", "timestamp": "soon"}, "timestamp"),
    ],
)
async def test_bad_alerts_get_422_naming_the_field(ingestion, payload, named):
    reply = await ingestion.post("/api/v1/alerts", json=payload)
    assert reply.status_code == 422
    assert named in reply.json()["detail"]


async def test_non_json_and_wrong_shapes_are_client_errors(ingestion):
    not_json = await ingestion.post(
        "/api/v1/alerts", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    empty = await ingestion.post("/api/v1/alerts", content=b"", headers={"content-type": "application/json"})
    assert empty.status_code == 422
    array = await ingestion.post("/api/v1/alerts", json=[1, 2])
    assert array.status_code == 422
    empty_batch = await ingestion.post("/api/v1/alerts/batch", json={"alerts": []})
    assert empty_batch.status_code == 422 and "alerts" in empty_batch.json()["detail"]


async def test_bodies_over_256_kib_get_413(ingestion):
    huge = body("svc", summary="x", annotations={"blob": "y" * 4000}) | {"pad": "z" * 300_000}
    reply = await ingestion.post("/api/v1/alerts", json=huge)
    assert reply.status_code == 413 and "256 KiB" in reply.json()["detail"]

    async def chunks():
        for _ in range(70):
            yield b" " * 4096

    streamed = await ingestion.post(
        "/api/v1/alerts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_batch_over_the_limit_is_refused(incidents, start_ingestion):
    client = await start_ingestion(incidents.grpc_target, max_batch_size=2, require_integration_key=False)
    reply = await client.post("/api/v1/alerts/batch", json={"alerts": [body("s")] * 3})
    assert reply.status_code == 422 and reply.json()["field"] == "alerts"


async def test_incident_management_down_gives_503_with_retry_after(start_ingestion):
    client = await start_ingestion(dead_target(), incident_timeout_seconds=1, require_integration_key=False)
    reply = await client.post("/api/v1/alerts", json=body("svc"))
    assert reply.status_code == 503
    assert reply.headers["retry-after"] and "not stored" in reply.json()["detail"]
    health = await client.get("/health")
    assert health.status_code == 503 and health.json()["down"] == ["incident_management"]
    assert (await client.get("/health/ready")).status_code == 200
