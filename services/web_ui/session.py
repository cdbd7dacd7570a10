"""Who is asking: the session cookie checked on every protected route (a FastAPI dependency), the CSRF
check of POST forms, and setting or clearing the cookie."""

import time
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from services.web_ui.auth import (
    COOKIE_NAME,
    HOME,
    SessionClaims,
    csrf_matches,
    csrf_token,
    issue_token,
    read_token,
    session_counts,
)
from services.web_ui.config import WebUISettings
from services.web_ui.oncall_client import LoginUser, OnCallClient
from shared.errors import PermissionDenied

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Viewer:
    """The logged-in person of a request."""

    user_id: uuid.UUID
    name: str
    email: str
    claims: SessionClaims
    csrf: str


class LoginRequired(Exception):
    """No valid session: the page answers 303 to the login form, coming back to `next_path` after."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_redirect(error: LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/ui/login?next={quote(error.next_path, safe='/')}", status_code=303)


async def viewer(request: Request) -> Viewer:
    """The person whose valid session cookie came with the request, else LoginRequired."""
    settings: WebUISettings = request.app.state.settings
    secret = settings.web_ui_jwt_secret.get_secret_value()
    token = request.cookies.get(COOKIE_NAME)
    claims = read_token(secret, token, now=int(time.time())) if token else None
    if claims is not None:
        oncall: OnCallClient = request.app.state.oncall
        found = await oncall.get_user(claims.user_id)
        if found is not None and session_counts(
            claims, login_disabled=found.login_disabled, credentials_changed_at=found.credentials_changed_at
        ):
            user = found.user
            return Viewer(user.id, user.name, user.email, claims, csrf_token(secret, claims))
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(back if request.method == "GET" else HOME)


CurrentViewer = Annotated[Viewer, Depends(viewer)]


async def read_form(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the last value of each)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


async def checked_form(request: Request, who: CurrentViewer) -> dict[str, str]:
    """The form of a POST from a logged-in person whose `csrf` field is their session's, else 403."""
    form = await read_form(request)
    settings: WebUISettings = request.app.state.settings
    if not csrf_matches(settings.web_ui_jwt_secret.get_secret_value(), who.claims, form.get("csrf")):
        raise PermissionDenied("csrf: the form's token is missing or not this session's; reload the page")
    return form


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


def start_session(response: Response, settings: WebUISettings, user: LoginUser) -> None:
    """Give the browser a fresh session token for `user`."""
    secret = settings.web_ui_jwt_secret.get_secret_value()
    token = issue_token(
        secret,
        user_id=user.id,
        name=user.name,
        now=int(time.time()),
        ttl_seconds=settings.session_seconds,
    )
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.session_seconds,
        path="/ui",
        httponly=True,
        samesite="lax",
        secure=settings.web_ui_cookie_secure,
    )


def end_session(response: Response, settings: WebUISettings) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/ui", httponly=True, samesite="lax", secure=settings.web_ui_cookie_secure
    )
