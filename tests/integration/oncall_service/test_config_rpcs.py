"""The configuration RPCs (users, teams, escalation policies, schedules and layers) over a real gRPC server:
each does what its REST route does, refuses bad input naming the field, answers NOT_FOUND for an unknown
id, is refused without the internal credential or an acting admin, and is audited in the actor's name."""

import uuid

import grpc
import pytest

from shared.audit import identity_metadata
from shared.auth import Identity, Role
from shared.errors import FIELD_KEY
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from tests.integration.oncall_fixtures import unique

pytestmark = pytest.mark.integration
ADMIN = identity_metadata(Identity("user", uuid.uuid4(), "Ada Admin", Role.admin), "192.0.2.7")
RESPONDER = identity_metadata(Identity("user", uuid.uuid4(), "Rex Responder", Role.responder), None)
NOBODY = str(uuid.uuid4())


async def _refused(call, request, metadata=ADMIN) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(request, metadata=metadata)
    return raised.value


def _field(error: grpc.aio.AioRpcError) -> str | None:
    return dict(tuple(error.trailing_metadata() or ())).get(FIELD_KEY)


def _layer(member_ids: list[str], **fields) -> oncall_pb2.ScheduleLayer:
    values = {"shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00", "start_date": "2026-01-05"}
    return oncall_pb2.ScheduleLayer(member_ids=member_ids, **(values | fields))


async def _schedule(oncall, **fields) -> oncall_pb2.OnCallSchedule:
    request = oncall_pb2.CreateScheduleRequest(name=unique("sch"), time_zone="Europe/Paris", **fields)
    return (await oncall.grpc.CreateSchedule(request, metadata=ADMIN)).schedule


async def _audited(oncall, action: str, target_id: str) -> list[dict]:
    entries = (await oncall.http.get("/api/v1/audit", params={"action": action})).json()["entries"]
    return [e for e in entries if e["target_id"] == target_id]


async def test_a_created_user_logs_in_with_the_password_answered_once(oncall):
    email = f"{unique('new')}@example.com"
    request = oncall_pb2.CreateUserRequest(
        name="Nora New", email=email, role="viewer", time_zone="Asia/Tokyo"
    )
    made = await oncall.grpc.CreateUser(request, metadata=ADMIN)
    assert (made.user.role, made.user.time_zone, made.user.login_disabled) == ("viewer", "Asia/Tokyo", False)
    assert len(made.password) >= 12
    login = oncall_pb2.AuthenticateUserRequest(email=email, password=made.password)
    assert (await oncall.grpc.AuthenticateUser(login)).user.id == made.user.user.id
    [entry] = await _audited(oncall, "CreateUser", made.user.user.id)
    assert entry["actor"] == "Ada Admin" and "password_hash" not in str(entry)


async def test_a_disabled_login_is_refused_and_a_deleted_user_is_gone(oncall):
    request = oncall_pb2.CreateUserRequest(name="Dee", email=f"{unique('d')}@example.com")
    made = await oncall.grpc.CreateUser(request, metadata=ADMIN)
    user_id = made.user.user.id
    disable = oncall_pb2.SetUserLoginDisabledRequest(user_id=user_id, disabled=True)
    assert (await oncall.grpc.SetUserLoginDisabled(disable, metadata=ADMIN)).user.login_disabled
    login = oncall_pb2.AuthenticateUserRequest(email=request.email, password=made.password)
    assert (await _refused(oncall.grpc.AuthenticateUser, login)).code() == grpc.StatusCode.PERMISSION_DENIED
    await oncall.grpc.DeleteUser(oncall_pb2.DeleteUserRequest(user_id=user_id), metadata=ADMIN)
    assert (await oncall.http.get(f"/api/v1/users/{user_id}")).status_code == 404


async def test_a_user_in_a_schedule_cannot_be_deleted(oncall):
    user = await oncall.user()
    schedule = await _schedule(oncall)
    add = oncall_pb2.AddScheduleLayerRequest(schedule_id=schedule.id, layer=_layer([user["id"]]))
    await oncall.grpc.AddScheduleLayer(add, metadata=ADMIN)
    refused = await _refused(oncall.grpc.DeleteUser, oncall_pb2.DeleteUserRequest(user_id=user["id"]))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION and schedule.name in refused.details()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "boss"}, "role"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
    ],
)
async def test_a_bad_user_is_invalid_naming_the_field(oncall, fields, field):
    request = oncall_pb2.CreateUserRequest(**({"name": "X", "email": f"{unique('x')}@example.com"} | fields))
    refused = await _refused(oncall.grpc.CreateUser, request)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.details().startswith(f"{field}:") and _field(refused) == field


