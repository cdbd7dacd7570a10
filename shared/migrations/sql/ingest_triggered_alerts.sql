-- ingest_triggered_alerts(batch, now_at, since): a run of triggering alerts, for ingest_alerts(), which holds
-- their locks (the rules are stated there). In batch order, each alert is a duplicate, correlated or
-- created; its row says which, with the alert and incident it went to, and for `created` the new incident
-- as inserted. Set-based: the run's firing fingerprints are looked up in one statement, its alerts and
-- timeline entries inserted and its counters added once each after the loop. Index plans whatever the
-- statistics (enable_seqscan off, migration 0011). In a transaction that set `oncall.quiet` on
-- (ingest_quiet_alerts()), an alert that would open an incident raises SQLSTATE OC001 before anything of
-- the run is written.
CREATE OR REPLACE FUNCTION ingest_triggered_alerts(batch jsonb, now_at timestamptz, since timestamptz)
RETURNS TABLE (alert_ref uuid, incident_ref uuid, outcome text, incident jsonb)
LANGUAGE plpgsql SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    a record;
    ordinal int := 0;
    pos int;
    fp_key text;
    corr_key text;
    seen_alert uuid;
    target uuid;
    opened incidents%ROWTYPE;
    new_ordinals int[] := '{}';    -- each alert this run stores: its position in the batch,
    new_keys text[] := '{}';       -- its (service, fingerprint),
    new_alerts uuid[] := '{}';     -- its id
    new_incidents uuid[] := '{}';  -- and its incident
    corr_keys text[] := '{}';      -- (service, severity) resolved in this run,
    corr_incidents uuid[] := '{}'; -- and the incident its alerts join
    tl_incidents uuid[] := '{}';   -- timeline entries to insert, in order
    tl_actors text[] := '{}';
    tl_kinds text[] := '{}';
    tl_messages text[] := '{}';
    joined uuid[] := '{}';         -- incident of each correlated alert
    repeated uuid[] := '{}';       -- incident of each duplicate
    repeated_alerts uuid[] := '{}';  -- alert of each duplicate
    firing_keys text[];            -- (service, fingerprint) of the run still firing before it,
    firing_alerts uuid[];          -- the newest such alert
    firing_incidents uuid[];       -- and its unresolved incident
    quiet boolean := coalesce(current_setting('oncall.quiet', true), '') = 'on';  -- may open nothing
