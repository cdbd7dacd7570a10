"""Tables of the platform. One metadata so Alembic migrates the whole schema in one history."""

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SEVERITIES = ("critical", "high", "warning", "info")
ROLES = ("viewer", "responder", "admin")
INCIDENT_STATUSES = ("open", "acknowledged", "resolved")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, uuid.UUID: UUID(as_uuid=True)}


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


# --- on-call -----------------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_users_role"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = _created_at()
    # Notification rules: email on/off and which event types (empty list = every incident event).
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    notify_event_types: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    # Dashboard login: no hash means this user cannot log in; argon2id (services.oncall_service.passwords).
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    login_disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Sessions issued before this are refused: a new password or a disable logs the person out everywhere.
    credentials_changed_at: Mapped[datetime] = _created_at()
    # What the person may do (shared.auth.Role): viewer reads, responder also acts on incidents, admin
    # also configures.
    role: Mapped[str] = mapped_column(String(16), default="responder", server_default="responder")


class ApiToken(Base):
    """A credential for automation: only its SHA-256 is kept; `prefix` lets people recognise it."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_api_tokens_role"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = _created_at()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    """One change made through the API or the dashboard, or a login; a trigger refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_target", "target_id", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_type: Mapped[str] = mapped_column(String(16))  # user, token or anonymous (a failed login)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(400))
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _created_at()
    rotations: Mapped[list["Rotation"]] = relationship(back_populates="team", cascade="all, delete-orphan")


class ServiceOwnership(Base):
    """Which team owns a monitored service (by the name alerts carry)."""

    __tablename__ = "service_ownerships"
    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _created_at()


