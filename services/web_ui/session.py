"""Who is asking: the session cookie checked on every protected page (shared.access does the check), the
CSRF check of POST forms, and setting or clearing the cookie."""

import time
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from services.web_ui.auth import HOME
from services.web_ui.config import WebUISettings
from services.web_ui.oncall_client import LoginUser
from shared import audit
from shared.access import Authenticator, client_ip
from shared.auth import (
    SESSION_AUDIENCE,
    SESSION_COOKIE,
    Claims,
    Identity,
    Role,
    csrf_matches,
    csrf_token,
    issue_jwt,
)
from shared.errors import InvalidInput, PermissionDenied
from shared.text import UNSTORABLE, unstorable_field

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Viewer:
    """The logged-in person of a request."""

    identity: Identity
    claims: Claims
    csrf: str
    client_ip: str | None

    @property
    def user_id(self) -> uuid.UUID:
        return self.identity.id

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def email(self) -> str | None:
        return self.identity.email

    @property
    def role(self) -> Role:
        return self.identity.role

    def may(self, role: str) -> bool:
        """Whether this person's role allows what `role` may do (templates show only what they may do)."""
        return self.identity.role.allows(Role(role))


class LoginRequired(Exception):
    """No valid session: the page answers 303 to the login form, coming back to `next_path` after."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_redirect(error: LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/ui/login?next={quote(error.next_path, safe='/')}", status_code=303)


async def viewer(request: Request) -> Viewer:
    """The person whose valid session cookie came with the request, else LoginRequired."""
    authenticator: Authenticator = request.app.state.authenticator
    found = await authenticator.session(request.cookies.get(SESSION_COOKIE))
    if found is not None:
        who, claims = found
        address = client_ip(request)
        route = request.scope.get("route")
        audit.acting(who, address, action=getattr(route, "name", request.url.path))
        return Viewer(who, claims, csrf_token(authenticator.key, claims), address)
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(back if request.method == "GET" else HOME)


CurrentViewer = Annotated[Viewer, Depends(viewer)]


async def read_form(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the last value of each); 422 naming a field that cannot be stored."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return {}
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    unstorable = unstorable_field({k: [k, v] for k, v in form.items()})
    if unstorable is not None:
        raise InvalidInput(f"{unstorable}: {UNSTORABLE}", field=unstorable)
    return form


async def checked_form(request: Request, who: CurrentViewer) -> dict[str, str]:
    """The form of a POST from a logged-in person whose `csrf` field is their session's, else 403."""
    form = await read_form(request)
    authenticator: Authenticator = request.app.state.authenticator
    if not csrf_matches(authenticator.key, who.claims, form.get("csrf")):
        raise PermissionDenied("csrf: the form's token is missing or not this session's; reload the page")
    return form


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


def start_session(response: Response, settings: WebUISettings, user: LoginUser) -> None:
    """Give the browser a fresh session token for `user`; sent to the API too (path /), where its writes
    need the X-CSRF-Token header."""
    token = issue_jwt(
        settings.auth_jwt_secret.get_secret_value(),
        user_id=user.id,
        audience=SESSION_AUDIENCE,
        now=int(time.time()),
        ttl_seconds=settings.session_seconds,
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.web_ui_cookie_secure,
    )


def end_session(response: Response, settings: WebUISettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.web_ui_cookie_secure
    )
