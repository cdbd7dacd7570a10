"""incident_counts: how many incidents of each (service, severity, status), kept by triggers

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:30:00

The dashboard's status tabs count the incidents of each status on every page load: on 100,000 incidents
a count over all of them (or a severity's quarter) cost 15-50 ms of PostgreSQL on the shared development
machine, most of the page. Row triggers append +1 for a new incident's (service, severity, status), -1 for
the old key and +1 for the new when one of them changes, and -1 when it is deleted; their WHEN skips
every other update (an alert joining an incident) before any function call. Rows are appended, never
updated, so concurrent writers take no common row lock; `fold_incident_counts()`, which incident-management
runs with the analytics folding, replaces a key's rows by one folded row (as for incident_quarter_sums).

The triggers are created before the existing incidents are counted, in this migration's transaction: its
lock on `incidents` holds concurrent writers until the counts are in.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"
FUNCTIONS = ("track_incident_counts", "fold_incident_counts")
_KEY_CHANGED = (
    "OLD.status IS DISTINCT FROM NEW.status OR OLD.service IS DISTINCT FROM NEW.service"
    " OR OLD.severity IS DISTINCT FROM NEW.severity"
)
TRIGGERS = (
    "CREATE TRIGGER incident_counts_insert AFTER INSERT ON incidents FOR EACH ROW"
    " EXECUTE FUNCTION track_incident_counts()",
    f"CREATE TRIGGER incident_counts_update AFTER UPDATE ON incidents FOR EACH ROW WHEN ({_KEY_CHANGED})"
    " EXECUTE FUNCTION track_incident_counts()",
    "CREATE TRIGGER incident_counts_delete AFTER DELETE ON incidents FOR EACH ROW"
    " EXECUTE FUNCTION track_incident_counts()",
)
BACKFILL = """
INSERT INTO incident_counts (service, severity, status, folded, incidents)
SELECT service, severity, status, true, count(*) FROM incidents GROUP BY service, severity, status
"""


def upgrade() -> None:
    op.create_table(
        "incident_counts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("folded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Only the fold looks rows up (a read adds up a few thousand folded ones at most): one index.
    key = ["service", "severity", "status"]
    op.create_index(
        "ix_incident_counts_appended", "incident_counts", key, postgresql_where=sa.text("NOT folded")
    )
    for name in FUNCTIONS:
        op.execute((SQL / f"{name}.sql").read_text())
    for trigger in TRIGGERS:
        op.execute(trigger)
    op.execute(BACKFILL)


def downgrade() -> None:
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER incident_counts_{trigger} ON incidents")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("incident_counts")
