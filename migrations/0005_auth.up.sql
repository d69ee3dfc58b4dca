-- Accounts, browser sessions, API tokens, login throttling and the audit log.
--
-- No secret is stored as given: passwords as argon2id hashes, session and API
-- tokens as SHA-256 digests, so a copy of the database signs nobody in.

CREATE TABLE users (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- Lower-cased and trimmed by the application; unique as stored.
	email         text NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
	role          text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
	-- PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash). NULL for an
	-- account created by the auth proxy, which cannot sign in by password.
	password_hash text,
	disabled_at   timestamptz,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	last_login_at timestamptz
);

CREATE TABLE sessions (
	token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   timestamptz NOT NULL,
	-- Idle expiry counts from last_seen_at, which is refreshed at most once
	-- a minute; expires_at is the absolute end.
	last_seen_at timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	remote_addr  text NOT NULL DEFAULT '',
	user_agent   text NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name         text NOT NULL CHECK (name <> ''),
	token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	-- The first characters of the token, so that people can tell tokens
	-- apart in lists; far too short to guess the rest from.
	prefix       text NOT NULL,
	scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0),
	created_by   text NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz
);

-- Failed (and in-flight) password logins, keyed by account and by client
-- address, for rate limiting that several processes agree on.
CREATE TABLE login_attempts (
	id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key text NOT NULL,
	at  timestamptz NOT NULL
);

CREATE INDEX login_attempts_key_idx ON login_attempts (key, at DESC);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);

CREATE TABLE audit_log (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at          timestamptz NOT NULL,
	actor       text NOT NULL,
	actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'token', 'system')),
	action      text NOT NULL CHECK (action <> ''),
	object      text NOT NULL CHECK (object <> ''),
	object_id   text NOT NULL DEFAULT '',
	remote_addr text NOT NULL DEFAULT '',
	before      jsonb,
	after       jsonb
);

CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_object_idx ON audit_log (object, object_id, at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at DESC, id DESC);
