"""Index incidents in the dashboard's triage order: open first, then the most severe, then the newest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:00:00

The dashboard lists incidents open first, then by severity, then newest first, ranks computed from
status and severity that no index held: every page sorted the whole table (75 ms for its first page on
100,000 incidents, more for later ones). The list orders by these same expressions, so the index serves
it. It is kept on every new incident and every change of status (such updates touch an index already);
the counts of an alert joining an incident stay heap-only updates.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TRIAGE_INDEX = """
    CREATE INDEX ix_incidents_triage ON incidents (
        (CASE status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 WHEN 'resolved' THEN 2 ELSE 3 END),
        (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'warning' THEN 2 WHEN 'info' THEN 3
                       ELSE 4 END),
        created_at DESC,
        id DESC
    )
"""


def upgrade() -> None:
    op.execute(TRIAGE_INDEX)


def downgrade() -> None:
    op.drop_index("ix_incidents_triage", table_name="incidents")
