ALTER TABLE rollup_freshness DROP COLUMN IF EXISTS last_recount_spans, DROP COLUMN IF EXISTS last_new_spans;
DROP TABLE IF EXISTS rollup_progress;
