"""The dashboard's pages under /ui: parse, call incident-management or on-call over gRPC, render."""

import math
import time
import uuid
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, field_validator

from services.web_ui.auth import HOME, safe_next
from services.web_ui.incident_client import IncidentClient
from services.web_ui.oncall_client import OnCallClient
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer, end_session, read_form, start_session
from services.web_ui.views import render
from shared.access import client_ip
from shared.auth import Role
from shared.errors import Conflict, PermissionDenied, TooManyRequests, Unauthenticated
from shared.gen.oncall.v1 import incident_pb2
from shared.http import PageOffset
from shared.models import INCIDENT_STATUSES, SEVERITIES
from shared.text import InputModel

LOGIN_FAILED = "Wrong email or password."
LOGIN_DISABLED = "This login is disabled; ask an administrator."

router = APIRouter(prefix="/ui", tags=["dashboard"])


class ListFilter(InputModel):
    """The incident list's query; the form's empty choices mean no filter."""

    status: Literal["open", "acknowledged", "resolved"] | None = None
    severity: Literal["critical", "high", "warning", "info"] | None = None
    service: str | None = Field(default=None, max_length=200)
    offset: PageOffset = 0

    @field_validator("status", "severity", "service", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def _incidents(request: Request) -> IncidentClient:
    return request.app.state.incidents


def _oncall(request: Request) -> OnCallClient:
    return request.app.state.oncall


@router.get("/login")
async def login_form(next: str = HOME) -> Response:
    return render("login.html", next=safe_next(next), email="")


@router.post("/login")
async def login(request: Request) -> Response:
    """Good email and password: a session cookie and 303 to `next`; a wrong pair: one 401 whatever was
    wrong; 403 for a disabled login; 429 after too many failures for the email or the client's address
    (on-call decides)."""
    form = await read_form(request)
    email, target = form.get("email", ""), safe_next(form.get("next"))
    try:
        user = await _oncall(request).authenticate(
            email=email, password=form.get("password", ""), client_ip=client_ip(request)
        )
    except Unauthenticated:
        return render("login.html", 401, next=target, email=email, error=LOGIN_FAILED)
    except PermissionDenied:
        return render("login.html", 403, next=target, email=email, error=LOGIN_DISABLED)
    except TooManyRequests as refused:
        # On-call's words: whether the email or this client's address has failed too often, and how long.
        page = render("login.html", 429, next=target, email=email, error=f"{refused.message.capitalize()}.")
        page.headers["Retry-After"] = str(math.ceil(refused.retry_after))
        return page
    response = RedirectResponse(target, status_code=303)
    start_session(response, request.app.state.settings, user)
    return response


@router.post("/logout")
async def logout(request: Request, _: CheckedForm) -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    end_session(response, request.app.state.settings)
    return response


@router.get("/")
async def incident_list(
    request: Request, who: CurrentViewer, filters: Annotated[ListFilter, Query()]
) -> Response:
    """Newest first, filtered, one page: one ListIncidents call to incident-management."""
    size = request.app.state.settings.page_size
    query = {k: v for k, v in filters.model_dump().items() if v is not None}
    started = time.perf_counter()
    page = await _incidents(request).list_incidents(
        status=filters.status or "",
        severity=filters.severity or "",
        service=filters.service or "",
        limit=size,
        offset=filters.offset,
    )
    api_ms = (time.perf_counter() - started) * 1000
    shown = len(page.incidents)
    response = render(
        "incidents.html",
        viewer=who,
        incidents=page.incidents,
        total=page.total,
        filters=filters,
        statuses=INCIDENT_STATUSES,
        severities=SEVERITIES,
        first=filters.offset + 1 if shown else 0,
        last=filters.offset + shown,
        prev_url=_page_url(query, filters.offset - size) if filters.offset > 0 else None,
        next_url=_page_url(query, filters.offset + size) if filters.offset + shown < page.total else None,
    )
    response.headers["Server-Timing"] = f"rpc;dur={api_ms:.1f}"
    return response


def _page_url(query: dict, offset: int) -> str:
    return "/ui/?" + urlencode({**query, "offset": max(offset, 0)})


@router.get("/incidents/{incident_id}")
async def incident_detail(request: Request, who: CurrentViewer, incident_id: uuid.UUID) -> Response:
    return _incident_page(await _incidents(request).get_incident(str(incident_id)), who)


def _incident_page(
    reply: incident_pb2.GetIncidentResponse, who: Viewer, status_code: int = 200, error: str | None = None
) -> Response:
    return render(
        "incident.html",
        status_code,
        viewer=who,
        incident=reply.incident,
        alerts=reply.alerts,
        timeline=reply.timeline,
        error=error,
    )


@router.post("/incidents/{incident_id}/{action}")
async def incident_action(
    request: Request,
    who: CurrentViewer,
    _: CheckedForm,
    incident_id: uuid.UUID,
    action: Literal["acknowledge", "resolve"],
) -> Response:
    """Acknowledge or resolve as the logged-in person (a responder or admin), then back to the incident
    (post/redirect/get); a refusal (already resolved...) is shown on the incident's page."""
    if not who.may(Role.responder):
        raise PermissionDenied(f"needs the responder role (you are a {who.role})")
    client = _incidents(request)
    try:
        await client.act(str(incident_id), action, actor=who.identity, client_ip=who.client_ip)
    except Conflict as refused:
        reply = await client.get_incident(str(incident_id))
        return _incident_page(reply, who, 409, f"Could not {action}: {refused.message}")
    return RedirectResponse(f"/ui/incidents/{incident_id}", status_code=303)


@router.get("/oncall")
async def on_call(request: Request, who: CurrentViewer) -> Response:
    return render("oncall.html", viewer=who, entries=await _oncall(request).on_call_now())
