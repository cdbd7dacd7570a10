"""The configuration pages (admins only): services and their integrations, escalation policies, schedules
and layers, users and roles, API tokens and the audit log. Each form is one gRPC call to the service that
owns the thing; a new key or token is shown once, on the page that answers its form."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from services.oncall_service.models import ROLES
from services.web_ui.pages import console, require
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer
from services.web_ui.views import render
from shared.auth import Role
from shared.http import PageOffset
from shared.integrations import CONFIG_MODELS
from shared.text import InputModel

router = APIRouter(prefix="/ui/config", tags=["dashboard"])
AUDIT_PAGE = 50


class AuditQuery(InputModel):
    actor: str = Field(default="", max_length=400)
    action: str = Field(default="", max_length=100)
    offset: PageOffset = 0


def _back(section: str) -> Response:
    return RedirectResponse(f"/ui/config#{section}", status_code=303)


async def _page(request: Request, who: Viewer, status_code: int = 200, **shown: object) -> Response:
    """The configuration page; `shown` carries a secret just made (key or token), shown this once."""
    require(who, Role.admin)
    client = console(request)
    services, policies, schedules, users, tokens = await asyncio.gather(
        client.services(), client.policies(), client.schedules(), client.users(), client.tokens()
    )
    names = {u.user.id: u.user.name for u in users} | {s.id: s.name for s in schedules}
    return render(
        "config.html",
        status_code,
        viewer=who,
        services=services,
        policies=policies,
        policy_names={p.id: p.name for p in policies},
        schedules=schedules,
        users=users,
        tokens=tokens,
        names=names,
        roles=ROLES,
        integration_types=list(CONFIG_MODELS),
        new_key=shown.get("new_key"),
        new_token=shown.get("new_token"),
    )


@router.get("")
async def configuration(request: Request, who: CurrentViewer) -> Response:
    return await _page(request, who)


@router.post("/services")
async def create_service(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    require(who, Role.admin)
    await console(request).create_service(
        name=form.get("name", "").strip(),
        team=form.get("team", "").strip(),
        policy_id=form.get("escalation_policy_id", ""),
        actor=who.identity,
        ip=who.client_ip,
    )
    return _back("services")


@router.post("/services/{service_id}/delete")
async def delete_service(request: Request, who: CurrentViewer, _: CheckedForm, service_id: str) -> Response:
    require(who, Role.admin)
    await console(request).delete_service(service_id, actor=who.identity, ip=who.client_ip)
    return _back("services")


@router.post("/services/{service_id}/integrations")
async def create_integration(
    request: Request, who: CurrentViewer, form: CheckedForm, service_id: str
) -> Response:
    """201 with the page showing the new routing key: it is stored hashed and cannot be shown again."""
    require(who, Role.admin)
    created = await console(request).create_integration(
        service_id,
        name=form.get("name", "").strip(),
        type=form.get("type", ""),
        config_json=form.get("config", "").strip(),
        actor=who.identity,
        ip=who.client_ip,
    )
    return await _page(request, who, 201, new_key=created)


@router.post("/services/{service_id}/integrations/{integration_id}/revoke")
async def revoke_integration(
    request: Request, who: CurrentViewer, _: CheckedForm, service_id: str, integration_id: str
) -> Response:
    require(who, Role.admin)
    await console(request).revoke_integration(
        service_id, integration_id, actor=who.identity, ip=who.client_ip
    )
    return _back("services")


@router.post("/users/{user_id}/role")
async def set_role(request: Request, who: CurrentViewer, form: CheckedForm, user_id: str) -> Response:
    require(who, Role.admin)
    await console(request).set_role(user_id, form.get("role", ""), actor=who.identity, ip=who.client_ip)
    return _back("users")


@router.post("/tokens")
async def create_token(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    """201 with the page showing the new token: only its hash is kept."""
    require(who, Role.admin)
    secret = await console(request).create_token(
        name=form.get("name", "").strip(), role=form.get("role", ""), actor=who.identity, ip=who.client_ip
    )
    return await _page(request, who, 201, new_token=secret)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, who: CurrentViewer, _: CheckedForm, token_id: str) -> Response:
    require(who, Role.admin)
    await console(request).revoke_token(token_id, actor=who.identity, ip=who.client_ip)
    return _back("tokens")


@router.get("/audit")
async def audit_log(request: Request, who: CurrentViewer, query: Annotated[AuditQuery, Query()]) -> Response:
    """Newest first, filtered by actor and action, one page."""
    require(who, Role.admin)
    page = await console(request).audit(
        actor=query.actor, action=query.action, limit=AUDIT_PAGE, offset=query.offset
    )
    return render(
        "audit.html",
        viewer=who,
        entries=page.entries,
        total=page.total,
        query=query,
        prev_offset=max(query.offset - AUDIT_PAGE, 0) if query.offset else None,
        next_offset=query.offset + AUDIT_PAGE if query.offset + len(page.entries) < page.total else None,
    )
