"""Escalation against real PostgreSQL, Redis and the on-call service over gRPC, with second-scale delays."""

import asyncio
import contextlib
import time
import uuid
from datetime import datetime, timedelta

import grpc
import httpx
import pytest
from sqlalchemy import text

from services.incident_management.main import build_runtime, create_app, create_grpc_server
from shared.gen.oncall.v1 import incident_pb2_grpc, oncall_pb2_grpc
from shared.grpc import create_channel
from shared.timeutil import parse_rfc3339, utcnow
from tests.conftest import bearer_headers
from tests.integration.incident_fixtures import IncidentStack, alert, settings_for
from tests.integration.oncall_fixtures import unique
from tests.integration.servers import running_grpc, running_uvicorn, serving_oncall

pytestmark = pytest.mark.integration

FAST = 0.02  # minutes: 1.2 s between levels


async def policy(oncall, levels: list[list[dict]], *, delay: float = FAST, repeat: int = 0) -> dict:
    body = {
        "name": unique("pol"),
        "repeat": repeat,
        "levels": [{"delay_minutes": delay, "targets": targets} for targets in levels],
    }
    reply = await oncall.http.post("/api/v1/escalation-policies", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def user(target: dict) -> dict:
    return {"type": "user", "id": target["id"]}


async def service_with_policy(stack, policy_id: str | None) -> str:
    """A `services` row (issue 3 owns its API) pointing at the policy."""
    name = unique("svc")
    async with stack.runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO services (id, name, description, escalation_policy_id, auto_resolve) "
                "VALUES (gen_random_uuid(), :name, '', :policy, true)"
            ),
            {"name": name, "policy": policy_id},
        )
    return name


async def detail(stack, incident_id: str) -> dict:
    return (await stack.http.get(f"/api/v1/incidents/{incident_id}")).json()


async def count_events(stack, incident_id: str, event_type: str = "incident.escalated") -> int:
    return await stack.scalar(
        "SELECT count(*) FROM outbox_events WHERE type = :type AND payload->'data'->>'id' = :id",
        type=event_type,
        id=incident_id,
    )


