"""The dashboard's pages under /ui: parse, call one API or domain function, render."""

import math
import time
import uuid
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator

from services.web_ui import domain
from services.web_ui.auth import HOME, safe_next
from services.web_ui.platform_client import PlatformClient, UpstreamError
from services.web_ui.session import CheckedForm, CurrentViewer, end_session, read_form, start_session
from services.web_ui.views import render
from shared.models import INCIDENT_STATUSES, SEVERITIES

router = APIRouter(prefix="/ui", tags=["dashboard"])


class ListFilter(BaseModel):
    """The incident list's query; the form's empty choices mean no filter."""

    status: Literal["open", "acknowledged", "resolved"] | None = None
    severity: Literal["critical", "high", "warning", "info"] | None = None
    service: str | None = Field(default=None, max_length=200)
    offset: int = Field(default=0, ge=0, le=10_000_000)

    @field_validator("status", "severity", "service", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def _client(request: Request) -> PlatformClient:
    return request.app.state.platform


@router.get("/login")
async def login_form(next: str = HOME) -> Response:
    return render("login.html", next=safe_next(next), email="")


@router.post("/login")
async def login(request: Request) -> Response:
    """Good email and password: a session cookie and 303 to `next`; anything else: the same 401 (429
    after too many failures for the email)."""
    form = await read_form(request)
    email, target = form.get("email", ""), safe_next(form.get("next"))
    try:
        async with request.app.state.sessions() as session:
            account = await domain.log_in(
                session,
                request.app.state.throttle,
                email=email,
                password=form.get("password", ""),
                now=time.time(),
            )
    except domain.TooManyAttempts as refused:
        page = render("login.html", 429, next=target, email=email, error=refused.message)
        page.headers["Retry-After"] = str(math.ceil(refused.retry_after))
        return page
    if account is None:
        return render("login.html", 401, next=target, email=email, error=domain.LOGIN_FAILED)
    response = RedirectResponse(target, status_code=303)
    start_session(response, request.app.state.settings, account)
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
    """Newest first, filtered, one page: one call to incident-management's list."""
    size = request.app.state.settings.page_size
    query = {k: v for k, v in filters.model_dump().items() if v is not None}
    started = time.perf_counter()
    page = await _client(request).list_incidents({**query, "limit": size})
    api_ms = (time.perf_counter() - started) * 1000
    shown = len(page["incidents"])
    response = render(
        "incidents.html",
        viewer=who,
        page=page,
        filters=filters,
        statuses=INCIDENT_STATUSES,
        severities=SEVERITIES,
        first=filters.offset + 1 if shown else 0,
        last=filters.offset + shown,
        prev_url=_page_url(query, filters.offset - size) if filters.offset > 0 else None,
        next_url=_page_url(query, filters.offset + size) if page["more"] else None,
    )
    response.headers["Server-Timing"] = f"api;dur={api_ms:.1f}"
    return response


def _page_url(query: dict, offset: int) -> str:
    return "/ui/?" + urlencode({**query, "offset": max(offset, 0)})


@router.get("/incidents/{incident_id}")
async def incident_detail(request: Request, who: CurrentViewer, incident_id: uuid.UUID) -> Response:
    return render("incident.html", viewer=who, incident=await _client(request).get_incident(str(incident_id)))


@router.post("/incidents/{incident_id}/{action}")
async def incident_action(
    request: Request,
    who: CurrentViewer,
    _: CheckedForm,
    incident_id: uuid.UUID,
    action: Literal["acknowledge", "resolve"],
) -> Response:
    """Acknowledge or resolve as the logged-in person, then back to the incident (post/redirect/get); a
    refusal (409: already resolved...) is shown on the incident's page."""
    client = _client(request)
    try:
        await client.act(str(incident_id), action, actor=who.email)
    except UpstreamError as error:
        if error.status != 409:
            raise
        incident = await client.get_incident(str(incident_id))
        message = f"Could not {action}: {error.message}"
        return render("incident.html", 409, viewer=who, incident=incident, error=message)
    return RedirectResponse(f"/ui/incidents/{incident_id}", status_code=303)


@router.get("/oncall")
async def on_call(request: Request, who: CurrentViewer) -> Response:
    return render("oncall.html", viewer=who, entries=await _client(request).on_call_now())
