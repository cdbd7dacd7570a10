"""ingest_triggered_alerts(): counters updated once per row for a whole run of alerts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:00:00

The function of 0006 updated an incident's alert or duplicate counter once per alert, so a batch of 100
alerts on a few incidents made a new version of the same rows again and again within one transaction (and
each later lookup of those rows walked the chain). It now collects the changes and applies them once per
row after the loop; outcomes, returned rows and final counts are the same.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
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
    joined uuid[] := '{}';         -- incident of each correlated alert
    repeated uuid[] := '{}';       -- incident of each duplicate
    repeated_alerts uuid[] := '{}';  -- alert of each duplicate
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
            repeated_alerts := repeated_alerts || seen_alert;
            repeated := repeated || target;
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
            joined := joined || target;
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
    -- The counters, once per row for the whole run (one new row version each, not one per alert).
    UPDATE alerts al SET duplicate_count = al.duplicate_count + d.n, last_seen_at = now_at
      FROM (SELECT id, count(*) AS n FROM unnest(repeated_alerts) AS id GROUP BY id) d
     WHERE al.id = d.id;
    UPDATE incidents i
       SET alert_count = i.alert_count + d.added,
           duplicate_count = i.duplicate_count + d.repeats,
           updated_at = CASE WHEN d.added > 0 THEN now_at ELSE i.updated_at END
      FROM (SELECT id, count(*) FILTER (WHERE added) AS added, count(*) FILTER (WHERE NOT added) AS repeats
              FROM (SELECT unnest(joined) AS id, true AS added
                    UNION ALL SELECT unnest(repeated), false) AS changes
             GROUP BY id) d
     WHERE i.id = d.id;
END
$fn$
"""


# The function as migration 0006 made it, for the downgrade.
PREVIOUS = """
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
    op.execute(PREVIOUS)
