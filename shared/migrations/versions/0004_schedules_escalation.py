"""schedules, escalation policies and durable escalation state on incidents

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25 10:30:00.000000
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[datetime]:
    now = sa.text("now()")
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index(op.f("ix_schedules_team_id"), "schedules", ["team_id"], unique=False)
    op.create_table(
        "schedule_layers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shift_length", sa.Integer(), nullable=False),
        sa.Column("shift_unit", sa.String(length=8), nullable=False),
        sa.Column("handoff_time", sa.Time(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("restrictions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("shift_length > 0", name="ck_schedule_layers_length"),
        sa.CheckConstraint("shift_unit IN ('hours', 'days', 'weeks')", name="ck_schedule_layers_unit"),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "position", name="uq_schedule_layers_position"),
    )
    op.create_index(op.f("ix_schedule_layers_schedule_id"), "schedule_layers", ["schedule_id"], unique=False)
    op.create_table(
        "schedule_layer_members",
        sa.Column("layer_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["layer_id"], ["schedule_layers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("layer_id", "position"),
    )
    op.create_index(
        op.f("ix_schedule_layer_members_user_id"), "schedule_layer_members", ["user_id"], unique=False
    )
    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("replaces_user_id", sa.UUID(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        sa.CheckConstraint("end_at > start_at", name="ck_schedule_overrides_order"),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedules.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["replaces_user_id"], ["users.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("schedule_id", "user_id", "replaces_user_id"):
        op.create_index(op.f(f"ix_schedule_overrides_{column}"), "schedule_overrides", [column], unique=False)
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        _created_at(),
        sa.CheckConstraint("repeat >= 0", name="ck_escalation_policies_repeat"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "escalation_levels",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("policy_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("delay_minutes", sa.Float(), nullable=True),
        sa.CheckConstraint("delay_minutes IS NULL OR delay_minutes > 0", name="ck_escalation_levels_delay"),
        sa.ForeignKeyConstraint(["policy_id"], ["escalation_policies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("policy_id", "position", name="uq_escalation_levels_position"),
    )
    op.create_index(op.f("ix_escalation_levels_policy_id"), "escalation_levels", ["policy_id"], unique=False)
    op.create_table(
        "escalation_targets",
        sa.Column("level_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("schedule_id", sa.UUID(), nullable=True),
        sa.CheckConstraint("num_nonnulls(user_id, schedule_id) = 1", name="ck_escalation_targets_one"),
        sa.ForeignKeyConstraint(["level_id"], ["escalation_levels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedules.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("level_id", "position"),
    )
    op.create_index(op.f("ix_escalation_targets_user_id"), "escalation_targets", ["user_id"], unique=False)
    op.create_index(
        op.f("ix_escalation_targets_schedule_id"), "escalation_targets", ["schedule_id"], unique=False
    )
    op.add_column("incidents", sa.Column("escalation_policy_id", sa.UUID(), nullable=True))
    op.add_column(
        "incidents", sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "incidents", sa.Column("escalation_cycle", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("incidents", sa.Column("next_escalation_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("incidents", sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_incidents_next_escalation",
        "incidents",
        ["next_escalation_at"],
        unique=False,
        postgresql_where=sa.text("next_escalation_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_incidents_next_escalation",
        table_name="incidents",
        postgresql_where=sa.text("next_escalation_at IS NOT NULL"),
    )
    for column in ("snoozed_until", "next_escalation_at", "escalation_cycle", "escalation_level"):
        op.drop_column("incidents", column)
    op.drop_column("incidents", "escalation_policy_id")
    op.drop_table("escalation_targets")
    op.drop_table("escalation_levels")
    op.drop_table("escalation_policies")
    op.drop_table("schedule_overrides")
    op.drop_table("schedule_layer_members")
    op.drop_table("schedule_layers")
    op.drop_table("schedules")