async def test_a_policy_is_created_read_renamed_releveled_and_deleted(oncall):
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    schedule = await _schedule(oncall)
    first = oncall_pb2.PolicyLevel(
        delay_minutes=5, targets=[oncall_pb2.PolicyTarget(type="user", id=alice["id"])]
    )
    second = oncall_pb2.PolicyLevel(targets=[oncall_pb2.PolicyTarget(type="schedule", id=schedule.id)])
    policy = oncall_pb2.EscalationPolicy(name=unique("pol"), repeat=1, levels=[first, second])
    made = (
        await oncall.grpc.CreateEscalationPolicy(
            oncall_pb2.CreateEscalationPolicyRequest(policy=policy), metadata=ADMIN
        )
    ).policy
    rest = (await oncall.http.get(f"/api/v1/escalation-policies/{made.id}")).json()
    assert [lv["delay_minutes"] for lv in rest["levels"]] == [5, None] and rest["repeat"] == 1
    assert rest["levels"][1]["targets"] == [{"type": "schedule", "id": schedule.id}]

    made.name = unique("renamed")
    del made.levels[1]
    made.levels[0].targets.append(oncall_pb2.PolicyTarget(type="user", id=bob["id"]))
    update = oncall_pb2.UpdateEscalationPolicyRequest(policy=made)
    await oncall.grpc.UpdateEscalationPolicy(update, metadata=ADMIN)
    got = (
        await oncall.grpc.GetEscalationPolicy(oncall_pb2.GetEscalationPolicyRequest(policy_id=made.id))
    ).policy
    assert got.name == made.name and [t.id for t in got.levels[0].targets] == [alice["id"], bob["id"]]
    assert len(got.levels) == 1
    assert await _audited(oncall, "UpdateEscalationPolicy", made.id)

    await oncall.grpc.DeleteEscalationPolicy(
        oncall_pb2.DeleteEscalationPolicyRequest(policy_id=made.id), metadata=ADMIN
    )
    gone = await _refused(
        oncall.grpc.GetEscalationPolicy, oncall_pb2.GetEscalationPolicyRequest(policy_id=made.id)
    )
    assert gone.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("level", "field"),
    [
        (None, "levels"),
        (oncall_pb2.PolicyLevel(), "levels"),
        (
            oncall_pb2.PolicyLevel(
                delay_minutes=-1, targets=[oncall_pb2.PolicyTarget(type="user", id=NOBODY)]
            ),
            "levels",
        ),
        (
            oncall_pb2.PolicyLevel(targets=[oncall_pb2.PolicyTarget(type="user", id=NOBODY)]),
            "levels[0].targets[0].id",
        ),
        (oncall_pb2.PolicyLevel(targets=[oncall_pb2.PolicyTarget(type="team", id=NOBODY)]), "levels"),
    ],
)
async def test_a_bad_policy_is_invalid_naming_the_field(oncall, level, field):
    policy = oncall_pb2.EscalationPolicy(name=unique("bad"), levels=[level] if level else [])
    refused = await _refused(
        oncall.grpc.CreateEscalationPolicy, oncall_pb2.CreateEscalationPolicyRequest(policy=policy)
    )
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and _field(refused) == field
    assert refused.details().startswith("levels")


async def test_a_schedule_with_a_layer_puts_its_members_on_call_in_order(oncall):
    team = await oncall.team()
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    schedule = await _schedule(oncall, team_id=team["id"])
    assert schedule.team_id == team["id"]
    teams = (await oncall.grpc.ListTeams(oncall_pb2.ListTeamsRequest())).teams
    assert team["name"] in [t.name for t in teams]

    add = oncall_pb2.AddScheduleLayerRequest(
        schedule_id=schedule.id, layer=_layer([alice["id"], bob["id"]], name="Primary")
    )
    layer = (await oncall.grpc.AddScheduleLayer(add, metadata=ADMIN)).layer
    assert (layer.name, layer.handoff_time, layer.start_date) == ("Primary", "09:00", "2026-01-05")
    shifts = (
        await oncall.http.get(
            f"/api/v1/schedules/{schedule.id}/oncall", params={"at": "2026-01-06T12:00:00Z"}
        )
    ).json()
    assert shifts["user"]["id"] == alice["id"]

    layer.member_ids[:] = [bob["id"], alice["id"]]
    layer.shift_unit = "days"
    update = oncall_pb2.UpdateScheduleLayerRequest(schedule_id=schedule.id, layer=layer)
    assert (await oncall.grpc.UpdateScheduleLayer(update, metadata=ADMIN)).layer.shift_unit == "days"
    got = (await oncall.grpc.GetSchedule(oncall_pb2.GetScheduleRequest(schedule_id=schedule.id))).schedule
    assert list(got.layers[0].member_ids) == [bob["id"], alice["id"]]
    shifts = (
        await oncall.http.get(
            f"/api/v1/schedules/{schedule.id}/oncall", params={"at": "2026-01-05T12:00:00Z"}
        )
    ).json()
    assert shifts["user"]["id"] == bob["id"]
    assert await _audited(oncall, "UpdateScheduleLayer", layer.id)

    remove = oncall_pb2.DeleteScheduleLayerRequest(schedule_id=schedule.id, layer_id=layer.id)
    await oncall.grpc.DeleteScheduleLayer(remove, metadata=ADMIN)
    assert not (
        await oncall.grpc.GetSchedule(oncall_pb2.GetScheduleRequest(schedule_id=schedule.id))
    ).schedule.layers
    await oncall.grpc.DeleteSchedule(
        oncall_pb2.DeleteScheduleRequest(schedule_id=schedule.id), metadata=ADMIN
    )
    assert (await oncall.http.get(f"/api/v1/schedules/{schedule.id}")).status_code == 404


