"""ingest_quiet_alerts(): a batch that only joins incidents stored by one statement, without a transaction

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 15:00:00

Most alerts of a storm join an open incident or repeat a firing alert: nothing to page, no event. Their
batch is stored by this function alone, in the statement's own transaction, instead of BEGIN, the ingest
call and COMMIT (three round trips); a batch that would change an incident's status is refused with
SQLSTATE OC001, storing nothing, and goes to the transaction.
"""

from pathlib import Path

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "ingest_quiet_alerts.sql").read_text())


def downgrade() -> None:
    op.execute("DROP FUNCTION ingest_quiet_alerts(jsonb, timestamptz, timestamptz)")
