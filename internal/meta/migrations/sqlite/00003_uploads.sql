-- Proof of possession for deduplicated blobs. A blob is stored once, whoever
-- sent it; knowing its digest must not be enough to reference it in a new
-- version (and so to read it). uploads remembers who showed they have a
-- blob's bytes.
--
-- verified = 1: the server received the bytes from the user and hashed them.
-- verified = 0: the user was handed a presigned URL for the blob while it was
-- absent; the server cannot tell who then sent the bytes, so such a claim
-- proves nothing by itself, but it does keep others from taking the blob
-- for an unclaimed one (see meta.Uploads).

-- +goose Up
CREATE TABLE uploads (
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    digest     TEXT    NOT NULL,
    verified   INTEGER NOT NULL CHECK (verified IN (0, 1)),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, digest)
);
-- Who else holds a record of a blob.
CREATE INDEX uploads_by_digest ON uploads (digest, user_id);

-- +goose Down
DROP TABLE uploads;
