COMMENT ON TABLE slo_settings IS NULL;
ALTER TABLE slo_transitions DROP COLUMN escalated_at, DROP COLUMN ticket_since;
ALTER TABLE slo_states DROP COLUMN escalated_at, DROP COLUMN ticket_since, DROP COLUMN page_clear_since, DROP COLUMN clear_since;
