"""incident_quarter_sums: response metrics of resolved incidents per quarter hour, kept by triggers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 21:00:00

Analytics over a window read every incident created in it: ~120-140 ms of PostgreSQL for 90 days of
100,000 incidents on the slow development machine, and growing with the history. A resolved incident
hardly ever changes again, so its contribution to the metrics (counted, acknowledged, escalated, alerts,
seconds to acknowledge and to resolve) is added up per quarter hour of its creation (every time zone's
offset is a whole number of quarter hours): analytics with no service or severity filter read those sums
for the window's whole quarters, and only the incidents not yet resolved (the partial index of open
ones) and the two partial quarters at the window's ends from `incidents` itself.

Row triggers keep the sums: an incident that becomes resolved adds its contribution, a change to a
resolved one (reopened, deleted, or a counted column changed) takes its old contribution away and adds the
new one. An open incident's changes (every alert that joins one) fire nothing: the triggers' WHEN is
evaluated before any function call. Changes are appended as rows, never updated in place, so
concurrent resolutions take no common row lock (no waiting, no deadlock between transactions resolving
incidents of the same quarters in different orders); `fold_incident_quarter_sums()`, which
incident-management runs every few seconds, replaces a quarter's appended rows by one folded row in one
statement. Two folds at once stay exact: a row deleted by one is skipped by the other.

The trigger is created before the existing resolved incidents are added up, in this migration's
transaction: its lock on `incidents` holds concurrent writers until the sums are in.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# As analytics bins incidents (_ORIGIN there). Not from 2000: PostgreSQL 16.2's date_bin() puts a time
# before its origin that falls exactly on a bin's start into the bin before (fixed in 16.3).
QUARTER = "date_bin(interval '15 minutes', {row}.created_at, timestamptz '0001-01-01 00:00:00+00')"

# One incident's contribution, as services/incident_management/analytics.py counts it (_SUMS there).
COUNTED = (
    ("incidents", "1"),
    ("open", "CASE WHEN {row}.status <> 'resolved' THEN 1 ELSE 0 END"),
    ("acknowledged", "CASE WHEN {row}.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END"),
    ("resolved", "CASE WHEN {row}.resolved_at IS NOT NULL THEN 1 ELSE 0 END"),
    ("escalated", "CASE WHEN {row}.escalation_level > 0 OR {row}.escalation_cycle > 0 THEN 1 ELSE 0 END"),
    ("alerts", "{row}.alert_count"),
    ("ack_seconds", "coalesce({row}.mtta_seconds, 0)"),
    ("acks_timed", "CASE WHEN {row}.mtta_seconds IS NOT NULL THEN 1 ELSE 0 END"),
    ("resolve_seconds", "coalesce({row}.mttr_seconds, 0)"),
    ("resolves_timed", "CASE WHEN {row}.mttr_seconds IS NOT NULL THEN 1 ELSE 0 END"),
)
SUMS = ", ".join(name for name, _ in COUNTED)
# The columns a change must touch for a resolved incident's contribution to change.
TRACKED = (
    "status",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "escalation_level",
    "escalation_cycle",
    "alert_count",
    "mtta_seconds",
    "mttr_seconds",
)


def _contribution(row: str, sign: str) -> str:
    values = ", ".join(f"{sign} * ({expression.format(row=row)})" for _, expression in COUNTED)
    return (
        f"INSERT INTO incident_quarter_sums (quarter, {SUMS}) VALUES ({QUARTER.format(row=row)}, {values});"
    )


TRACK = f"""
CREATE FUNCTION track_incident_quarter_sums() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'resolved' THEN
        {_contribution("OLD", "-1")}
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'resolved' THEN
        {_contribution("NEW", "1")}
    END IF;
    RETURN NULL;
END
$$
"""

FOLD = f"""
CREATE FUNCTION fold_incident_quarter_sums() RETURNS integer LANGUAGE sql AS $$
    WITH appended AS (
        DELETE FROM incident_quarter_sums
         WHERE quarter IN (SELECT quarter FROM incident_quarter_sums WHERE NOT folded)
        RETURNING *
    ), folded AS (
        INSERT INTO incident_quarter_sums (quarter, folded, {SUMS})
        SELECT quarter, true, {", ".join(f"sum({name})" for name, _ in COUNTED)}
          FROM appended
         GROUP BY quarter
        HAVING sum(incidents) <> 0
        RETURNING 1
    )
    SELECT count(*)::integer FROM appended
$$
"""

_CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in TRACKED)
TRIGGERS = (
    "CREATE TRIGGER incident_quarter_sums_insert AFTER INSERT ON incidents FOR EACH ROW "
    "WHEN (NEW.status = 'resolved') EXECUTE FUNCTION track_incident_quarter_sums()",
    "CREATE TRIGGER incident_quarter_sums_update AFTER UPDATE ON incidents FOR EACH ROW "
    f"WHEN ((OLD.status = 'resolved' OR NEW.status = 'resolved') AND ({_CHANGED})) "
    "EXECUTE FUNCTION track_incident_quarter_sums()",
    "CREATE TRIGGER incident_quarter_sums_delete AFTER DELETE ON incidents FOR EACH ROW "
    "WHEN (OLD.status = 'resolved') EXECUTE FUNCTION track_incident_quarter_sums()",
)

_TOTALS = ", ".join(f"sum({expression.format(row='incidents')})" for _, expression in COUNTED)
BACKFILL = f"""
INSERT INTO incident_quarter_sums (quarter, folded, {SUMS})
SELECT {QUARTER.format(row="incidents")}, true, {_TOTALS}
  FROM incidents
 WHERE status = 'resolved'
 GROUP BY 1
"""


def upgrade() -> None:
    zero: dict[str, Any] = {"nullable": False, "server_default": "0"}
    op.create_table(
        "incident_quarter_sums",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("quarter", sa.DateTime(timezone=True), nullable=False),
        sa.Column("folded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *(
            sa.Column(n, sa.Integer(), **zero)
            for n in ("incidents", "open", "acknowledged", "resolved", "escalated")
        ),
        sa.Column("alerts", sa.BigInteger(), **zero),
        sa.Column("ack_seconds", sa.Float(), **zero),
        sa.Column("acks_timed", sa.Integer(), **zero),
        sa.Column("resolve_seconds", sa.Float(), **zero),
        sa.Column("resolves_timed", sa.Integer(), **zero),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_quarter_sums_quarter", "incident_quarter_sums", ["quarter"])
    op.create_index(
        "ix_incident_quarter_sums_appended",
        "incident_quarter_sums",
        ["quarter"],
        postgresql_where=sa.text("NOT folded"),
    )
    op.execute(TRACK)
    op.execute(FOLD)
    for trigger in TRIGGERS:
        op.execute(trigger)
    op.execute(BACKFILL)


def downgrade() -> None:
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER incident_quarter_sums_{trigger} ON incidents")
    op.execute("DROP FUNCTION fold_incident_quarter_sums()")
    op.execute("DROP FUNCTION track_incident_quarter_sums()")
    op.drop_table("incident_quarter_sums")
