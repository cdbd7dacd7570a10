"""Retries, slow endpoints, the webhook API (secrets, rotation, SSRF, delivery log, redelivery)."""

import asyncio
import logging
import uuid
from datetime import timedelta
from types import SimpleNamespace

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.notifier.webhook_worker import Outcome
from shared.timeutil import utcnow
from shared.webhook_signature import parse_header, verify
from tests.integration.notifier.conftest import created_event_ids, eventually, trigger, unique_stream

pytestmark = pytest.mark.integration


def _webhook_metrics() -> tuple[float, float, float]:
    """notifications_sent_total of webhooks delivered and failed, and webhook POSTs timed."""
    sample = REGISTRY.get_sample_value
    return (
        sample("notifications_sent_total", {"channel": "webhook", "outcome": "delivered"}) or 0,
        sample("notifications_sent_total", {"channel": "webhook", "outcome": "failed"}) or 0,
        sample("webhook_delivery_seconds_count") or 0,
    )


async def test_receiver_answering_500_then_200_gets_the_event_after_retries(pair, start_receiver):
    incidents, notifier = pair
    before = _webhook_metrics()
    flaky = await start_receiver(fail_first=2)
    webhook = await notifier.subscribe(flaky)
    [incident_id] = await trigger(incidents)
    [event_id] = await created_event_ids(incidents, [incident_id])
    deliveries = await eventually(lambda: _delivered(notifier, webhook["id"]), within=10)
    [delivery] = deliveries
    assert delivery["event_id"] == event_id and delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 204]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempt_log"])
    assert [r.event_id for r in flaky.requests] == [event_id] * 3  # retries carry the same event id
    after = _webhook_metrics()
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 2, 3]


async def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(pair, start_receiver):
    """A redirect could point anywhere (internal services included): the attempt fails with its status."""
    incidents, notifier = pair
    elsewhere = await start_receiver()
    redirecting = await start_receiver(redirect_to=elsewhere.url)
    webhook = await notifier.subscribe(redirecting)
    [incident_id] = await trigger(incidents)

    async def attempted():
        deliveries = await notifier.deliveries(webhook["id"])
        return deliveries if deliveries and deliveries[0]["attempt_log"] else None

    [delivery] = await eventually(attempted, within=10)
    assert delivery["status"] == "pending"  # retried later, like any failure
    assert delivery["attempt_log"][0]["status_code"] == 307
    assert delivery["attempt_log"][0]["error"] == "HTTP 307"
    assert redirecting.types_of(incident_id) == {"incident.triggered"}
    assert elsewhere.requests == []


async def _delivered(notifier, webhook_id: str):
    deliveries = await notifier.deliveries(webhook_id)
    return deliveries if deliveries and all(d["status"] == "delivered" for d in deliveries) else None


async def test_never_answering_receiver_does_not_delay_others(
    start_incident_stack, start_notifier, start_receiver, black_hole
):
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream)
    notifier = await start_notifier(events_stream=stream, webhook_timeout_seconds=5)
    healthy = await start_receiver()
    stuck = await notifier.subscribe(url=black_hole)
    await notifier.subscribe(healthy)
    incident_ids = await trigger(incidents, 6)
    created = await created_event_ids(incidents, incident_ids)
    await eventually(lambda: healthy.event_ids_for(incident_ids) == created, within=10)
    assert max(r.latency for r in healthy.requests) < 2.5  # each well before the dead endpoint's timeout
    assert {d["status"] for d in await notifier.deliveries(stuck["id"])} == {"pending"}


