-- Incremental rollups: how far each journey's rollups are computed, and the
-- funnel state each computation carries to the next, so that a run reads
-- only the spans that started since the last one.
CREATE TABLE rollup_progress (
	journey_id      bigint      PRIMARY KEY REFERENCES journeys (id) ON DELETE CASCADE,
	-- The journey version the rollups are being computed for.
	journey_version integer     NOT NULL,
	-- Bumped each time the history is recomputed from an earlier instant
	-- (a journey change, a recount): a computation that started under an
	-- older generation is discarded instead of written.
	generation      bigint      NOT NULL DEFAULT 1,
	-- Spans starting before the watermark are counted; the next run starts
	-- there.
	watermark       timestamptz NOT NULL,
	-- The instances whose window is still open at the watermark
	-- (internal/rollup Open). NULL when there is none to carry on from, as
	-- after a journey change: the next run then recounts the window before
	-- the watermark.
	open_state      bytea,
	open_instances  integer     NOT NULL DEFAULT 0,
	-- When late spans (arrived after the runs read their minutes) were last
	-- looked for, and, for a source that knows arrival times, the arrival
	-- from which they have not been looked at yet.
	late_checked    timestamptz,
	late_since      timestamptz,
	-- For a source that knows arrival times: the ranges the runs read, and
	-- before which arrival each read them ([{"from","to","before"}]), over
	-- the late-span lookback.
	reads           jsonb       NOT NULL DEFAULT '[]',
	updated_at      timestamptz NOT NULL DEFAULT now()
);

-- What the last run cost, for /metrics and the freshness line.
ALTER TABLE rollup_freshness
	ADD COLUMN last_new_spans bigint NOT NULL DEFAULT 0,
	ADD COLUMN last_recount_spans bigint NOT NULL DEFAULT 0;

-- Running totals of the runs' cost since the journey was first rolled up,
-- for /metrics, whichever process ran them; and which trace source they
-- read.
ALTER TABLE rollup_freshness
	ADD COLUMN source                text   NOT NULL DEFAULT '',
	ADD COLUMN total_runs            bigint NOT NULL DEFAULT 0,
	ADD COLUMN total_spans           bigint NOT NULL DEFAULT 0,
	ADD COLUMN total_new_spans       bigint NOT NULL DEFAULT 0,
	ADD COLUMN total_recount_spans   bigint NOT NULL DEFAULT 0,
	ADD COLUMN total_requests        bigint NOT NULL DEFAULT 0,
	ADD COLUMN total_inspected_bytes bigint NOT NULL DEFAULT 0,
	ADD COLUMN total_run_ms          bigint NOT NULL DEFAULT 0;

-- What the journeys of a cohort were worth (the journey's value
-- attribute, e.g. an order total, from the furthest step that carried
-- it), by step: of those that dropped after the step, and of those whose
-- span of the step failed. Counted once an instance's window has closed.
ALTER TABLE rollup_funnels
	ADD COLUMN dropped_value double precision[] NOT NULL DEFAULT '{}',
	ADD COLUMN errored_value double precision[] NOT NULL DEFAULT '{}';

-- The spans a step row was computed from, when the traffic was sampled
-- and each counted as the spans it stands for (spans is then an
-- estimate). NULL on rows from before: as many as spans.
ALTER TABLE rollup_steps ADD COLUMN sampled bigint;
