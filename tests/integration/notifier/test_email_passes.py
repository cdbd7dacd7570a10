"""A storm's emails: several over one SMTP connection, kept between passes, one on-call question per
person, every outcome recorded. Real aiosmtpd servers (one closing connections after a few messages, one
refusing a recipient), a real on-call behind a counting gRPC proxy, the real incident outbox and notifier."""

import asyncio
import uuid

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.incident_management import repository as incident_repo
from shared.events import make_event
from shared.gen.oncall.v1 import oncall_pb2_grpc
from tests.integration.notifier.conftest import MailBox, alert, eventually, unique_stream
from tests.integration.servers import channel_to, serving_oncall

pytestmark = pytest.mark.integration


class Postmaster(MailBox):
    """A mail server that notes each connection's messages, and can close a connection after `per_connection`
    messages (421 to the next MAIL, as servers with such a limit do) and refuse some recipients (550)."""

    def __init__(self, *, per_connection: int = 0, refused: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.per_connection, self.refused = per_connection, refused
        self.taken_by: dict[tuple, int] = {}  # connection (the client's address and port) -> messages taken
        self.servers: dict[tuple, object] = {}  # connection -> its aiosmtpd protocol
        self.quits: list[tuple] = []  # connections the client ended with QUIT
        self.helo_names: set[str] = set()  # the names clients gave in EHLO

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        self.helo_names.add(session.host_name)
        if self.per_connection and self.taken_by.get(session.peer, 0) >= self.per_connection:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.taken_by[session.peer] = self.taken_by.get(session.peer, 0) + 1
        self.servers[session.peer] = server
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server, session, envelope) -> str:
        self.quits.append(session.peer)
        return "221 Bye"

    def hang_up_all(self) -> None:
        """Close every connection from this side, as a server does with idle ones."""
        for server in self.servers.values():
            server.loop.call_soon_threadsafe(server.transport.close)


class CountingOnCall(oncall_pb2_grpc.OnCallServiceServicer):
    """A real gRPC on-call answering through the real one, counting the notification-rules questions."""

    def __init__(self, upstream: oncall_pb2_grpc.OnCallServiceStub) -> None:
        self._upstream, self.asked = upstream, []

    async def GetNotificationRules(self, request, context):
        self.asked.append(request.email)
        try:
            return await self._upstream.GetNotificationRules(request)
        except grpc.aio.AioRpcError as error:
            await context.abort(error.code(), error.details() or "")


@pytest.fixture
async def counting_oncall(oncall):
    async with channel_to(oncall.grpc_target) as channel:
        proxy = CountingOnCall(oncall_pb2_grpc.OnCallServiceStub(channel))
        async with serving_oncall(proxy) as target:
            proxy.target = target  # type: ignore[attr-defined]
            yield proxy


async def escalations_in_stream(incidents, people: list[dict], count: int) -> list[str]:
    """`count` escalation events of one incident, each to `people`, written to the outbox in one transaction
    and relayed to the stream before this returns (a notifier started afterwards reads them all at once);
    returns their ids."""
    incident_id = (await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))).incident_id
    detail = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    data = {k: v for k, v in detail.items() if k not in ("alerts", "timeline")}
    targets = [{"name": p["name"], "email": p["email"]} for p in people]
    events = [make_event("incident.escalated", data | {"escalation_targets": targets}) for _ in range(count)]
    async with incidents.runtime.commands.sessions.begin() as session:
        for event in events:
            incident_repo.create_outbox_event(session, event=event)
    incidents.runtime.relay.wake()
    ids = [event["id"] for event in events]
    await eventually(lambda: _published(incidents, ids))
    return ids


def strangers(count: int) -> list[dict]:
    """People the on-call service does not know (so no rules: each email is sent), at unique addresses."""
    return [{"name": f"P{i}", "email": f"p{i}-{uuid.uuid4().hex[:6]}@example.com"} for i in range(count)]


async def notifier_on_one_connection(start_notifier, stream: str, box, oncall, **overrides):
    """A notifier reading `stream`, mailing to `box` over at most one SMTP connection at a time."""
    return await start_notifier(
        events_stream=stream,
        smtp_port=box.port,
        oncall_grpc_target=oncall.grpc_target,
        smtp_connections=1,
        **overrides,
    )


async def _published(incidents, event_ids: list[str]) -> bool:
    sql = "SELECT count(*) FROM outbox_events WHERE event_id::text = ANY(:ids) AND published_at IS NOT NULL"
    async with incidents.runtime.engine.connect() as connection:
        return (await connection.execute(text(sql), {"ids": event_ids})).scalar_one() == len(event_ids)


async def settled_emails(notifier, event_ids: list[str], count: int) -> list[dict] | None:
    """The emails of these events, once there are `count` and none is pending any more."""
    sql = (
        "SELECT recipient, status, attempts, last_error FROM email_notifications"
        " WHERE event_id::text = ANY(:ids) ORDER BY recipient"
    )
    async with notifier.runtime.engine.connect() as connection:
        rows = [dict(row._mapping) for row in await connection.execute(text(sql), {"ids": event_ids})]
    return rows if len(rows) == count and all(r["status"] != "pending" for r in rows) else None


