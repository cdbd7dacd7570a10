-- Keeps incident_quarter_sums (migration 0015): a resolved incident's contribution to the analytics sums of
-- the quarter hour of its creation is added when it is resolved, taken away and added anew when it changes,
-- and taken away when it is deleted. A delete of the retention job (its transaction has SET LOCAL
-- oncall.retention = on, migration 0017) takes nothing away: the incident is gone from `incidents` but its
-- figures stay in the quarter's sums, so analytics over whole quarters give the same figures as before.
CREATE OR REPLACE FUNCTION track_incident_quarter_sums() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('oncall.retention', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.status = 'resolved' THEN
        INSERT INTO incident_quarter_sums (quarter, incidents, open, acknowledged, resolved, escalated,
                                           alerts, ack_seconds, acks_timed, resolve_seconds, resolves_timed)
        VALUES (date_bin(interval '15 minutes', OLD.created_at, timestamptz '0001-01-01 00:00:00+00'),
                -1,
                -1 * (CASE WHEN OLD.status <> 'resolved' THEN 1 ELSE 0 END),
                -1 * (CASE WHEN OLD.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END),
                -1 * (CASE WHEN OLD.resolved_at IS NOT NULL THEN 1 ELSE 0 END),
                -1 * (CASE WHEN OLD.escalation_level > 0 OR OLD.escalation_cycle > 0 THEN 1 ELSE 0 END),
                -1 * (OLD.alert_count),
                -1 * (coalesce(OLD.mtta_seconds, 0)),
                -1 * (CASE WHEN OLD.mtta_seconds IS NOT NULL THEN 1 ELSE 0 END),
                -1 * (coalesce(OLD.mttr_seconds, 0)),
                -1 * (CASE WHEN OLD.mttr_seconds IS NOT NULL THEN 1 ELSE 0 END));
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'resolved' THEN
        INSERT INTO incident_quarter_sums (quarter, incidents, open, acknowledged, resolved, escalated,
                                           alerts, ack_seconds, acks_timed, resolve_seconds, resolves_timed)
        VALUES (date_bin(interval '15 minutes', NEW.created_at, timestamptz '0001-01-01 00:00:00+00'),
                1,
                CASE WHEN NEW.status <> 'resolved' THEN 1 ELSE 0 END,
                CASE WHEN NEW.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END,
                CASE WHEN NEW.resolved_at IS NOT NULL THEN 1 ELSE 0 END,
                CASE WHEN NEW.escalation_level > 0 OR NEW.escalation_cycle > 0 THEN 1 ELSE 0 END,
                NEW.alert_count,
                coalesce(NEW.mtta_seconds, 0),
                CASE WHEN NEW.mtta_seconds IS NOT NULL THEN 1 ELSE 0 END,
                coalesce(NEW.mttr_seconds, 0),
                CASE WHEN NEW.mttr_seconds IS NOT NULL THEN 1 ELSE 0 END);
    END IF;
    RETURN NULL;
END
$$;
