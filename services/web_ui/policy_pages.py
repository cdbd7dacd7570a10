"""The escalation policy editors (admins only): the list with a new policy's form, and one policy's form
(rename, describe, repeats, levels of delay and targets; delete). Adding or removing a level re-shows the
form as typed, with no call; saving is one call (CreateEscalationPolicy or UpdateEscalationPolicy)."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.web_ui.config_forms import PolicyForm, done, notice, refusal
from services.web_ui.pages import console, require
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer
from services.web_ui.views import render
from shared.auth import Role
from shared.errors import AlreadyExists, InvalidInput

router = APIRouter(prefix="/ui/config/policies", tags=["dashboard"])
NOTICES = {
    "created": "Escalation policy created.",
    "saved": "Escalation policy saved.",
    "deleted": "Escalation policy deleted.",
}


async def _page(
    request: Request,
    who: Viewer,
    form: PolicyForm,
    status_code: int = 200,
    *,
    policy_id: str = "",
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    """The list with the new policy's form, or (with `policy_id`) that policy's form."""
    require(who, Role.admin)
    client = console(request)
    policies, users, schedules = await asyncio.gather(client.policies(), client.users(), client.schedules())
    targets = [("user", u.user.id, u.user.name) for u in users] + [
        ("schedule", s.id, s.name) for s in schedules
    ]
    return render(
        "policy.html" if policy_id else "policies.html",
        status_code,
        nav_section="config",
        viewer=who,
        policies=policies,
        names={f"{kind}:{id_}": name for kind, id_, name in targets},
        targets=targets,
        form=form,
        policy_id=policy_id,
        errors=errors or {},
        error=error,
        notice=notice(request, NOTICES),
    )


async def _submit(request: Request, who: Viewer, form: dict[str, str], policy_id: str = "") -> Response:
    """A level added or removed (the form again), else the policy saved (back to its page)."""
    require(who, Role.admin)
    typed = PolicyForm.parse(form)
    if form.get("op", "save") != "save":
        typed.apply(form["op"])
        return await _page(request, who, typed, policy_id=policy_id)
    try:
        saved = await console(request).save_policy(
            typed.to_proto(policy_id), actor=who.identity, ip=who.client_ip
        )
    except (InvalidInput, AlreadyExists) as refused:
        errors, error = refusal(refused, PolicyForm.FIELDS)
        return await _page(
            request, who, typed, refused.http_status, policy_id=policy_id, errors=errors, error=error
        )
    return done(f"/ui/config/policies/{saved.id}", "saved" if policy_id else "created")


@router.get("")
async def policies(request: Request, who: CurrentViewer) -> Response:
    return await _page(request, who, PolicyForm())


@router.post("")
async def create_policy(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    return await _submit(request, who, form)


@router.get("/{policy_id}")
async def policy(request: Request, who: CurrentViewer, policy_id: str) -> Response:
    require(who, Role.admin)
    found = await console(request).policy(policy_id)
    return await _page(request, who, PolicyForm.of(found), policy_id=found.id)


@router.post("/{policy_id}")
async def update_policy(request: Request, who: CurrentViewer, form: CheckedForm, policy_id: str) -> Response:
    return await _submit(request, who, form, policy_id)


@router.post("/{policy_id}/delete")
async def delete_policy(request: Request, who: CurrentViewer, _: CheckedForm, policy_id: str) -> Response:
    require(who, Role.admin)
    await console(request).delete_policy(policy_id, actor=who.identity, ip=who.client_ip)
    return done("/ui/config/policies", "deleted")
