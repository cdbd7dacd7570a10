"""Alert intake routes: validate, normalise, hand to incident-management, answer 202."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from services.alert_ingestion.domain import to_proto
from services.alert_ingestion.incident_client import IncidentClient
from services.alert_ingestion.keys import MISSING_KEY, KeyCache, key_from_request
from services.alert_ingestion.schemas import AlertAccepted, AlertBatchIn, AlertIn, BatchAccepted
from shared.errors import InvalidInput, Unauthenticated
from shared.gen.oncall.v1 import incident_pb2

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


async def incident_client(request: Request) -> IncidentClient:
    return request.app.state.incident_client


Client = Annotated[IncidentClient, Depends(incident_client)]


def accepted(reply: incident_pb2.IngestAlertResponse) -> AlertAccepted:
    return AlertAccepted(
        alert_id=reply.alert_id or None,
        incident_id=reply.incident_id or None,
        result=reply.result,
        fingerprint=reply.fingerprint,
    )


async def _key_and_service(request: Request) -> tuple[str, str | None]:
    """With a key: the key and its service. Without: refused, unless the deployment allows keyless alerts
    (REQUIRE_INTEGRATION_KEY=false), which then name their own service."""
    key = key_from_request(request)
    if key:
        cache: KeyCache = request.app.state.keys
        return key, (await cache.lookup(key)).service
    if request.app.state.require_key:
        raise Unauthenticated(MISSING_KEY, field="key")
    return "", None


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=AlertAccepted)
async def post_alert(alert: AlertIn, client: Client, request: Request) -> AlertAccepted:
    """Accept one alert; answered only once it is stored."""
    key, service = await _key_and_service(request)
    return accepted(await client.ingest(to_proto(alert, service=service), key=key))


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, response_model=BatchAccepted)
async def post_batch(batch: AlertBatchIn, client: Client, request: Request) -> BatchAccepted:
    """Accept up to MAX_BATCH_SIZE alerts; results are in the order sent."""
    limit = request.app.state.max_batch_size
    if len(batch.alerts) > limit:
        raise InvalidInput(f"a batch holds at most {limit} alerts, got {len(batch.alerts)}", field="alerts")
    key, service = await _key_and_service(request)
    reply = await client.ingest_many([to_proto(a, service=service) for a in batch.alerts], key=key)
    return BatchAccepted(results=[accepted(r) for r in reply.results])


async def noop(alert: AlertIn) -> dict[str, str]:
    """The same parsing and validation, nothing stored: the ceiling `make bench` compares against."""
    return {"result": "noop"}
