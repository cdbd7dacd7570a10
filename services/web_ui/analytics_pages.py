"""The analytics page: MTTA and MTTR over time, incident volume per day, service and severity, the
noisiest services and how MTTR is spread; each chart drawn as SVG on the server with its numbers in a
table. The figures are incident-management's analytics answers, asked over gRPC."""

import asyncio
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.incident_management.models import SEVERITIES
from services.web_ui import charts
from services.web_ui.pages import console
from services.web_ui.session import CurrentViewer
from services.web_ui.views import render
from shared.text import InputModel
from shared.timeutil import rfc3339, utcnow

router = APIRouter(prefix="/ui", tags=["dashboard"])
NOISIEST = 10
# How each period is cut: its length, and the bucket of its time series (at most 100 buckets).
PERIODS = {
    "7d": (timedelta(days=7), "1d", "day"),
    "30d": (timedelta(days=30), "1d", "day"),
    "90d": (timedelta(days=90), "1w", "week"),
}


class Window(InputModel):
    period: Literal["7d", "30d", "90d"] = "30d"


def minutes(seconds: float | None) -> str:
    """A duration for an axis or a cell: `12.5 min`, `3.2 h`; '—' for none."""
    if seconds is None:
        return "—"
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min"


def _day(start: str) -> str:
    return start[5:10]


@router.get("/analytics")
async def analytics(request: Request, who: CurrentViewer, window: Annotated[Window, Query()]) -> Response:
    length, bucket, group = PERIODS[window.period]
    since = rfc3339(utcnow() - length) or ""
    client = console(request)
    trends, over_time, per_service, per_severity, spread = await asyncio.gather(
        client.analytics("trends", period=window.period, bucket=bucket),
        client.analytics("incidents", since=since, group_by=group),
        client.analytics("incidents", since=since, group_by="service"),
        client.analytics("incidents", since=since, group_by="severity"),
        client.analytics("distribution", period=window.period),
    )
    volume = [(_day(b["start"]), {s: b[s] for s in SEVERITIES}) for b in trends["buckets"]]
    response = [
        (_day(g["key"]), {"mtta": g["mean_seconds_to_first_ack"], "mttr": g["mean_seconds_to_resolve"]})
        for g in over_time["groups"]
    ]
    noisiest = sorted(per_service["groups"], key=lambda g: (-g["total_incident_count"], g["key"]))[:NOISIEST]
    mttr = spread["mttr"]
    histogram = [(_bucket_label(b), {"total": b["count"]}) for b in mttr["buckets"]]
    return render(
        "analytics.html",
        viewer=who,
        period=window.period,
        periods=list(PERIODS),
        totals=over_time["totals"],
        trends=trends,
        volume=volume,
        volume_chart=charts.stacked_bars(volume, list(SEVERITIES)),
        response=response,
        response_chart=charts.lines(response, ["mtta", "mttr"], minutes),
        services=per_service["groups"],
        noisiest=noisiest,
        noisiest_chart=charts.stacked_bars(
            [(g["key"], {"total": g["total_incident_count"]}) for g in noisiest], ["total"]
        ),
        severities=per_severity["groups"],
        mttr=mttr,
        histogram=histogram,
        histogram_chart=charts.stacked_bars(histogram, ["total"]),
        minutes=minutes,
    )


def _bucket_label(bucket: dict[str, Any]) -> str:
    low, high = minutes(bucket["from_seconds"]), bucket["to_seconds"]
    return f"≥ {low}" if high is None else f"{low} – {minutes(high)}"
