"""Escalation policies over REST, and ResolveEscalation over real gRPC."""

import grpc
import pytest

from shared.gen.oncall.v1 import oncall_pb2
from tests.integration.oncall_fixtures import unique

pytestmark = pytest.mark.integration

GHOST = "00000000-0000-4000-8000-000000000000"


async def make_schedule(oncall, member_ids: list[str]) -> dict:
    layer = {
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-01-05",
        "member_ids": member_ids,
    }
    body = {"name": unique("sched"), "time_zone": "UTC", "layers": [layer]}
    return (await oncall.http.post("/api/v1/schedules", json=body)).json()


async def make_policy(oncall, levels: list[dict], **fields) -> dict:
    reply = await oncall.http.post(
        "/api/v1/escalation-policies", json={"name": unique("pol"), "levels": levels} | fields
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def user(target: dict) -> dict:
    return {"type": "user", "id": target["id"]}


def schedule(target: dict) -> dict:
    return {"type": "schedule", "id": target["id"]}


async def test_policy_is_created_read_patched_and_deleted(oncall):
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    rota = await make_schedule(oncall, [bob["id"]])
    policy = await make_policy(
        oncall, [{"delay_minutes": 5, "targets": [user(alice)]}, {"targets": [schedule(rota)]}], repeat=2
    )
    assert policy["repeat"] == 2 and policy["levels"][1] == {
        "delay_minutes": None,
        "targets": [schedule(rota)],
    }
    url = f"/api/v1/escalation-policies/{policy['id']}"
    assert (await oncall.http.get(url)).json() == policy
    assert policy in (await oncall.http.get("/api/v1/escalation-policies")).json()
    patched = await oncall.http.patch(url, json={"levels": [{"delay_minutes": 1.5, "targets": [user(bob)]}]})
    assert patched.status_code == 200 and patched.json()["levels"] == [
        {"delay_minutes": 1.5, "targets": [user(bob)]}
    ]
    assert (await oncall.http.delete(url)).status_code == 204
    assert (await oncall.http.get(url)).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"levels": []}, "levels"),
        ({"levels": [{"delay_minutes": 0, "targets": [{"type": "user", "id": GHOST}]}]}, "delay_minutes"),
        ({"levels": [{"delay_minutes": -1, "targets": [{"type": "user", "id": GHOST}]}]}, "delay_minutes"),
        ({"levels": [{"targets": [{"type": "team", "id": GHOST}]}]}, "type"),
        ({"repeat": -1}, "repeat"),
    ],
)
async def test_bad_policy_shapes_are_422_naming_the_field(oncall, change, field):
    alice = await oncall.user()
    body = {"name": unique("pol"), "levels": [{"targets": [user(alice)]}]} | change
    reply = await oncall.http.post("/api/v1/escalation-policies", json=body)
    assert reply.status_code == 422 and field in reply.text


async def test_unknown_or_deleted_targets_are_422_and_nothing_is_damaged(oncall):
    alice, gone = await oncall.user("Alice"), await oncall.user("Gone")
    assert (await oncall.http.delete(f"/api/v1/users/{gone['id']}")).status_code == 204
    levels = [{"targets": [user(alice)]}, {"targets": [user(alice), user(gone)]}]
    reply = await oncall.http.post(
        "/api/v1/escalation-policies", json={"name": unique("p"), "levels": levels}
    )
    assert reply.status_code == 422 and reply.json()["field"] == "levels[1].targets[1].id"
    policy = await make_policy(oncall, [{"targets": [user(alice)]}])
    url = f"/api/v1/escalation-policies/{policy['id']}"
    bad = await oncall.http.patch(url, json={"levels": [{"targets": [{"type": "schedule", "id": GHOST}]}]})
    assert bad.status_code == 422 and bad.json()["field"] == "levels[0].targets[0].id"
    assert (await oncall.http.get(url)).json() == policy


async def test_user_paged_by_a_policy_cannot_be_deleted(oncall):
    alice = await oncall.user("Alice")
    policy = await make_policy(oncall, [{"targets": [user(alice)]}])
    reply = await oncall.http.delete(f"/api/v1/users/{alice['id']}")
    assert reply.status_code == 409 and policy["name"] in reply.json()["detail"]


async def test_resolve_escalation_turns_schedules_into_users_and_reports_empty_ones(oncall):
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    staffed, empty = await make_schedule(oncall, [bob["id"]]), await make_schedule(oncall, [])
    policy = await make_policy(
        oncall,
        [
            {"delay_minutes": 0.5, "targets": [user(alice), schedule(staffed), user(alice)]},
            {"targets": [schedule(empty)]},
        ],
        repeat=3,
    )
    first = await oncall.grpc.ResolveEscalation(
        oncall_pb2.ResolveEscalationRequest(policy_id=policy["id"], level=0, at="2026-02-02T12:00:00Z")
    )
    assert [u.id for u in first.users] == [alice["id"], bob["id"]]
    assert (first.level_count, first.repeat, first.delay_minutes) == (2, 3, 0.5)
    assert first.policy_name == policy["name"] and not first.empty_targets
    second = await oncall.grpc.ResolveEscalation(
        oncall_pb2.ResolveEscalationRequest(policy_id=policy["id"], level=1)
    )
    assert not second.users and second.empty_targets == [f"schedule {empty['name']}"]
    assert second.delay_minutes == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"policy_id": GHOST}, grpc.StatusCode.NOT_FOUND),
        ({"policy_id": "nope"}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"level": 7}, grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
async def test_resolve_escalation_errors_carry_status_codes(oncall, fields, code):
    policy = await make_policy(oncall, [{"targets": [user(await oncall.user())]}])
    request = oncall_pb2.ResolveEscalationRequest(**({"policy_id": policy["id"]} | fields))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await oncall.grpc.ResolveEscalation(request)
    assert error.value.code() == code and error.value.details()