async def test_a_layers_restrictions_are_set_and_limit_when_it_puts_someone_on_call(oncall):
    alice = await oncall.user("Alice")
    schedule = await _schedule(oncall)
    nights = oncall_pb2.LayerRestriction(weekdays=[0], start="22:00", end="06:00")
    add = oncall_pb2.AddScheduleLayerRequest(
        schedule_id=schedule.id, layer=_layer([alice["id"]], restrictions=[nights])
    )
    layer = (await oncall.grpc.AddScheduleLayer(add, metadata=ADMIN)).layer
    assert [(list(r.weekdays), r.start, r.end) for r in layer.restrictions] == [([0], "22:00", "06:00")]

    async def on_call(at: str) -> str | None:
        path = f"/api/v1/schedules/{schedule.id}/oncall"
        user = (await oncall.http.get(path, params={"at": at})).json()["user"]
        return user and user["id"]

    assert await on_call("2026-01-05T22:30:00Z") == alice["id"]  # Monday 23:30 in Paris
    assert await on_call("2026-01-06T12:00:00Z") is None
    office = oncall_pb2.LayerRestriction(weekdays=[1, 1, 0], start="09:00", end="17:00")
    request = oncall_pb2.SetScheduleLayerRestrictionsRequest(
        schedule_id=schedule.id, layer_id=layer.id, restrictions=[office]
    )
    [stored] = (await oncall.grpc.SetScheduleLayerRestrictions(request, metadata=ADMIN)).layer.restrictions
    assert (list(stored.weekdays), stored.start, stored.end) == ([0, 1], "09:00", "17:00")
    assert await on_call("2026-01-06T12:00:00Z") == alice["id"]
    assert await on_call("2026-01-05T22:30:00Z") is None
    layer.name = "Renamed"  # an update of the layer's other fields keeps its restrictions
    update = oncall_pb2.UpdateScheduleLayerRequest(schedule_id=schedule.id, layer=layer)
    assert len((await oncall.grpc.UpdateScheduleLayer(update, metadata=ADMIN)).layer.restrictions) == 1
    assert await _audited(oncall, "SetScheduleLayerRestrictions", layer.id)


@pytest.mark.parametrize(
    "window",
    [
        oncall_pb2.LayerRestriction(weekdays=[], start="09:00", end="17:00"),
        oncall_pb2.LayerRestriction(weekdays=[7], start="09:00", end="17:00"),
        oncall_pb2.LayerRestriction(weekdays=[0], start="9am", end="17:00"),
    ],
)
async def test_a_bad_restriction_is_invalid_naming_the_window(oncall, window):
    schedule = await _schedule(oncall)
    add = oncall_pb2.AddScheduleLayerRequest(schedule_id=schedule.id, layer=_layer([]))
    layer = (await oncall.grpc.AddScheduleLayer(add, metadata=ADMIN)).layer
    request = oncall_pb2.SetScheduleLayerRestrictionsRequest(
        schedule_id=schedule.id, layer_id=layer.id, restrictions=[window]
    )
    refused = await _refused(oncall.grpc.SetScheduleLayerRestrictions, request)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and _field(refused) == "restrictions"
    assert refused.details().startswith("restrictions.0.")


