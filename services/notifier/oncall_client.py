"""Asks the on-call service for a user's notification rules, kept `ONCALL_CACHE_SECONDS` (a storm's emails
to one person ask once), and for the users and API tokens of the API's credential check
(shared.oncall_directory)."""

from dataclasses import dataclass

import grpc

from shared.aio import RecentAnswers
from shared.errors import DomainError, NotFound
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.oncall_directory import OnCallDirectory
from shared.rpc import call, peer_unavailable


@dataclass(frozen=True, slots=True)
class NotificationRules:
    email_enabled: bool
    event_types: list[str]
    time_zone: str = "UTC"


class OnCallClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float, cache_seconds: float = 0.0) -> None:
        self._stub = oncall_pb2_grpc.OnCallServiceStub(channel)
        self._timeout = timeout
        self._answers = RecentAnswers(cache_seconds)
        # The API's credential check (shared.access.Directory); the Authenticator caches its answers.
        self.directory = OnCallDirectory(self._stub, timeout=timeout)

    async def notification_rules(self, *, email: str) -> NotificationRules | None:
        """The rules of the user with this email; None when no user has it; Unavailable if on-call is down."""
        return await self._answers.get(email.lower(), lambda: self._ask(email))

    async def _ask(self, email: str) -> NotificationRules | None:
        request = oncall_pb2.GetNotificationRulesRequest(email=email)
        try:
            reply = await call(
                self._stub.GetNotificationRules, request, deadline=self._timeout, idempotent=True
            )
        except NotFound:
            return None
        except DomainError as error:
            raise peer_unavailable("on-call", error) from error
        return NotificationRules(
            email_enabled=reply.email_enabled,
            event_types=list(reply.event_types),
            time_zone=reply.time_zone or "UTC",
        )
