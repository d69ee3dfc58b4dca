-- Incidents, their status history, and the traces they cite.
--
-- A linked trace keeps a snapshot of the whole trace (OTLP JSON, gzip) so
-- that a post-mortem can still show it after Tempo or the embedded store has
-- expired it.
CREATE TABLE incidents (
	id           bigserial PRIMARY KEY,
	title        text NOT NULL,
	severity     text NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
	status       text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
	started_at   timestamptz NOT NULL,
	detected_at  timestamptz NOT NULL CHECK (detected_at >= started_at),
	resolved_at  timestamptz CHECK (resolved_at >= started_at),
	-- Affected journeys by slug, and affected steps as [{"journey", "step"}].
	-- Slugs rather than ids: the post-mortem names what people saw, and an
	-- incident outlives a journey's rename or deletion.
	journeys     text[] NOT NULL DEFAULT '{}',
	steps        jsonb NOT NULL DEFAULT '[]',
	owner        text NOT NULL DEFAULT '',
	summary      text NOT NULL DEFAULT '',
	version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
	created_at   timestamptz NOT NULL,
	created_by   text NOT NULL DEFAULT '',
	updated_at   timestamptz NOT NULL,
	updated_by   text NOT NULL DEFAULT '',
	CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);

CREATE INDEX incidents_started_idx ON incidents (started_at DESC, id DESC);
CREATE INDEX incidents_journeys_idx ON incidents USING gin (journeys);

-- Every status an incident took, with who set it and when: the incident's
-- own part of its timeline. from_status is NULL for the opening entry.
CREATE TABLE incident_status_changes (
	id           bigserial PRIMARY KEY,
	incident_id  bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	from_status  text,
	to_status    text NOT NULL,
	changed_at   timestamptz NOT NULL,
	changed_by   text NOT NULL DEFAULT ''
);

CREATE INDEX incident_status_changes_incident_idx ON incident_status_changes (incident_id, changed_at, id);

CREATE TABLE incident_traces (
	incident_id    bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	trace_id       text NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
	note           text NOT NULL DEFAULT '',
	linked_at      timestamptz NOT NULL,
	linked_by      text NOT NULL DEFAULT '',
	journey        text NOT NULL DEFAULT '',
	step           text NOT NULL DEFAULT '',
	-- What the list of linked traces shows without opening a snapshot.
	trace_start    timestamptz NOT NULL,
	duration_ns    bigint NOT NULL,
	span_count     integer NOT NULL,
	root_service   text NOT NULL DEFAULT '',
	root_name      text NOT NULL DEFAULT '',
	error_message  text NOT NULL DEFAULT '',
	-- snapshot is gzip-compressed OTLP JSON (TracesData); snapshot_bytes its
	-- uncompressed size.
	snapshot       bytea NOT NULL,
	snapshot_bytes bigint NOT NULL,
	PRIMARY KEY (incident_id, trace_id)
);

-- The snapshot is gzip already: spare Postgres a second, useless
-- compression attempt while still storing it out of line.
ALTER TABLE incident_traces ALTER COLUMN snapshot SET STORAGE EXTERNAL;

CREATE INDEX incident_traces_trace_idx ON incident_traces (trace_id);
