-- ingest_alerts(batch, now_at, since): what sources say about alerts, applied in batch order in one call.
-- Each element of `batch` is an alert whose routing key the caller has checked (an unknown key, 401, or a
-- revoked one, 403, never reaches this function: its alerts are refused and nothing of them is stored),
-- with its service, severity, fingerprint, action (trigger, acknowledge, resolve), the timeline's actor and
-- wording. Rows come back in batch order: alert_ref, incident_ref, outcome, and for an alert that changed
-- its incident's status that incident as it now is (`incident`) with the event to announce it (`event`).
--
-- The rules, per alert:
-- - trigger, `duplicate`: its (service, fingerprint) still fires on an unresolved incident (stored before,
--   or earlier in the batch). Nothing new is stored; the firing alert's and its incident's duplicate
--   counts go up by one.
-- - trigger, `correlated`: the newest open or acknowledged incident of its (service, severity) created at
--   or after `since` (the correlation window) takes it: the alert is stored on it, its alert count goes
--   up, an `alert_added` entry goes on its timeline. No event.
-- - trigger, `created`: otherwise a new incident (open, `assignment_pending`, paged after the commit) with
--   a `triggered` entry; event incident.triggered. A resolved incident takes nothing: the same fingerprint
--   or (service, severity) after a resolve opens a new incident (re-opened).
-- - acknowledge, `acknowledged`: the newest firing alert of its (service, fingerprint) on an unresolved
--   incident; an open incident becomes acknowledged (by the source, MTTA set, no escalation deadline),
--   event incident.acknowledged. `ignored` when there is no such alert.
-- - resolve, `resolved`: that alert stops firing (`alert_resolved` entry); when none of its incident's
--   alerts fire any more and the service auto-resolves (a service without a record does), the incident is
--   resolved (MTTR set), event incident.resolved. `ignored` when there is no such alert.
--
-- Every advisory lock of the batch, (service, severity) and (service, fingerprint), is taken first, in one
-- order for every caller: transactions storing alerts at once neither deadlock nor decide on what another
-- has not committed (each later statement of this volatile function takes a new snapshot).
CREATE OR REPLACE FUNCTION ingest_alerts(batch jsonb, now_at timestamptz, since timestamptz)
RETURNS TABLE (alert_ref uuid, incident_ref uuid, outcome text, incident jsonb, event text)
LANGUAGE plpgsql SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    run record;
    a record;
    found_alert uuid;
    found_incident uuid;
    found_summary text;
    changed incidents%ROWTYPE;
BEGIN
    PERFORM count(pg_advisory_xact_lock(hashtextextended(keys.k, 0)))
       FROM (SELECT DISTINCT l.k COLLATE "C" AS k
               FROM jsonb_to_recordset(batch) AS x(service text, severity text, fingerprint text),
                    LATERAL (VALUES ('corr:' || x.service || ':' || x.severity),
                                    ('fp:' || x.service || ':' || x.fingerprint)) AS l(k)
              ORDER BY 1) AS keys;
    -- Triggers alone are one run: no grouping (it cost a one-alert call 0.09 ms).
    IF NOT jsonb_path_exists(batch, '$[*] ? (@.action != "trigger")') THEN
        RETURN QUERY
            SELECT t.alert_ref, t.incident_ref, t.outcome, t.incident,
                   CASE WHEN t.outcome = 'created' THEN 'incident.triggered' END
              FROM ingest_triggered_alerts(batch, now_at, since) AS t;
        RETURN;
    END IF;
    -- Runs of consecutive triggers go to ingest_triggered_alerts() together; each other action alone.
    FOR run IN
        SELECT bool_and(x.v->>'action' = 'trigger') AS triggers, jsonb_agg(x.v ORDER BY x.ord) AS alerts
          FROM (SELECT e.v, e.ord,
                       count(*) FILTER (WHERE e.v->>'action' <> 'trigger') OVER (ORDER BY e.ord) AS actions
                  FROM jsonb_array_elements(batch) WITH ORDINALITY AS e(v, ord)) AS x
         GROUP BY x.actions, x.v->>'action' = 'trigger'
         ORDER BY min(x.ord)
    LOOP
        IF run.triggers THEN
            RETURN QUERY
                SELECT t.alert_ref, t.incident_ref, t.outcome, t.incident,
                       CASE WHEN t.outcome = 'created' THEN 'incident.triggered' END
                  FROM ingest_triggered_alerts(run.alerts, now_at, since) AS t;
            CONTINUE;
        END IF;
        SELECT * INTO a FROM jsonb_to_record(run.alerts->0) AS x(service text, fingerprint text, action text,
                                                                  actor text);
        found_alert := NULL;
        SELECT al.id, al.incident_id, al.summary INTO found_alert, found_incident, found_summary
          FROM alerts al JOIN incidents i ON i.id = al.incident_id
         WHERE al.service = a.service AND al.fingerprint = a.fingerprint
           AND al.status = 'firing' AND i.status <> 'resolved'
         ORDER BY al.received_at DESC LIMIT 1;
        alert_ref := found_alert;
        incident_ref := found_incident;
        incident := NULL;
        event := NULL;
        IF found_alert IS NULL THEN
            incident_ref := NULL;
            outcome := 'ignored';
        ELSIF a.action = 'acknowledge' THEN
            outcome := 'acknowledged';
            UPDATE incidents i
               SET status = 'acknowledged', updated_at = now_at, next_escalation_at = NULL,
                   snoozed_until = NULL, acknowledged_at = now_at, acknowledged_by = a.actor,
                   mtta_seconds = round(extract(epoch FROM now_at - i.created_at), 3)
             WHERE i.id = found_incident AND i.status = 'open'
            RETURNING * INTO changed;
            IF FOUND THEN
                INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
                VALUES (found_incident, now_at, a.actor, 'acknowledged', 'Acknowledged by ' || a.actor);
                incident := to_jsonb(changed);
                event := 'incident.acknowledged';
            END IF;
        ELSE
            outcome := 'resolved';
            UPDATE alerts SET status = 'resolved', resolved_at = now_at, last_seen_at = now_at
             WHERE id = found_alert;
            INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
            VALUES (found_incident, now_at, a.actor, 'alert_resolved',
                    'Alert resolved by source: ' || found_summary);
            IF NOT EXISTS (SELECT 1 FROM alerts WHERE incident_id = found_incident AND status = 'firing')
               AND coalesce((SELECT s.auto_resolve FROM incidents i JOIN services s ON s.name = i.service
                              WHERE i.id = found_incident), true) THEN
                UPDATE incidents i
                   SET status = 'resolved', updated_at = now_at, resolved_at = now_at, resolved_by = a.actor,
                       mttr_seconds = round(extract(epoch FROM now_at - i.created_at), 3),
                       assignment_pending = false, next_escalation_at = NULL, snoozed_until = NULL
                 WHERE i.id = found_incident
                RETURNING * INTO changed;
                INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
                VALUES (found_incident, now_at, a.actor, 'resolved',
                        'Incident resolved by source: all of its alerts are resolved');
                incident := to_jsonb(changed);
                event := 'incident.resolved';
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$fn$;
