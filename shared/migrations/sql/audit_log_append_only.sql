-- The audit log is append-only: any UPDATE, DELETE or TRUNCATE of audit_log fails (trigger of
-- migration 0016), so no code path and no API can rewrite who did what.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$;
