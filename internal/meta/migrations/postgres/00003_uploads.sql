-- Proof of possession for deduplicated blobs. Mirrors sqlite/00003_uploads.sql,
-- which explains the table.

-- +goose Up
CREATE TABLE uploads (
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    digest     TEXT    NOT NULL,
    verified   BOOLEAN NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, digest)
);
-- Who else holds a record of a blob.
CREATE INDEX uploads_by_digest ON uploads (digest, user_id);

-- +goose Down
DROP TABLE uploads;
