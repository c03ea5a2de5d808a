-- Browser sessions of the web UI. A session is opened with an API key and
-- lives no longer than that key: a request by cookie joins the session to
-- its key and refuses it once the key is revoked. Only the SHA-256 of the
-- session token (the cookie's value) is kept, as for API keys, so a copy of
-- the database opens no session. Any server replica sharing the database
-- accepts the cookie.

-- +goose Up
CREATE TABLE sessions (
    token_hash BLOB   PRIMARY KEY,
    key_id     BIGINT NOT NULL REFERENCES api_keys (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- Expired sessions are swept by time; a key's sessions are found by key.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_key ON sessions (key_id);

-- +goose Down
DROP TABLE sessions;
