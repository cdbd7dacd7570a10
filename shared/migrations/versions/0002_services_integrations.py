"""services, integrations and heartbeats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:44:37.681152
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("escalation_policy_id", sa.UUID(), nullable=True),
        sa.Column("auto_resolve", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "integrations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_hint", sa.String(length=8), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "type IN ('api', 'alertmanager', 'grafana', 'pagerduty', 'webhook', 'heartbeat')",
            name="ck_integrations_type",
        ),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index(op.f("ix_integrations_service_id"), "integrations", ["service_id"], unique=False)
    op.create_table(
        "heartbeats",
        sa.Column("integration_id", sa.UUID(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("last_ping_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed_alert_fingerprint", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id"),
    )
    op.create_index("ix_heartbeats_due", "heartbeats", ["due_at"], unique=False)
    op.add_column(
        "alerts", sa.Column("status", sa.String(length=16), server_default="firing", nullable=False)
    )
    op.add_column("alerts", sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("alerts", sa.Column("integration_id", sa.UUID(), nullable=True))
    op.drop_index(op.f("ix_alerts_fingerprint"), table_name="alerts")
    op.create_index("ix_alerts_service_fingerprint", "alerts", ["service", "fingerprint"], unique=False)
    op.create_check_constraint("ck_alerts_status", "alerts", "status IN ('firing', 'resolved')")
    op.create_foreign_key(
        "fk_alerts_integration_id", "alerts", "integrations", ["integration_id"], ["id"], ondelete="SET NULL"
    )


def downgrade() -> None:
    op.drop_constraint("fk_alerts_integration_id", "alerts", type_="foreignkey")
    op.drop_constraint("ck_alerts_status", "alerts", type_="check")
    op.drop_index("ix_alerts_service_fingerprint", table_name="alerts")
    op.create_index(op.f("ix_alerts_fingerprint"), "alerts", ["fingerprint"], unique=False)
    op.drop_column("alerts", "integration_id")
    op.drop_column("alerts", "resolved_at")
    op.drop_column("alerts", "status")
    op.drop_index("ix_heartbeats_due", table_name="heartbeats")
    op.drop_table("heartbeats")
    op.drop_index(op.f("ix_integrations_service_id"), table_name="integrations")
    op.drop_table("integrations")
    op.drop_table("services")