class Rotation(Base):
    """A weekly rotation: members take turns, handing off at a weekday and local time."""

    __tablename__ = "rotations"
    __table_args__ = (CheckConstraint("handoff_weekday BETWEEN 0 AND 6", name="ck_rotations_weekday"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    handoff_weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    handoff_time: Mapped[time] = mapped_column(Time)
    start_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = _created_at()
    team: Mapped[Team] = relationship(back_populates="rotations")
    members: Mapped[list["RotationMember"]] = relationship(
        order_by="RotationMember.position", cascade="all, delete-orphan", lazy="selectin"
    )


class RotationMember(Base):
    __tablename__ = "rotation_members"
    rotation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    user: Mapped[User] = relationship(lazy="joined")


SHIFT_UNITS = ("hours", "days", "weeks")


class Schedule(Base):
    """Who is on call from ordered layers (a higher position wins) and overrides, in one time zone."""

    __tablename__ = "schedules"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    # A team with a schedule answers "who is on call" from it before its weekly rotations.
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = _created_at()
    layers: Mapped[list["ScheduleLayer"]] = relationship(
        order_by="ScheduleLayer.position", cascade="all, delete-orphan", lazy="selectin"
    )
    overrides: Mapped[list["ScheduleOverride"]] = relationship(
        order_by="ScheduleOverride.start_at", cascade="all, delete-orphan", lazy="selectin"
    )


class ScheduleLayer(Base):
    """A rotation inside a schedule: shifts of `shift_length` hours, days or weeks, handing off locally."""

    __tablename__ = "schedule_layers"
    __table_args__ = (
        CheckConstraint("shift_length > 0", name="ck_schedule_layers_length"),
        CheckConstraint(f"shift_unit IN {SHIFT_UNITS}", name="ck_schedule_layers_unit"),
        UniqueConstraint("schedule_id", "position", name="uq_schedule_layers_position"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    shift_length: Mapped[int] = mapped_column(Integer)
    shift_unit: Mapped[str] = mapped_column(String(8))
    handoff_time: Mapped[time] = mapped_column(Time)
    start_date: Mapped[date] = mapped_column(Date)
    # [{"weekdays": [0..6], "start": "HH:MM", "end": "HH:MM"}]; empty means always.
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    members: Mapped[list["ScheduleLayerMember"]] = relationship(
        order_by="ScheduleLayerMember.position", cascade="all, delete-orphan", lazy="selectin"
    )


class ScheduleLayerMember(Base):
    __tablename__ = "schedule_layer_members"
    layer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schedule_layers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)


class ScheduleOverride(Base):
    """`user_id` is on call from start_at to end_at: instead of `replaces_user_id`, or of anyone."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (CheckConstraint("end_at > start_at", name="ck_schedule_overrides_order"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    replaces_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created_at()


class EscalationPolicy(Base):
    """Levels paged one after another until someone acknowledges; the whole runs `repeat` more times."""

    __tablename__ = "escalation_policies"
    __table_args__ = (CheckConstraint("repeat >= 0", name="ck_escalation_policies_repeat"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created_at()
    levels: Mapped[list["EscalationLevel"]] = relationship(
        order_by="EscalationLevel.position", cascade="all, delete-orphan", lazy="selectin"
    )


class EscalationLevel(Base):
    """Targets notified together; `delay_minutes` (None: the default timeout) before the next level."""

    __tablename__ = "escalation_levels"
    __table_args__ = (
        CheckConstraint("delay_minutes IS NULL OR delay_minutes > 0", name="ck_escalation_levels_delay"),
        UniqueConstraint("policy_id", "position", name="uq_escalation_levels_position"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    delay_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    targets: Mapped[list["EscalationTarget"]] = relationship(
        order_by="EscalationTarget.position", cascade="all, delete-orphan", lazy="selectin"
    )


class EscalationTarget(Base):
    """A user or a schedule (whoever is on call in it when the level is reached)."""

    __tablename__ = "escalation_targets"
    __table_args__ = (
        CheckConstraint("num_nonnulls(user_id, schedule_id) = 1", name="ck_escalation_targets_one"),
    )
    level_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("escalation_levels.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="RESTRICT"), nullable=True, index=True
    )


# --- services and integrations (where alerts come from) ------------------------------------------

INTEGRATION_TYPES = ("api", "alertmanager", "grafana", "pagerduty", "webhook", "heartbeat")


class MonitoredService(Base):
    """A service alerts are about: owned by a team, paged through its integrations."""

    __tablename__ = "services"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who is paged: an escalation policy once they exist (issue 4), else the team's on-call.
    escalation_policy_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # Resolve the incident when the source resolves its last firing alert.
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created_at()


class Integration(Base):
    """A way into a service, with a secret routing key stored only as its SHA-256."""

    __tablename__ = "integrations"
    __table_args__ = (CheckConstraint(f"type IN {INTEGRATION_TYPES}", name="ck_integrations_type"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created_at()
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


# --- incidents ---------------------------------------------------------------------------------


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
        Index("ix_incidents_service_created", "service", "created_at", "id"),
        Index("ix_incidents_assignment_pending", "id", postgresql_where=text("assignment_pending")),
        Index(
            "ix_incidents_next_escalation",
            "next_escalation_at",
            postgresql_where=text("next_escalation_at IS NOT NULL"),
        ),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
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


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_service_fingerprint", "service", "fingerprint"),
        CheckConstraint("status IN ('firing', 'resolved')", name="ck_alerts_status"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
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
    created_at: Mapped[datetime] = _created_at()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# --- notifier: webhook subscriptions, deliveries and emails ----------------------------------------

DELIVERY_STATUSES = ("pending", "delivered", "dead")
EMAIL_STATUSES = ("pending", "sent", "skipped", "dead")


class WebhookSubscription(Base):
    """Where and which events to POST; the secret signs deliveries and is never listed."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[uuid.UUID] = _uuid_pk()
    url: Mapped[str] = mapped_column(Text)
    endpoint: Mapped[str] = mapped_column(String(300))  # host:port, the unit of concurrency limits
    description: Mapped[str] = mapped_column(Text, default="")
    event_types: Mapped[list[str]] = mapped_column(JSONB, default=list)
    services: Mapped[list[str]] = mapped_column(JSONB, default=list)
    teams: Mapped[list[str]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class WebhookDelivery(Base):
    """One event for one subscription; retried until delivered or `retry_until` passes."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="ck_webhook_deliveries_status"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retry_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = _created_at()


class WebhookAttempt(Base):
    """One POST of a delivery: status code (None when no answer), latency and error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class EmailNotification(Base):
    """One event for one recipient; the unique key makes a redelivered stream entry send no second mail."""

    __tablename__ = "email_notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", name="uq_email_notifications_event_recipient"),
        CheckConstraint(f"status IN {EMAIL_STATUSES}", name="ck_email_notifications_status"),
        Index("ix_email_notifications_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retry_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = _created_at()
