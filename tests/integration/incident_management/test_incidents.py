"""incident-management against real PostgreSQL, Redis and gRPC."""

import asyncio
import uuid

import grpc
import orjson
import pytest
from redis.asyncio import Redis

from shared.gen.oncall.v1 import incident_pb2
from tests.integration.incident_fixtures import alert

pytestmark = pytest.mark.integration


def unique_service() -> str:
    return f"svc-{uuid.uuid4().hex[:8]}"


async def test_new_alert_creates_incident_and_matching_alert_joins_it(incidents):
    service = unique_service()
    first = await incidents.grpc.IngestAlert(alert(service))
    second = await incidents.grpc.IngestAlert(alert(service))
    other = await incidents.grpc.IngestAlert(alert(service, severity="warning"))
    assert (first.result, second.result, other.result) == ("created", "correlated", "created")
    assert second.incident_id == first.incident_id != other.incident_id
    body = (await incidents.http.get(f"/api/v1/incidents/{first.incident_id}")).json()
    assert body["alert_count"] == 2 and body["status"] == "open" and body["title"] == "disk full"
    assert {a["id"] for a in body["alerts"]} == {first.alert_id, second.alert_id}
    assert body["created_at"].endswith("Z")


async def test_same_fingerprint_on_open_incident_is_a_duplicate_not_a_new_alert(incidents):
    service = unique_service()
    first = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-1" + service))
    again = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-1" + service))
    assert again.result == "duplicate"
    assert (again.alert_id, again.incident_id) == (first.alert_id, first.incident_id)
    body = (await incidents.http.get(f"/api/v1/incidents/{first.incident_id}")).json()
    assert body["alert_count"] == 1 and body["duplicate_count"] == 1
    assert body["alerts"][0]["duplicate_count"] == 1


async def test_fingerprint_of_resolved_incident_opens_a_new_one(incidents):
    service = unique_service()
    first = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-r" + service))
    await incidents.http.post(f"/api/v1/incidents/{first.incident_id}/resolve")
    again = await incidents.grpc.IngestAlert(alert(service, fingerprint="fp-r" + service))
    assert again.result == "created" and again.incident_id != first.incident_id


async def test_alert_outside_correlation_window_opens_new_incident(start_incident_stack):
    stack = await start_incident_stack(correlation_window_seconds=0)
    service = unique_service()
    first = await stack.grpc.IngestAlert(alert(service))
    second = await stack.grpc.IngestAlert(alert(service))
    assert second.result == "created" and second.incident_id != first.incident_id


async def test_fifty_concurrent_matching_alerts_on_two_replicas_make_one_incident(start_incident_stack):
    replicas = [await start_incident_stack(), await start_incident_stack()]
    service = unique_service()
    replies = await asyncio.gather(
        *(
            replicas[i % 2].grpc.IngestAlert(alert(service, fingerprint=f"{service}-{i % 45}"))
            for i in range(50)
        )
    )
    assert len({r.incident_id for r in replies}) == 1
    assert sorted(r.result for r in replies).count("created") == 1
    assert sum(r.result == "duplicate" for r in replies) == 5
    stack = replicas[0]
    assert await stack.scalar("SELECT count(*) FROM incidents WHERE service = :s", s=service) == 1
    assert await stack.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service) == 45
    assert (
        await stack.scalar(
            "SELECT alert_count + duplicate_count FROM incidents WHERE service = :s", s=service
        )
        == 50
    )


async def test_acknowledge_then_resolve_sets_mtta_and_mttr_once(incidents):
    created = await incidents.grpc.IngestAlert(alert(unique_service()))
    url = f"/api/v1/incidents/{created.incident_id}"
    await asyncio.sleep(0.05)
    # A body's "actor" is not who acts: the authenticated caller is (the tests' admin).
    acked = await incidents.http.post(f"{url}/acknowledge", json={"actor": "alice"})
    assert acked.status_code == 200, acked.text
    acked = acked.json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "Test Admin"
    assert acked["mtta_seconds"] >= 0.05 and acked["mttr_seconds"] is None
    again = await incidents.http.post(f"{url}/acknowledge")
    assert again.status_code == 409 and "acknowledged" in again.json()["detail"]
    resolved = (await incidents.http.post(f"{url}/resolve", json={"actor": "bob"})).json()
    assert resolved["status"] == "resolved" and resolved["mttr_seconds"] >= acked["mtta_seconds"]
    assert resolved["acknowledged_at"] == acked["acknowledged_at"]
    for action in ("acknowledge", "resolve"):
        late = await incidents.http.post(f"{url}/{action}")
        assert late.status_code == 409
    detail = (await incidents.http.get(url)).json()
    assert detail["resolved_at"] == resolved["resolved_at"]
    kinds = [entry["kind"] for entry in detail["timeline"]]
    assert kinds[0] == "triggered" and kinds[-2:] == ["acknowledged", "resolved"], detail["timeline"]
    assert detail["timeline"][-1]["actor"] == "Test Admin"