async def test_deliveries_beyond_an_endpoints_free_slots_are_sent_as_slots_free_not_after_the_lease(
    start_incident_stack, start_notifier, start_receiver
):
    """One slot for the endpoint and four of its deliveries due at once: only what a slot is free for is
    leased (a leased row waits for its lease to run out before anyone else sends it)."""
    stream = unique_stream()
    options = {
        "webhook_per_endpoint_concurrency": 1,
        "webhook_timeout_seconds": 3,
        "webhook_lease_margin_seconds": 3,  # a row held until its lease ran out would wait 6 s
    }
    slow = await start_receiver(delay=0.3)
    await (await start_notifier(events_stream=unique_stream(), **options)).subscribe(slow)
    incidents = await start_incident_stack(events_stream=stream)
    incident_ids = await trigger(incidents, 4)
    created = await created_event_ids(incidents, incident_ids)
    await eventually(lambda: _stream_length(incidents, stream, at_least=len(created)))
    await start_notifier(events_stream=stream, **options)  # reads the four in one batch
    await eventually(lambda: slow.event_ids_for(incident_ids) == created, within=10)
    arrivals = sorted(r.at for r in slow.requests_for(incident_ids))
    assert arrivals[-1] - arrivals[0] < 3.0, arrivals  # one after the other, none waited for a lease


async def test_replicas_racing_for_the_same_due_deliveries_send_each_once(
    start_incident_stack, start_notifier, start_receiver
):
    """Three replicas find the same rows due; the lease re-checks each row, so only one sends it."""
    stream = unique_stream()
    receiver = await start_receiver()
    await (await start_notifier(events_stream=unique_stream())).subscribe(receiver)
    incidents = await start_incident_stack(events_stream=stream)
    incident_ids = await trigger(incidents, 30)
    created = await created_event_ids(incidents, incident_ids)
    await eventually(lambda: _stream_length(incidents, stream, at_least=len(created)))
    await asyncio.gather(*(start_notifier(events_stream=stream, stream_batch=10) for _ in range(3)))
    await eventually(lambda: receiver.event_ids_for(incident_ids) == created, within=10)
    await asyncio.sleep(0.5)  # time for a duplicate send to arrive
    assert len(receiver.requests_for(incident_ids)) == len(created)


async def _stream_length(stack, stream: str, *, at_least: int) -> bool:
    return await stack.runtime.redis.xlen(stream) >= at_least


async def test_endpoint_failing_past_the_retry_window_is_dead_lettered_then_redelivered(
    start_incident_stack, start_notifier, start_receiver
):
    stream = unique_stream()
    incidents = await start_incident_stack(events_stream=stream)
    notifier = await start_notifier(events_stream=stream, webhook_retry_seconds=0.5)
    down = await start_receiver(fail_first=1000)
    webhook = await notifier.subscribe(down)
    await trigger(incidents)
    [dead] = await eventually(lambda: _with_status(notifier, webhook["id"], "dead"), within=10)
    assert dead["attempts"] >= 2 and dead["last_status_code"] == 500

    down.fail_first = 0
    reply = await notifier.http.post(f"/api/v1/webhooks/{webhook['id']}/deliveries/{dead['id']}/redeliver")
    assert reply.status_code == 202 and reply.json()["status"] == "pending"
    [delivered] = await eventually(lambda: _with_status(notifier, webhook["id"], "delivered"), within=10)
    assert delivered["attempt_log"][-1]["status_code"] == 204
    # Every attempt names its delivery, so a receiver can tell a redelivery from a new event.
    assert {r.delivery_id for r in down.requests} == {dead["id"]}


async def _with_status(notifier, webhook_id: str, status: str):
    deliveries = await notifier.deliveries(webhook_id)
    return deliveries if deliveries and all(d["status"] == status for d in deliveries) else None


async def test_secret_is_shown_once_and_never_listed_or_logged(pair, start_receiver, caplog):
    incidents, notifier = pair
    receiver = await start_receiver()
    caplog.set_level(logging.DEBUG)
    created = await notifier.subscribe(receiver, event_types=["incident.triggered"])
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    listed = (await notifier.http.get("/api/v1/webhooks")).text
    single = (await notifier.http.get(f"/api/v1/webhooks/{created['id']}")).text
    patched = await notifier.http.patch(f"/api/v1/webhooks/{created['id']}", json={"description": "ops"})
    assert patched.status_code == 200 and patched.json()["description"] == "ops"
    [incident_id] = await trigger(incidents)
    await eventually(lambda: len(receiver.requests) == 1)
    # The attempt is logged once recorded, a moment after the receiver has the request.
    deliveries = await eventually(lambda: _with_status(notifier, created["id"], "delivered"))
    for shown in (listed, single, patched.text):
        assert created["id"] in shown and secret not in shown and '"secret"' not in shown
    assert deliveries and secret not in str(deliveries)
    logged = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "webhook attempt" in logged and secret not in logged


