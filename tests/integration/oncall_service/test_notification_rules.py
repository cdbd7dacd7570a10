"""Per-user notification rules: kept with the user over REST, served to the notifier over gRPC."""

import grpc
import pytest

from shared.gen.oncall.v1 import oncall_pb2

pytestmark = pytest.mark.integration


async def test_rules_default_to_every_event_by_email(oncall):
    user = await oncall.user("Dana")
    assert user["email_notifications"] is True and user["notify_event_types"] == []
    reply = await oncall.grpc.GetNotificationRules(
        oncall_pb2.GetNotificationRulesRequest(email=user["email"])
    )
    assert (reply.user_id, reply.email_enabled, list(reply.event_types)) == (user["id"], True, [])
    assert reply.time_zone == "UTC"


async def test_rules_are_updated_over_rest_and_read_by_id_or_email(oncall):
    user = await oncall.user("Eve", notify_event_types=["incident.triggered"])
    patched = await oncall.http.patch(
        f"/api/v1/users/{user['id']}",
        json={
            "email_notifications": False,
            "time_zone": "Europe/Paris",
            "notify_event_types": ["incident.escalated", "incident.resolved"],
        },
    )
    assert patched.status_code == 200, patched.text
    by_id = await oncall.grpc.GetNotificationRules(oncall_pb2.GetNotificationRulesRequest(user_id=user["id"]))
    by_email = await oncall.grpc.GetNotificationRules(
        oncall_pb2.GetNotificationRulesRequest(email=user["email"].upper())
    )
    assert by_id == by_email
    assert not by_id.email_enabled and list(by_id.event_types) == ["incident.escalated", "incident.resolved"]
    assert by_id.time_zone == "Europe/Paris"  # the zone the user's emails show times in


async def test_unknown_user_is_not_found_and_bad_event_types_are_refused(oncall):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await oncall.grpc.GetNotificationRules(
            oncall_pb2.GetNotificationRulesRequest(email="nobody@example.com")
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    bad = await oncall.http.post(
        "/api/v1/users", json={"name": "X", "email": "x-bad@example.com", "notify_event_types": ["paged"]}
    )
    assert bad.status_code == 422 and "notify_event_types" in bad.text
