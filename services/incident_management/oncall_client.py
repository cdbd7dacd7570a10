"""Asks the on-call service who should own an incident."""

import asyncio
import logging
import time
import uuid
from datetime import datetime

import grpc
from aiodataloader import DataLoader

from services.incident_management.domain import EscalationStep, OnCallAnswer
from shared.aio import RecentAnswers
from shared.errors import InvalidInput, NotFound, Unavailable
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.grpc import call_metadata
from shared.timeutil import rfc3339

log = logging.getLogger(__name__)
# What one GetCurrentOnCallForServices call asks at most (on-call's own bound is 1,000).
MAX_SERVICES_PER_CALL = 500


class OnCallClient:
    """incident-management's questions to on-call. The services asked about at once (the new incidents of
    one ingest transaction, each paged by its own task) go in one GetCurrentOnCallForServices call, as a
    DataLoader batches the loads of one event-loop tick; an on-call that predates that call (a rolling
    upgrade) is asked one service at a time, and asked in one call again `ONE_BY_ONE_SECONDS` later."""

    ONE_BY_ONE_SECONDS = 60.0

    def __init__(self, channel: grpc.aio.Channel, *, timeout: float, cache_seconds: float = 0.0) -> None:
        self._stub = oncall_pb2_grpc.OnCallServiceStub(channel)
        self._timeout = timeout
        self._answers = RecentAnswers(cache_seconds)
        self._loader: DataLoader[str, OnCallAnswer] | None = None
        self._one_by_one_until = 0.0

    async def who_is_on_call(self, *, service: str) -> OnCallAnswer:
        """The on-call user for the team owning `service`, or nobody with the reason; Unavailable if down."""
        return await self._answers.get(("service", service), lambda: self._services().load(service))

    def _services(self) -> DataLoader[str, OnCallAnswer]:
        if self._loader is None:  # made in the running loop, which the loader keeps
            self._loader = DataLoader(
                self._for_services,
                cache=False,  # answers are kept (or not) by `RecentAnswers`
                max_batch_size=MAX_SERVICES_PER_CALL,
                loop=asyncio.get_running_loop(),
            )
        return self._loader

    async def _for_services(self, services: list[str]) -> list[OnCallAnswer | Exception]:
        if time.monotonic() < self._one_by_one_until:
            return await asyncio.gather(*map(self._who_is_on_call, services), return_exceptions=True)
        try:
            reply = await self._stub.GetCurrentOnCallForServices(
                oncall_pb2.GetCurrentOnCallForServicesRequest(services=services),
                timeout=self._timeout,
                metadata=call_metadata(),
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise Unavailable(f"on-call service unavailable ({error.code().name})") from error
            log.warning("on-call has no GetCurrentOnCallForServices: asking one service at a time")
            self._one_by_one_until = time.monotonic() + self.ONE_BY_ONE_SECONDS
            return await self._for_services(services)
        if [entry.service for entry in reply.services] != services:
            raise Unavailable(f"on-call answered for other services than the {len(services)} asked")
        return [
            _answer(entry.on_call) if entry.owned else _unowned(entry.service) for entry in reply.services
        ]

    async def _who_is_on_call(self, service: str) -> OnCallAnswer:
        try:
            reply = await self._stub.GetCurrentOnCall(
                oncall_pb2.GetCurrentOnCallRequest(service=service),
                timeout=self._timeout,
                metadata=call_metadata(),
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return _unowned(service)
            raise Unavailable(f"on-call service unavailable ({error.code().name})") from error
        return _answer(reply)

    async def resolve_escalation(self, *, policy_id: uuid.UUID, level: int, at: datetime) -> EscalationStep:
        """Who `level` of the policy pages at `at` (a recent answer for the same level counts: callers ask
        about now); NotFound if the policy is gone, Unavailable if down."""
        return await self._answers.get(
            ("policy", policy_id, level), lambda: self._resolve_escalation(policy_id, level, at)
        )

    async def _resolve_escalation(self, policy_id: uuid.UUID, level: int, at: datetime) -> EscalationStep:
        try:
            reply = await self._stub.ResolveEscalation(
                oncall_pb2.ResolveEscalationRequest(policy_id=str(policy_id), level=level, at=rfc3339(at)),
                timeout=self._timeout,
                metadata=call_metadata(),
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(
                    f"escalation policy {policy_id} not found", field="escalation_policy_id"
                ) from error
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidInput(error.details() or "bad escalation request", field="level") from error
            raise Unavailable(f"on-call service unavailable ({error.code().name})") from error
        users = [
            OnCallAnswer(user_id=uuid.UUID(u.id), name=u.name, email=u.email, reason="escalation")
            for u in reply.users
        ]
        return EscalationStep(
            policy_name=reply.policy_name,
            users=users,
            delay_minutes=reply.delay_minutes or None,
            level_count=reply.level_count,
            repeat=reply.repeat,
            empty_targets=list(reply.empty_targets),
        )


def _unowned(service: str) -> OnCallAnswer:
    return OnCallAnswer(user_id=None, reason=f"no team owns service {service!r}")


def _answer(reply: oncall_pb2.GetCurrentOnCallResponse) -> OnCallAnswer:
    if not reply.HasField("user") or not reply.user.id:
        return OnCallAnswer(user_id=None, reason=f"nobody is on call for team {reply.team!r}")
    return OnCallAnswer(
        user_id=uuid.UUID(reply.user.id),
        name=reply.user.name,
        email=reply.user.email,
        reason=f"on call for team {reply.team}",
    )
