"""REST routes for incidents: parse, call one command, shape the answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.incident_management.commands import IncidentCommands
from services.incident_management.schemas import (
    AlertRead,
    IncidentDeclare,
    IncidentDetail,
    IncidentFilter,
    IncidentPage,
    IncidentPatch,
    IncidentRead,
    ReassignBody,
    SnoozeBody,
    TimelineRead,
)
from shared.access import CurrentIdentity, guard
from shared.auth import Role

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], dependencies=[guard(write=Role.responder)])


async def commands(request: Request) -> IncidentCommands:
    found: IncidentCommands = request.app.state.commands
    return found


Commands = Annotated[IncidentCommands, Depends(commands)]


@router.get("", response_model=IncidentPage)
async def list_incidents(cmd: Commands, query: Annotated[IncidentFilter, Query()]) -> IncidentPage:
    page = await cmd.list(query)
    return IncidentPage(
        incidents=[IncidentRead.model_validate(i) for i in page.incidents],
        limit=query.limit,
        offset=query.offset,
        total=page.total,
        more=query.offset + len(page.incidents) < page.total,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IncidentRead)
async def declare_incident(
    cmd: Commands, who: CurrentIdentity, body: IncidentDeclare, response: Response
) -> IncidentRead:
    """Open an incident by hand, paged as an alert's is: 201, or 200 when it joined an open incident of
    the same service and severity."""
    incident, created = await cmd.declare(body, actor=who.actor)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    return IncidentRead.model_validate(incident)


@router.get("/{incident_id}", response_model=IncidentDetail)
async def get_incident(cmd: Commands, incident_id: uuid.UUID) -> IncidentDetail:
    incident, alerts, timeline = await cmd.get(incident_id)
    return IncidentDetail(
        **IncidentRead.model_validate(incident).model_dump(),
        assignee_name=incident.assignee_name,
        assignee_email=incident.assignee_email,
        alerts=[AlertRead.model_validate(a) for a in alerts],
        timeline=[TimelineRead.model_validate(t) for t in timeline],
    )


@router.patch("/{incident_id}", response_model=IncidentRead)
async def patch_incident(
    cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID, patch: IncidentPatch
) -> IncidentRead:
    return IncidentRead.model_validate(await cmd.update(incident_id, patch, actor=who.actor))


@router.post("/{incident_id}/acknowledge", response_model=IncidentRead)
async def acknowledge(cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID) -> IncidentRead:
    return IncidentRead.model_validate(await cmd.acknowledge(incident_id, actor=who.actor))


@router.post("/{incident_id}/resolve", response_model=IncidentRead)
async def resolve(cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID) -> IncidentRead:
    return IncidentRead.model_validate(await cmd.resolve(incident_id, actor=who.actor))


@router.post("/{incident_id}/unacknowledge", response_model=IncidentRead)
async def unacknowledge(cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID) -> IncidentRead:
    """acknowledged → open; escalation restarts from the first level."""
    return IncidentRead.model_validate(await cmd.unacknowledge(incident_id, actor=who.actor))


@router.post("/{incident_id}/escalate", response_model=IncidentRead)
async def escalate(cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID) -> IncidentRead:
    """Page the next level now (the escalation worker does it within moments)."""
    return IncidentRead.model_validate(await cmd.escalate(incident_id, actor=who.actor))


@router.post("/{incident_id}/reassign", response_model=IncidentRead)
async def reassign(
    cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID, body: ReassignBody
) -> IncidentRead:
    return IncidentRead.model_validate(await cmd.reassign(incident_id, body, actor=who.actor))


@router.post("/{incident_id}/snooze", response_model=IncidentRead)
async def snooze(
    cmd: Commands, who: CurrentIdentity, incident_id: uuid.UUID, body: SnoozeBody
) -> IncidentRead:
    """No escalation until `until`; then it restarts (an acknowledged incident re-opens)."""
    return IncidentRead.model_validate(await cmd.snooze(incident_id, body, actor=who.actor))
