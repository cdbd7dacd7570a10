"""The incident pages under /ui: the list, one incident, declaring one, and what people do to them."""

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, field_validator
from starlette.datastructures import QueryParams

from services.incident_management.models import INCIDENT_STATUSES, SEVERITIES
from services.web_ui.incident_client import ACTIONS, IncidentClient
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer
from services.web_ui.views import render
from shared.auth import Role
from shared.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from shared.gen.oncall.v1 import incident_pb2
from shared.http import PageOffset
from shared.text import InputModel
from shared.timeutil import rfc3339, utcnow

router = APIRouter(prefix="/ui", tags=["dashboard"])

RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
SORTS = {"triage": "Open and severe first", "newest": "Newest", "oldest": "Oldest", "severity": "Severity"}
SNOOZES = {"15": "15 min", "60": "1 hour", "240": "4 hours", "1440": "1 day"}
BULK_ACTIONS = ("acknowledge", "resolve")


class ListFilter(InputModel):
    """The incident list's query; the form's empty choices mean no filter."""

    status: Literal["open", "acknowledged", "resolved"] | None = None
    severity: Literal["critical", "high", "warning", "info"] | None = None
    service: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    assignee: Literal["mine"] | uuid.UUID | None = None
    range: Literal["1h", "24h", "7d", "30d"] | None = None
    q: str | None = Field(default=None, max_length=200)
    sort: Literal["triage", "newest", "oldest", "severity"] = "triage"
    offset: PageOffset = 0

    @field_validator("status", "severity", "service", "team", "assignee", "range", "q", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def query(self, **changes: object) -> dict[str, Any]:
        """The filters as URL parameters (defaults left out), with `changes`."""
        values = self.model_dump(mode="json") | changes
        return {k: v for k, v in values.items() if v not in (None, "", 0, "triage")}

    def url(self, **changes: object) -> str:
        return "/ui/?" + urlencode(self.query(**changes))


def _incidents(request: Request) -> IncidentClient:
    incidents: IncidentClient = request.app.state.incidents
    return incidents


def _rpc_filters(filters: ListFilter, who: Viewer, size: int) -> incident_pb2.ListIncidentsRequest:
    assignee = who.user_id if filters.assignee == "mine" else filters.assignee
    since = utcnow() - RANGES[filters.range] if filters.range else None
    return incident_pb2.ListIncidentsRequest(
        status=filters.status or "",
        severity=filters.severity or "",
        service=filters.service or "",
        team=filters.team or "",
        assignee=str(assignee or ""),
        text=filters.q or "",
        since=rfc3339(since) or "",
        sort=filters.sort,
        limit=size,
        offset=filters.offset,
    )


@router.get("/")
async def incident_list(
    request: Request, who: CurrentViewer, filters: Annotated[ListFilter, Query()]
) -> Response:
    """Open and most severe first unless sorted otherwise, filtered, one page: one ListIncidents call."""
    size = request.app.state.settings.page_size
    started = time.perf_counter()
    page = await _incidents(request).list_incidents(_rpc_filters(filters, who, size))
    api_ms = (time.perf_counter() - started) * 1000
    shown = len(page.incidents)
    counts = dict(page.status_counts)
    response = render(
        "incidents.html",
        nav_section="incidents",
        viewer=who,
        notice=_bulk_notice(request.query_params),
        incidents=page.incidents,
        total=page.total,
        counts=counts,
        all_count=sum(counts.values()),
        filters=filters,
        statuses=INCIDENT_STATUSES,
        severities=SEVERITIES,
        ranges=RANGES,
        sorts=SORTS,
        first=filters.offset + 1 if shown else 0,
        last=filters.offset + shown,
        prev_url=filters.url(offset=max(filters.offset - size, 0)) if filters.offset > 0 else None,
        next_url=filters.url(offset=filters.offset + size) if filters.offset + shown < page.total else None,
    )
    response.headers["Server-Timing"] = f"rpc;dur={api_ms:.1f}"
    return response


def _bulk_notice(params: QueryParams) -> str | None:
    """What a bulk action did, as its redirect told the list."""
    done, skipped = params.get("done", ""), params.get("skipped", "")
    if not (done.isdigit() and skipped.isdigit()):
        return None
    return f"{done} changed" + (f", {skipped} skipped (already in that state)" if int(skipped) else "")


def _responder(who: Viewer) -> None:
    if not who.may(Role.responder):
        raise PermissionDenied(f"needs the responder role (you are a {who.role})")


@router.post("/incidents/bulk")
async def bulk_action(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    """Acknowledge or resolve the ticked incidents; those that cannot be (already resolved...) are
    skipped and counted, then back to the list."""
    _responder(who)
    action = form.get("action", "")
    if action not in BULK_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(BULK_ACTIONS)}", field="action")
    ids = parse_qs((await request.body()).decode("utf-8", "replace")).get("id", [])
    done = skipped = 0
    for incident_id in ids:
        try:
            await _incidents(request).act(
                str(uuid.UUID(incident_id)), action, actor=who.identity, client_ip=who.client_ip
            )
            done += 1
        except (ValueError, Conflict):
            skipped += 1
    back = form.get("back", "")
    target = back if back.startswith("/ui/?") else "/ui/?"
    return RedirectResponse(f"{target}&{urlencode({'done': done, 'skipped': skipped})}", 303)


@router.get("/incidents/new")
async def declare_form(who: CurrentViewer) -> Response:
    _responder(who)
    return render("declare.html", nav_section="incidents", viewer=who, severities=SEVERITIES, form={})


@router.post("/incidents/new")
async def declare(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    """Open an incident by hand; it is paged as an alert's incident is. Then to its page."""
    _responder(who)
    fields = {name: form.get(name, "").strip() for name in ("service", "severity", "title", "description")}
    try:
        reply = await _incidents(request).declare(actor=who.identity, client_ip=who.client_ip, **fields)
    except InvalidInput as refused:
        page = {"viewer": who, "severities": SEVERITIES, "form": fields, "error": refused.message}
        return render("declare.html", 422, nav_section="incidents", **page)
    return RedirectResponse(f"/ui/incidents/{reply.incident.id}", status_code=303)


@router.get("/incidents/{incident_id}")
async def incident_detail(request: Request, who: CurrentViewer, incident_id: uuid.UUID) -> Response:
    reply = await _incidents(request).get_incident(str(incident_id))
    return _incident_page(reply, who, targets=await _targets(request, who, reply.incident))


async def _targets(request: Request, who: Viewer, incident: incident_pb2.Incident) -> dict[str, Any]:
    """Whom a responder may reassign the incident to (on-call's users and policies); none when on-call
    cannot say, and the form asks for an id instead."""
    if not who.may(Role.responder) or incident.status == "resolved":
        return {}
    console = request.app.state.console
    try:
        users, policies = await asyncio.gather(console.users(), console.policies())
    except DomainError:
        return {}
    people = sorted((u.user for u in users if u.role != "viewer"), key=lambda u: u.name.lower())
    return {"users": people, "policies": sorted(policies, key=lambda p: p.name.lower())}


def _incident_page(
    reply: incident_pb2.GetIncidentResponse,
    who: Viewer,
    status_code: int = 200,
    error: str | None = None,
    targets: dict[str, Any] | None = None,
) -> Response:
    return render(
        "incident.html",
        status_code,
        nav_section="incidents",
        viewer=who,
        incident=reply.incident,
        alerts=reply.alerts,
        timeline=reply.timeline,
        snoozes=SNOOZES,
        targets=targets or {},
        error=error,
    )


def _action_fields(action: str, form: dict[str, str], who: Viewer) -> dict[str, str]:
    """The extra request fields an action takes from its form."""
    if action == "note":
        return {"note": form.get("note", "")}
    if action == "snooze":
        minutes = form.get("minutes", "")
        if minutes not in SNOOZES:
            raise InvalidInput(f"snooze for one of {', '.join(SNOOZES)} minutes", field="minutes")
        return {"until": rfc3339(utcnow() + timedelta(minutes=int(minutes))) or ""}
    if action == "reassign":
        if form.get("to") == "me":
            return {"user_id": str(who.user_id)}
        if form.get("escalation_policy_id", "").strip():
            return {"escalation_policy_id": form["escalation_policy_id"].strip()}
        return {"user_id": form.get("user_id", "").strip()}
    return {}


@router.post("/incidents/{incident_id}/{action}")
async def incident_action(
    request: Request, who: CurrentViewer, form: CheckedForm, incident_id: uuid.UUID, action: str
) -> Response:
    """One of ACTIONS as the logged-in person (a responder or admin), then back to the incident
    (post/redirect/get); a refusal (already resolved, a bad field...) is shown on the incident's page."""
    _responder(who)
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    client = _incidents(request)
    try:
        fields = _action_fields(action, form, who)
        await client.act(str(incident_id), action, actor=who.identity, client_ip=who.client_ip, **fields)
    except (Conflict, InvalidInput) as refused:
        reply = await client.get_incident(str(incident_id))
        return _incident_page(reply, who, refused.http_status, f"Could not {action}: {refused.message}")
    return RedirectResponse(f"/ui/incidents/{incident_id}", status_code=303)
