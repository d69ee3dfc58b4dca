-- Rollups: what the rollup jobs compute from spans, per journey × step ×
-- bucket × segment, so that the UI, the API and SLOs read numbers instead
-- of spans. Keyed by the journey's row id, which survives renames.
--
-- A row's bucket is the start of its interval: 60 seconds wide when
-- computed, 3600 once downsampled. Buckets of one journey never overlap, so
-- a range is the sum of the rows whose bucket starts in it. segment_key and
-- segment_value are both '' for the all-traffic row.

CREATE TABLE rollup_steps (
	journey_id      bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	segment_key     text        NOT NULL,
	segment_value   text        NOT NULL,
	bucket          timestamptz NOT NULL,
	step            smallint    NOT NULL CHECK (step >= 0),
	width_s         integer     NOT NULL CHECK (width_s > 0),
	-- The journey version whose steps and segments produced the row.
	journey_version integer     NOT NULL,
	spans           bigint      NOT NULL,
	errors          bigint      NOT NULL,
	-- Latency sketch (internal/sketch): merged, never re-read from spans.
	latency         bytea       NOT NULL,
	-- Exact counts of spans with duration <= each latency SLO threshold.
	thresholds_ns   bigint[]    NOT NULL,
	good            bigint[]    NOT NULL,
	value_sum       double precision NOT NULL,
	-- Exemplar traces: [{"trace_id", "start", "duration_ns"}].
	slowest         jsonb       NOT NULL,
	errored         jsonb       NOT NULL,
	PRIMARY KEY (journey_id, segment_key, segment_value, bucket, step)
);

-- Replacing a run's buckets, downsampling and retention go by time across
-- segments.
CREATE INDEX rollup_steps_bucket_idx ON rollup_steps (journey_id, bucket);

-- Funnel cohorts: instances (traces or sessions) by the bucket in which
-- they entered step 1, in the segment values they had then. Arrays are
-- indexed by step (1-based in SQL): reached[1] is the number that entered.
CREATE TABLE rollup_funnels (
	journey_id      bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	segment_key     text        NOT NULL,
	segment_value   text        NOT NULL,
	bucket          timestamptz NOT NULL,
	width_s         integer     NOT NULL CHECK (width_s > 0),
	journey_version integer     NOT NULL,
	reached         bigint[]    NOT NULL,
	-- Instances whose window was still open when computed, by step
	-- reached: not dropped yet.
	in_flight       bigint[]    NOT NULL,
	errored         bigint      NOT NULL,
	-- Sketches of the time from step k to step k+1.
	step_times      bytea[]     NOT NULL,
	PRIMARY KEY (journey_id, segment_key, segment_value, bucket)
);

CREATE INDEX rollup_funnels_bucket_idx ON rollup_funnels (journey_id, bucket);

-- How fresh each journey's rollups are, so the UI can say "data delayed
-- since 10:42: Tempo returned 503", and what the last run cost the source.
CREATE TABLE rollup_freshness (
	journey_id       bigint      PRIMARY KEY REFERENCES journeys (id) ON DELETE CASCADE,
	journey_version  integer     NOT NULL,
	-- Buckets before this instant are complete.
	complete_through timestamptz,
	last_run_at      timestamptz,
	last_run_from    timestamptz,
	last_run_to      timestamptz,
	last_run_ms      bigint      NOT NULL DEFAULT 0,
	last_spans       bigint      NOT NULL DEFAULT 0,
	last_fetch       jsonb       NOT NULL DEFAULT '{}',
	last_error       text        NOT NULL DEFAULT '',
	last_error_at    timestamptz,
	-- First failure since the last successful run; NULL while healthy.
	failing_since    timestamptz
);

-- Backfills recompute a journey's history (after it is created or edited)
-- chunk by chunk; done_through shows progress.
CREATE TABLE rollup_backfills (
	id           bigserial   PRIMARY KEY,
	journey_id   bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	range_from   timestamptz NOT NULL,
	range_to     timestamptz NOT NULL CHECK (range_to > range_from),
	done_through timestamptz NOT NULL,
	state        text        NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
	error        text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX rollup_backfills_journey_idx ON rollup_backfills (journey_id, created_at DESC);
