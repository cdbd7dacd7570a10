"""The users page (admins only): every user with their role and login; create a user, whose password is
shown once on the page that answers the form; disable or enable a login; delete a user."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.oncall_service.models import ROLES
from services.web_ui.config_forms import done, notice, refusal
from services.web_ui.pages import console, require
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer
from services.web_ui.views import render
from shared.auth import Role
from shared.errors import AlreadyExists, Conflict, InvalidInput
from shared.gen.oncall.v1 import oncall_pb2

router = APIRouter(prefix="/ui/config/users", tags=["dashboard"])
FIELDS = ("name", "email", "role", "time_zone")
NOTICES = {
    "deleted": "User deleted.",
    "disabled": "Login disabled: that person is logged out everywhere.",
    "enabled": "Login enabled.",
}
NEW_USER = {"name": "", "email": "", "role": "responder", "time_zone": "UTC"}


async def _page(
    request: Request,
    who: Viewer,
    status_code: int = 200,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    created: oncall_pb2.CreateUserResponse | None = None,
) -> Response:
    require(who, Role.admin)
    return render(
        "users.html",
        status_code,
        nav_section="config",
        viewer=who,
        users=await console(request).users(),
        roles=ROLES,
        form=form or NEW_USER,
        errors=errors or {},
        error=error,
        created=created,
        notice=notice(request, NOTICES),
    )


@router.get("")
async def users(request: Request, who: CurrentViewer) -> Response:
    return await _page(request, who)


@router.post("")
async def create_user(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    """201 with the page showing the new login's password: only its hash is kept."""
    require(who, Role.admin)
    fields = {name: form.get(name, "").strip() for name in FIELDS}
    try:
        created = await console(request).create_user(**fields, actor=who.identity, ip=who.client_ip)
    except (InvalidInput, AlreadyExists) as refused:
        errors, error = refusal(refused, FIELDS)
        return await _page(request, who, refused.http_status, form=fields, errors=errors, error=error)
    return await _page(request, who, 201, created=created)


@router.post("/{user_id}/login")
async def set_login(request: Request, who: CurrentViewer, form: CheckedForm, user_id: str) -> Response:
    require(who, Role.admin)
    disabled = form.get("disabled") == "true"
    await console(request).set_login_disabled(user_id, disabled, actor=who.identity, ip=who.client_ip)
    return done("/ui/config/users", "disabled" if disabled else "enabled")


@router.post("/{user_id}/delete")
async def delete_user(request: Request, who: CurrentViewer, _: CheckedForm, user_id: str) -> Response:
    """Refused (409, said on the page) while the user is in a rotation, schedule or policy."""
    require(who, Role.admin)
    try:
        await console(request).delete_user(user_id, actor=who.identity, ip=who.client_ip)
    except Conflict as refused:
        return await _page(request, who, refused.http_status, error=refused.message)
    return done("/ui/config/users", "deleted")
