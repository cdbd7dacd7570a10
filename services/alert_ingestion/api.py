"""Alert intake routes: validate, normalise, hand to incident-management, answer 202."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from services.alert_ingestion.domain import to_proto
from services.alert_ingestion.incident_client import IncidentClient
from services.alert_ingestion.schemas import AlertAccepted, AlertBatchIn, AlertIn, BatchAccepted
from shared.errors import InvalidInput

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


def incident_client(request: Request) -> IncidentClient:
    return request.app.state.incident_client


Client = Annotated[IncidentClient, Depends(incident_client)]


def _accepted(reply) -> AlertAccepted:
    return AlertAccepted(alert_id=reply.alert_id, incident_id=reply.incident_id, result=reply.result)


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=AlertAccepted)
async def post_alert(alert: AlertIn, client: Client) -> AlertAccepted:
    """Accept one alert; answered only once it is stored."""
    return _accepted(await client.ingest(to_proto(alert)))


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, response_model=BatchAccepted)
async def post_batch(batch: AlertBatchIn, client: Client, request: Request) -> BatchAccepted:
    """Accept up to MAX_BATCH_SIZE alerts; results are in the order sent."""
    limit = request.app.state.max_batch_size
    if len(batch.alerts) > limit:
        raise InvalidInput(f"a batch holds at most {limit} alerts, got {len(batch.alerts)}", field="alerts")
    reply = await client.ingest_many([to_proto(a) for a in batch.alerts])
    return BatchAccepted(results=[_accepted(r) for r in reply.results])
