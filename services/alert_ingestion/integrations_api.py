"""Routes speaking other tools' formats: Alertmanager, Grafana, a generic webhook, PagerDuty Events v2,
and heartbeat pings. Each needs a routing key, which decides the service."""

from typing import Annotated, TypeVar

import orjson
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from services.alert_ingestion.api import Client, received, store
from services.alert_ingestion.formats import alertmanager, pagerduty, webhook
from services.alert_ingestion.incident_client import IncidentClient
from services.alert_ingestion.keys import KeyCache, KeyInfo, key_from_request
from services.alert_ingestion.schemas import FormatAccepted, HeartbeatAccepted
from shared.errors import DomainError, InvalidInput
from shared.integrations import LabelConfig, WebhookConfig

router = APIRouter(tags=["integrations"])
Config = TypeVar("Config")


class UnsupportedMediaType(DomainError):
    http_status = 415


async def key_cache(request: Request) -> KeyCache:
    keys: KeyCache = request.app.state.keys
    return keys


Keys = Annotated[KeyCache, Depends(key_cache)]


async def read_json(request: Request) -> object:
    """The body as JSON: 415 for a non-JSON content type, 422 for a body that does not parse."""
    content_type = request.headers.get("content-type", "application/json").lower()
    if "json" not in content_type:
        raise UnsupportedMediaType(f"content type {content_type!r} is not JSON: send application/json")
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"body is not valid JSON: {error}", field="body") from error


def _config(info: KeyInfo, kind: type[Config], needs: str) -> Config:
    """The key's integration config when it is a `kind`, else 422 saying what the endpoint `needs`."""
    if not isinstance(info.config, kind):
        raise InvalidInput(f"this key belongs to a {info.type!r} integration; {needs}", field="key")
    return info.config


async def _labelled(request: Request, keys: KeyCache, client: IncidentClient, source: str) -> JSONResponse:
    info = await keys.lookup(key_from_request(request))
    needs = "this endpoint needs an 'alertmanager' or 'grafana' integration, whose config names the labels"
    config = _config(info, LabelConfig, needs)
    payload = await read_json(request)
    parsed = alertmanager.parse(payload, config, service=info.service, source=source)
    return await store(parsed, client, key=info.key, limit=request.app.state.max_batch_size, source=source)


@router.post("/api/v1/integrations/alertmanager", status_code=202, response_model=FormatAccepted)
async def alertmanager_webhook(request: Request, keys: Keys, client: Client) -> JSONResponse:
    """Alertmanager's webhook_config (version 4): each alert by its fingerprint; `resolved` resolves it."""
    return await _labelled(request, keys, client, "alertmanager")


@router.post("/api/v1/integrations/grafana", status_code=202, response_model=FormatAccepted)
async def grafana_webhook(request: Request, keys: Keys, client: Client) -> JSONResponse:
    """Grafana Alerting's webhook contact point: Alertmanager's shape plus Grafana's fields."""
    return await _labelled(request, keys, client, "grafana")


@router.post("/api/v1/integrations/webhook", status_code=202, response_model=FormatAccepted)
async def generic_webhook(request: Request, keys: Keys, client: Client) -> JSONResponse:
    """Any JSON, mapped by the integration's configuration (a `webhook` integration)."""
    info = await keys.lookup(key_from_request(request))
    needs = "the generic webhook needs a 'webhook' integration, whose config maps the payload's fields"
    config = _config(info, WebhookConfig, needs)
    parsed = webhook.parse(await read_json(request), config, service=info.service)
    limit = request.app.state.max_batch_size
    return await store(parsed, client, key=info.key, limit=limit, source="webhook")


@router.post("/api/v1/heartbeats/{key}", response_model=HeartbeatAccepted)
async def heartbeat(key: str, client: Client) -> HeartbeatAccepted:
    """A heartbeat monitor's ping: silence beyond its interval plus grace opens an incident."""
    reply = await client.record_heartbeat(key)
    return HeartbeatAccepted(service=reply.service, next_due_at=reply.next_due_at, recovered=reply.recovered)


def _pd_error(status_code: int, errors: list[str], message: str = "Event object is invalid") -> JSONResponse:
    headers = {"Retry-After": "5"} if status_code == 503 else None
    body = {"status": "invalid event", "message": message, "errors": errors}
    return JSONResponse(body, status_code, headers=headers)


@router.post("/v2/enqueue", status_code=202)
async def pagerduty_enqueue(request: Request, keys: Keys, client: Client) -> JSONResponse:
    """PagerDuty Events API v2: same rules, answers and status codes as events.pagerduty.com."""
    try:
        body = await read_json(request)
        event = pagerduty.parse(body)
        if event.alert is None:  # refused: `errors` says why
            return _pd_error(400, event.errors)
        info = await keys.lookup(event.routing_key)
        event.alert.service = info.service
        await client.ingest(event.alert, key=info.key)
        received("pagerduty", [event.alert])
    except DomainError as error:
        status_code = 400 if error.http_status in (415, 422) else error.http_status
        return _pd_error(status_code, [error.message], message=error.message)
    reply = {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}
    return JSONResponse(reply, status_code=status.HTTP_202_ACCEPTED)
