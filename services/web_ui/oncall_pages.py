"""The on-call page: who is on call now per schedule and team, whom a new incident of each service would
page first (asked with the very calls incident-management's paging makes), the week's shifts as a
timeline, the viewer's own shifts, overrides (responders and admins) and calendar links."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web_ui import timeline
from services.web_ui.console_client import ConsoleClient
from services.web_ui.pages import console, form_instant, require
from services.web_ui.session import CheckedForm, CurrentViewer
from services.web_ui.views import render
from shared.auth import Role
from shared.errors import NotFound
from shared.gen.oncall.v1 import incident_pb2, oncall_pb2
from shared.timeutil import parse_rfc3339, rfc3339, utcnow

router = APIRouter(prefix="/ui", tags=["dashboard"])
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Paged:
    """Whom a new incident of `service` pages first, and through what."""

    service: str
    route: str
    people: list[str]
    note: str


async def _first_paged(client: ConsoleClient, services: list[incident_pb2.Service]) -> list[Paged]:
    """As paging decides: the service's policy's first level, else (no policy, or the policy is gone) the
    owning team's on-call (GetCurrentOnCallForServices, one call for all)."""
    teams = await client.team_on_call([s.name for s in services])
    levels = await asyncio.gather(
        *(client.first_level(s.escalation_policy_id) for s in services if s.escalation_policy_id),
        return_exceptions=True,
    )
    by_policy = iter(levels)
    found = []
    for service, team in zip(services, teams, strict=True):
        level = next(by_policy) if service.escalation_policy_id else None
        if isinstance(level, NotFound):
            level = None
        elif isinstance(level, BaseException):
            raise level
        found.append(_paged(service.name, level, team))
    return found


def _paged(
    service: str, level: oncall_pb2.ResolveEscalationResponse | None, team: oncall_pb2.ServiceOnCall
) -> Paged:
    if level is not None:
        route = f"policy {level.policy_name}, level 1 of {level.level_count}"
        people = [f"{u.name} <{u.email}>" for u in level.users]
        note = (
            "" if people else f"nobody on call in {', '.join(level.empty_targets)}: paging moves to level 2"
        )
        return Paged(service, route, people, note)
    if not team.owned:
        return Paged(service, "no team owns it", [], "nobody is paged: give the service a team or a policy")
    user = team.on_call.user if team.on_call.HasField("user") else None
    route = f"team {team.on_call.team}" + (f" ({team.on_call.rotation})" if team.on_call.rotation else "")
    if user is None:
        return Paged(service, route, [], "nobody is on call for the team now")
    return Paged(service, route, [f"{user.name} <{user.email}>"], "")


@router.get("/oncall")
async def on_call(request: Request, who: CurrentViewer) -> Response:
    client = console(request)
    now = utcnow()
    start, end = rfc3339(now) or "", rfc3339(now + WEEK) or ""
    teams, schedules, users, services = await asyncio.gather(
        request.app.state.oncall.on_call_now(), client.schedules(), client.users(), client.services()
    )
    shifts = await asyncio.gather(*(client.shifts(s.id, start=start, end=end) for s in schedules))
    me = str(who.user_id)
    rows = [
        (s, list(found), timeline.bars(found, start=now, end=now + WEEK, me=me))
        for s, found in zip(schedules, shifts, strict=True)
    ]
    mine = [(s.name, bar) for s, _, bars in rows for bar in bars if bar.mine]
    return render(
        "oncall.html",
        viewer=who,
        teams=teams,
        rows=rows,
        mine=sorted(mine, key=lambda m: m[1].start),
        paged=await _first_paged(client, services),
        names={u.user.id: u.user.name for u in users},
        users=users,
        upcoming=[(s, o) for s in schedules for o in s.overrides if parse_rfc3339(o.end) > now],
        ticks=timeline.day_ticks(now, now + WEEK),
        now=now,
    )


@router.post("/oncall/overrides")
async def create_override(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    """Someone on call instead over a span (responders and admins), then back to the page."""
    require(who, Role.responder)
    await console(request).create_override(
        form.get("schedule_id", ""),
        user_id=form.get("user_id", ""),
        start=form_instant(form, "start"),
        end=form_instant(form, "end"),
        actor=who.identity,
        ip=who.client_ip,
    )
    return RedirectResponse("/ui/oncall#overrides", status_code=303)


@router.post("/oncall/overrides/{schedule_id}/{override_id}/delete")
async def delete_override(
    request: Request, who: CurrentViewer, _: CheckedForm, schedule_id: str, override_id: str
) -> Response:
    require(who, Role.responder)
    await console(request).delete_override(schedule_id, override_id, actor=who.identity, ip=who.client_ip)
    return RedirectResponse("/ui/oncall#overrides", status_code=303)
