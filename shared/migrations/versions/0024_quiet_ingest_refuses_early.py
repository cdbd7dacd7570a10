"""ingest functions: a quiet batch refused before any write, a run of triggers without grouping

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 17:00:00

`ingest_quiet_alerts()` ran the whole batch through `ingest_alerts()` and threw its work away when an alert
opened an incident; it now sets `oncall.quiet` for its transaction and `ingest_triggered_alerts()` refuses
(SQLSTATE OC001) at the first alert that would open one, before anything is written. `ingest_alerts()`
hands a batch of triggers alone to `ingest_triggered_alerts()` without grouping it into runs.
"""

from pathlib import Path

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"
FUNCTIONS = ("ingest_triggered_alerts", "ingest_alerts", "ingest_quiet_alerts")


def upgrade() -> None:
    for name in FUNCTIONS:
        op.execute((SQL / f"{name}.sql").read_text())


def downgrade() -> None:
    pass  # the texts are the files' (each migration loads the current one): nothing older to restore
