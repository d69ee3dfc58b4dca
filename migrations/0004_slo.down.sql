DROP TABLE slo_notifications;
DROP TABLE notification_channels;
DROP TABLE slo_states;
DROP TABLE slo_transitions;
DROP TABLE slo_evaluations;
DROP TABLE deployments;
DROP TABLE slo_settings;
