"""Asks the on-call service who should own an incident."""

import asyncio
import uuid
from datetime import datetime

import grpc
from aiodataloader import DataLoader

from services.incident_management.domain import EscalationStep, OnCallAnswer
from shared.aio import RecentAnswers
from shared.errors import DomainError, InvalidInput, NotFound, Unavailable
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.rpc import Method, Reply, call, peer_unavailable
from shared.timeutil import rfc3339

# What one GetCurrentOnCallForServices call asks at most (on-call's own bound is 1,000).
MAX_SERVICES_PER_CALL = 500


class OnCallClient:
    """incident-management's questions to on-call. The services asked about at once (the new incidents of
    one ingest transaction, each paged by its own task) go in one GetCurrentOnCallForServices call, as a
    DataLoader batches the loads of one event-loop tick."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout: float, cache_seconds: float = 0.0) -> None:
        self._stub = oncall_pb2_grpc.OnCallServiceStub(channel)
        self._timeout = timeout
        self._answers = RecentAnswers(cache_seconds)
        self._loader: DataLoader[str, OnCallAnswer] | None = None

    async def who_is_on_call(self, *, service: str) -> OnCallAnswer:
        """The on-call user for the team owning `service`, or nobody with the reason; Unavailable if down."""
        return await self._answers.get(("service", service), lambda: self._services().load(service))

    def _services(self) -> DataLoader[str, OnCallAnswer]:
        if self._loader is None:  # made in the running loop, which the loader keeps
            self._loader = DataLoader(
                # aiodataloader types the answers as values only; an Exception in their place fails that key
                self._for_services,  # type: ignore[arg-type]
                cache=False,  # answers are kept (or not) by `RecentAnswers`
                max_batch_size=MAX_SERVICES_PER_CALL,
                loop=asyncio.get_running_loop(),
            )
        return self._loader

    async def _for_services(self, services: list[str]) -> list[OnCallAnswer | Exception]:
        request = oncall_pb2.GetCurrentOnCallForServicesRequest(services=services)
        reply = await self._ask(self._stub.GetCurrentOnCallForServices, request)
        if [entry.service for entry in reply.services] != services:
            raise Unavailable(f"on-call answered for other services than the {len(services)} asked")
        return [
            _answer(entry.on_call) if entry.owned else _unowned(entry.service) for entry in reply.services
        ]

    async def resolve_escalation(self, *, policy_id: uuid.UUID, level: int, at: datetime) -> EscalationStep:
        """Who `level` of the policy pages at `at` (a recent answer for the same level counts: callers ask
        about now); NotFound if the policy is gone, Unavailable if down."""
        return await self._answers.get(
            ("policy", policy_id, level), lambda: self._resolve_escalation(policy_id, level, at)
        )

    async def _resolve_escalation(self, policy_id: uuid.UUID, level: int, at: datetime) -> EscalationStep:
        request = oncall_pb2.ResolveEscalationRequest(policy_id=str(policy_id), level=level, at=rfc3339(at))
        try:
            reply = await self._ask(self._stub.ResolveEscalation, request, keep=(NotFound, InvalidInput))
        except NotFound as error:
            raise NotFound(
                f"escalation policy {policy_id} not found", field="escalation_policy_id"
            ) from error
        except InvalidInput as error:
            raise InvalidInput(error.message or "bad escalation request", field="level") from error
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

    async def _ask(
        self, method: Method[Reply], request: object, *, keep: tuple[type[DomainError], ...] = ()
    ) -> Reply:
        """A read of on-call's: the errors in `keep` as they are, any other Unavailable (paging and
        escalation retry it later)."""
        try:
            return await call(method, request, deadline=self._timeout, idempotent=True)
        except keep:
            raise
        except DomainError as error:
            raise peer_unavailable("on-call", error) from error


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
