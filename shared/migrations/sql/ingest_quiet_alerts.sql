-- ingest_quiet_alerts(batch, now_at, since): ingest_alerts() as one statement outside any transaction, for
-- a batch whose alerts only join open incidents or repeat firing alerts: nothing to page, no event to
-- write, so the statement's own transaction is the whole unit of work. Rows come back as
-- ingest_alerts()'s: alert_ref, incident_ref, outcome.
--
-- When an alert of the batch would change an incident's status (open one, acknowledge or resolve it), it
-- raises SQLSTATE OC001 and nothing of the batch is stored: the caller stores the batch in a transaction
-- that pages the new incidents and writes the events. Acknowledges and resolves are refused before any
-- work; a trigger that opens an incident is found by running the batch (its work is rolled back).
CREATE OR REPLACE FUNCTION ingest_quiet_alerts(batch jsonb, now_at timestamptz, since timestamptz)
RETURNS TABLE (alert_ref uuid, incident_ref uuid, outcome text)
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
BEGIN
    IF jsonb_path_exists(batch, '$[*] ? (@.action != "trigger")') THEN
        RAISE EXCEPTION 'the batch acknowledges or resolves alerts' USING ERRCODE = 'OC001';
    END IF;
    FOR r IN SELECT * FROM ingest_alerts(batch, now_at, since) LOOP
        IF r.event IS NOT NULL THEN
            RAISE EXCEPTION 'an alert of the batch changes an incident' USING ERRCODE = 'OC001';
        END IF;
        alert_ref := r.alert_ref;
        incident_ref := r.incident_ref;
        outcome := r.outcome;
        RETURN NEXT;
    END LOOP;
END
$fn$;
