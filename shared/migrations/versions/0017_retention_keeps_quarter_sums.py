"""retention: deleting old resolved incidents keeps their figures in incident_quarter_sums

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:00:00

The retention job of incident-management deletes incidents resolved more than RETENTION_DAYS ago. The
delete trigger of migration 0015 would take their contribution away from the analytics sums, and analytics
over those quarters would then count nothing. The trigger's function now returns at once for a delete in a
transaction that set `SET LOCAL oncall.retention = on` (only the retention job does): the incident leaves
`incidents`, its figures stay in the quarter's sums. Any other delete still takes them away.
"""

from pathlib import Path

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"

# The function as migration 0015 created it, for the downgrade.
_SUBTRACT_ON_EVERY_DELETE = """
CREATE OR REPLACE FUNCTION track_incident_quarter_sums() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'resolved' THEN
        INSERT INTO incident_quarter_sums (quarter, incidents, open, acknowledged, resolved, escalated,
                                           alerts, ack_seconds, acks_timed, resolve_seconds, resolves_timed)
        VALUES (date_bin(interval '15 minutes', OLD.created_at, timestamptz '0001-01-01 00:00:00+00'),
                -1, 0,
                -1 * (CASE WHEN OLD.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END),
                -1 * (CASE WHEN OLD.resolved_at IS NOT NULL THEN 1 ELSE 0 END),
                -1 * (CASE WHEN OLD.escalation_level > 0 OR OLD.escalation_cycle > 0 THEN 1 ELSE 0 END),
                -1 * OLD.alert_count,
                -1 * coalesce(OLD.mtta_seconds, 0),
                -1 * (CASE WHEN OLD.mtta_seconds IS NOT NULL THEN 1 ELSE 0 END),
                -1 * coalesce(OLD.mttr_seconds, 0),
                -1 * (CASE WHEN OLD.mttr_seconds IS NOT NULL THEN 1 ELSE 0 END));
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'resolved' THEN
        INSERT INTO incident_quarter_sums (quarter, incidents, open, acknowledged, resolved, escalated,
                                           alerts, ack_seconds, acks_timed, resolve_seconds, resolves_timed)
        VALUES (date_bin(interval '15 minutes', NEW.created_at, timestamptz '0001-01-01 00:00:00+00'),
                1, 0,
                CASE WHEN NEW.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END,
                CASE WHEN NEW.resolved_at IS NOT NULL THEN 1 ELSE 0 END,
                CASE WHEN NEW.escalation_level > 0 OR NEW.escalation_cycle > 0 THEN 1 ELSE 0 END,
                NEW.alert_count,
                coalesce(NEW.mtta_seconds, 0),
                CASE WHEN NEW.mtta_seconds IS NOT NULL THEN 1 ELSE 0 END,
                coalesce(NEW.mttr_seconds, 0),
                CASE WHEN NEW.mttr_seconds IS NOT NULL THEN 1 ELSE 0 END);
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute((SQL / "track_incident_quarter_sums.sql").read_text())


def downgrade() -> None:
    op.execute(_SUBTRACT_ON_EVERY_DELETE)
