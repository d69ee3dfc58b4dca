-- Funnel rows of the segment keys attributed at the step (hosts, pods,
-- zones; segment_key '@step:<key>'): of the instances whose span of step k
-- had the row's value, how many went on to step k+1. Reached and in_flight
-- there count by step too; on entry rows this column stays empty, as
-- continued[k] is reached[k+1].
ALTER TABLE rollup_funnels ADD COLUMN continued bigint[] NOT NULL DEFAULT '{}';