@pytest.mark.parametrize(("cache_seconds", "taken_by"), [(2.0, [30]), (0.0, [10, 20])])
async def test_a_storm_of_emails_to_one_person_takes_few_connections_and_one_rules_question(
    start_incident_stack, start_notifier, oncall, counting_oncall, serve_mail, cache_seconds, taken_by
):
    person = await oncall.user("Storm Watcher")
    stream, box = unique_stream(), serve_mail(Postmaster())
    incidents = await start_incident_stack(events_stream=stream)
    event_ids = await escalations_in_stream(incidents, [person], 30)

    notifier = await start_notifier(
        events_stream=stream,
        smtp_port=box.port,
        oncall_grpc_target=counting_oncall.target,
        oncall_cache_seconds=60,
        smtp_connections=1,
        smtp_connection_cache_seconds=cache_seconds,
        smtp_helo_name="notifier.oncall.test",
    )
    rows = await eventually(lambda: settled_emails(notifier, event_ids, 30))

    assert [r["status"] for r in rows] == ["sent"] * 30 and {r["attempts"] for r in rows} == {1}
    assert len(box.to(person["email"])) == 30
    # All 30 rows were written at once: a pass of 20, then one of 10, over the connection the first pass
    # left open; or, with no connection kept, over one connection each.
    assert sorted(box.taken_by.values()) == taken_by
    assert counting_oncall.asked == [person["email"]]
    assert box.helo_names == {"notifier.oncall.test"}


async def test_a_kept_connection_is_ended_with_quit_once_it_has_waited_the_cache_time(
    start_incident_stack, start_notifier, oncall, serve_mail
):
    stream, box = unique_stream(), serve_mail(Postmaster())
    incidents = await start_incident_stack(events_stream=stream)
    people = strangers(3)
    event_ids = await escalations_in_stream(incidents, people, 1)

    notifier = await notifier_on_one_connection(
        start_notifier, stream, box, oncall, smtp_connection_cache_seconds=0.5
    )
    await eventually(lambda: settled_emails(notifier, event_ids, 3))

    [connection] = box.taken_by
    await eventually(lambda: box.quits == [connection])


async def test_a_kept_connection_the_server_closed_meanwhile_is_opened_again_for_the_next_pass(
    start_incident_stack, start_notifier, oncall, serve_mail
):
    stream, box = unique_stream(), serve_mail(Postmaster())
    incidents = await start_incident_stack(events_stream=stream)
    people = strangers(2)
    first = await escalations_in_stream(incidents, people, 1)
    notifier = await notifier_on_one_connection(
        start_notifier, stream, box, oncall, smtp_connection_cache_seconds=60
    )
    await eventually(lambda: settled_emails(notifier, first, 2))

    box.hang_up_all()  # the kept connection: closed by the server while it waited
    second = await escalations_in_stream(incidents, people, 1)
    rows = await eventually(lambda: settled_emails(notifier, second, 2))

    assert [r["status"] for r in rows] == ["sent"] * 2 and {r["attempts"] for r in rows} == {1}
    assert sorted(box.taken_by.values()) == [2, 2]  # one connection each pass, the second a new one


async def test_a_connection_the_server_closes_after_a_few_messages_is_opened_again(
    start_incident_stack, start_notifier, oncall, serve_mail
):
    stream, box = unique_stream(), serve_mail(Postmaster(per_connection=3))
    incidents = await start_incident_stack(events_stream=stream)
    people = strangers(10)
    event_ids = await escalations_in_stream(incidents, people, 1)

    notifier = await notifier_on_one_connection(start_notifier, stream, box, oncall)
    rows = await eventually(lambda: settled_emails(notifier, event_ids, 10))

    # The message each 421 turned away went again over the next connection, in the same attempt.
    assert [r["status"] for r in rows] == ["sent"] * 10 and {r["attempts"] for r in rows} == {1}
    assert sorted(box.taken_by.values()) == [1, 3, 3, 3]
    assert sorted(m["X-Envelope-To"] for m in box.messages) == sorted(p["email"] for p in people)


async def test_a_refused_recipient_fails_alone_and_is_retried_while_the_others_are_sent(
    start_incident_stack, start_notifier, oncall, serve_mail
):
    people = strangers(5)
    refused = people[2]["email"]
    sent_before, dead_before = _emails_counted("delivered"), _emails_counted("dead")
    stream, box = unique_stream(), serve_mail(Postmaster(refused=frozenset({refused})))
    incidents = await start_incident_stack(events_stream=stream)
    event_ids = await escalations_in_stream(incidents, people, 1)

    notifier = await notifier_on_one_connection(start_notifier, stream, box, oncall, email_retry_seconds=1.0)
    rows = {r["recipient"]: r for r in await eventually(lambda: settled_emails(notifier, event_ids, 5))}

    assert {e: r["status"] for e, r in rows.items()} == {p["email"]: "sent" for p in people} | {
        refused: "dead"
    }
    assert rows[refused]["attempts"] >= 2  # retried with backoff until its retry window closed
    assert "SMTPRecipientsRefused" in rows[refused]["last_error"] and "550" in rows[refused]["last_error"]
    assert sorted(m["X-Envelope-To"] for m in box.messages) == sorted(
        p["email"] for p in people if p["email"] != refused
    )
    # The first pass's four good messages went over its one connection, the refusal notwithstanding.
    assert max(box.taken_by.values()) == 4
    assert (_emails_counted("delivered") - sent_before, _emails_counted("dead") - dead_before) == (4, 1)


def _emails_counted(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("notifications_sent_total", {"channel": "email", "outcome": outcome}) or 0
    )
