"""Dashboard logins over gRPC: AuthenticateUser (one answer for every wrong pair, a disabled login, the
failure limit with its retry-after), GetUser for the session check, ListCurrentOnCall for every team."""

import time

import grpc
import pytest

from services.oncall_service import logins, passwords
from shared.gen.oncall.v1 import oncall_pb2
from shared.timeutil import parse_rfc3339, utcnow
from tests.integration.oncall_fixtures import OnCallStack, unique

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"


@pytest.fixture
async def stack(start_oncall_stack) -> OnCallStack:
    return await start_oncall_stack(login_max_failures=2, login_window_seconds=600)


async def _set_password(stack: OnCallStack, email: str, *, name: str | None = None) -> None:
    async with stack.runtime.commands.sessions.begin() as session:
        await logins.set_password(session, email=email, name=name, password=PASSWORD, now=utcnow())


async def _authenticate(stack: OnCallStack, email: str, password: str = PASSWORD):
    request = oncall_pb2.AuthenticateUserRequest(email=email, password=password)
    return await stack.grpc.AuthenticateUser(request)


async def _refused(stack: OnCallStack, email: str, password: str = PASSWORD) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await _authenticate(stack, email, password)
    return error.value


async def test_the_right_password_returns_the_user_whatever_the_emails_case(stack):
    user = await stack.user("Alice")
    await _set_password(stack, user["email"])
    reply = await _authenticate(stack, user["email"].upper())
    assert (reply.user.id, reply.user.name, reply.user.email) == (user["id"], "Alice", user["email"])


async def test_unknown_email_wrong_password_and_no_password_get_one_answer(stack, monkeypatch):
    verified = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: verified.append(h) or real(h, p))
    with_password, without = await stack.user("Bob"), await stack.user("Carol")
    await _set_password(stack, with_password["email"])
    errors = [
        await _refused(stack, with_password["email"], "not the password at all"),
        await _refused(stack, "nobody@example.com"),
        await _refused(stack, without["email"]),
    ]
    assert {(e.code(), e.details()) for e in errors} == {
        (grpc.StatusCode.UNAUTHENTICATED, logins.LOGIN_FAILED)
    }
    assert len(verified) == 3 and verified[1] is None and verified[2] is None  # dummy hash verified


async def test_a_disabled_login_is_permission_denied_only_with_the_right_password(stack):
    user = await stack.user("Dan")
    await _set_password(stack, user["email"])
    async with stack.runtime.commands.sessions.begin() as session:
        await logins.set_login_disabled(session, email=user["email"], disabled=True, now=utcnow())
    assert (await _refused(stack, user["email"])).code() == grpc.StatusCode.PERMISSION_DENIED
    wrong = await _refused(stack, user["email"], "wrong wrong wrong")
    assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_too_many_failures_are_resource_exhausted_with_retry_after(stack):
    user = await stack.user("Erin")
    await _set_password(stack, user["email"])
    for _ in range(2):
        assert (await _refused(stack, user["email"], "wrong")).code() == grpc.StatusCode.UNAUTHENTICATED
    refused = await _refused(stack, user["email"])  # even the right password, for a while
    assert (
        refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "too many failed logins" in refused.details()
    )
    retry_after = dict(tuple(refused.trailing_metadata()))["retry-after"]
    assert 0 < int(retry_after) <= 600
    other = await stack.user("Fay")  # the count is per email
    assert (await _refused(stack, other["email"], "wrong")).code() == grpc.StatusCode.UNAUTHENTICATED


async def test_get_user_tells_whether_and_since_when_sessions_count(stack):
    user = await stack.user("Gus")
    before = time.time()
    await _set_password(stack, user["email"])
    reply = await stack.grpc.GetUser(oncall_pb2.GetUserRequest(user_id=user["id"]))
    assert reply.user.email == user["email"] and not reply.login_disabled
    assert parse_rfc3339(reply.credentials_changed_at).timestamp() >= before - 1
    assert "password" not in str(reply)
    await stack.http.delete(f"/api/v1/users/{user['id']}")
    for user_id, code in (
        (user["id"], "NOT_FOUND"),
        ("not-a-uuid", "INVALID_ARGUMENT"),
        ("", "INVALID_ARGUMENT"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stack.grpc.GetUser(oncall_pb2.GetUserRequest(user_id=user_id))
        assert error.value.code().name == code and (code == "NOT_FOUND" or "user_id" in error.value.details())


async def test_list_current_on_call_answers_for_every_team_in_name_order(stack):
    user = await stack.user("Hal")
    staffed = await stack.team(unique("svc"))
    await stack.rotation(staffed["id"], [user["id"]])
    empty = await stack.team()
    reply = await stack.grpc.ListCurrentOnCall(oncall_pb2.ListCurrentOnCallRequest())
    teams = {t.team: t for t in reply.teams}
    assert [t.team for t in reply.teams] == sorted(teams)
    assert teams[staffed["name"]].user.email == user["email"] and teams[staffed["name"]].rotation
    assert teams[staffed["name"]].shift_start and not teams[empty["name"]].HasField("user")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stack.grpc.ListCurrentOnCall(oncall_pb2.ListCurrentOnCallRequest(at="yesterday"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
