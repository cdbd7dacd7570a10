"""What the console's pages share: their gRPC client, the role a page or form needs, and datetime-local
form fields."""

from datetime import UTC, datetime

from fastapi import Request

from services.web_ui.console_client import ConsoleClient
from services.web_ui.session import Viewer
from shared.auth import Role
from shared.errors import InvalidInput, PermissionDenied
from shared.timeutil import rfc3339


def console(request: Request) -> ConsoleClient:
    client: ConsoleClient = request.app.state.console
    return client


def require(who: Viewer, role: Role) -> None:
    """403 naming the role needed unless `who` has it (or more)."""
    if not who.may(role):
        raise PermissionDenied(f"needs the {role} role (you are a {who.role})")


def form_instant(form: dict[str, str], field: str) -> str:
    """A `datetime-local` field, taken as UTC, as RFC 3339; 422 naming the field otherwise."""
    try:
        value = datetime.fromisoformat(form.get(field, ""))
    except ValueError as error:
        raise InvalidInput(f"{field}: a date and time is required (YYYY-MM-DDTHH:MM)", field=field) from error
    return rfc3339(value if value.tzinfo else value.replace(tzinfo=UTC)) or ""
