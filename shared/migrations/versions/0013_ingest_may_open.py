"""ingest_triggered_alerts(): asked with may_open = false, it stores a run only if no alert opens an incident

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:00:00

In an alert storm nearly every alert joins an open incident or repeats a firing one. Those write no event
and page nobody, so such a run can be stored by the function alone, as one statement in autocommit: the
BEGIN, the key lookup and the COMMIT round trips of a transaction are spared (see
`domain.ingest_joining`). The function gains a fourth argument, `may_open` (default true: callers of
the three-argument form are unchanged). When it is false and an alert of the run would open an incident,
the function stops before writing anything (the loop's only write is that new incident; every other
write comes after the loop) and its last row says `would_open`; the caller then stores the run in a
transaction, where a new incident is paged and its event written with it.

The body is 0010's, with that one branch added. The setting of 0011 (no sequential scans in the
function) is set again on the new signature.
"""

from importlib import import_module

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_0010 = import_module("shared.migrations.versions.0010_ingest_fingerprints_at_once")
_0011 = import_module("shared.migrations.versions.0011_ingest_plans_use_indexes")

OLD_SIGNATURE = "ingest_triggered_alerts(batch jsonb, now_at timestamptz, since timestamptz)"
NEW_SIGNATURE = (
    "ingest_triggered_alerts(batch jsonb, now_at timestamptz, since timestamptz,"
    " may_open boolean DEFAULT true)"
)
FUNCTION = "ingest_triggered_alerts(jsonb, timestamptz, timestamptz, boolean)"
OPENING = """        ELSE
            INSERT INTO incidents"""
STOP_BEFORE_OPENING = """        ELSIF NOT may_open THEN
            -- Asked to store only alerts that join or repeat: nothing is written yet, so stop here.
            alert_ref := NULL;
            incident_ref := NULL;
            outcome := 'would_open';
            RETURN NEXT;
            RETURN;
        ELSE
            INSERT INTO incidents"""


def _function() -> str:
    source: str = _0010.INGEST_TRIGGERED_ALERTS
    assert source.count(OLD_SIGNATURE) == 1 and source.count(OPENING) == 1, "0010's text changed"
    return source.replace(OLD_SIGNATURE, NEW_SIGNATURE).replace(OPENING, STOP_BEFORE_OPENING)


def upgrade() -> None:
    op.execute(f"DROP FUNCTION {_0011.FUNCTION}")
    op.execute(_function())
    op.execute(f"ALTER FUNCTION {FUNCTION} SET enable_seqscan = off")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
    op.execute(_0010.INGEST_TRIGGERED_ALERTS)
    _0011.upgrade()
