"""REST route for response analytics (MTTA/MTTR and counts over a window of incidents)."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.incident_management import analytics
from services.incident_management.api import Commands
from services.incident_management.schemas import AnalyticsQuery, IncidentAnalytics
from shared.access import guard
from shared.auth import Role
from shared.timeutil import utcnow

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], dependencies=[guard(write=Role.admin)])


@router.get("/incidents", response_model=IncidentAnalytics)
async def incident_analytics(cmd: Commands, query: Annotated[AnalyticsQuery, Query()]) -> IncidentAnalytics:
    async with cmd.sessions() as session:
        return await analytics.incident_analytics(session, query, now=utcnow())
