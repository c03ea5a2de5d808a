-- Browser sessions of the web UI. Mirrors sqlite/00005_sessions.sql, which
-- explains the table.

-- +goose Up
CREATE TABLE sessions (
    token_hash BYTEA  PRIMARY KEY,
    key_id     BIGINT NOT NULL REFERENCES api_keys (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- Expired sessions are swept by time; a key's sessions are found by key.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_key ON sessions (key_id);

-- +goose Down
DROP TABLE sessions;
