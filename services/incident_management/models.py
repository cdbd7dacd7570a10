"""incident-management's tables: the services catalogue and its integrations and heartbeats,
incidents, their alerts and timeline, quarter-hour sums, and the outbox of events."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.orm import Base, created_at_column, uuid_pk

SEVERITIES = ("critical", "high", "warning", "info")
INCIDENT_STATUSES = ("open", "acknowledged", "resolved")
INTEGRATION_TYPES = ("api", "alertmanager", "grafana", "pagerduty", "webhook", "heartbeat")


def _rank(column: str, order: tuple[str, ...]) -> str:
    # Laid out as PostgreSQL prints an index's expression back: alembic compares the texts.
    whens = "".join(f"\n    WHEN '{value}' THEN {rank}" for rank, value in enumerate(order))
    return f"\nCASE {column}{whens}\n    ELSE {len(order)}\nEND"


# The triage order (open first, then the most severe, then the newest) as SQL: the incident list orders
# by these very expressions, so that ix_incidents_triage serves it.
STATUS_RANK = _rank("status", INCIDENT_STATUSES)
SEVERITY_RANK = _rank("severity", SEVERITIES)

# The words of a title, as the list's text search matches them: the runs of letters and digits (every other
# ASCII character separates, so `db-01.example.com` is db, 01, example, com), lower-cased, not stemmed.
# PostgreSQL's parser alone would keep a host or a path whole and read `db-01` as db and -01.
# The incident list matches this very expression, so that ix_incidents_title_words serves it.
NOT_A_WORD = r"[\x01-/:-@[-`{-\x7f]+"
TITLE_WORDS = (
    f"to_tsvector('simple'::regconfig, regexp_replace(title, '{NOT_A_WORD}'::text, ' '::text, 'g'::text))"
)


class MonitoredService(Base):
    """A service alerts are about: owned by a team, paged through its integrations."""

    __tablename__ = "services"
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who is paged: an escalation policy once they exist (issue 4), else the team's on-call.
    escalation_policy_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # Resolve the incident when the source resolves its last firing alert.
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()


class Integration(Base):
    """A way into a service, with a secret routing key stored only as its SHA-256."""

    __tablename__ = "integrations"
    __table_args__ = (CheckConstraint(f"type IN {INTEGRATION_TYPES}", name="ck_integrations_type"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Heartbeat(Base):
    """Expected pings of a heartbeat integration; `due_at` is when silence becomes an incident."""

    __tablename__ = "heartbeats"
    __table_args__ = (Index("ix_heartbeats_due", "due_at"),)
    integration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    interval_seconds: Mapped[int] = mapped_column(Integer)
    grace_seconds: Mapped[int] = mapped_column(Integer)
    last_ping_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    missed_alert_fingerprint: Mapped[str | None] = mapped_column(String(256), nullable=True)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(f"status IN {INCIDENT_STATUSES}", name="ck_incidents_status"),
        CheckConstraint(f"severity IN {SEVERITIES}", name="ck_incidents_severity"),
        # Correlation looks up the newest open incident per (service, severity).
        Index(
            "ix_incidents_open_key",
            "service",
            "severity",
            "created_at",
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index("ix_incidents_created", "created_at", "id"),
        # The dashboard's default order: its first page and later ones read in index order, not sorted.
        Index(
            "ix_incidents_triage",
            text(f"({STATUS_RANK})"),
            text(f"({SEVERITY_RANK})"),
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index("ix_incidents_service_created", "service", "created_at", "id"),
        # The text search. New entries wait in GIN's pending list (an alert opening an incident appends to
        # it), kept short so that a search reads little of it and merging it into the index stalls no one.
        Index(
            "ix_incidents_title_words",
            text(f"({TITLE_WORDS})"),
            postgresql_using="gin",
            postgresql_with={"gin_pending_list_limit": 256},
        ),
        Index("ix_incidents_assignment_pending", "id", postgresql_where=text("assignment_pending")),
        Index(
            "ix_incidents_next_escalation",
            "next_escalation_at",
            postgresql_where=text("next_escalation_at IS NOT NULL"),
        ),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    assignee_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assignee_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    assignment_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mtta_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    mttr_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Escalation state: the next deadline is durable so any replica, after any restart, fires it once.
    escalation_policy_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalation_cycle: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_escalation_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class IncidentQuarterSums(Base):
    """Response metrics of resolved incidents added up per quarter hour of their creation, as analytics
    counts them. Kept by triggers on `incidents` (migration 0015), which append a row per change (a
    resolution adds an incident's figures, a later change takes them away and adds the new ones);
    `fold_incident_quarter_sums()` replaces a quarter's appended rows by one `folded` row."""

    __tablename__ = "incident_quarter_sums"
    __table_args__ = (
        Index("ix_incident_quarter_sums_quarter", "quarter"),
        Index("ix_incident_quarter_sums_appended", "quarter", postgresql_where=text("NOT folded")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    quarter: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    folded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    incidents: Mapped[int] = mapped_column(Integer, server_default="0")
    open: Mapped[int] = mapped_column(Integer, server_default="0")
    acknowledged: Mapped[int] = mapped_column(Integer, server_default="0")
    resolved: Mapped[int] = mapped_column(Integer, server_default="0")
    escalated: Mapped[int] = mapped_column(Integer, server_default="0")
    alerts: Mapped[int] = mapped_column(BigInteger, server_default="0")
    ack_seconds: Mapped[float] = mapped_column(Float, server_default="0")
    acks_timed: Mapped[int] = mapped_column(Integer, server_default="0")
    resolve_seconds: Mapped[float] = mapped_column(Float, server_default="0")
    resolves_timed: Mapped[int] = mapped_column(Integer, server_default="0")


class IncidentCounts(Base):
    """How many incidents there are of each (service, severity, status), for the dashboard's status tabs.
    Kept by triggers on `incidents` (migration 0020), which append +1 for a new incident's key, -1 and +1
    when its status changes and -1 when it is deleted; `fold_incident_counts()` replaces a key's appended
    rows by one `folded` row. Counting the incidents themselves cost 15-50 ms on 100,000 of them."""

    __tablename__ = "incident_counts"
    __table_args__ = (
        Index(
            "ix_incident_counts_appended",
            "service",
            "severity",
            "status",
            postgresql_where=text("NOT folded"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    folded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    incidents: Mapped[int] = mapped_column(Integer)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_service_fingerprint", "service", "fingerprint"),
        CheckConstraint("status IN ('firing', 'resolved')", name="ck_alerts_status"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(256))
    service: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), default="")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="firing", server_default="firing")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True
    )


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_incident", "incident_id", "id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)


class OutboxEvent(Base):
    """Events written in the same transaction as the change; a relay moves them to Redis."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_outbox_event_id"),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
