"""Who is on call, over REST and real gRPC, and through incident-management's own client."""

import asyncio

import grpc
import pytest
from sqlalchemy import event

from services.incident_management.oncall_client import OnCallClient
from shared.gen.oncall.v1 import oncall_pb2
from shared.grpc import create_channel
from tests.integration.oncall_fixtures import unique
from tests.integration.oncall_service.test_schedules import make_schedule, weekly

pytestmark = pytest.mark.integration

# The seeded rotation hands off on Mondays at 09:00 Paris time from 2026-01-05.
WEEK_12 = "2026-03-30T07:30:00Z"  # just after the first handoff in summer time (09:00 CEST = 07:00Z)
WEEK_11 = "2026-03-25T12:00:00Z"
BEFORE_START = "2026-01-05T07:59:00Z"


@pytest.fixture
async def paris_team(oncall):
    """A team owning a service, with a three-member Paris rotation."""
    service = unique("svc")
    team = await oncall.team(service)
    users = [await oncall.user(name) for name in ("Alice", "Bob", "Carol")]
    rotation = await oncall.rotation(team["id"], [u["id"] for u in users])
    return {"team": team, "service": service, "users": users, "rotation": rotation}


async def current(oncall, **params):
    return await oncall.http.get("/api/v1/oncall/current", params=params)


async def test_rest_lookup_by_team_follows_calendar_weeks_across_dst(oncall, paris_team):
    alice, _, carol = paris_team["users"]
    reply = await current(oncall, team=paris_team["team"]["name"], at=WEEK_12)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "team": paris_team["team"]["name"],
        "user": {"id": alice["id"], "name": "Alice", "email": alice["email"]},
        "rotation": paris_team["rotation"]["name"],
        "shift_start": "2026-03-30T07:00:00Z",
        "shift_end": "2026-04-06T07:00:00Z",
    }
    earlier = (await current(oncall, team=paris_team["team"]["name"], at=WEEK_11)).json()
    assert earlier["user"]["id"] == carol["id"]  # week 11: 11 % 3 == 2
    assert (earlier["shift_start"], earlier["shift_end"]) == ("2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z")


async def test_rest_lookup_by_service_resolves_the_owning_team(oncall, paris_team):
    reply = (await current(oncall, service=paris_team["service"], at=WEEK_11)).json()
    assert reply["team"] == paris_team["team"]["name"]
    assert reply["user"]["id"] == paris_team["users"][2]["id"]


async def test_rest_before_the_first_handoff_nobody_is_on_call(oncall, paris_team):
    reply = await current(oncall, team=paris_team["team"]["name"], at=BEFORE_START)
    assert reply.status_code == 200
    assert reply.json() == {
        "team": paris_team["team"]["name"],
        "user": None,
        "rotation": None,
        "shift_start": None,
        "shift_end": None,
    }


async def test_rest_unknown_team_or_unowned_service_is_404(oncall):
    team = unique("ghost-team")
    reply = await current(oncall, team=team)
    assert reply.status_code == 404 and team in reply.json()["detail"] and reply.json()["field"] == "team"
    service = unique("orphan")
    reply = await current(oncall, service=service)
    assert reply.status_code == 404 and f"no team owns service {service!r}" == reply.json()["detail"]


async def test_rest_needs_exactly_one_of_team_or_service_and_a_valid_at(oncall, paris_team):
    neither = await current(oncall)
    both = await current(oncall, team=paris_team["team"]["name"], service=paris_team["service"])
    for reply in (neither, both):
        assert reply.status_code == 422 and "exactly one of team or service" in reply.json()["detail"]
    bad_at = await current(oncall, team=paris_team["team"]["name"], at="yesterday")
    assert bad_at.status_code == 422 and bad_at.json()["detail"].startswith("query.at:")


async def test_oldest_rotation_with_someone_on_call_wins(oncall):
    team = await oncall.team()
    bob, carol = await oncall.user("Bob"), await oncall.user("Carol")
    await oncall.rotation(team["id"], [])
    later = await oncall.rotation(team["id"], [carol["id"]], start_date="2026-06-01")
    backup = await oncall.rotation(team["id"], [bob["id"]])
    await oncall.rotation(team["id"], [carol["id"]])
    reply = (await current(oncall, team=team["name"], at=WEEK_12)).json()
    assert (reply["user"]["id"], reply["rotation"]) == (bob["id"], backup["name"])
    summer = (await current(oncall, team=team["name"], at="2026-07-01T12:00:00Z")).json()
    assert (summer["user"]["id"], summer["rotation"]) == (carol["id"], later["name"])


async def test_grpc_lookup_by_team_and_by_service(oncall, paris_team):
    by_team = await oncall.grpc.GetCurrentOnCall(
        oncall_pb2.GetCurrentOnCallRequest(team=paris_team["team"]["name"], at=WEEK_12)
    )
    alice = paris_team["users"][0]
    assert by_team.team == paris_team["team"]["name"]
    assert (by_team.user.id, by_team.user.name, by_team.user.email) == (alice["id"], "Alice", alice["email"])
    assert (by_team.shift_start, by_team.shift_end) == ("2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z")
    by_service = await oncall.grpc.GetCurrentOnCall(
        oncall_pb2.GetCurrentOnCallRequest(service=paris_team["service"], at=WEEK_12)
    )
    assert by_service == by_team


async def test_grpc_nobody_on_call_leaves_user_unset(oncall, paris_team):
    reply = await oncall.grpc.GetCurrentOnCall(
        oncall_pb2.GetCurrentOnCallRequest(service=paris_team["service"], at=BEFORE_START)
    )
    assert reply.team == paris_team["team"]["name"] and not reply.HasField("user")
    assert reply.shift_start == reply.shift_end == ""


