"""on-call's tables: people, API tokens, the audit log, teams and the services they own, rotations,
schedules, escalation policies. The audit log is written through shared/audit.py by every service
that changes something; on-call owns it and serves it (`/api/v1/audit`)."""

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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.orm import Base, created_at_column, uuid_pk

ROLES = ("viewer", "responder", "admin")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_users_role"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = created_at_column()
    # Notification rules: email on/off and which event types (empty list = every incident event).
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    notify_event_types: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    # Dashboard login: no hash means this user cannot log in; argon2id (services.oncall_service.passwords).
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    login_disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Sessions issued before this are refused: a new password or a disable logs the person out everywhere.
    credentials_changed_at: Mapped[datetime] = created_at_column()
    # What the person may do (shared.auth.Role): viewer reads, responder also acts on incidents, admin
    # also configures.
    role: Mapped[str] = mapped_column(String(16), default="responder", server_default="responder")


class ApiToken(Base):
    """A credential for automation: only its SHA-256 is kept; `prefix` lets people recognise it."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_api_tokens_role"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
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
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    rotations: Mapped[list["Rotation"]] = relationship(back_populates="team", cascade="all, delete-orphan")


class ServiceOwnership(Base):
    """Which team owns a monitored service (by the name alerts carry)."""

    __tablename__ = "service_ownerships"
    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at_column()


class Rotation(Base):
    """A weekly rotation: members take turns, handing off at a weekday and local time."""

    __tablename__ = "rotations"
    __table_args__ = (CheckConstraint("handoff_weekday BETWEEN 0 AND 6", name="ck_rotations_weekday"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    handoff_weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    handoff_time: Mapped[time] = mapped_column(Time)
    start_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()
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
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    # A team with a schedule answers "who is on call" from it before its weekly rotations.
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = created_at_column()
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
    id: Mapped[uuid.UUID] = uuid_pk()
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
    id: Mapped[uuid.UUID] = uuid_pk()
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    replaces_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class EscalationPolicy(Base):
    """Levels paged one after another until someone acknowledges; the whole runs `repeat` more times."""

    __tablename__ = "escalation_policies"
    __table_args__ = (CheckConstraint("repeat >= 0", name="ck_escalation_policies_repeat"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
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
    id: Mapped[uuid.UUID] = uuid_pk()
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
