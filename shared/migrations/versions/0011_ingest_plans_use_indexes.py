"""The ingest function's statements keep their index plans while the tables grow faster than autovacuum
analyzes them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:40:00

PL/pgSQL caches each statement's plan, and after five executions PostgreSQL keeps a generic plan when it
looks no dearer than the custom ones. On a young database the tables are nearly empty when that happens,
so a sequential scan looks cheapest, and that plan stays until an ANALYZE of the table invalidates it:
autovacuum comes by at most once a minute (autovacuum_naptime), and an alert storm on a fresh install
grows `alerts` by 100,000 rows well within that. Every call then scanned `alerts` whole once per
fingerprint. Measured with the benchmark's phases (100,000 alerts in batches, then 240 single alerts/s):
PostgreSQL at 1.1 cores and p50 45 ms against 0.25 cores and p50 5 ms after an ANALYZE.

Each of the function's statements is an index lookup by design (`ix_alerts_service_fingerprint`,
`ix_incidents_open_key`, primary keys) or an insert, so sequential scans are switched off for the function
alone: its plans use the indexes whatever the statistics say. Re-planning every call
(`plan_cache_mode = force_custom_plan`) was measured too: 0.84 ms per single-alert call against 0.63 with
this and 0.56 with fresh statistics.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FUNCTION = "ingest_triggered_alerts(jsonb, timestamptz, timestamptz)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {FUNCTION} SET enable_seqscan = off")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {FUNCTION} RESET enable_seqscan")
