-- Folds incident_counts (migration 0020): the rows the triggers of track_incident_counts() appended for a
-- key are replaced, with its folded row, by one `folded` row of their sum, in one statement; a key that
-- comes to no incident loses its rows. Returns how many rows it folded. Two folds at once stay exact: a
-- row deleted by one is skipped by the other. Incident-management runs it every few seconds.
CREATE OR REPLACE FUNCTION fold_incident_counts() RETURNS integer LANGUAGE sql AS $$
    WITH appended AS (
        DELETE FROM incident_counts
         WHERE (service, severity, status) IN (SELECT service, severity, status FROM incident_counts
                                                WHERE NOT folded)
        RETURNING *
    ), folded AS (
        INSERT INTO incident_counts (service, severity, status, folded, incidents)
        SELECT service, severity, status, true, sum(incidents)
          FROM appended
         GROUP BY service, severity, status
        HAVING sum(incidents) <> 0
        RETURNING 1
    )
    SELECT count(*)::integer FROM appended
$$;
