"""Every Prometheus metric a service exports (the names the platform's design fixed), the HTTP middleware
that counts requests by route template, the `/metrics` route, and the database pools' gauge.

Counted per process and scraped per instance; values that come from the database are exported once, by
services/metrics_exporter. gRPC calls are counted by shared.grpc_metrics.
"""

import time
import weakref
from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/metrics"
# The route label of a request no route matched (a scan of random paths must not grow the label set).
UNMATCHED = "unmatched"
# Latency buckets (seconds) of requests and calls: an alert's POST takes ~1-30 ms, a dashboard page more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- the platform's counters ----------------------------------------------------------------------

ALERTS_RECEIVED = Counter(
    "alerts_received_total",
    "Alerts accepted by alert-ingestion, by format and severity",
    ["source", "severity"],
)
ALERTS_CORRELATED = Counter(
    "alerts_correlated_total",
    "Alerts stored by incident-management, by outcome (created, correlated, duplicate, resolved)",
    ["result"],
)
INCIDENTS = Counter("incidents_total", "Incidents opened, by severity", ["severity"])
ESCALATIONS = Counter(
    "escalations_total", "Escalation deadlines handled, by outcome (fired, postponed, stopped)", ["outcome"]
)
NOTIFICATIONS_SENT = Counter(
    "notifications_sent_total",
    "Notification attempts by channel (webhook, email) and outcome (delivered; failed: retried later; dead:"
    " given up; skipped: the recipient's rules)",
    ["channel", "outcome"],
)
WEBHOOK_DELIVERY = Histogram(
    "webhook_delivery_seconds", "Time of one webhook POST, answer read", buckets=LATENCY_BUCKETS
)

# --- HTTP -----------------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered, by route template", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)


def route_template(scope: Scope, root_path: str = "") -> str:
    """The template of the route that answered (`/api/v1/incidents/{incident_id}`), prefixed by the mounts
    it went through; UNMATCHED when none did."""
    route = scope.get("route")
    if route is None:  # FastAPI marks only its own routes: the app's plain ones are looked up
        route = _plain_route(scope, root_path)
        if route is None:
            return UNMATCHED
    # A mount's apps rewrite root_path: what it grew by is the mounts' prefix.
    prefix = scope.get("root_path", "")[len(root_path) :]
    if isinstance(route, Mount):  # static files, or a mounted router none of whose routes matched
        return f"{prefix or route.path}/{{path}}"
    template = getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED)
    return f"{prefix}{template}"


def _plain_route(scope: Scope, root_path: str) -> Route | Mount | None:
    """The app's Starlette route or mount (OpenAPI pages, /metrics, static files) matching the request."""
    app = scope.get("app")
    probe = {"type": "http", "path": scope["path"], "root_path": root_path, "method": scope["method"]}
    for route in getattr(getattr(app, "router", None), "routes", ()):
        if isinstance(route, Route | Mount) and not isinstance(route, APIRoute):
            if route.matches(probe)[0] is not Match.NONE:
                return route
    return None


class HttpMetricsMiddleware:
    """Pure ASGI: counts each answer and times it by method and route template (never the raw path).
    Children of the labelled metrics are kept per label set, so a request costs two dict lookups."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counters: dict[tuple[str, str, str], Counter] = {}
        self._timers: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 500  # an error no handler answered: the server's own 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self._record(scope["method"], route_template(scope, root_path), status, started)

    def _record(self, method: str, route: str, status: int, started: float) -> None:
        key = (method, route, str(status))
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = HTTP_REQUESTS.labels(*key)
        counter.inc()
        timer = self._timers.get(key[:2])
        if timer is None:
            timer = self._timers[key[:2]] = HTTP_DURATION.labels(method, route)
        timer.observe(time.perf_counter() - started)


async def metrics(request: Request) -> Response:
    """The process's metrics in Prometheus's text format, for scraping the service's own port (the gateway
    answers 404 for /metrics). An app may set `state.extra_metrics`, a coroutine function answering more
    of the text format (the exporter's readings of the database)."""
    extra = getattr(request.app.state, "extra_metrics", None)
    body = generate_latest(REGISTRY) + (await extra() if extra is not None else b"")
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI) -> None:
    """Count the app's requests (outermost, so early refusals count too) and serve GET /metrics."""
    app.add_middleware(HttpMetricsMiddleware)
    app.add_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)


# --- database pools -------------------------------------------------------------------------------


class PoolCollector(Collector):
    """`db_pool_connections_in_use`: connections checked out of the process's SQLAlchemy pools, read at
    scrape time."""

    def __init__(self) -> None:
        self._engines: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()

    def track(self, engine: AsyncEngine) -> None:
        self._engines.add(engine)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # A QueuePool's count (the services' engines all have one; the base Pool type does not say so).
        in_use = sum(getattr(engine.pool, "checkedout", lambda: 0)() for engine in list(self._engines))
        yield GaugeMetricFamily("db_pool_connections_in_use", "Connections checked out of the pool", in_use)


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def track_engine(engine: AsyncEngine) -> None:
    """Count `engine`'s checked-out connections in db_pool_connections_in_use (for as long as it lives)."""
    POOLS.track(engine)
