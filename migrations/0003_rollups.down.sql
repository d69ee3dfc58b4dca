DROP TABLE rollup_backfills;
DROP TABLE rollup_freshness;
DROP TABLE rollup_funnels;
DROP TABLE rollup_steps;
