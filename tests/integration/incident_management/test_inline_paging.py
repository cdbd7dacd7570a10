"""A new incident is paged in the transaction that stores it, and announced once: its `incident.triggered`
event names whom it was assigned to; when on-call is slow, the incident is stored unpaged and the retry
worker pages it, once, with an `incident.reassigned` event of its own. On-call's answers are reused for a
short time.

`xmin` is the PostgreSQL transaction that wrote a row: when an incident is paged in its ingest transaction,
its alert and its timeline entries (triggered, then assigned) have the same one."""

import asyncio

import grpc
import pytest

from shared.gen.oncall.v1 import incident_pb2, oncall_pb2_grpc
from tests.integration.incident_fixtures import alert
from tests.integration.incident_management.test_escalation import (
    count_events,
    detail,
    kinds,
    policy,
    service_with_policy,
    user,
)
from tests.integration.servers import serving_oncall

pytestmark = pytest.mark.integration


class SlowOnCall(oncall_pb2_grpc.OnCallServiceServicer):
    """A real gRPC on-call that answers through the real one, `delay` seconds late (a slow peer)."""

    def __init__(self, upstream: oncall_pb2_grpc.OnCallServiceStub, delay: float) -> None:
        self._upstream, self.delay, self.calls = upstream, delay, 0
        self.asked: list[list[str]] = []  # the services of each call, one list per call
        self.given_up = 0  # calls their caller cancelled before the answer (inline paging's timeout)

    async def GetCurrentOnCallForServices(self, request, context):
        self.asked.append(list(request.services))
        return await self._late(self._upstream.GetCurrentOnCallForServices, request, context)

    async def ResolveEscalation(self, request, context):
        return await self._late(self._upstream.ResolveEscalation, request, context)

    async def _late(self, call, request, context):
        self.calls += 1
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.given_up += 1
            raise
        try:
            return await call(request)
        except grpc.aio.AioRpcError as error:
            await context.abort(error.code(), error.details() or "")


async def stack_asking(start_incident_stack, target: str, **overrides):
    """incident-management asking the on-call at `target`, with time for a first call on a loaded machine
    (one took over the default 0.5 s of inline paging once, and over the fixtures' 0.5 s for on-call's
    answer another time): a timed-out attempt is paged again by the retry worker, which asks on-call again
    and spoils what a test counts."""
    settings = {"inline_paging_timeout_seconds": 10, "oncall_timeout_seconds": 5}
    return await start_incident_stack(oncall_grpc_target=target, **(settings | overrides))


async def details(stack, reply) -> list[dict]:
    return [await detail(stack, r.incident_id) for r in reply.results]


def assignees(bodies: list[dict]) -> list[str | None]:
    return [b["assignee"]["id"] if b["assignee"] else None for b in bodies]


async def writers(stack, incident_id: str) -> set[str]:
    """The transactions (xmin) that wrote the incident's alert and its timeline entries."""
    return set(
        (
            await stack.scalar(
                "SELECT string_agg(DISTINCT xmin::text, ',') FROM (SELECT xmin FROM alerts WHERE "
                "incident_id = :id UNION ALL SELECT xmin FROM timeline_entries WHERE incident_id = :id) w",
                id=incident_id,
            )
        ).split(",")
    )


async def triggered_data(stack, incident_id: str) -> dict:
    """The data of the incident's one `incident.triggered` event."""
    assert await count_events(stack, incident_id, "incident.triggered") == 1
    return await stack.scalar(
        "SELECT payload->'data' FROM outbox_events WHERE type = 'incident.triggered' "
        "AND payload->'data'->>'id' = :id",
        id=incident_id,
    )


async def test_new_incident_is_stored_paged_and_announced_in_one_transaction(start_incident_stack, oncall):
    alice = await oncall.user("Alice")
    stack = await stack_asking(start_incident_stack, oncall.grpc_target)
    pol = await policy(oncall, [[user(alice)]], delay=5)
    created = await stack.grpc.IngestAlert(alert(await service_with_policy(stack, pol["id"])))
    body = await detail(stack, created.incident_id)
    assert body["assignee"]["id"] == alice["id"] and body["next_escalation_at"] is not None
    assert kinds(body)[:2] == ["triggered", "assigned"]
    # One event, as PagerDuty's incident.triggered: the incident as paged, with the level's targets.
    event = await triggered_data(stack, created.incident_id)
    assert event["assignee"]["id"] == alice["id"] and event["status"] == "open"
    assert [t["id"] for t in event["escalation_targets"]] == [alice["id"]]
    assert event["escalation"]["level"] == 1
    assert await count_events(stack, created.incident_id, "incident.reassigned") == 0
    assert len(await writers(stack, created.incident_id)) == 1


