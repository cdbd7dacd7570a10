"""The gRPC servers of incident-management and on-call refuse calls without the internal credential
(UNAUTHENTICATED), health checks aside, and answer calls that carry it."""

import secrets

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import SecretStr

from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc, oncall_pb2, oncall_pb2_grpc
from shared.grpc import REFUSED, create_channel
from tests.integration.incident_fixtures import incidents, start_incident_stack  # noqa: F401
from tests.integration.oncall_fixtures import oncall  # noqa: F401
from tests.integration.servers import channel_to

pytestmark = pytest.mark.integration


def list_incidents(channel: grpc.aio.Channel):
    stub = incident_pb2_grpc.IncidentServiceStub(channel)
    return stub.ListIncidents(incident_pb2.ListIncidentsRequest(limit=1), timeout=5)


def list_on_call(channel: grpc.aio.Channel):
    stub = oncall_pb2_grpc.OnCallServiceStub(channel)
    return stub.ListCurrentOnCall(oncall_pb2.ListCurrentOnCallRequest(), timeout=5)


@pytest.fixture(params=["incidents", "oncall"])
def served(request):
    """(target, one ordinary call of its service) for each service's gRPC server, started for the test."""
    stack = request.getfixturevalue(request.param)
    return stack.grpc_target, list_incidents if request.param == "incidents" else list_on_call


async def test_a_call_without_the_credential_is_refused(served):
    target, call = served
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(channel)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED and refused.value.details() == REFUSED


async def test_a_call_with_a_wrong_credential_is_refused_and_logged_without_it(served, caplog):
    target, call = served
    wrong = secrets.token_hex(32)
    async with create_channel(target, internal_token=SecretStr(wrong)) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(channel)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert REFUSED in caplog.text and wrong not in caplog.text


async def test_a_health_check_needs_no_credential(served):
    target, _ = served
    async with grpc.aio.insecure_channel(target) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_a_call_with_the_credential_is_answered(served):
    target, call = served
    async with channel_to(target) as channel:
        assert await call(channel) is not None
