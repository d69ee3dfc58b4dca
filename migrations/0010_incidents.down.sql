DROP TABLE incident_traces;
DROP TABLE incident_status_changes;
DROP TABLE incidents;