BEGIN
    -- Every fingerprint's newest firing alert on an unresolved incident, looked up in one statement for
    -- the run (one index probe per distinct fingerprint) instead of one query per alert. Triggers do not
    -- resolve anything and ingest_alerts() holds the keys' locks, so what it finds holds for the whole run.
    SELECT array_agg(length(k.service) || ':' || k.service || k.fingerprint), array_agg(f.id),
           array_agg(f.incident_id)
      INTO firing_keys, firing_alerts, firing_incidents
      FROM (SELECT DISTINCT x.service, x.fingerprint
              FROM jsonb_to_recordset(batch) AS x(service text, fingerprint text)) AS k
     CROSS JOIN LATERAL (
            SELECT al.id, al.incident_id
              FROM alerts al JOIN incidents i ON i.id = al.incident_id
             WHERE al.service = k.service AND al.fingerprint = k.fingerprint
               AND al.status = 'firing' AND i.status <> 'resolved'
             ORDER BY al.received_at DESC LIMIT 1) AS f;
    FOR a IN SELECT * FROM jsonb_to_recordset(batch) AS x(service text, severity text, summary text,
             fingerprint text, actor text, joined_message text, triggered_message text) LOOP
        ordinal := ordinal + 1;
        incident := NULL;
        seen_alert := NULL;
        -- Keys with the service's length first: no two (service, x) pairs give the same text.
        fp_key := length(a.service) || ':' || a.service || a.fingerprint;
        corr_key := length(a.service) || ':' || a.service || a.severity;
        -- The fingerprint still fires on an unresolved incident of the service: a duplicate, counted.
        pos := array_position(new_keys, fp_key);
        IF pos IS NOT NULL THEN
            seen_alert := new_alerts[pos];
            target := new_incidents[pos];
        ELSE
            pos := array_position(firing_keys, fp_key);
            IF pos IS NOT NULL THEN
                seen_alert := firing_alerts[pos];
                target := firing_incidents[pos];
            END IF;
        END IF;
        IF seen_alert IS NOT NULL THEN
            repeated_alerts := repeated_alerts || seen_alert;
            repeated := repeated || target;
            alert_ref := seen_alert;
            incident_ref := target;
            outcome := 'duplicate';
            RETURN NEXT;
            CONTINUE;
        END IF;
        -- A new alert joins the newest open incident of its key created since `since`, or opens one.
        target := NULL;
        pos := array_position(corr_keys, corr_key);
        IF pos IS NOT NULL THEN
            target := corr_incidents[pos];
        ELSE
            SELECT i.id INTO target FROM incidents i
             WHERE i.service = a.service AND i.severity = a.severity
               AND i.status <> 'resolved' AND i.created_at >= since
             ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE;
        END IF;
        IF target IS NOT NULL THEN
            joined := joined || target;
            tl_kinds := tl_kinds || 'alert_added'::text;
            tl_messages := tl_messages || a.joined_message;
            outcome := 'correlated';
        ELSIF quiet THEN
            RAISE EXCEPTION 'an alert of the batch opens an incident' USING ERRCODE = 'OC001';
        ELSE
            INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                                   assignment_pending, created_at, updated_at)
            VALUES (gen_random_uuid(), a.summary, a.service, a.severity, 'open', 1, 0, true, now_at, now_at)
            RETURNING * INTO opened;
            target := opened.id;
            tl_kinds := tl_kinds || 'triggered'::text;
            tl_messages := tl_messages || a.triggered_message;
            incident := to_jsonb(opened);
            outcome := 'created';
        END IF;
        tl_incidents := tl_incidents || target;
        tl_actors := tl_actors || a.actor;
        IF pos IS NULL THEN
            corr_keys := corr_keys || corr_key;
            corr_incidents := corr_incidents || target;
        END IF;
        alert_ref := gen_random_uuid();
        new_ordinals := new_ordinals || ordinal;
        new_keys := new_keys || fp_key;
        new_alerts := new_alerts || alert_ref;
        new_incidents := new_incidents || target;
        incident_ref := target;
        RETURN NEXT;
    END LOOP;
    INSERT INTO alerts (id, incident_id, fingerprint, service, severity, summary, source, labels,
                        annotations, occurred_at, received_at, last_seen_at, duplicate_count, status,
                        integration_id)
    SELECT s.id, s.incident_id, e.v->>'fingerprint', e.v->>'service', e.v->>'severity',
           e.v->>'summary', e.v->>'source', e.v->'labels', e.v->'annotations',
           COALESCE((e.v->>'occurred_at')::timestamptz, now_at), now_at, now_at, 0, 'firing',
           (e.v->>'integration_id')::uuid
      FROM unnest(new_ordinals, new_alerts, new_incidents) AS s(ord, id, incident_id)
      JOIN jsonb_array_elements(batch) WITH ORDINALITY AS e(v, ord) ON e.ord = s.ord
     ORDER BY s.ord;
    INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
    SELECT t.incident_id, now_at, t.actor, t.kind, t.message
      FROM unnest(tl_incidents, tl_actors, tl_kinds, tl_messages) WITH ORDINALITY
           AS t(incident_id, actor, kind, message, ord)
     ORDER BY t.ord;
    -- The counters, once per row for the whole run (one new row version each, not one per alert).
    IF cardinality(repeated_alerts) > 0 THEN
    UPDATE alerts al SET duplicate_count = al.duplicate_count + d.n, last_seen_at = now_at
      FROM (SELECT id, count(*) AS n FROM unnest(repeated_alerts) AS id GROUP BY id) d
     WHERE al.id = d.id;
    END IF;
    IF cardinality(joined) + cardinality(repeated) > 0 THEN
    UPDATE incidents i
       SET alert_count = i.alert_count + d.added,
           duplicate_count = i.duplicate_count + d.repeats,
           updated_at = CASE WHEN d.added > 0 THEN now_at ELSE i.updated_at END
      FROM (SELECT id, count(*) FILTER (WHERE added) AS added, count(*) FILTER (WHERE NOT added) AS repeats
              FROM (SELECT unnest(joined) AS id, true AS added
                    UNION ALL SELECT unnest(repeated), false) AS changes
             GROUP BY id) d
     WHERE i.id = d.id;
    END IF;
END
$fn$;
