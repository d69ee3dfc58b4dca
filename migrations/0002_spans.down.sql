-- Dropping the parent drops every daily partition with it.
DROP TABLE IF EXISTS spans;
