"""The dashboard's login and logout (the other pages: services.web_ui.*_pages)."""

import math

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web_ui.auth import HOME, safe_next
from services.web_ui.oncall_client import OnCallClient
from services.web_ui.session import CheckedForm, end_session, read_form, start_session
from services.web_ui.views import render
from shared.access import client_ip
from shared.errors import PermissionDenied, TooManyRequests, Unauthenticated

LOGIN_FAILED = "Wrong email or password."
LOGIN_DISABLED = "This login is disabled; ask an administrator."

router = APIRouter(prefix="/ui", tags=["dashboard"])


def _oncall(request: Request) -> OnCallClient:
    oncall: OnCallClient = request.app.state.oncall
    return oncall


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
