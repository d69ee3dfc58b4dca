-- When the embedded store received each span, so that rollups can find
-- the spans that arrived after they had read their minutes (long spans,
-- a collector's retry queue, history sent in bulk) and recount only those
-- minutes. Existing spans take the time of this migration.
ALTER TABLE spans ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();

-- Rows are appended in arrival order: a BRIN index finds the recent ones
-- for almost nothing.
CREATE INDEX spans_received_brin_idx ON spans USING brin (received_at);
