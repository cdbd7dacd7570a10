"""Alert intake routes: validate, normalise, hand to incident-management, answer 202."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.alert_ingestion.domain import to_proto
from services.alert_ingestion.formats.common import Parsed
from services.alert_ingestion.incident_client import IncidentClient
from services.alert_ingestion.keys import MISSING_KEY, key_from_request
from services.alert_ingestion.schemas import (
    AlertAccepted,
    AlertBatchIn,
    AlertIn,
    BatchAccepted,
    FormatAccepted,
)
from shared.errors import InvalidInput, Unauthenticated
from shared.gen.oncall.v1 import incident_pb2
from shared.http import describe_validation_errors
from shared.metrics import ALERTS_RECEIVED

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


async def incident_client(request: Request) -> IncidentClient:
    client: IncidentClient = request.app.state.incident_client
    return client


Client = Annotated[IncidentClient, Depends(incident_client)]


def accepted(reply: incident_pb2.IngestAlertResponse) -> AlertAccepted:
    return AlertAccepted(
        alert_id=reply.alert_id or None,
        incident_id=reply.incident_id or None,
        result=reply.result,
        fingerprint=reply.fingerprint,
    )


def received(source: str, alerts: list[incident_pb2.Alert]) -> None:
    """Count alerts incident-management stored, by format (`source`) and severity."""
    for alert in alerts:
        ALERTS_RECEIVED.labels(source, alert.severity).inc()


def _key(request: Request) -> str:
    """The routing key, checked (with its service looked up) by incident-management as it stores the
    alerts: no round trip of its own here. Without one: refused, unless the deployment allows keyless
    alerts (REQUIRE_INTEGRATION_KEY=false), which then name their own service."""
    key = key_from_request(request)
    if not key and request.app.state.require_key:
        raise Unauthenticated(MISSING_KEY, field="key")
    return key or ""


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=AlertAccepted)
async def post_alert(alert: AlertIn, client: Client, request: Request) -> AlertAccepted:
    """Accept one alert; answered only once it is stored."""
    key = _key(request)
    message = to_proto(alert, keyed=bool(key))
    reply = accepted(await client.ingest(message, key=key))
    received("api", [message])
    # DEBUG: no line per alert at the default level (the hot path)
    log.debug("alert stored", extra={"fields": {"result": reply.result, "incident_id": reply.incident_id}})
    return reply


async def store(parsed: Parsed, client: IncidentClient, *, key: str, limit: int, source: str) -> JSONResponse:
    """Store what parsed (in one call, in order); 202 if all did, 422 naming each refused alert if not.
    `source` names the format in alerts_received_total."""
    if len(parsed.alerts) + len(parsed.errors) > limit:
        raise InvalidInput(f"a payload holds at most {limit} alerts", field="alerts")
    results = []
    if parsed.alerts:
        reply = await client.ingest_many(parsed.alerts, key=key)
        results = [accepted(r) for r in reply.results]
        received(source, parsed.alerts)
    body = FormatAccepted(results=results, errors=parsed.errors).model_dump(mode="json")
    if parsed.errors:
        described = "; ".join(f"{e['loc']}: {e['msg']}" for e in parsed.errors)
        body["detail"] = f"{len(parsed.errors)} alert(s) refused ({described}); {len(results)} stored"
        return JSONResponse(body, status_code=422)
    return JSONResponse(body, status_code=202)


def _parse_batch(batch: AlertBatchIn, *, keyed: bool) -> Parsed:
    """Each alert of the batch, or an error naming it (`alerts.<i>`): one bad alert does not sink the rest."""
    parsed = Parsed()
    for index, item in enumerate(batch.alerts):
        loc = f"alerts.{index}"
        try:
            parsed.add(loc, to_proto(AlertIn.model_validate(item), keyed=keyed))
        except ValidationError as error:
            parsed.reject(loc, describe_validation_errors(list(error.errors())))
        except InvalidInput as error:
            parsed.reject(loc, error.message)
    return parsed


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, response_model=BatchAccepted)
async def post_batch(batch: AlertBatchIn, client: Client, request: Request) -> JSONResponse:
    """Accept up to MAX_BATCH_SIZE alerts; results are in the order sent. Alerts that cannot be stored
    are named in `errors` (422) while the others are stored."""
    limit = request.app.state.max_batch_size
    if len(batch.alerts) > limit:
        raise InvalidInput(f"a batch holds at most {limit} alerts, got {len(batch.alerts)}", field="alerts")
    key = _key(request)
    return await store(_parse_batch(batch, keyed=bool(key)), client, key=key, limit=limit, source="batch")
