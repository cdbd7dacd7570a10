"""functions from their files under shared/migrations/sql/; the alerts' key constraint as the models name it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 06:00:00

Migrations 0006-0014 each wrote the ingest function's whole text, and 0015 the fold of the analytics
sums; from here on `sql/<function>.sql` is each function's current text, loaded with CREATE OR REPLACE
(the ingest function's enable_seqscan setting of 0011 is part of its file). Both are the same functions as
before. The foreign key of alerts.integration_id takes the name PostgreSQL gives the models' declaration,
so that a database built by the migrations equals one built from the models
(tests/integration/test_schema_matches_models.py).
"""

from pathlib import Path

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"
FUNCTIONS = ("ingest_triggered_alerts", "fold_incident_quarter_sums")


def upgrade() -> None:
    for name in FUNCTIONS:
        op.execute((SQL / f"{name}.sql").read_text())
    op.execute("ALTER TABLE alerts RENAME CONSTRAINT fk_alerts_integration_id TO alerts_integration_id_fkey")


def downgrade() -> None:
    """The functions stay (0014 and 0015 made the same); the constraint gets its old name back."""
    op.execute("ALTER TABLE alerts RENAME CONSTRAINT alerts_integration_id_fkey TO fk_alerts_integration_id")
