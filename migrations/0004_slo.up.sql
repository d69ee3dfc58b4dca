-- Live SLOs: per-SLO settings, deploy markers, every evaluation with the
-- numbers behind it, alert states and their transitions, notification
-- channels and the deliveries of each transition to each channel.
--
-- SLOs are keyed by the journey's row id (which survives renames) and the
-- SLO's name within the journey.

-- Settings journeys.SLO has no field for, such as the minimum-traffic
-- guard. An SLO without a row takes the defaults.
CREATE TABLE slo_settings (
	journey_id bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	slo_name   text        NOT NULL,
	min_events bigint      NOT NULL CHECK (min_events >= 0),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (journey_id, slo_name)
);

-- Deploy markers, posted by CI/CD.
CREATE TABLE deployments (
	id          bigserial   PRIMARY KEY,
	service     text        NOT NULL CHECK (length(service) BETWEEN 1 AND 200),
	version     text        NOT NULL CHECK (length(version) BETWEEN 1 AND 200),
	environment text        NOT NULL DEFAULT '',
	at          timestamptz NOT NULL,
	url         text        NOT NULL DEFAULT '',
	description text        NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX deployments_at_idx ON deployments (at DESC, id DESC);
CREATE INDEX deployments_service_at_idx ON deployments (service, at DESC);

-- Every evaluation of every SLO (one a minute each), kept for a while so
-- that an alert can be explained afterwards. data_through is the end of the
-- rollups the numbers were computed from; at the wall clock.
CREATE TABLE slo_evaluations (
	id               bigserial   PRIMARY KEY,
	journey_id       bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	slo_name         text        NOT NULL,
	at               timestamptz NOT NULL,
	data_through     timestamptz,
	state            text        NOT NULL,
	reason           text        NOT NULL DEFAULT '',
	objective        double precision NOT NULL,
	min_events       bigint      NOT NULL,
	good             bigint      NOT NULL,
	total            bigint      NOT NULL,
	sli              double precision NOT NULL,
	budget_remaining double precision NOT NULL,
	approximate      boolean     NOT NULL DEFAULT false,
	stale            boolean     NOT NULL DEFAULT false,
	error            text        NOT NULL DEFAULT '',
	-- {"budget": …, "pairs": […], "forecast": …} as internal/slo encodes them.
	numbers          jsonb       NOT NULL
);

CREATE INDEX slo_evaluations_slo_idx ON slo_evaluations (journey_id, slo_name, at DESC);
CREATE INDEX slo_evaluations_at_idx ON slo_evaluations (at);

-- Changes of alert state, kept for good, each with the numbers that caused
-- it. alert_started_at and deployment_id describe the alert the transition
-- belongs to (from firing until resolved): the deploy is the latest one of
-- a journey service in the 30 minutes before the alert started.
CREATE TABLE slo_transitions (
	id               bigserial   PRIMARY KEY,
	journey_id       bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	slo_name         text        NOT NULL,
	evaluation_id    bigint      REFERENCES slo_evaluations (id) ON DELETE SET NULL,
	from_state       text        NOT NULL,
	to_state         text        NOT NULL,
	event            text        NOT NULL,
	at               timestamptz NOT NULL,
	data_through     timestamptz,
	-- When from_state began.
	from_since       timestamptz NOT NULL,
	reason           text        NOT NULL DEFAULT '',
	objective        double precision NOT NULL,
	good             bigint      NOT NULL,
	total            bigint      NOT NULL,
	sli              double precision NOT NULL,
	budget_remaining double precision NOT NULL,
	numbers          jsonb       NOT NULL,
	alert_started_at timestamptz,
	deployment_id    bigint      REFERENCES deployments (id) ON DELETE SET NULL,
	-- [{"trace_id", "start", "duration_ns", "step", "error"}]
	exemplars        jsonb       NOT NULL DEFAULT '[]'
);

CREATE INDEX slo_transitions_slo_idx ON slo_transitions (journey_id, slo_name, at DESC, id DESC);
CREATE INDEX slo_transitions_at_idx ON slo_transitions (at DESC, id DESC);

-- The current alert state of each SLO, with its latest numbers so that
-- lists, badges and /metrics read one row per SLO.
CREATE TABLE slo_states (
	journey_id          bigint      NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	slo_name            text        NOT NULL,
	state               text        NOT NULL CHECK (state IN ('ok', 'ticket', 'page', 'insufficient_traffic')),
	since               timestamptz NOT NULL,
	reason              text        NOT NULL DEFAULT '',
	evaluated_at        timestamptz NOT NULL,
	data_through        timestamptz,
	stale               boolean     NOT NULL DEFAULT false,
	objective           double precision NOT NULL,
	min_events          bigint      NOT NULL,
	good                bigint      NOT NULL,
	total               bigint      NOT NULL,
	sli                 double precision NOT NULL,
	budget_remaining    double precision NOT NULL,
	numbers             jsonb       NOT NULL,
	last_transition_id  bigint      REFERENCES slo_transitions (id) ON DELETE SET NULL,
	alert_started_at    timestamptz,
	alert_deployment_id bigint      REFERENCES deployments (id) ON DELETE SET NULL,
	PRIMARY KEY (journey_id, slo_name)
);

-- Where alerts go: a generic JSON webhook, a Slack incoming webhook or an
-- Alertmanager. journeys limits a channel to some journeys by slug; empty
-- means all.
CREATE TABLE notification_channels (
	id         bigserial   PRIMARY KEY,
	name       text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
	kind       text        NOT NULL CHECK (kind IN ('webhook', 'slack', 'alertmanager')),
	url        text        NOT NULL,
	journeys   text[]      NOT NULL DEFAULT '{}',
	enabled    boolean     NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- One delivery of one transition to one channel. The primary key is the
-- de-duplication key: a transition is delivered at most once per channel
-- (refreshes to Alertmanager of a firing alert aside, which it merges).
CREATE TABLE slo_notifications (
	transition_id   bigint      NOT NULL REFERENCES slo_transitions (id) ON DELETE CASCADE,
	channel_id      bigint      NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
	created_at      timestamptz NOT NULL DEFAULT now(),
	attempts        integer     NOT NULL DEFAULT 0,
	last_attempt_at timestamptz,
	last_error      text        NOT NULL DEFAULT '',
	delivered_at    timestamptz,
	-- The last successful send, refreshes included.
	sent_at         timestamptz,
	gave_up_at      timestamptz,
	PRIMARY KEY (transition_id, channel_id)
);
