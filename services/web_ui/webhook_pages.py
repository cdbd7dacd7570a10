"""The webhooks page (admins only): subscriptions with their event types, made, changed, enabled or
disabled, deleted and their secrets rotated, and each one's delivery log with redelivery. Each form is one
gRPC call to the notifier; a secret is shown once, on the page that answers the form that made it."""

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web_ui.pages import require
from services.web_ui.session import CheckedForm, CurrentViewer, Viewer
from services.web_ui.views import render
from services.web_ui.webhook_client import WebhookClient
from shared.auth import Role
from shared.errors import NotFound
from shared.events import INCIDENT_EVENT_TYPES
from shared.text import InputModel

router = APIRouter(prefix="/ui/config/webhooks", tags=["dashboard"])
PAGE = "/ui/config/webhooks"
LOG_SIZE = 50
# What a form did, said on the page it lands on (fixed texts: the query string chooses, never writes).
NOTICES = {
    "saved": "Event types saved.",
    "enabled": "Webhook enabled.",
    "disabled": "Webhook disabled: no new deliveries until it is enabled again.",
    "deleted": "Webhook deleted, with its delivery log.",
    "redelivered": "Delivery queued to be sent again now.",
}


class LogQuery(InputModel):
    status: Literal["", "pending", "delivered", "dead"] = ""
    done: str = ""


def webhooks(request: Request) -> WebhookClient:
    client: WebhookClient = request.app.state.webhooks
    return client


def _chosen_types(form: dict[str, str]) -> list[str]:
    """The event types ticked (a checkbox per type, named `type:<event type>`); none ticked: every type."""
    return [t for t in INCIDENT_EVENT_TYPES if form.get(f"type:{t}")]


def _back(done: str, path: str = PAGE) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


async def _page(request: Request, who: Viewer, status_code: int = 200, **shown: object) -> Response:
    """The list of webhooks; `shown` carries a secret just made (created or rotated), shown this once."""
    require(who, Role.admin)
    return render(
        "webhooks.html",
        status_code,
        viewer=who,
        nav_section="config",
        webhooks=await webhooks(request).webhooks(),
        event_types=INCIDENT_EVENT_TYPES,
        notice=NOTICES.get(request.query_params.get("done", "")),
        new_secret=shown.get("new_secret"),
    )


@router.get("")
async def webhook_list(request: Request, who: CurrentViewer) -> Response:
    return await _page(request, who)


@router.post("")
async def create_webhook(request: Request, who: CurrentViewer, form: CheckedForm) -> Response:
    """201 with the page showing the new secret: it is not listed afterwards."""
    require(who, Role.admin)
    created = await webhooks(request).create(
        url=form.get("url", "").strip(),
        description=form.get("description", "").strip(),
        event_types=_chosen_types(form),
        allow_internal=bool(form.get("allow_internal")),
        actor=who.identity,
        ip=who.client_ip,
    )
    shown = {"webhook": created.webhook, "secret": created.secret, "rotated": False}
    return await _page(request, who, 201, new_secret=shown)


@router.post("/{webhook_id}/event-types")
async def set_event_types(
    request: Request, who: CurrentViewer, form: CheckedForm, webhook_id: str
) -> Response:
    require(who, Role.admin)
    await webhooks(request).update(
        webhook_id, event_types=_chosen_types(form), actor=who.identity, ip=who.client_ip
    )
    return _back("saved")


@router.post("/{webhook_id}/active")
async def set_active(request: Request, who: CurrentViewer, form: CheckedForm, webhook_id: str) -> Response:
    """`active` is `true` to enable, anything else disables."""
    require(who, Role.admin)
    active = form.get("active") == "true"
    await webhooks(request).update(webhook_id, active=active, actor=who.identity, ip=who.client_ip)
    return _back("enabled" if active else "disabled")


@router.post("/{webhook_id}/rotate")
async def rotate_secret(request: Request, who: CurrentViewer, _: CheckedForm, webhook_id: str) -> Response:
    """The page showing the new secret; the old one keeps signing for the grace period."""
    require(who, Role.admin)
    rotated = await webhooks(request).rotate_secret(webhook_id, actor=who.identity, ip=who.client_ip)
    shown = {
        "webhook": rotated.webhook,
        "secret": rotated.secret,
        "rotated": True,
        "previous_until": rotated.previous_secret_expires_at,
    }
    return await _page(request, who, new_secret=shown)


@router.post("/{webhook_id}/delete")
async def delete_webhook(request: Request, who: CurrentViewer, _: CheckedForm, webhook_id: str) -> Response:
    require(who, Role.admin)
    await webhooks(request).delete(webhook_id, actor=who.identity, ip=who.client_ip)
    return _back("deleted")


@router.get("/{webhook_id}")
async def delivery_log(
    request: Request, who: CurrentViewer, webhook_id: str, query: Annotated[LogQuery, Query()]
) -> Response:
    """The webhook's newest deliveries, each with its attempts, optionally of one status."""
    require(who, Role.admin)
    client = webhooks(request)
    deliveries = await client.deliveries(webhook_id, status=query.status, limit=LOG_SIZE)
    webhook = next((w for w in await client.webhooks() if w.id == webhook_id), None)
    if webhook is None:  # deleted between the two calls
        raise NotFound(f"webhook {webhook_id} not found", field="id")
    return render(
        "webhook_log.html",
        viewer=who,
        nav_section="config",
        webhook=webhook,
        deliveries=deliveries,
        status=query.status,
        notice=NOTICES.get(query.done),
        limit=LOG_SIZE,
    )


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request, who: CurrentViewer, _: CheckedForm, webhook_id: str, delivery_id: str
) -> Response:
    require(who, Role.admin)
    await webhooks(request).redeliver(webhook_id, delivery_id, actor=who.identity, ip=who.client_ip)
    return _back("redelivered", f"{PAGE}/{quote(webhook_id, safe='')}")