async def test_rotated_secret_signs_with_both_until_the_grace_period_ends(pair, start_receiver):
    incidents, notifier = pair
    receiver = await start_receiver()
    webhook = await notifier.subscribe(receiver)
    old = webhook["secret"]
    reply = await notifier.http.post(f"/api/v1/webhooks/{webhook['id']}/rotate-secret")
    assert reply.status_code == 200, reply.text
    new = reply.json()["secret"]
    assert new != old and reply.json()["previous_secret_expires_at"]
    receiver.secrets[:] = [new]
    await trigger(incidents)
    [received] = await eventually(lambda: receiver.requests)
    _, digests = parse_header(received.signature)
    assert len(digests) == 2
    body_ok = received.verified
    assert body_ok
    assert "secret" not in (await notifier.http.get(f"/api/v1/webhooks/{webhook['id']}")).json()


async def test_internal_urls_are_refused_unless_allowed_twice(start_notifier):
    strict = await start_notifier(webhook_allow_internal_targets=False)
    for url in (
        "http://127.0.0.1:9999/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://localhost:8002/api/v1/incidents",
    ):
        for allow in (False, True):
            reply = await strict.http.post("/api/v1/webhooks", json={"url": url, "allow_internal": allow})
            assert reply.status_code == 422 and "refused" in reply.json()["detail"], (url, reply.text)
    reply = await strict.http.post("/api/v1/webhooks", json={"url": "ftp://example.com/x"})
    assert reply.status_code == 422
    permissive = await start_notifier(webhook_allow_internal_targets=True)
    refused = await permissive.http.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9999/hook"})
    assert refused.status_code == 422  # the subscription did not ask
    allowed = await permissive.http.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9999/hook", "allow_internal": True}
    )
    assert allowed.status_code == 201
    deleted = await permissive.http.delete(f"/api/v1/webhooks/{allowed.json()['id']}")
    assert deleted.status_code == 204
    assert (await permissive.http.get(f"/api/v1/webhooks/{allowed.json()['id']}")).status_code == 404


def test_signature_of_a_real_delivery_fails_when_tampered():
    body = b'{"id":"x"}'
    header = "t=1,v1=" + "0" * 64
    assert not verify(header, body, ["whsec_x"], now=1)


async def test_events_are_also_published_live_for_the_dashboard(pair):
    incidents, _ = pair
    pubsub = incidents.runtime.redis.pubsub()
    await pubsub.subscribe(incidents.settings.events_channel)
    try:
        [incident_id] = await trigger(incidents)
        seen = []  # other runtimes of the session may publish on the same channel: find ours
        for _ in range(100):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message:  # a batch of events per message
                seen += orjson.loads(message["data"])
                if any(e["data"]["id"] == incident_id for e in seen):
                    break
        ours = [e for e in seen if e["data"]["id"] == incident_id]
        assert ours and ours[0]["type"] == "incident.triggered", seen
    finally:
        await pubsub.aclose()


async def insert_deliveries(
    notifier, webhook: dict, *, count: int, at, status: str = "pending", attempts: int = 0
) -> list[dict]:
    """`count` deliveries of the webhook written directly, due (and leased) at `at`."""
    rows = [
        {"id": uuid.uuid4(), "event": uuid.uuid4(), "sub": uuid.UUID(webhook["id"]), "at": at}
        for _ in range(count)
    ]
    async with notifier.runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, status, "
                "attempts, next_attempt_at, retry_until, created_at) VALUES (:id, :sub, :event, "
                "'incident.triggered', '{}', :status, :attempts, :at, :at, now())"
            ),
            [row | {"status": status, "attempts": attempts} for row in rows],
        )
    return rows


