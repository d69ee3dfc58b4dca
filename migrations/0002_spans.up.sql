-- The embedded trace store: OTLP spans, one partition per UTC day of span
-- start so that retention drops whole tables instead of deleting rows.
--
-- start_ns keeps the exact nanosecond (timestamptz has only microseconds) and
-- is the partition key. Partitions are created on demand by the writer
-- (spans_YYYYMMDD, [day, day+1) in ns), never here.
CREATE TABLE spans (
	start_ns        bigint   NOT NULL,
	duration_ns     bigint   NOT NULL,
	kind            smallint NOT NULL,   -- OTLP SpanKind: 0 unspecified .. 5 consumer
	status_code     smallint NOT NULL,   -- OTLP StatusCode: 0 unset, 1 ok, 2 error
	trace_id        bytea    NOT NULL,   -- 16 bytes
	span_id         bytea    NOT NULL,   -- 8 bytes
	parent_span_id  bytea,               -- 8 bytes, NULL for a root span
	service         text     NOT NULL,   -- resource attribute service.name
	name            text     NOT NULL,
	status_message  text     NOT NULL DEFAULT '',
	-- Attributes keep their OTLP type: strings, booleans and integers as the
	-- JSON scalars, doubles as JSON numbers that always carry a fraction
	-- (1.0) so they never read back as integers, and what JSON cannot hold
	-- as tagged objects: {"double": "NaN"}, {"bytes": "<base64>"},
	-- {"kvlist": {...}}.
	attributes      jsonb    NOT NULL DEFAULT '{}',
	resource        jsonb    NOT NULL DEFAULT '{}',
	scope_name      text     NOT NULL DEFAULT '',
	scope_version   text     NOT NULL DEFAULT '',
	events          jsonb,
	links           jsonb,
	-- A client retrying a batch sends the same spans again: the key makes the
	-- second copy a no-op. It must contain the partition key.
	PRIMARY KEY (trace_id, span_id, start_ns)
) PARTITION BY RANGE (start_ns);

-- Step patterns always name a service and usually a span name.
CREATE INDEX spans_service_name_start_idx ON spans (service, name, start_ns);

-- Spans arrive roughly in start order, so a BRIN index serves the range scans
-- of attribute autocomplete at almost no write cost.
CREATE INDEX spans_start_brin_idx ON spans USING brin (start_ns);