async def opened_and_resolved(stack, service: str, resolved: str):
    """One call: an alert that opens an incident (fingerprint `cpu`), then a source's resolve of the alert
    with fingerprint `resolved`; the call's reply."""
    opened, resolve = alert(service, fingerprint="cpu").alert, alert(service, fingerprint=resolved).alert
    resolve.action = "resolve"
    return await stack.grpc.IngestAlerts(incident_pb2.IngestAlertsRequest(alerts=[opened, resolve]))


async def test_paging_in_the_transaction_sees_the_alerts_that_joined_the_new_incident_in_it(
    start_incident_stack, oncall
):
    """One call opens an incident and adds to it: it is paged as the call leaves it, and the paging event
    and the stored row agree on the counts; a source's resolve in the same call: an incident it resolved
    is not paged, one it did not is paged and announced by one event."""
    alice = await oncall.user("Alice")
    stack = await stack_asking(start_incident_stack, oncall.grpc_target)
    pol = await policy(oncall, [[user(alice)]], delay=5)
    service = await service_with_policy(stack, pol["id"])
    same = [alert(service, fingerprint="disk"), alert(service), alert(service, fingerprint="disk")]
    reply = await stack.grpc.IngestAlerts(incident_pb2.IngestAlertsRequest(alerts=[r.alert for r in same]))
    assert [r.result for r in reply.results] == ["created", "correlated", "duplicate"]
    incident_id = reply.results[0].incident_id
    body = await detail(stack, incident_id)
    assert body["assignee"]["id"] == alice["id"] and (body["alert_count"], body["duplicate_count"]) == (2, 1)
    event = await triggered_data(stack, incident_id)
    assert (event["alert_count"], event["duplicate_count"]) == (2, 1)
    assert event["assignee"]["id"] == alice["id"]
    assert len(await writers(stack, incident_id)) == 1

    reply = await opened_and_resolved(stack, await service_with_policy(stack, pol["id"]), "cpu")
    assert [r.result for r in reply.results] == ["created", "resolved"]
    body = await detail(stack, reply.results[0].incident_id)
    assert body["status"] == "resolved" and body["assignee"] is None
    assert (await triggered_data(stack, body["id"]))["status"] == "open"  # as triggered, then resolved
    assert await count_events(stack, body["id"], "incident.resolved") == 1
    assert await count_events(stack, body["id"], "incident.reassigned") == 0

    # A source's resolve for another alert in the call (an Alertmanager batch's resolved alerts): the
    # incident the call opens is paged and announced once all the same.
    reply = await opened_and_resolved(stack, await service_with_policy(stack, pol["id"]), "never-fired")
    assert [r.result for r in reply.results] == ["created", "ignored"]
    event = await triggered_data(stack, reply.results[0].incident_id)
    assert event["assignee"]["id"] == alice["id"]
    assert await count_events(stack, reply.results[0].incident_id, "incident.reassigned") == 0


async def test_one_call_opening_several_incidents_pages_each_in_the_one_transaction(
    start_incident_stack, oncall
):
    """Each new incident's paging changes different columns (a policy's level and deadline, or nobody
    to page); one statement writes them all before the commit, each to its own row."""
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    stack = await stack_asking(start_incident_stack, oncall.grpc_target)
    first = await policy(oncall, [[user(alice)]], delay=5)
    second = await policy(oncall, [[user(bob)], [user(alice)]], delay=7)
    services = [
        await service_with_policy(stack, first["id"]),
        await service_with_policy(stack, second["id"]),
        await service_with_policy(stack, None),  # no policy, no team on call: nobody
    ]
    reply = await stack.grpc.IngestAlerts(
        incident_pb2.IngestAlertsRequest(alerts=[alert(service).alert for service in services])
    )
    assert [r.result for r in reply.results] == ["created"] * 3
    bodies = await details(stack, reply)
    assert assignees(bodies) == [alice["id"], bob["id"], None]
    assert [b["next_escalation_at"] is not None for b in bodies] == [True, True, False]
    assert [kinds(b)[:2] for b in bodies] == [["triggered", "assigned"]] * 2 + [["triggered", "unassigned"]]
    pending = "SELECT count(*) FROM incidents WHERE assignment_pending AND id = ANY(CAST(:ids AS uuid[]))"
    assert await stack.scalar(pending, ids=[r.incident_id for r in reply.results]) == 0
    announced = [(await triggered_data(stack, r.incident_id))["assignee"] for r in reply.results]
    assert [a and a["id"] for a in announced] == [alice["id"], bob["id"], None]
    for r in reply.results:
        assert await count_events(stack, r.incident_id, "incident.reassigned") == 0
    assert set.union(*[await writers(stack, r.incident_id) for r in reply.results]) == await writers(
        stack, reply.results[0].incident_id
    )  # one transaction wrote them all


