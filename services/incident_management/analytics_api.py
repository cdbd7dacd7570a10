"""REST routes for analytics: response metrics over a window of incidents, counts per time bucket and
severity, and how MTTA and MTTR are spread."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.incident_management import analytics, analytics_distribution, analytics_trends
from services.incident_management.api import Commands
from services.incident_management.schemas import (
    AnalyticsQuery,
    DistributionQuery,
    IncidentAnalytics,
    IncidentTrends,
    ResponseDistribution,
    TrendQuery,
)
from shared.access import guard
from shared.auth import Role

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], dependencies=[guard(write=Role.admin)])
# The response metrics are also at /api/v1/incidents/analytics, as the platform's first design named them.
# The app includes this router before the incidents' own, whose /{incident_id} would take "analytics".
alias = APIRouter(prefix="/api/v1/incidents", tags=["analytics"], dependencies=[guard(write=Role.admin)])


@alias.get("/analytics", response_model=IncidentAnalytics)
@router.get("/incidents", response_model=IncidentAnalytics)
async def incident_analytics(cmd: Commands, query: Annotated[AnalyticsQuery, Query()]) -> IncidentAnalytics:
    return await cmd.report(analytics.incident_analytics, query)


@router.get("/trends", response_model=IncidentTrends)
async def incident_trends(cmd: Commands, query: Annotated[TrendQuery, Query()]) -> IncidentTrends:
    return await cmd.report(analytics_trends.incident_trends, query)


@router.get("/mttr-distribution", response_model=ResponseDistribution)
async def response_distribution(
    cmd: Commands, query: Annotated[DistributionQuery, Query()]
) -> ResponseDistribution:
    return await cmd.report(analytics_distribution.response_distribution, query)