@pytest.mark.parametrize(
    ("request_fields", "code"),
    [
        ({"team": "no-such-team-x"}, grpc.StatusCode.NOT_FOUND),
        ({"service": "no-such-service-x"}, grpc.StatusCode.NOT_FOUND),
        ({"service": "x", "at": "not-a-time"}, grpc.StatusCode.INVALID_ARGUMENT),
        ({}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"team": "a", "service": "b"}, grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
async def test_grpc_errors_carry_status_codes(oncall, request_fields, code):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await oncall.grpc.GetCurrentOnCall(oncall_pb2.GetCurrentOnCallRequest(**request_fields))
    assert error.value.code() == code and error.value.details()


async def test_grpc_lookup_for_several_services_answers_each_in_the_order_asked(oncall, paris_team):
    quiet_service, orphan = unique("quiet"), unique("orphan")
    quiet = await oncall.team(quiet_service)
    await oncall.rotation(quiet["id"], [])
    asked = [orphan, paris_team["service"], quiet_service, paris_team["service"]]
    reply = await oncall.grpc.GetCurrentOnCallForServices(
        oncall_pb2.GetCurrentOnCallForServicesRequest(services=asked, at=WEEK_12)
    )
    assert [(e.service, e.owned) for e in reply.services] == list(
        zip(asked, [False, True, True, True], strict=True)
    )
    assert not reply.services[0].HasField("on_call")
    one_by_one = await oncall.grpc.GetCurrentOnCall(
        oncall_pb2.GetCurrentOnCallRequest(service=paris_team["service"], at=WEEK_12)
    )
    assert reply.services[1].on_call == one_by_one == reply.services[3].on_call
    assert one_by_one.user.id == paris_team["users"][0]["id"]
    nobody = reply.services[2].on_call
    assert nobody.team == quiet["name"] and not nobody.HasField("user")


async def test_grpc_lookup_for_many_teams_services_reads_the_teams_together(oncall):
    """Services of teams on a schedule, on rotations, and with nobody on call: each answered as
    GetCurrentOnCall answers it, and four rotation teams read with the very statements of one (the same
    texts: prepared once per connection, whatever the number of services a storm asks about)."""
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    services = [unique("svc") for _ in range(6)]
    scheduled = await oncall.team(services[0])
    await make_schedule(oncall, [weekly([bob["id"]])], team_id=scheduled["id"])
    for service in services[1:5]:
        team = await oncall.team(service)
        await oncall.rotation(team["id"], [alice["id"]], start_date="2020-01-06")
    await oncall.rotation((await oncall.team(services[5]))["id"], [])
    reply = await oncall.grpc.GetCurrentOnCallForServices(
        oncall_pb2.GetCurrentOnCallForServicesRequest(services=services, at=WEEK_12)
    )
    alone = [
        await oncall.grpc.GetCurrentOnCall(oncall_pb2.GetCurrentOnCallRequest(service=s, at=WEEK_12))
        for s in services
    ]
    assert [entry.on_call for entry in reply.services] == alone
    assert [a.user.id or None for a in alone] == [bob["id"]] + [alice["id"]] * 4 + [None]

    statements: list[str] = []
    engine = oncall.runtime.engine.sync_engine
    count = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    try:
        for asked in (services[1:2], services[1:5]):
            await oncall.grpc.GetCurrentOnCallForServices(
                oncall_pb2.GetCurrentOnCallForServicesRequest(services=asked, at=WEEK_12)
            )
            statements.append("--")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    one, four = "\n".join(statements).split("--")[:2]
    assert one.count("SELECT") > 0 and one.strip() == four.strip()


@pytest.mark.parametrize(
    ("request_fields", "mentions"),
    [
        ({"services": []}, "services"),
        ({"services": [f"s{i}" for i in range(1001)]}, "1001"),
        ({"services": ["a", ""]}, "empty"),
        ({"services": ["a"], "at": "yesterday"}, "RFC 3339"),
    ],
)
async def test_grpc_lookup_for_several_services_refuses_bad_requests(oncall, request_fields, mentions):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await oncall.grpc.GetCurrentOnCallForServices(
            oncall_pb2.GetCurrentOnCallForServicesRequest(**request_fields)
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and mentions in error.value.details()


async def test_incident_management_client_gets_answers_from_the_real_server(oncall):
    service, empty_service = unique("svc"), unique("quiet")
    team = await oncall.team(service)
    quiet = await oncall.team(empty_service)
    dana = await oncall.user("Dana")
    await oncall.rotation(team["id"], [dana["id"]], start_date="2020-01-06")
    await oncall.rotation(quiet["id"], [])
    channel = create_channel(oncall.grpc_target, internal_token=oncall.runtime.settings.internal_token)
    try:
        client = OnCallClient(channel, timeout=2.0)
        answer = await client.who_is_on_call(service=service)
        assert (str(answer.user_id), answer.name, answer.email) == (dana["id"], "Dana", dana["email"])
        assert answer.reason == f"on call for team {team['name']}"
        nobody = await client.who_is_on_call(service=empty_service)
        assert nobody.user_id is None and nobody.reason == f"nobody is on call for team {quiet['name']!r}"
        orphan = await client.who_is_on_call(service=unique("orphan"))
        assert orphan.user_id is None and orphan.reason.startswith("no team owns service")
        # Asked at once (one call for all of them), each gets the answer it got alone.
        services = [service, empty_service, unique("orphan"), service]
        together = await asyncio.gather(*(client.who_is_on_call(service=s) for s in services))
        assert [a.user_id for a in together] == [answer.user_id, None, None, answer.user_id]
        assert [a.reason for a in together[:2]] == [answer.reason, nobody.reason]
    finally:
        await channel.close()
