-- Folds incident_quarter_sums (migration 0015): the rows the triggers of track_incident_quarter_sums()
-- appended for a quarter are replaced by one `folded` row of their sums, in one statement; a quarter whose
-- sums come to no incident loses its rows. Returns how many rows it folded. Two folds at once stay exact:
-- a row deleted by one is skipped by the other. Incident-management runs it every few seconds.
CREATE OR REPLACE FUNCTION fold_incident_quarter_sums() RETURNS integer LANGUAGE sql AS $$
    WITH appended AS (
        DELETE FROM incident_quarter_sums
         WHERE quarter IN (SELECT quarter FROM incident_quarter_sums WHERE NOT folded)
        RETURNING *
    ), folded AS (
        INSERT INTO incident_quarter_sums (quarter, folded, incidents, open, acknowledged, resolved,
                                           escalated, alerts, ack_seconds, acks_timed, resolve_seconds,
                                           resolves_timed)
        SELECT quarter, true, sum(incidents), sum(open), sum(acknowledged), sum(resolved), sum(escalated),
               sum(alerts), sum(ack_seconds), sum(acks_timed), sum(resolve_seconds), sum(resolves_timed)
          FROM appended
         GROUP BY quarter
        HAVING sum(incidents) <> 0
        RETURNING 1
    )
    SELECT count(*)::integer FROM appended
$$;
