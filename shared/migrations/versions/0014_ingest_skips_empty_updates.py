"""ingest_triggered_alerts(): the counter updates run only when the run has counts to add

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 15:20:00

The function ends with two UPDATEs that add the run's counts: duplicates to their alerts, joined alerts
and duplicates to their incidents. A run that only opens incidents (every alert of the webhook target's
100 new incidents a second), or has no duplicate, still planned and ran the UPDATE over an empty array:
each statement of a PL/pgSQL function costs its start-up whatever it touches. Each now runs only when its
arrays are not empty: on the slow development machine a new incident's transaction around the function
took 1.54-1.87 ms against 1.87-2.18 (300 in a row, three rounds each, alternating). Outcomes, rows and
counters are the same as 0013's.
"""

from importlib import import_module

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_0013 = import_module("shared.migrations.versions.0013_ingest_may_open")

# Each counter update (from its first line to its last) and when it has anything to add.
GUARDED = (
    (
        "    UPDATE alerts al SET duplicate_count",
        "     WHERE al.id = d.id;\n",
        "cardinality(repeated_alerts) > 0",
    ),
    (
        "    UPDATE incidents i\n       SET alert_count",
        "     WHERE i.id = d.id;\n",
        "cardinality(joined) + cardinality(repeated) > 0",
    ),
)


def _function() -> str:
    source: str = _0013._function()
    for first, last, condition in GUARDED:
        assert source.count(first) == 1 and source.count(last) == 1, "0013's text changed"
        source = source.replace(first, f"    IF {condition} THEN\n{first}").replace(
            last, f"{last}    END IF;\n"
        )
    return source


def upgrade() -> None:
    op.execute(_function())
    op.execute(f"ALTER FUNCTION {_0013.FUNCTION} SET enable_seqscan = off")


def downgrade() -> None:
    op.execute(_0013._function())
    op.execute(f"ALTER FUNCTION {_0013.FUNCTION} SET enable_seqscan = off")
