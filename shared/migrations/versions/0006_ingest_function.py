"""ingest_triggered_alerts(): deduplication and correlation of a run of alerts in one round trip

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 13:20:00

The rules of `domain.ingest_alerts` for triggering alerts, applied in the database so that a group of
alerts costs one statement instead of two or three per alert. The caller holds the advisory locks of
every alert (`domain.lock_alerts`), passes the ids to use and the timeline wording, and turns each
`created` row's incident into its outbox event. A new incident is stored as `assignment_pending`: paging
it clears the flag, so an incident whose paging a crash interrupted is paged by the retry worker.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INGEST_TRIGGERED_ALERTS = """
CREATE OR REPLACE FUNCTION ingest_triggered_alerts(batch jsonb, now_at timestamptz, since timestamptz)
RETURNS TABLE (alert_ref uuid, incident_ref uuid, outcome text, incident jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
    a jsonb;
    seen_alert uuid;
    target uuid;
    opened incidents%ROWTYPE;
BEGIN
    FOR a IN SELECT value FROM jsonb_array_elements(batch) LOOP
        incident := NULL;
        -- The fingerprint still fires on an unresolved incident of the service: a duplicate, counted.
        SELECT al.id, al.incident_id INTO seen_alert, target
          FROM alerts al JOIN incidents i ON i.id = al.incident_id
         WHERE al.service = a->>'service' AND al.fingerprint = a->>'fingerprint'
           AND al.status = 'firing' AND i.status <> 'resolved'
         ORDER BY al.received_at DESC LIMIT 1;
        IF FOUND THEN
            UPDATE alerts SET duplicate_count = duplicate_count + 1, last_seen_at = now_at
             WHERE id = seen_alert;
            UPDATE incidents SET duplicate_count = duplicate_count + 1 WHERE id = target;
            alert_ref := seen_alert;
            incident_ref := target;
            outcome := 'duplicate';
            RETURN NEXT;
            CONTINUE;
        END IF;
        -- A new alert joins the newest open incident of its key created since `since`, or opens one.
        SELECT i.id INTO target FROM incidents i
         WHERE i.service = a->>'service' AND i.severity = a->>'severity'
           AND i.status <> 'resolved' AND i.created_at >= since
         ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE;
        IF FOUND THEN
            UPDATE incidents SET alert_count = alert_count + 1, updated_at = now_at WHERE id = target;
            INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
            VALUES (target, now_at, a->>'actor', 'alert_added', a->>'joined_message');
            outcome := 'correlated';
        ELSE
            INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                                   assignment_pending, created_at, updated_at)
            VALUES ((a->>'incident_id')::uuid, a->>'summary', a->>'service', a->>'severity', 'open', 1, 0,
                    true, now_at, now_at)
            RETURNING * INTO opened;
            target := opened.id;
            INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
            VALUES (target, now_at, a->>'actor', 'triggered', a->>'triggered_message');
            incident := to_jsonb(opened);
            outcome := 'created';
        END IF;
        INSERT INTO alerts (id, incident_id, fingerprint, service, severity, summary, source, labels,
                            annotations, occurred_at, received_at, last_seen_at, duplicate_count, status,
                            integration_id)
        VALUES ((a->>'id')::uuid, target, a->>'fingerprint', a->>'service', a->>'severity', a->>'summary',
                a->>'source', a->'labels', a->'annotations',
                COALESCE((a->>'occurred_at')::timestamptz, now_at), now_at, now_at, 0, 'firing',
                (a->>'integration_id')::uuid);
        alert_ref := (a->>'id')::uuid;
        incident_ref := target;
        RETURN NEXT;
    END LOOP;
END
$fn$
"""


def upgrade() -> None:
    op.execute(INGEST_TRIGGERED_ALERTS)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS ingest_triggered_alerts(jsonb, timestamptz, timestamptz)")