async def test_attempts_finishing_together_share_one_transaction_and_keep_their_outcomes(start_notifier):
    """Successes go in one statement together, failures (whose retry is computed from the row) in one
    transaction together."""
    notifier = await start_notifier(events_stream=unique_stream())
    webhook = await notifier.subscribe(url="http://127.0.0.1:9/hook")
    later = utcnow() + timedelta(hours=1)  # leased far ahead: the notifier's own worker leaves them alone
    rows = await insert_deliveries(notifier, webhook, count=4, at=later)
    async with notifier.runtime.engine.begin() as connection:
        claimed = (
            await connection.execute(
                text("SELECT id, subscription_id, event_id FROM webhook_deliveries WHERE id = ANY(:ids)"),
                {"ids": [r["id"] for r in rows]},
            )
        ).all()
    by_id = {row.id: row for row in claimed}
    outcomes = [
        Outcome(204, 3.0, None),
        Outcome(200, 3.5, None),
        Outcome(500, 4.0, "HTTP 500"),
        Outcome(None, 5.0, "refused"),
    ]
    worker = notifier.runtime.webhooks
    await asyncio.gather(*(worker.record(by_id[r["id"]], o) for r, o in zip(rows, outcomes, strict=True)))

    async with notifier.runtime.engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT d.id, d.status, d.attempts, d.last_status_code, d.last_error, d.delivered_at, "
                "d.next_attempt_at, a.status_code, a.latency_ms, a.xmin::text AS tx "
                "FROM webhook_deliveries d "
                "JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.id = ANY(:ids)"
            ),
            {"ids": [r["id"] for r in rows]},
        )
        state = {row.id: row for row in result}
    ok, also_ok, failed, refused = (state[r["id"]] for r in rows)
    assert ok.tx == also_ok.tx and failed.tx == refused.tx  # four attempts, two writes
    for row, code, latency in ((ok, 204, 3.0), (also_ok, 200, 3.5)):
        assert (row.status, row.attempts, row.last_status_code, row.status_code) == (
            "delivered",
            1,
            code,
            code,
        )
        assert row.delivered_at is not None and row.last_error is None and row.latency_ms == latency
        assert row.next_attempt_at == later  # out of the due set by its status; the lease is left as it was
    for row, code, error in ((failed, 500, "HTTP 500"), (refused, None, "refused")):
        assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("pending", 1, code, error)
        assert row.delivered_at is None and row.next_attempt_at < later  # the retry is scheduled


async def test_a_success_on_a_settled_or_deleted_delivery_is_logged_without_changing_it(start_notifier):
    """A delivery dead-lettered meanwhile keeps its status (the attempt is logged); one deleted with its
    subscription is skipped without failing the others."""
    notifier = await start_notifier(events_stream=unique_stream())
    webhook = await notifier.subscribe(url="http://127.0.0.1:9/hook")
    later = utcnow() + timedelta(hours=1)
    [dead] = await insert_deliveries(notifier, webhook, count=1, at=later, status="dead", attempts=7)
    gone = SimpleNamespace(id=uuid.uuid4(), subscription_id=uuid.UUID(webhook["id"]), event_id=uuid.uuid4())
    settled = SimpleNamespace(id=dead["id"], subscription_id=dead["sub"], event_id=dead["event"])
    worker = notifier.runtime.webhooks
    await asyncio.gather(
        worker.record(settled, Outcome(200, 2.0, None)), worker.record(gone, Outcome(204, 1.0, None))
    )

    async with notifier.runtime.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT d.status, d.attempts, d.delivered_at, count(a.id) AS logged "
                    "FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id "
                    "WHERE d.id = :id GROUP BY d.id"
                ),
                {"id": dead["id"]},
            )
        ).one()
        orphans = await connection.scalar(
            text("SELECT count(*) FROM webhook_attempts WHERE delivery_id = :id"), {"id": gone.id}
        )
    assert (row.status, row.attempts, row.delivered_at, row.logged) == ("dead", 7, None, 1)
    assert orphans == 0
