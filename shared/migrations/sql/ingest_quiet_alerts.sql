-- ingest_quiet_alerts(batch, now_at, since): ingest_alerts() as one statement outside any transaction, for
-- a batch whose alerts only join open incidents or repeat firing alerts: nothing to page, no event to
-- write, so the statement's own transaction is the whole unit of work. An alert sent with a routing key
-- carries the key's hash (`key_hash`) instead of its service and integration, which are found here. Rows
-- come back as ingest_alerts()'s: alert_ref, incident_ref, outcome.
--
-- It raises SQLSTATE OC001, and nothing of the batch is stored, when an alert would change an incident's
-- status (open one, acknowledge or resolve it) or its key is unknown or revoked: the caller then stores the
-- batch in a transaction, which looks the keys up, pages the new incidents and writes the events.
-- Acknowledges, resolves and bad keys are refused before any work; a trigger that would open an incident
-- is refused by ingest_triggered_alerts() (`oncall.quiet` on) before any write.
CREATE OR REPLACE FUNCTION ingest_quiet_alerts(batch jsonb, now_at timestamptz, since timestamptz)
RETURNS TABLE (alert_ref uuid, incident_ref uuid, outcome text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    owned jsonb;
    keys_valid boolean;
BEGIN
    IF jsonb_path_exists(batch, '$[*] ? (@.action != "trigger")') THEN
        RAISE EXCEPTION 'the batch acknowledges or resolves alerts' USING ERRCODE = 'OC001';
    END IF;
    SELECT jsonb_agg(CASE WHEN e.v ? 'key_hash'
                          THEN e.v || jsonb_build_object('service', s.name, 'integration_id', i.id)
                          ELSE e.v END ORDER BY e.ord),
           bool_and(NOT e.v ? 'key_hash' OR s.name IS NOT NULL)
      INTO owned, keys_valid
      FROM jsonb_array_elements(batch) WITH ORDINALITY AS e(v, ord)
      LEFT JOIN integrations i ON i.key_hash = e.v->>'key_hash' AND i.revoked_at IS NULL
      LEFT JOIN services s ON s.id = i.service_id;
    IF NOT keys_valid THEN
        RAISE EXCEPTION 'a routing key of the batch is unknown or revoked' USING ERRCODE = 'OC001';
    END IF;
    PERFORM set_config('oncall.quiet', 'on', true);
    RETURN QUERY SELECT r.alert_ref, r.incident_ref, r.outcome FROM ingest_alerts(owned, now_at, since) AS r;
    PERFORM set_config('oncall.quiet', '', true);  -- a caller's transaction may go on storing alerts
END
$fn$;
