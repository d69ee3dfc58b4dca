-- When the embedded store received each span, so that rollups can find
-- the spans that arrived after they had read their minutes (long spans,
-- a collector's retry queue, history sent in bulk) and recount only those
-- minutes. Existing spans take the time of this migration.
ALTER TABLE spans ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();

-- Rows are appended in arrival order: a BRIN index finds the recent ones
-- for almost nothing.
CREATE INDEX spans_received_brin_idx ON spans USING brin (received_at);

-- The span's W3C tracestate, whose OpenTelemetry entry says how the trace
-- was sampled (ot=th:…): rollups weight a sampled span by 1 / its sampling
-- probability, so that their numbers estimate all the traffic.
ALTER TABLE spans ADD COLUMN trace_state text NOT NULL DEFAULT '';