async def test_slow_oncall_leaves_new_incidents_to_the_retry_worker_which_pages_each_once(
    start_incident_stack, oncall
):
    alice = await oncall.user("Alice")
    slow = SlowOnCall(oncall.grpc, delay=0.4)
    async with serving_oncall(slow) as slow_target:
        stack = await start_incident_stack(
            oncall_grpc_target=slow_target,
            inline_paging_timeout_seconds=0.1,
            oncall_timeout_seconds=3,
            oncall_cache_seconds=0,  # every paging asks on-call: the calls show which path paged
        )
        pol = await policy(oncall, [[user(alice)]], delay=5)
        service = await service_with_policy(stack, pol["id"])
        first = await stack.grpc.IngestAlert(alert(service))
        second = await stack.grpc.IngestAlert(alert(service, severity="warning"))
        bodies = [await assigned(stack, created.incident_id) for created in (first, second)]

    for created, body in zip((first, second), bodies, strict=True):
        assert body["assignee"]["id"] == alice["id"]
        # The timed-out attempt left nothing behind but its reason: one assignment, one event, written by
        # the retry worker after the commit; the incident was announced unassigned before it.
        assert kinds(body)[:3] == ["triggered", "assignment_deferred", "assigned"]
        assert "did not answer within 0.1 s" in body["timeline"][1]["message"]
        assert await count_events(stack, created.incident_id, "incident.reassigned") == 1
        assert (await triggered_data(stack, created.incident_id))["assignee"] is None
        assert len(await writers(stack, created.incident_id)) == 2
    # The first alert asked on-call in its transaction and gave up after 0.1 s; the breaker then left the
    # second to the retry worker without asking; the worker asked once for each (and waited), whenever
    # its passes came.
    assert (slow.given_up, slow.calls) == (1, 3)


async def assigned(stack, incident_id: str) -> dict:
    """The incident's detail once it has an assignee (the retry worker's pass is every 0.2 s here)."""
    for _ in range(100):
        body = await detail(stack, incident_id)
        if body["assignee"]:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"incident {incident_id} was never assigned")


async def test_oncall_answers_are_reused_for_a_short_time_and_asked_again_after(start_incident_stack, oncall):
    alice = await oncall.user("Alice")
    counting = SlowOnCall(oncall.grpc, delay=0.05)
    async with serving_oncall(counting) as target:
        stack = await stack_asking(start_incident_stack, target, oncall_cache_seconds=1.0)
        pol = await policy(oncall, [[user(alice)]], delay=5)
        service = await service_with_policy(stack, pol["id"])
        # Two new incidents at once (a storm over one service): one question to on-call, both paged.
        storm = await asyncio.gather(
            *(stack.grpc.IngestAlert(alert(service, severity=s)) for s in ("critical", "warning"))
        )
        assert counting.calls == 1
        await asyncio.sleep(1.2)
        later = await stack.grpc.IngestAlert(alert(service, severity="info"))
        assert counting.calls == 2  # the answer expired: asked again
    for created in (*storm, later):
        assert (await detail(stack, created.incident_id))["assignee"]["id"] == alice["id"]


async def storm_services(stack, oncall) -> tuple[list[str], dict]:
    """Three services with no policy: one whose team has Alice on call, one whose team has nobody on call,
    one no team owns."""
    alice = await oncall.user("Alice")
    staffed, quiet, orphan = [await service_with_policy(stack, None) for _ in range(3)]
    team = await oncall.team(staffed)
    await oncall.rotation(team["id"], [alice["id"]], start_date="2020-01-06")
    await oncall.rotation((await oncall.team(quiet))["id"], [])
    return [staffed, quiet, orphan], alice


async def test_new_incidents_of_several_services_ask_oncall_once(start_incident_stack, oncall):
    """An alert storm across services: the new incidents of one transaction are paged by one call to
    on-call for all their services, each answered as asked alone, and paged in that transaction."""
    counting = SlowOnCall(oncall.grpc, delay=0)
    async with serving_oncall(counting) as target:
        stack = await stack_asking(start_incident_stack, target)
        services, alice = await storm_services(stack, oncall)
        reply = await stack.grpc.IngestAlerts(
            incident_pb2.IngestAlertsRequest(alerts=[alert(service).alert for service in services])
        )
    assert [r.result for r in reply.results] == ["created"] * 3
    assert [sorted(services)] == [sorted(asked) for asked in counting.asked]
    bodies = await details(stack, reply)
    assert assignees(bodies) == [alice["id"], None, None]
    assert [kinds(b)[:2] for b in bodies] == [["triggered", "assigned"]] + [["triggered", "unassigned"]] * 2
    assert len(set.union(*[await writers(stack, r.incident_id) for r in reply.results])) == 1
