"""The exporter's metrics: the last readings (at most `scrape_cache_seconds` old) as Prometheus families,
and `oncall_exporter_up{backend}` saying whether each source could be read."""

import asyncio
import logging
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from services.metrics_exporter.config import ExporterSettings
from services.metrics_exporter.readings import (
    DatabaseReadings,
    Histogram,
    StreamReadings,
    read_database,
    read_stream,
)

log = logging.getLogger(__name__)


class Exporter(Collector):
    """Reads the database and the stream at most once per `scrape_cache_seconds`, however many scrape."""

    def __init__(self, engine: AsyncEngine, redis: Redis, settings: ExporterSettings) -> None:
        self._engine, self._redis, self._settings = engine, redis, settings
        self._lock = asyncio.Lock()
        self._read_at = -float("inf")
        self.database: DatabaseReadings | None = None
        self.stream: StreamReadings | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    async def render(self) -> bytes:
        """The readings in Prometheus's text format, read again when older than the cache allows."""
        await self.refresh()
        return generate_latest(self.registry)

    async def refresh(self) -> None:
        async with self._lock:  # concurrent scrapes wait for one reading instead of making their own
            if time.monotonic() - self._read_at < self._settings.scrape_cache_seconds:
                return
            self.database, self.stream = await asyncio.gather(self._read_database(), self._read_stream())
            self._read_at = time.monotonic()

    async def _read_database(self) -> DatabaseReadings | None:
        settings = self._settings
        try:
            async with self._engine.connect() as connection:
                return await read_database(
                    connection,
                    mtta_buckets=settings.incident_mtta_buckets,
                    mttr_buckets=settings.incident_mttr_buckets,
                )
        except Exception as error:  # any failure: the scrape says so with oncall_exporter_up, never a 500
            log.warning("metrics exporter: database unreadable: %s", error)
            return None

    async def _read_stream(self) -> StreamReadings | None:
        try:
            return await read_stream(
                self._redis, stream=self._settings.events_stream, group=self._settings.consumer_group
            )
        except Exception as error:
            log.warning("metrics exporter: event stream unreadable: %s", error)
            return None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "oncall_exporter_up", "1 when the last reading of a source worked", labels=["backend"]
        )
        up.add_metric(["database"], float(self.database is not None))
        up.add_metric(["redis"], float(self.stream is not None))
        yield up
        if self.database is not None:
            yield from database_families(self.database)
        if self.stream is not None:
            yield _gauge(
                "event_stream_pending_entries",
                "Stream entries the notifier read, not acked yet",
                self.stream.pending,
            )
            yield _gauge("event_stream_entries", "Entries kept in the event stream", self.stream.length)


def database_families(readings: DatabaseReadings) -> Iterator[Metric]:
    """The database's readings as metric families."""
    opened = GaugeMetricFamily("open_incidents", "Incidents not resolved", labels=["severity", "status"])
    for (severity, status), count in sorted(readings.open_incidents.items()):
        opened.add_metric([severity, status], count)
    yield opened
    yield _histogram("incident_mtta_seconds", "Time from opening to acknowledgement", readings.mtta)
    yield _histogram("incident_mttr_seconds", "Time from opening to resolution", readings.mttr)
    yield _windows(
        "incident_mtta_mean_seconds", "Mean MTTA of incidents acknowledged in the window", readings.mtta_mean
    )
    yield _windows(
        "incident_mttr_mean_seconds", "Mean MTTR of incidents resolved in the window", readings.mttr_mean
    )
    yield _gauge("outbox_pending", "Outbox events not relayed to the stream yet", readings.outbox_pending)
    yield _gauge("outbox_lag_seconds", "Age of the oldest event not relayed yet", readings.outbox_lag_seconds)
    yield _gauge("escalations_due", "Escalation deadlines passed and not fired yet", readings.escalations_due)
    yield _gauge(
        "escalation_lag_seconds",
        "How long the oldest due deadline has waited",
        readings.escalation_lag_seconds,
    )
    deliveries = GaugeMetricFamily(
        "webhook_deliveries", "Webhook deliveries kept, by status", labels=["status"]
    )
    for status, count in sorted(readings.webhook_deliveries.items()):
        deliveries.add_metric([status], count)
    yield deliveries
    yield _by_service(
        "service_incidents_24h", "Incidents opened in the last 24 hours", readings.service_incidents
    )
    yield _by_service(
        "service_alerts_24h", "Alerts of incidents opened in the last 24 hours", readings.service_alerts
    )


def _by_service(name: str, documentation: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    for service, count in sorted(counts.items()):
        family.add_metric([service], count)
    return family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _windows(name: str, documentation: str, means: dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["window"])
    for window, value in means.items():
        family.add_metric([window], value)
    return family


def _histogram(name: str, documentation: str, histogram: Histogram) -> HistogramMetricFamily:
    # floatToGoString is untyped: the exposition format's own spelling of a bucket bound ("0.5", "1e+06").
    bounds = [floatToGoString(le) for le, _ in histogram.buckets]  # type: ignore[no-untyped-call]
    buckets = [
        *zip(bounds, (count for _, count in histogram.buckets), strict=True),
        ("+Inf", histogram.count),
    ]
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=histogram.total)