async def test_a_schedule_a_policy_pages_cannot_be_deleted(oncall):
    schedule = await _schedule(oncall)
    level = oncall_pb2.PolicyLevel(targets=[oncall_pb2.PolicyTarget(type="schedule", id=schedule.id)])
    policy = oncall_pb2.EscalationPolicy(name=unique("pol"), levels=[level])
    await oncall.grpc.CreateEscalationPolicy(
        oncall_pb2.CreateEscalationPolicyRequest(policy=policy), metadata=ADMIN
    )
    refused = await _refused(
        oncall.grpc.DeleteSchedule, oncall_pb2.DeleteScheduleRequest(schedule_id=schedule.id)
    )
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION and policy.name in refused.details()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"name": ""}, "name"),
        ({"team_id": "not-a-uuid"}, "team_id"),
        ({"team_id": NOBODY}, "team_id"),
    ],
)
async def test_a_bad_schedule_is_invalid_naming_the_field(oncall, fields, field):
    request = oncall_pb2.CreateScheduleRequest(**({"name": unique("s"), "time_zone": "UTC"} | fields))
    refused = await _refused(oncall.grpc.CreateSchedule, request)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and _field(refused) == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"shift_unit": "fortnights"}, "shift_unit"),
        ({"shift_length": 0}, "shift_length"),
        ({"handoff_time": "9am"}, "handoff_time"),
        ({"start_date": ""}, "start_date"),
        ({"member_ids": [NOBODY]}, "member_ids"),
    ],
)
async def test_a_bad_layer_is_invalid_naming_the_field(oncall, fields, field):
    schedule = await _schedule(oncall)
    layer = _layer(fields.pop("member_ids", []), **fields)
    refused = await _refused(
        oncall.grpc.AddScheduleLayer, oncall_pb2.AddScheduleLayerRequest(schedule_id=schedule.id, layer=layer)
    )
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and _field(refused) == field


def _unknown_ids() -> dict[str, object]:
    """Each RPC taking an id, with a request naming one that does not exist."""
    pb = oncall_pb2
    policy = pb.EscalationPolicy(
        id=NOBODY, name="x", levels=[pb.PolicyLevel(targets=[pb.PolicyTarget(type="user", id=NOBODY)])]
    )
    return {
        "DeleteUser": pb.DeleteUserRequest(user_id=NOBODY),
        "SetUserLoginDisabled": pb.SetUserLoginDisabledRequest(user_id=NOBODY, disabled=True),
        "GetEscalationPolicy": pb.GetEscalationPolicyRequest(policy_id=NOBODY),
        "UpdateEscalationPolicy": pb.UpdateEscalationPolicyRequest(policy=policy),
        "DeleteEscalationPolicy": pb.DeleteEscalationPolicyRequest(policy_id=NOBODY),
        "GetSchedule": pb.GetScheduleRequest(schedule_id=NOBODY),
        "DeleteSchedule": pb.DeleteScheduleRequest(schedule_id=NOBODY),
        "AddScheduleLayer": pb.AddScheduleLayerRequest(schedule_id=NOBODY, layer=_layer([])),
        "UpdateScheduleLayer": pb.UpdateScheduleLayerRequest(schedule_id=NOBODY, layer=_layer([], id=NOBODY)),
        "DeleteScheduleLayer": pb.DeleteScheduleLayerRequest(schedule_id=NOBODY, layer_id=NOBODY),
        "SetScheduleLayerRestrictions": pb.SetScheduleLayerRestrictionsRequest(
            schedule_id=NOBODY, layer_id=NOBODY
        ),
    }


@pytest.mark.parametrize("method", list(_unknown_ids()))
async def test_an_unknown_id_is_not_found(oncall, method):
    refused = await _refused(getattr(oncall.grpc, method), _unknown_ids()[method])
    assert refused.code() == grpc.StatusCode.NOT_FOUND


async def test_an_unknown_layer_of_a_known_schedule_is_not_found(oncall):
    schedule = await _schedule(oncall)
    request = oncall_pb2.DeleteScheduleLayerRequest(schedule_id=schedule.id, layer_id=NOBODY)
    assert (await _refused(oncall.grpc.DeleteScheduleLayer, request)).code() == grpc.StatusCode.NOT_FOUND


WRITES = [
    "CreateUser",
    "DeleteUser",
    "SetUserLoginDisabled",
    "CreateEscalationPolicy",
    "UpdateEscalationPolicy",
    "DeleteEscalationPolicy",
    "CreateSchedule",
    "DeleteSchedule",
    "AddScheduleLayer",
    "UpdateScheduleLayer",
    "DeleteScheduleLayer",
    "SetScheduleLayerRestrictions",
]


def _request(method: str) -> object:
    return _unknown_ids().get(method) or getattr(oncall_pb2, f"{method}Request")()


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("metadata", [RESPONDER, ()], ids=["responder", "nobody"])
async def test_a_write_not_acting_as_an_admin_is_refused(oncall, method, metadata):
    refused = await _refused(getattr(oncall.grpc, method), _request(method), metadata=metadata)
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("method", [*WRITES, "ListTeams", "GetSchedule", "GetEscalationPolicy"])
async def test_a_call_without_the_internal_credential_is_refused(oncall, method):
    async with grpc.aio.insecure_channel(oncall.grpc_target) as channel:
        stub = oncall_pb2_grpc.OnCallServiceStub(channel)
        refused = await _refused(getattr(stub, method), _request(method))
    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED
