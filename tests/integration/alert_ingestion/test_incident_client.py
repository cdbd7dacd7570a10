"""The replica's client sends single alerts that arrive together in one IngestAlertGroup call, each
caller getting its own answer; here against a real gRPC server that records the calls it gets."""

import asyncio

import grpc
import pytest

from services.alert_ingestion.incident_client import IncidentClient
from shared.errors import PermissionDenied, Unavailable
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from shared.telemetry import adopt
from tests.integration.servers import channel_to, running_grpc

pytestmark = pytest.mark.integration


class RecordingIncidents(incident_pb2_grpc.IncidentServiceServicer):
    """Answers each item after `delay`; a fingerprint starting with "revoked" gets PERMISSION_DENIED."""

    def __init__(self, delay: float, *, drop_last: bool = False) -> None:
        self.delay, self.drop_last, self.groups = delay, drop_last, []

    async def IngestAlertGroup(self, request, context):
        self.groups.append([(i.request.alert.fingerprint, i.traceparent) for i in request.items])
        await asyncio.sleep(self.delay)
        outcomes = [self._outcome(i) for i in request.items]
        return incident_pb2.IngestAlertGroupResponse(outcomes=outcomes[:-1] if self.drop_last else outcomes)

    @staticmethod
    def _outcome(item: incident_pb2.GroupedAlert) -> incident_pb2.IngestOutcome:
        fingerprint = item.request.alert.fingerprint
        if fingerprint.startswith("revoked"):
            denied = grpc.StatusCode.PERMISSION_DENIED.value[0]
            return incident_pb2.IngestOutcome(
                error=incident_pb2.ItemError(code=denied, message="key revoked", field="key")
            )
        result = incident_pb2.IngestAlertResponse(alert_id=f"a-{fingerprint}", result="created")
        return incident_pb2.IngestOutcome(result=result)


def traceparent_of(fingerprint: str) -> str:
    return f"00-{abs(hash(fingerprint)) + 1:032x}-00000000000000aa-01"


async def send(client: IncidentClient, fingerprint: str):
    adopt(traceparent_of(fingerprint))  # each caller is a task of its own: its own trace
    try:
        return await client.ingest(incident_pb2.Alert(fingerprint=fingerprint))
    except Exception as error:
        return error


async def test_alerts_arriving_together_share_one_call_and_keep_their_own_answers():
    servicer = RecordingIncidents(delay=0.2)
    server = grpc.aio.server()
    incident_pb2_grpc.add_IncidentServiceServicer_to_server(servicer, server)
    async with running_grpc(server) as target:
        channel = channel_to(target)
        client = IncidentClient(channel, timeout=5, group_lanes=1)
        first = asyncio.create_task(send(client, "first"))
        await asyncio.sleep(0.05)  # the first call is on its way: the next ones wait and go together
        names = [f"revoked-{i}" if i % 3 == 0 else f"ok-{i}" for i in range(9)]
        answers = await asyncio.gather(*(send(client, n) for n in names))
        await first
        await channel.close()
    assert [len(group) for group in servicer.groups] == [1, 9]
    assert servicer.groups[1] == [(n, traceparent_of(n)) for n in names]
    for name, answer in zip(names, answers, strict=True):
        if name.startswith("revoked"):
            assert isinstance(answer, PermissionDenied) and answer.field == "key"
        else:
            assert answer.alert_id == f"a-{name}"


async def test_a_failed_call_fails_every_alert_of_its_group_as_unavailable():
    server = grpc.aio.server()  # serves nothing: every call is UNIMPLEMENTED
    async with running_grpc(server) as target:
        channel = channel_to(target)
        client = IncidentClient(channel, timeout=5)
        answers = await asyncio.gather(*(send(client, f"x{i}") for i in range(3)))
        await channel.close()
    assert all(isinstance(a, Unavailable) for a in answers)


async def test_an_answer_that_does_not_match_the_group_fails_it_rather_than_guessing():
    servicer = RecordingIncidents(delay=0.1, drop_last=True)
    server = grpc.aio.server()
    incident_pb2_grpc.add_IncidentServiceServicer_to_server(servicer, server)
    async with running_grpc(server) as target:
        channel = channel_to(target)
        client = IncidentClient(channel, timeout=5, group_lanes=1)
        answers = await asyncio.gather(*(send(client, f"ok-{i}") for i in range(4)))
        await channel.close()
    assert all(isinstance(a, Unavailable) for a in answers)
