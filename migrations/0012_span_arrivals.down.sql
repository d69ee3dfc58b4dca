ALTER TABLE spans DROP COLUMN IF EXISTS trace_state;
DROP INDEX IF EXISTS spans_received_brin_idx;
ALTER TABLE spans DROP COLUMN IF EXISTS received_at;
