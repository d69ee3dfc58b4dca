ALTER TABLE rollup_steps DROP COLUMN IF EXISTS sampled;
ALTER TABLE rollup_funnels DROP COLUMN IF EXISTS errored_value, DROP COLUMN IF EXISTS dropped_value;
ALTER TABLE rollup_freshness
	DROP COLUMN IF EXISTS total_run_ms, DROP COLUMN IF EXISTS total_inspected_bytes,
	DROP COLUMN IF EXISTS total_requests, DROP COLUMN IF EXISTS total_recount_spans,
	DROP COLUMN IF EXISTS total_new_spans, DROP COLUMN IF EXISTS total_spans,
	DROP COLUMN IF EXISTS total_runs, DROP COLUMN IF EXISTS source,
	DROP COLUMN IF EXISTS last_recount_spans, DROP COLUMN IF EXISTS last_new_spans;
DROP TABLE IF EXISTS rollup_progress;
