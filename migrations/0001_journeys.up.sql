-- Journeys, their version history. Filled in by the storage layer.
CREATE TABLE journeys (
	id          bigserial PRIMARY KEY,
	slug        text NOT NULL UNIQUE,
	version     integer NOT NULL,
	definition  jsonb NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);