async def wait_for(check, *, within: float = 8.0):
    """Poll `check` (async, truthy when done) until it holds or `within` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def kinds(body: dict) -> list[str]:
    return [entry["kind"] for entry in body["timeline"]]


def times_of(body: dict, kind: str) -> list[datetime]:
    return [parse_rfc3339(e["at"]) for e in body["timeline"] if e["kind"] == kind]


@pytest.fixture
async def people(oncall):
    return [await oncall.user(name) for name in ("Alice", "Bob", "Carol")]


@pytest.fixture
async def stack(start_incident_stack, oncall):
    return await start_incident_stack(oncall_grpc_target=oncall.grpc_target)


async def test_unacked_incident_walks_every_level_and_repeats(stack, oncall, people):
    alice, bob, _ = people
    pol = await policy(oncall, [[user(alice)], [user(bob)]], repeat=1)
    created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, pol["id"])))
    first = await detail(stack, created.incident_id)
    assert first["assignee"]["id"] == alice["id"] and first["escalation_policy_id"] == pol["id"]

    async def exhausted():
        # The row is read before the timeline, so a row condition also means its timeline entry is in.
        body = await detail(stack, created.incident_id)
        return body if body["next_escalation_at"] is None and "escalation_exhausted" in kinds(body) else None

    body = await wait_for(exhausted)
    # Level 1 (alice), then bob, alice again (the repeat), bob: three escalations, then the policy ends.
    assert await count_events(stack, created.incident_id) == 3
    assert body["assignee"]["id"] == bob["id"] and body["next_escalation_at"] is None
    assert (body["escalation_level"], body["escalation_cycle"]) == (1, 1)
    steps = [times_of(body, "assigned")[0], *times_of(body, "escalated")]
    gaps = [(b - a).total_seconds() for a, b in zip(steps, steps[1:], strict=False)]
    assert all(1.1 <= gap <= 2.2 for gap in gaps), gaps
    messages = [e["message"] for e in body["timeline"] if e["kind"] == "escalated"]
    assert "Level 2" in messages[0] and "cycle 2" in messages[1] and "Bob" in messages[2]
    # The event names who the level paged, under the key the notifier mails (`escalation_targets`).
    targets = await stack.scalar(
        "SELECT payload->'data'->'escalation_targets' FROM outbox_events "
        "WHERE type = 'incident.escalated' AND payload->'data'->>'id' = :id ORDER BY id LIMIT 1",
        id=created.incident_id,
    )
    assert [t["email"] for t in targets] == [bob["email"]]


async def test_acknowledging_stops_escalation_and_unacknowledging_restarts_it(stack, oncall, people):
    alice, bob, _ = people
    pol = await policy(oncall, [[user(alice)], [user(bob)]])
    created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, pol["id"])))
    url = f"/api/v1/incidents/{created.incident_id}"
    acked = (await stack.http.post(f"{url}/acknowledge", json={"actor": "alice"})).json()
    assert acked["next_escalation_at"] is None
    await asyncio.sleep(2.0)
    assert await count_events(stack, created.incident_id) == 0
    reopened = await stack.http.post(f"{url}/unacknowledge", json={"actor": "alice"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"

    async def escalated_to_bob():
        body = await detail(stack, created.incident_id)
        return body if body["assignee"]["id"] == bob["id"] else None

    body = await wait_for(escalated_to_bob)
    assert kinds(body).count("assigned") == 2  # level 1 paged again on un-acknowledge
    assert await count_events(stack, created.incident_id) == 1
    assert await count_events(stack, created.incident_id, "incident.unacknowledged") == 1
    again = await stack.http.post(f"{url}/unacknowledge")
    assert again.status_code == 409 and again.json()["field"] == "status"


async def test_empty_levels_are_skipped_and_a_policy_of_nobody_leaves_it_unassigned(stack, oncall, people):
    empty = await oncall.http.post(
        "/api/v1/schedules", json={"name": unique("empty"), "time_zone": "UTC", "layers": []}
    )
    nobody = {"type": "schedule", "id": empty.json()["id"]}
    skipping = await policy(oncall, [[nobody], [user(people[1])]])
    created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, skipping["id"])))
    body = await detail(stack, created.incident_id)
    assert body["assignee"]["id"] == people[1]["id"] and body["escalation_level"] == 1
    skipped = [e["message"] for e in body["timeline"] if e["kind"] == "escalation_skipped"]
    assert skipped == [f"Level 1 skipped: schedule {empty.json()['name']} has nobody on call"]

    hopeless = await policy(oncall, [[nobody]], repeat=2)
    lost = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, hopeless["id"])))
    body = await detail(stack, lost.incident_id)
    assert body["assignee"] is None and body["next_escalation_at"] is None
    assert "unassigned" in kinds(body)
    assert await count_events(stack, lost.incident_id, "incident.unassigned") == 1


async def test_service_without_policy_keeps_paging_the_team(stack, oncall, people):
    service = await service_with_policy(stack, None)
    team = await oncall.team(service)
    await oncall.rotation(team["id"], [people[2]["id"]], start_date="2020-01-06")
    created = await stack.grpc.IngestAlert(alert(service))
    body = await detail(stack, created.incident_id)
    assert body["assignee"]["id"] == people[2]["id"] and body["escalation_policy_id"] is None


@contextlib.asynccontextmanager
async def replica(database_url, redis_url, oncall_target, **overrides):
    """One incident-management process (REST, gRPC, workers) that a test can stop mid-way."""
    settings = settings_for(database_url, redis_url, oncall_grpc_target=oncall_target, **overrides)
    runtime = build_runtime(settings)
    try:
        async with (
            running_uvicorn(create_app(runtime)) as base,
            running_grpc(await create_grpc_server(runtime)) as target,
            httpx.AsyncClient(base_url=base, timeout=10, headers=bearer_headers()) as http,
        ):
            channel = create_channel(target, internal_token=settings.internal_token)
            try:
                yield IncidentStack(
                    http, incident_pb2_grpc.IncidentServiceStub(channel), runtime, settings, target
                )
            finally:
                await channel.close()
    finally:
        await runtime.close()


async def _escalated(stack, incident_id: str):
    """The incident once level 2 is paged (checked on the row, read before the timeline)."""
    body = await detail(stack, incident_id)
    return body if body["escalation_level"] == 1 and "escalated" in kinds(body) else None


async def test_restarted_replica_still_escalates_once_on_time(oncall, people, database_url, redis_url):
    alice, bob, _ = people
    pol = await policy(oncall, [[user(alice)], [user(bob)]], delay=0.05)  # 3 s
    async with replica(database_url, redis_url, oncall.grpc_target) as first:
        created = await first.grpc.IngestAlert(alert(await service_with_policy(first, pol["id"])))
        deadline = parse_rfc3339((await detail(first, created.incident_id))["next_escalation_at"])
        await asyncio.sleep(1.0)  # stopped mid-wait, workers and all
    async with replica(database_url, redis_url, oncall.grpc_target) as second:
        assert await count_events(second, created.incident_id) == 0
        body = await wait_for(lambda: _escalated(second, created.incident_id))
        await asyncio.sleep(0.5)
        assert await count_events(second, created.incident_id) == 1
    fired = times_of(body, "escalated")[0]
    assert timedelta(0) <= fired - deadline <= timedelta(seconds=1.5), fired - deadline
    assert body["assignee"]["id"] == bob["id"]


async def test_two_replicas_never_double_escalate(oncall, people, database_url, redis_url):
    alice, bob, carol = people
    pol = await policy(oncall, [[user(alice)], [user(bob)], [user(carol)]])
    fast = {"escalation_poll_seconds": 0.1}
    async with (
        replica(database_url, redis_url, oncall.grpc_target, **fast) as one,
        replica(database_url, redis_url, oncall.grpc_target, **fast) as two,
    ):
        replicas = [one, two]
        ids = []
        for i in range(8):
            service = await service_with_policy(one, pol["id"])
            ids.append((await replicas[i % 2].grpc.IngestAlert(alert(service))).incident_id)

        async def all_done():
            bodies = [await detail(one, i) for i in ids]
            return all(b["next_escalation_at"] is None and "escalation_exhausted" in kinds(b) for b in bodies)

        await wait_for(all_done, within=15)
        await asyncio.sleep(0.3)
        counts = [await count_events(one, i) for i in ids]
    assert counts == [2] * len(ids)  # level 2 and level 3, once each


async def test_escalate_now_snooze_and_reassign(stack, oncall, people):
    alice, bob, carol = people
    pol = await policy(oncall, [[user(alice)], [user(bob)]], delay=1)  # a minute: only manual moves
    created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, pol["id"])))
    url = f"/api/v1/incidents/{created.incident_id}"

    async def paged():  # at once, or by the retry worker if the machine was too slow for that
        return (await detail(stack, created.incident_id))["escalation_policy_id"] == pol["id"]

    await wait_for(paged)
    assert (await stack.http.post(f"{url}/escalate", json={"actor": "carol"})).status_code == 200
    body = await wait_for(lambda: _escalated(stack, created.incident_id))
    assert body["assignee"]["id"] == bob["id"]

    until = (utcnow() + timedelta(seconds=1)).isoformat()
    snoozed = await stack.http.post(f"{url}/snooze", json={"until": until})
    assert snoozed.status_code == 200 and snoozed.json()["snoozed_until"] is not None

    async def snooze_over():
        body = await detail(stack, created.incident_id)
        return body if "snooze_ended" in kinds(body) and body["snoozed_until"] is None else None

    body = await wait_for(snooze_over)
    assert body["assignee"]["id"] == alice["id"]  # restarted at level 1
    past = await stack.http.post(f"{url}/snooze", json={"until": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.json()["field"] == "until"

    to_carol = await stack.http.post(f"{url}/reassign", json={"user_id": carol["id"]})
    assert to_carol.status_code == 200 and to_carol.json()["assigned_to"] == carol["id"]
    assert to_carol.json()["next_escalation_at"] is not None  # carol must still acknowledge
    other = await policy(oncall, [[user(bob)]])
    moved = await stack.http.post(f"{url}/reassign", json={"escalation_policy_id": other["id"]})
    assert moved.status_code == 200 and moved.json()["escalation_policy_id"] == other["id"]
    body = await wait_for(
        lambda: _where(stack, created.incident_id, lambda b: b["assignee"]["id"] == bob["id"])
    )
    assert body["escalation_level"] == 0
    ghost = await stack.http.post(f"{url}/reassign", json={"escalation_policy_id": str(uuid.uuid4())})
    assert ghost.status_code == 422 and ghost.json()["field"] == "escalation_policy_id"
    both = await stack.http.post(f"{url}/reassign", json={})
    assert both.status_code == 422


async def _where(stack, incident_id: str, predicate):
    body = await detail(stack, incident_id)
    return body if predicate(body) else None


async def test_acknowledgement_timeout_reopens_and_escalates_again(start_incident_stack, oncall, people):
    stack = await start_incident_stack(
        oncall_grpc_target=oncall.grpc_target, acknowledgement_timeout_seconds=1
    )
    pol = await policy(oncall, [[user(people[0])]], delay=1)
    created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, pol["id"])))
    url = f"/api/v1/incidents/{created.incident_id}"
    acked = (await stack.http.post(f"{url}/acknowledge")).json()
    assert acked["status"] == "acknowledged" and acked["next_escalation_at"] is not None
    body = await wait_for(lambda: _where(stack, created.incident_id, lambda b: b["status"] == "open"))
    assert "Acknowledgement timed out" in " ".join(e["message"] for e in body["timeline"])
    assert kinds(body).count("assigned") == 2


async def test_incident_stored_but_not_paged_before_a_crash_is_paged_once_after_restart(
    oncall, people, database_url, redis_url
):
    """The ingest transaction commits, then the process dies before paging: the incident is stored as
    `assignment_pending`, so the retry worker of the next process pages it, once."""
    from services.incident_management import domain
    from services.incident_management.schemas import AlertInput

    alice = people[0]
    pol = await policy(oncall, [[user(alice)]], delay=5)
    async with replica(database_url, redis_url, oncall.grpc_target) as first:
        service = await service_with_policy(first, pol["id"])
        stored = AlertInput(service=service, severity="critical", summary="db down", fingerprint="crash")
        async with first.runtime.commands.driver.connection() as connection, connection.transaction():
            # stored and committed unpaged, as a crash between the two would leave it
            stored_alone = await domain.ingest(connection, [stored], now=utcnow(), window_seconds=300)
        [result] = stored_alone.results
        assert result.result == "created"
    incident_id = str(result.incident_id)
    async with replica(database_url, redis_url, oncall.grpc_target, assignment_retry_seconds=0.2) as second:
        body = await wait_for(lambda: _where(second, incident_id, lambda b: b["assignee"] is not None))
        await asyncio.sleep(1.0)  # several retry passes: none may page it again
        body = await detail(second, incident_id)
        assert body["assignee"]["id"] == alice["id"]
        assert kinds(body).count("assigned") == 1
        assert await count_events(second, incident_id, "incident.reassigned") == 1


class GoneOnCall(oncall_pb2_grpc.OnCallServiceServicer):
    """The real on-call until `down` is set, then UNAVAILABLE for every call."""

    def __init__(self, upstream: oncall_pb2_grpc.OnCallServiceStub) -> None:
        self._upstream, self.down = upstream, False

    async def GetCurrentOnCallForServices(self, request, context):
        return await self._pass(self._upstream.GetCurrentOnCallForServices, request, context)

    async def ResolveEscalation(self, request, context):
        return await self._pass(self._upstream.ResolveEscalation, request, context)

    async def _pass(self, call, request, context):
        if self.down:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "on-call is down")
        try:
            return await call(request)
        except grpc.aio.AioRpcError as error:
            await context.abort(error.code(), error.details() or "")


async def test_a_deadline_on_call_cannot_answer_for_changes_nothing_and_is_retried_later(
    start_incident_stack, oncall, people
):
    """The snooze's end would clear the snooze and restart paging, but on-call is down: none of it is
    written (not half of it), and the deadline moves `ASSIGNMENT_RETRY_SECONDS` on."""
    gone = GoneOnCall(oncall.grpc)
    async with serving_oncall(gone) as target:
        stack = await start_incident_stack(
            oncall_grpc_target=target, oncall_cache_seconds=0, assignment_retry_seconds=30
        )
        pol = await policy(oncall, [[user(people[0])], [user(people[1])]], delay=1)
        created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, pol["id"])))
        url = f"/api/v1/incidents/{created.incident_id}"
        until = utcnow() + timedelta(seconds=1)
        assert (await stack.http.post(f"{url}/snooze", json={"until": until.isoformat()})).status_code == 200
        gone.down = True
        body = await wait_for(
            lambda: _where(
                stack,
                created.incident_id,
                lambda b: parse_rfc3339(b["next_escalation_at"]) > until + timedelta(seconds=20),
            )
        )
    assert body["snoozed_until"] is not None and "snooze_ended" not in kinds(body)
    assert body["assignee"]["id"] == people[0]["id"] and body["escalation_level"] == 0
    assert await count_events(stack, created.incident_id, "incident.reassigned") == 0