async def test_resolve_straight_from_open_is_allowed_over_grpc(incidents):
    created = await incidents.grpc.IngestAlert(alert(unique_service()))
    reply = await incidents.grpc.ResolveIncident(incident_pb2.ResolveIncidentRequest(id=created.incident_id))
    assert reply.incident.status == "resolved" and reply.incident.mttr_seconds >= 0
    assert reply.incident.mtta_seconds == -1
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await incidents.grpc.AcknowledgeIncident(
            incident_pb2.AcknowledgeIncidentRequest(id=created.incident_id)
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_patch_adds_note_and_moves_status(incidents):
    created = await incidents.grpc.IngestAlert(alert(unique_service()))
    url = f"/api/v1/incidents/{created.incident_id}"
    reply = await incidents.http.patch(url, json={"note": "looking at it", "status": "acknowledged"})
    assert reply.status_code == 200 and reply.json()["status"] == "acknowledged"
    timeline = (await incidents.http.get(url)).json()["timeline"]
    assert {"kind": "note", "actor": "Test Admin", "message": "looking at it"}.items() <= timeline[-2].items()
    forged = await incidents.http.patch(url, json={"note": "x", "actor": "carol"})
    assert forged.status_code == 422 and "actor" in forged.json()["detail"]
    bad = await incidents.http.patch(url, json={"status": "open"})
    assert bad.status_code == 409
    unknown = await incidents.http.patch(url, json={"colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]


async def test_unknown_and_malformed_ids_are_client_errors(incidents):
    assert (await incidents.http.get(f"/api/v1/incidents/{uuid.uuid4()}")).status_code == 404
    malformed = await incidents.http.get("/api/v1/incidents/not-a-uuid")
    assert malformed.status_code == 422 and "incident_id" in malformed.json()["detail"]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await incidents.grpc.GetIncident(incident_pb2.GetIncidentRequest(id="nope"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await incidents.grpc.IngestAlert(alert("svc", severity="loud"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_filters_and_pages_stably(incidents):
    service = unique_service()
    ids = [
        (await incidents.grpc.IngestAlert(alert(service, severity=s))).incident_id
        for s in ("critical", "high", "info")
    ]
    await incidents.http.post(f"/api/v1/incidents/{ids[1]}/acknowledge")
    page = (await incidents.http.get("/api/v1/incidents", params={"service": service, "limit": 2})).json()
    assert page["total"] == 3 and page["more"] is True
    rest = (
        await incidents.http.get("/api/v1/incidents", params={"service": service, "limit": 2, "offset": 2})
    ).json()
    listed = [i["id"] for i in page["incidents"] + rest["incidents"]]
    assert listed == list(reversed(ids))
    acked = (
        await incidents.http.get("/api/v1/incidents", params={"service": service, "status": "acknowledged"})
    ).json()
    assert [i["id"] for i in acked["incidents"]] == [ids[1]]
    bad = await incidents.http.get("/api/v1/incidents", params={"severity": "loud"})
    assert bad.status_code == 422 and "severity" in bad.json()["detail"]


async def test_incident_is_created_unassigned_when_oncall_is_down(incidents):
    created = await incidents.grpc.IngestAlert(alert(unique_service()))
    detail = (await incidents.http.get(f"/api/v1/incidents/{created.incident_id}")).json()
    assert detail["assigned_to"] is None
    deferred = [e for e in detail["timeline"] if e["kind"] == "assignment_deferred"]
    assert len(deferred) == 1 and "on-call unavailable" in deferred[0]["message"]
    pending = await incidents.scalar(
        "SELECT assignment_pending FROM incidents WHERE id = :i", i=created.incident_id
    )
    assert pending is True


async def test_every_change_reaches_the_redis_stream(incidents):
    redis = Redis.from_url(incidents.settings.redis_url)
    created = await incidents.grpc.IngestAlert(alert(unique_service()))
    await incidents.http.post(f"/api/v1/incidents/{created.incident_id}/acknowledge")
    await incidents.http.post(f"/api/v1/incidents/{created.incident_id}/resolve")
    wanted = ["incident.triggered", "incident.acknowledged", "incident.resolved"]
    seen: list[str] = []
    for _ in range(50):
        entries = await redis.xrange(incidents.settings.events_stream)
        seen = [
            orjson.loads(fields[b"event"])["type"]
            for _, fields in entries
            if orjson.loads(fields[b"event"])["data"]["id"] == created.incident_id
        ]
        if seen == wanted:
            break
        await asyncio.sleep(0.1)
    await redis.aclose()
    assert seen == wanted


async def test_concurrent_batches_in_opposite_orders_neither_deadlock_nor_split(start_incident_stack):
    replicas = [await start_incident_stack(), await start_incident_stack()]
    services = [unique_service() for _ in range(4)]
    batch = [
        alert(s, severity=sev, fingerprint=f"{s}-{sev}").alert
        for s in services
        for sev in ("critical", "info")
    ]
    requests = [
        incident_pb2.IngestAlertsRequest(alerts=batch if i % 2 == 0 else list(reversed(batch)))
        for i in range(6)
    ]
    replies = await asyncio.wait_for(
        asyncio.gather(*(replicas[i % 2].grpc.IngestAlerts(r) for i, r in enumerate(requests))), timeout=30
    )
    outcomes = [r.result for reply in replies for r in reply.results]
    assert outcomes.count("created") == len(batch) and outcomes.count("duplicate") == 5 * len(batch)
    for service in services:
        count = await replicas[0].scalar("SELECT count(*) FROM incidents WHERE service = :s", s=service)
        assert count == 2  # one per severity


async def test_one_batch_counts_every_correlated_and_duplicate_alert_once(incidents):
    """The ingest function applies a batch's counters once per row at its end: the totals stay exact."""
    service = unique_service()
    fingerprints = ["a", "a", "b", "a", "c", "b"]
    reply = await incidents.grpc.IngestAlerts(
        incident_pb2.IngestAlertsRequest(alerts=[alert(service, fingerprint=f).alert for f in fingerprints])
    )
    results = [r.result for r in reply.results]
    assert results == ["created", "duplicate", "correlated", "duplicate", "correlated", "duplicate"]
    [incident_id] = {r.incident_id for r in reply.results}
    alerts_counted = "SELECT alert_count FROM incidents WHERE id = :i"
    assert await incidents.scalar(alerts_counted, i=incident_id) == 3
    assert await incidents.scalar("SELECT duplicate_count FROM incidents WHERE id = :i", i=incident_id) == 3
    per_alert = "SELECT duplicate_count FROM alerts WHERE incident_id = :i AND fingerprint = :f"
    assert await incidents.scalar(per_alert, i=incident_id, f="a") == 2
    assert await incidents.scalar(per_alert, i=incident_id, f="b") == 1
    assert await incidents.scalar(per_alert, i=incident_id, f="c") == 0
    body = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    assert [e["kind"] for e in body["timeline"]].count("alert_added") == 2
    again = await incidents.grpc.IngestAlert(alert(service, fingerprint="d"))
    assert again.result == "correlated"
    assert await incidents.scalar(alerts_counted, i=incident_id) == 4


async def test_one_batch_over_two_keys_resolves_each_alert_against_the_ones_before_it(incidents):
    """Within a batch, a later alert sees what earlier ones stored: a repeated fingerprint (on either
    severity: dedup is per service) is a duplicate of the first, and a key's second alert joins the
    incident its first one opened; each incident's timeline is in the batch's order."""
    service = unique_service()
    sent = [("critical", "f1"), ("warning", "f2"), ("critical", "f3"), ("critical", "f1"), ("warning", "f1")]
    sent.append(("warning", "f4"))
    reply = await incidents.grpc.IngestAlerts(
        incident_pb2.IngestAlertsRequest(
            alerts=[alert(service, severity=s, fingerprint=f, summary=f"{s} {f}").alert for s, f in sent]
        )
    )
    r = reply.results
    assert [x.result for x in r] == [
        "created",
        "created",
        "correlated",
        "duplicate",
        "duplicate",
        "correlated",
    ]
    assert r[3].alert_id == r[4].alert_id == r[0].alert_id and r[3].incident_id == r[0].incident_id
    assert r[2].incident_id == r[0].incident_id != r[1].incident_id == r[5].incident_id
    assert len({x.alert_id for x in r}) == 4
    for first, joined in ((0, 2), (1, 5)):
        body = (await incidents.http.get(f"/api/v1/incidents/{r[first].incident_id}")).json()
        # (then the paging's entry: on-call is down in these tests)
        assert [e["kind"] for e in body["timeline"]][:2] == ["triggered", "alert_added"]
        assert body["alert_count"] == 2 and body["title"] == "{} {}".format(*sent[first])
        stored = {a["id"]: a for a in body["alerts"]}
        assert stored[r[joined].alert_id]["summary"] == "{} {}".format(*sent[joined])
        assert stored[r[first].alert_id]["labels"] == {"host": "db-1"}
    assert await incidents.scalar("SELECT duplicate_count FROM alerts WHERE id = :a", a=r[0].alert_id) == 2


async def test_batches_opening_with_a_source_action_lock_up_front_too(start_incident_stack):
    """A batch that starts with a resolve takes its locks in a statement of their own, one that starts with
    a trigger in its first statement: run together in opposite orders, neither deadlocks nor splits."""
    replicas = [await start_incident_stack(), await start_incident_stack()]
    services = [unique_service() for _ in range(3)]
    resolve = alert(services[0], fingerprint=f"never-seen-{uuid.uuid4().hex}").alert
    resolve.action = "resolve"
    triggers = [alert(s, fingerprint=f"{s}-{n}").alert for s in services for n in range(2)]
    orders = [[resolve, *triggers], [*reversed(triggers), resolve]]
    requests = [incident_pb2.IngestAlertsRequest(alerts=orders[i % 2]) for i in range(6)]
    replies = await asyncio.wait_for(
        asyncio.gather(*(replicas[i % 2].grpc.IngestAlerts(r) for i, r in enumerate(requests))), timeout=30
    )
    outcomes = [r.result for reply in replies for r in reply.results]
    assert outcomes.count("ignored") == 6 and outcomes.count("created") == len(services)
    for service in services:
        assert await replicas[0].scalar("SELECT count(*) FROM incidents WHERE service = :s", s=service) == 1
