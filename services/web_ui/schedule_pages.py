"""The schedule editors (admins only): the list with a new schedule's form, and one schedule's page: who
is on call now and next, its layers in order (each editable: name, shift length and unit, handoff, start,
members in turn order, restriction windows; removable), a new layer's form, and deleting the schedule.
Adding or removing a window re-shows its form as typed, with no call; saving the windows is one call."""

import asyncio
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.web_ui.config_forms import WEEKDAYS, LayerForm, RestrictionsForm, done, notice, refusal
from services.web_ui.pages import console, require
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer
from services.web_ui.views import render
from shared.auth import Role
from shared.errors import AlreadyExists, Conflict, InvalidInput
from shared.timeutil import rfc3339, utcnow

router = APIRouter(prefix="/ui/config/schedules", tags=["dashboard"])
SCHEDULE_FIELDS = ("name", "time_zone", "team_id")
SHIFT_UNITS = ("hours", "days", "weeks")
SHIFTS_SHOWN = 5
NOTICES = {
    "created": "Schedule created: add a layer of people taking turns.",
    "deleted": "Schedule deleted.",
    "layer-added": "Layer added.",
    "layer-saved": "Layer saved.",
    "layer-removed": "Layer removed.",
    "restrictions-saved": "Restrictions saved.",
}
Refused = (InvalidInput, AlreadyExists, Conflict)


@dataclass
class Failed:
    """The form a refusal answers, or one re-shown as typed: `key` is the layer's id, "new", or
    "<layer id>/restrictions" for a layer's windows (in `windows`)."""

    key: str = ""
    layer: LayerForm = field(default_factory=LayerForm)
    errors: dict[str, str] = field(default_factory=dict)
    windows: RestrictionsForm = field(default_factory=RestrictionsForm)


async def _list(
    request: Request,
    who: Viewer,
    status_code: int = 200,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    require(who, Role.admin)
    client = console(request)
    schedules, teams = await asyncio.gather(client.schedules(), client.teams())
    return render(
        "schedules.html",
        status_code,
        nav_section="config",
        viewer=who,
        schedules=schedules,
        teams=teams,
        team_names={t.id: t.name for t in teams},
        form=form or {"name": "", "time_zone": "UTC", "team_id": ""},
        errors=errors or {},
        error=error,
        notice=notice(request, NOTICES),
    )


async def _detail(
    request: Request,
    who: Viewer,
    schedule_id: str,
    status_code: int = 200,
    *,
    failed: Failed | None = None,
    error: str | None = None,
) -> Response:
    require(who, Role.admin)
    client = console(request)
    now = utcnow()
    schedule, users, teams = await asyncio.gather(
        client.schedule(schedule_id), client.users(), client.teams()
    )
    shifts = await client.shifts(schedule.id, start=rfc3339(now) or "", end="")
    return render(
        "schedule.html",
        status_code,
        nav_section="config",
        viewer=who,
        schedule=schedule,
        team_names={t.id: t.name for t in teams},
        layers=[(layer.id, LayerForm.of(layer), RestrictionsForm.of(layer)) for layer in schedule.layers],
        new_layer=LayerForm(start_date=now.date().isoformat()),
        failed=failed or Failed(),
        users=users,
        names={u.user.id: u.user.name for u in users},
        shifts=shifts[:SHIFTS_SHOWN],
        units=SHIFT_UNITS,
        weekdays=WEEKDAYS,
        error=error,
        notice=notice(request, NOTICES),
    )


@router.get("")
async def schedules(request: Request, who: CurrentViewer) -> Response:
    return await _list(request, who)


@router.post("")
async def create_schedule(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    require(who, Role.admin)
    fields = {name: form.get(name, "").strip() for name in SCHEDULE_FIELDS}
    try:
        made = await console(request).create_schedule(**fields, actor=who.identity, ip=who.client_ip)
    except Refused as refused:
        errors, error = refusal(refused, SCHEDULE_FIELDS)
        return await _list(request, who, refused.http_status, form=fields, errors=errors, error=error)
    return done(f"/ui/config/schedules/{made.id}", "created")


@router.get("/{schedule_id}")
async def schedule(request: Request, who: CurrentViewer, schedule_id: str) -> Response:
    return await _detail(request, who, schedule_id)


async def _save_layer(
    request: Request, who: Viewer, form: dict[str, str], schedule_id: str, layer_id: str = ""
) -> Response:
    require(who, Role.admin)
    typed = LayerForm.parse(form)
    try:
        await console(request).save_layer(
            schedule_id, typed.to_proto(layer_id), actor=who.identity, ip=who.client_ip
        )
    except Refused as refused:
        errors, error = refusal(refused, LayerForm.FIELDS)
        failed = Failed(layer_id or "new", typed, errors)
        return await _detail(request, who, schedule_id, refused.http_status, failed=failed, error=error)
    return done(
        f"/ui/config/schedules/{schedule_id}", "layer-saved" if layer_id else "layer-added", "#layers"
    )


@router.post("/{schedule_id}/layers")
async def add_layer(request: Request, who: CurrentViewer, form: CheckedForm, schedule_id: str) -> Response:
    return await _save_layer(request, who, form, schedule_id)


@router.post("/{schedule_id}/layers/{layer_id}")
async def update_layer(
    request: Request, who: CurrentViewer, form: CheckedForm, schedule_id: str, layer_id: str
) -> Response:
    return await _save_layer(request, who, form, schedule_id, layer_id)


@router.post("/{schedule_id}/layers/{layer_id}/restrictions")
async def set_restrictions(
    request: Request, who: CurrentViewer, form: CheckedForm, schedule_id: str, layer_id: str
) -> Response:
    """A window added or removed (the page again, that form as typed), else the windows saved."""
    require(who, Role.admin)
    typed, key = RestrictionsForm.parse(form), f"{layer_id}/restrictions"
    if form.get("op", "save") != "save":
        typed.apply(form["op"])
        return await _detail(request, who, schedule_id, failed=Failed(key, windows=typed))
    try:
        await console(request).set_restrictions(
            schedule_id, layer_id, typed.to_proto(), actor=who.identity, ip=who.client_ip
        )
    except Refused as refused:
        errors, error = RestrictionsForm.refusal(refused)
        failed = Failed(key, errors=errors, windows=typed)
        return await _detail(request, who, schedule_id, refused.http_status, failed=failed, error=error)
    return done(f"/ui/config/schedules/{schedule_id}", "restrictions-saved", "#layers")


@router.post("/{schedule_id}/layers/{layer_id}/delete")
async def delete_layer(
    request: Request, who: CurrentViewer, _: CheckedForm, schedule_id: str, layer_id: str
) -> Response:
    require(who, Role.admin)
    await console(request).delete_layer(schedule_id, layer_id, actor=who.identity, ip=who.client_ip)
    return done(f"/ui/config/schedules/{schedule_id}", "layer-removed", "#layers")


@router.post("/{schedule_id}/delete")
async def delete_schedule(request: Request, who: CurrentViewer, _: CheckedForm, schedule_id: str) -> Response:
    """Refused (409, said on the page) while an escalation policy pages the schedule."""
    require(who, Role.admin)
    try:
        await console(request).delete_schedule(schedule_id, actor=who.identity, ip=who.client_ip)
    except Conflict as refused:
        return await _detail(request, who, schedule_id, refused.http_status, error=refused.message)
    return done("/ui/config/schedules", "deleted")
