"""The teams that own each service, for the team filter of webhook subscriptions: the services
catalogue's `team` (incident-management's `ListServices`) and on-call's team ownership (`ListTeams`),
asked over gRPC, both in one go, and kept ONCALL_CACHE_SECONDS, so the notifier reads no other service's
tables and a storm asks once. Asked only while some subscription filters by team.

When a peer does not answer, the last answer serves (a change of ownership meanwhile is seen once both
answer again); with none yet, the batch of events fails and is handled again later (nothing is lost)."""

import asyncio
import logging
from collections import defaultdict

import grpc

from shared.aio import RecentAnswers
from shared.errors import DomainError
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc, oncall_pb2, oncall_pb2_grpc
from shared.rpc import call, peer_unavailable

log = logging.getLogger(__name__)
Owners = dict[str, frozenset[str]]


class ServiceTeams:
    def __init__(
        self,
        incidents: grpc.aio.Channel,
        oncall: grpc.aio.Channel,
        *,
        timeout: float,
        cache_seconds: float = 0.0,
    ) -> None:
        self._incidents = incident_pb2_grpc.IncidentServiceStub(incidents)
        self._oncall = oncall_pb2_grpc.OnCallServiceStub(oncall)
        self._timeout = timeout
        self._answers = RecentAnswers(cache_seconds)
        self._last: Owners | None = None

    async def owners(self) -> Owners:
        """Every owned service's teams by service name; Unavailable when a peer is down and nothing was
        answered before."""
        try:
            self._last = await self._answers.get("owners", self._ask)
        except DomainError as error:
            if self._last is None:
                raise peer_unavailable("incident-management and on-call", error) from error
            log.warning("service teams: kept the last answer", extra={"fields": {"error": error.message}})
        return self._last

    async def _ask(self) -> Owners:
        services: incident_pb2.ListServicesResponse
        teams: oncall_pb2.ListTeamsResponse
        services, teams = await asyncio.gather(
            call(
                self._incidents.ListServices,
                incident_pb2.ListServicesRequest(),
                deadline=self._timeout,
                idempotent=True,
            ),
            call(
                self._oncall.ListTeams, oncall_pb2.ListTeamsRequest(), deadline=self._timeout, idempotent=True
            ),
        )
        found: defaultdict[str, set[str]] = defaultdict(set)
        for service in services.services:
            if service.team:
                found[service.name].add(service.team)
        for team in teams.teams:
            for name in team.services:
                found[name].add(team.name)
        return {name: frozenset(owners) for name, owners in found.items()}
