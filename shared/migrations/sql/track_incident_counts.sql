-- Keeps incident_counts (migration 0020): +1 for a new incident's (service, severity, status), -1 for the
-- old key and +1 for the new when one of them changes, -1 when the incident is deleted (by the retention
-- job too: the tabs count the incidents there are). Rows are appended, never updated, so that writers of
-- incidents wait on no one's counter.
CREATE OR REPLACE FUNCTION track_incident_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO incident_counts (service, severity, status, incidents)
        VALUES (OLD.service, OLD.severity, OLD.status, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO incident_counts (service, severity, status, incidents)
        VALUES (NEW.service, NEW.severity, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$;
