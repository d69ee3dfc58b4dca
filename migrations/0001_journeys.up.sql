-- Journeys and their version history.
--
-- A journey's identity is its row id; the slug is its current name and is
-- unique among live journeys only. Deleting a journey keeps the row (with
-- deleted_at set) and its history, so that re-creating the slug later revives
-- the same journey and its version numbers keep increasing.
CREATE TABLE journeys (
	id          bigserial PRIMARY KEY,
	slug        text NOT NULL,
	version     integer NOT NULL CHECK (version > 0),
	-- definition is the API's JSON form, for SQL; source the canonical
	-- YAML, which reads decode because it keeps literals exactly as written.
	definition  jsonb NOT NULL,
	source      text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	updated_by  text NOT NULL DEFAULT '',
	deleted_at  timestamptz
);

CREATE UNIQUE INDEX journeys_live_slug ON journeys (slug) WHERE deleted_at IS NULL;
CREATE INDEX journeys_slug ON journeys (slug, deleted_at DESC);

-- Every save and every delete of a journey, one row per version.
CREATE TABLE journey_versions (
	journey_id  bigint NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
	version     integer NOT NULL CHECK (version > 0),
	slug        text NOT NULL,
	action      text NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
	definition  jsonb NOT NULL,
	source      text NOT NULL,
	changed_at  timestamptz NOT NULL DEFAULT now(),
	changed_by  text NOT NULL DEFAULT '',
	PRIMARY KEY (journey_id, version)
);

CREATE INDEX journey_versions_slug ON journey_versions (slug, version DESC);
