DELETE FROM rollup_funnels WHERE segment_key LIKE '@step:%';
ALTER TABLE rollup_funnels DROP COLUMN continued;
